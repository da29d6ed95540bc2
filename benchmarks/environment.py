"""What the numbers were measured on: machine, Python, database servers and library versions."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from benchmarks import servers

LIBRARIES = ("dbaudit", "SQLAlchemy", "psycopg2-binary", "PyMySQL", "sqlglot", "Jinja2", "Faker", "click")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _server(read: Callable[[], str]) -> str:
    try:
        return str(read())
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"


def describe() -> dict[str, str]:
    """Machine and software facts, as label -> value."""
    memory = memory_gib()
    facts = {
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, {memory:.1f} GiB" if memory else cpu_model(),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "PostgreSQL": _server(servers.pg_server_version),
        "MariaDB": _server(servers.mysql_server_version),
    }
    facts.update(library_versions())
    return facts
