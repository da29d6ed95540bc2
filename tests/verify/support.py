"""Helpers of the ``dbaudit verify`` tests: small projects written on the fly, the command run as a user runs
it (a child process), and fingerprints of databases and folders to prove nothing outside the scratch database
changed."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

SRC = Path(__file__).resolve().parents[2] / "src"

#: The schema of the fixture projects, as their ``schema.py`` (their migrate_command) creates it.  Portable
#: DDL: the same on SQLite, PostgreSQL and MariaDB.
SCHEMA_PY = """
import os

from sqlalchemy import create_engine, text

TABLES = {TABLES!r}

engine = create_engine(os.environ["DATABASE_URL"])
with engine.begin() as conn:
    for ddl in TABLES:
        conn.execute(text(ddl.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")))
"""


def make_project(root: Path, tables: list[str], files: dict[str, str], config: str = "") -> Path:
    """A project at ``root``: ``schema.py`` creating ``tables`` (DDL), ``files`` (dedented), a pyproject.toml
    whose ``[tool.dbaudit.verify]`` runs ``python schema.py`` as its migrate_command, plus ``config``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "schema.py").write_text(SCHEMA_PY.replace("{TABLES!r}", repr(tables)), encoding="utf-8")
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "fixture"\nversion = "0"\n\n[tool.dbaudit.verify]\n'
        'migrate_command = "python schema.py"\n' + config,
        encoding="utf-8",
    )
    return root


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def run(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data

    def kinds(self) -> list[str]:
        return [f["kind"] for f in self.run["findings"]]

    def step(self, seeder_end: str) -> dict[str, Any]:
        return next(s for s in self.run["steps"] if s["seeder"].endswith(seeder_end))

    def describe(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"


def run_dbaudit(
    *args: str, cwd: Path, tmpdir: Path | None = None, env: dict[str, str] | None = None
) -> Result:
    """``python -m dbaudit ARGS`` in a child process, with this checkout's code; ``tmpdir`` as its TMPDIR."""
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [environ.get("PYTHONPATH")])])
    for name in ("DATABASE_URL", "DBAUDIT_URL"):
        environ.pop(name, None)
    if tmpdir is not None:
        tmpdir.mkdir(parents=True, exist_ok=True)
        environ["TMPDIR"] = str(tmpdir)
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "dbaudit", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def table_checksums(url: str) -> dict[str, str]:
    """A digest of every row of every table (sorted), by table: equal digests, equal contents."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            quote = conn.dialect.identifier_preparer.quote
            for name in sorted(inspect(conn).get_table_names()):
                rows = conn.execute(text(f"SELECT * FROM {quote(name)}")).all()
                digest = hashlib.sha256(repr(sorted(repr(tuple(r)) for r in rows)).encode()).hexdigest()
                out[name] = f"{len(rows)}:{digest}"
            return out
    finally:
        engine.dispose()


def folder_fingerprint(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with the digest of its content (folders: ``dir``)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"
