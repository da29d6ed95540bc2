"""Helpers for the seeding tests: load sample schemas, fingerprint every row, run seeds and purges."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine, make_url

from dbaudit.config import Settings, load_settings
from dbaudit.seed import PlanRequest, PurgeReport, SeedReport, purge, run_seed

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

_DATABASE_LINES = re.compile(r"^\s*(DROP DATABASE|CREATE DATABASE|USE |\\c )", re.IGNORECASE)


def strip_database_lines(sql: str) -> str:
    """Drop the ``DROP/CREATE DATABASE``, ``USE`` and ``\\c`` lines: the test made the database already."""
    return "\n".join(line for line in sql.splitlines() if not _DATABASE_LINES.match(line)) + "\n"


def load_sql(db: TestDatabase, path: Path) -> None:
    """Run a sample SQL script in the test's database with the dialect's own client (fast, script-aware)."""
    sql = strip_database_lines(path.read_text(encoding="utf-8-sig"))
    url = make_url(db.url)
    if db.dialect == "sqlite":
        connection = sqlite3.connect(str(url.database))
        try:
            connection.executescript(sql)
        finally:
            connection.close()
        return
    if db.dialect == "postgresql":
        client = shutil.which("psql")
        if client is None:
            pytest.skip("psql is not installed")
        target = url.set(drivername="postgresql").render_as_string(hide_password=False)
        command = [client, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target, "-f", "-"]
        env = dict(os.environ)
    else:
        client = shutil.which("mariadb") or shutil.which("mysql")
        if client is None:
            pytest.skip("the mariadb/mysql client is not installed")
        command = [
            client,
            "-h",
            url.host or "127.0.0.1",
            "-P",
            str(url.port or 3306),
            "-u",
            url.username or "root",
        ]
        command += ["--default-character-set=utf8mb4", str(url.database)]
        env = dict(os.environ)
        if url.password:
            env["MYSQL_PWD"] = str(url.password)
    done = subprocess.run(
        command, input=sql, text=True, capture_output=True, env=env, timeout=300, check=False
    )
    assert done.returncode == 0, f"loading {path.name} failed:\n{done.stderr[-2000:]}"


def table_names(engine: Engine, schema: str | None = None) -> list[str]:
    metadata = MetaData()
    metadata.reflect(
        engine, schema=schema if engine.dialect.name == "postgresql" and schema != "public" else None
    )
    return sorted(t.name for t in metadata.tables.values())


def fingerprint(engine: Engine, schema: str | None = None, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """table -> digest of its rows (sorted, every column), for every table of the database.

    ``skip`` names tables to leave out, each with the tables named after it (``dbaudit_ledger`` also leaves
    out ``dbaudit_ledger_tables``: the ledger's two bookkeeping tables).
    """
    metadata = MetaData()
    reflect_schema = schema if engine.dialect.name == "postgresql" and schema != "public" else None
    metadata.reflect(engine, schema=reflect_schema)
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for table in sorted(metadata.tables.values(), key=lambda t: t.key):
            if table.name in skip or any(table.name.startswith(f"{name}_") for name in skip):
                continue
            rows = sorted(repr(tuple(_plain(v) for v in row)) for row in conn.execute(select(table)))
            out[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest() + f":{len(rows)}"
    return out


def rows_of(engine: Engine, name: str) -> list[tuple[Any, ...]]:
    metadata = MetaData()
    metadata.reflect(engine, only=[name])
    with engine.connect() as conn:
        return sorted(
            (tuple(_plain(v) for v in r) for r in conn.execute(select(metadata.tables[name]))), key=repr
        )


def counts(engine: Engine) -> dict[str, int]:
    return {name: int(value.rsplit(":", 1)[1]) for name, value in fingerprint(engine).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def settings_for(db: TestDatabase, project: Path, **overrides: Any) -> Settings:
    """Settings for a test database, isolated from any configuration around the test run."""
    project.mkdir(parents=True, exist_ok=True)
    return load_settings({"url": db.url, "project_root": project, **overrides}, environ={})


def seed(settings: Settings, **request: Any) -> SeedReport:
    dry_run = request.pop("dry_run", False)
    force = request.pop("force", False)
    return run_seed(settings, PlanRequest(**request), dry_run=dry_run, force=force)


def purge_all(settings: Settings, **options: Any) -> PurgeReport:
    report = purge(settings, **options)
    assert not report.blocked, report.blocked
    return report
