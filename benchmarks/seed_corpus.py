"""``python -m benchmarks.seed_corpus``: ``seed --missing`` on every real schema of the shared corpus.

Each schema is loaded schema-only into a fresh database of its own dialect (``dbaudit_bench_*``, dropped
again whatever happens), seeded with ``--rows`` rows per table, then purged.  One line per schema: the tables
the seed filled out of the tables that were empty, the rows it inserted, its time, and whether the purge
returned every table to its earlier row count.  A table left empty is listed with the seeder's reason code.

The corpus (``../shared/corpus``, next to the project) is not part of the repository; schemas whose files are
absent are reported as skipped.  There is no baseline: this measures coverage more than speed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, create_engine, func, select
from sqlalchemy.engine import Engine, make_url

from benchmarks import servers
from dbaudit.config import load_settings
from dbaudit.dialects import dialect_for
from dbaudit.seed import PlanRequest, purge, run_seed

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@dataclass(frozen=True)
class Schema:
    name: str
    dialect: str
    files: tuple[str, ...]
    folder: str
    """The files' folder inside the corpus."""
    schema: str | None = None


SCHEMAS = (
    Schema("pagila", "postgresql", ("pagila-schema-v3.1.0.sql",), "pagila"),
    Schema("chinook_pg", "postgresql", ("chinook_postgresql_schema.sql",), "chinook"),
    Schema("chinook_mysql", "mysql", ("chinook_mysql_schema.sql",), "chinook"),
    Schema("chinook_sqlite", "sqlite", ("chinook_sqlite_schema.sql",), "chinook"),
    Schema("openstreetmap", "postgresql", ("structure.sql",), "schemas/openstreetmap"),
    Schema("lago", "postgresql", ("structure.sql",), "schemas/lago"),
    Schema("musicbrainz", "postgresql", ("schema.sql",), "schemas/musicbrainz", schema="musicbrainz"),
    Schema(
        "musicbrainz_triggers_rows",
        "postgresql",
        ("schema.sql", "triggers_and_views.sql", "InsertDefaultRows.sql"),
        "schemas/musicbrainz",
        schema="musicbrainz",
    ),
    Schema("mysql_employees", "mysql", ("schema.sql",), "schemas/mysql_employees"),
    Schema("guacamole_mysql", "mysql", ("001-create-schema.sql",), "schemas/guacamole_mysql"),
    Schema(
        "guacamole_admin_rows",
        "mysql",
        ("001-create-schema.sql", "002-create-admin-user.sql"),
        "schemas/guacamole_mysql",
    ),
    Schema("zotero_sqlite", "sqlite", ("schema.sql",), "schemas/zotero_sqlite"),
    Schema("synapse_sqlite", "sqlite", ("schema.sql",), "schemas/synapse_sqlite"),
)


def _path(schema: Schema, file: str) -> Path:
    return CORPUS.joinpath(*schema.folder.split("/"), file)


def _load(schema: Schema, url: str, files: Sequence[Path]) -> None:
    """Load with the dialect's own client, as the corpus README says."""
    for path in files:
        sql = path.read_text(encoding="utf-8-sig")
        if schema.dialect == "sqlite":
            import sqlite3

            database = url.split("///", 1)[1]
            with sqlite3.connect(database) as conn:
                conn.executescript(sql)
            continue
        lines = [
            line
            for line in sql.splitlines()
            if not line.lstrip().upper().startswith(("DROP DATABASE", "CREATE DATABASE", "USE ", "\\C "))
        ]
        env = dict(os.environ)
        if schema.dialect == "postgresql":
            target = servers.pg_url().set(drivername="postgresql", database=make_url(url).database)
            command = [shutil.which("psql") or "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
            command += ["-d", target.render_as_string(hide_password=False), "-f", "-"]
        else:
            params = servers.mysql_params(servers.mysql_url())
            command = [shutil.which("mariadb") or shutil.which("mysql") or "mysql"]
            command += ["-h", str(params["host"]), "-P", str(params["port"]), "-u", str(params["user"])]
            command += ["--default-character-set=utf8mb4", str(make_url(url).database)]
            if params.get("password"):
                env["MYSQL_PWD"] = str(params["password"])
        done = subprocess.run(
            command, input="\n".join(lines) + "\n", text=True, capture_output=True, env=env, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"loading {path.name} failed: {done.stderr.strip()[-300:]}")


def _counts(engine: Engine, schema: str | None) -> dict[str, int]:
    metadata = MetaData()
    metadata.reflect(engine, schema=schema)
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in metadata.tables.values()
            if not t.name.startswith("dbaudit_")
        }


def _module_tables(engine: Engine) -> set[str]:
    """Shadow tables of virtual tables (SQLite FTS): the module fills them, the seeder never does."""
    with engine.connect() as conn:
        return dialect_for(engine.dialect.name).module_tables(conn, None)


def measure(schema: Schema, url: str, rows: int, workdir: Path, trigger_inserts: bool) -> str:
    engine = create_engine(url)
    try:
        owned = _module_tables(engine)
        before = _counts(engine, schema.schema)
        empty = sorted(t for t, n in before.items() if n == 0 and t not in owned)
        settings = load_settings(
            {"url": url, "project_root": workdir, "schemas": (schema.schema,) if schema.schema else ()},
            environ={},
        )
        start = time.perf_counter()
        report = run_seed(
            settings, PlanRequest(missing=True, rows=rows, seed=1), allow_trigger_inserts=trigger_inserts
        )
        seconds = time.perf_counter() - start
        after = _counts(engine, schema.schema)
        left = [t for t in empty if after.get(t, 0) == 0]
        codes = {s.table.split(".")[-1]: s.code for s in report.plan.skipped}
        purge(settings)
        after_purge = _counts(engine, schema.schema)
        changed = sorted(t for t in before if after_purge.get(t) != before[t])
    finally:
        engine.dispose()
    restored = "yes" if not changed else "NO"
    if changed and all(t in owned for t in changed):
        restored = f"tables yes; module bookkeeping rows left in {', '.join(changed)}"
    filled = len(empty) - len(left)
    line = (
        f"| {schema.name} | {schema.dialect} | {filled} / {len(empty)} | {report.total_rows} | {seconds:.1f} "
        f"| {restored} |"
    )
    if left:
        # The tables that could not be filled themselves; those skipped for want of them are only counted.
        causes = [t for t in left if codes.get(t) not in ("parent-skipped", None)]
        others = [t for t in left if codes.get(t) is None]
        dependants = len(left) - len(causes) - len(others)
        parts = [", ".join(f"{t} ({codes[t]})" for t in causes)] if causes else []
        if dependants:
            parts.append(f"{dependants} tables needing them (parent-skipped)")
        if others:  # no skip of their own: partitions the run's rows did not reach
            parts.append(f"{len(others)} more without a skip of their own: {', '.join(others)}")
        line += " left empty: " + "; ".join(parts)
    return line


def run_one(schema: Schema, registry: servers.FixtureRegistry, rows: int, trigger_inserts: bool) -> str:
    files = [_path(schema, f) for f in schema.files]
    if not all(f.is_file() for f in files):
        return f"| {schema.name} | {schema.dialect} | skipped: corpus absent | | | |"
    with tempfile.TemporaryDirectory(prefix="dbaudit_bench_") as tmp:
        workdir = Path(tmp)
        if schema.dialect == "sqlite":
            url = f"sqlite:///{workdir / 'corpus.db'}"
        elif schema.dialect == "postgresql":
            name = servers.fixture_name("corpus")
            registry.pg_databases.append(name)
            with servers.pg_connect() as conn, conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
            url = servers.pg_fixture_url(name)
            if schema.schema:  # as the application connects: its functions and triggers name tables bare
                url = (
                    make_url(url)
                    .update_query_dict({"options": f"-csearch_path={schema.schema},public"})
                    .render_as_string(hide_password=False)
                )
        else:
            url = servers.mysql_database_url(registry.mysql_database("corpus"))
        _load(schema, url, files)
        return measure(schema, url, rows, workdir, trigger_inserts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seed_corpus", description=__doc__)
    parser.add_argument("--rows", type=int, default=3, help="rows per table (default 3)")
    parser.add_argument(
        "--allow-trigger-inserts", action="store_true", help="as seed --allow-trigger-inserts"
    )
    parser.add_argument("names", nargs="*", help="schemas to run (default: all)")
    args = parser.parse_args(argv)
    chosen = [s for s in SCHEMAS if not args.names or s.name in args.names]
    registry = servers.FixtureRegistry(log=lambda message: None)
    print("| schema | dialect | tables filled / empty | rows | seconds | purge restored |")
    print("| --- | --- | --- | --- | --- | --- |")
    try:
        for schema in chosen:
            try:
                print(run_one(schema, registry, args.rows, args.allow_trigger_inserts), flush=True)
            except Exception as exc:  # one schema failing does not hide the others' figures
                print(f"| {schema.name} | {schema.dialect} | error: {str(exc)[:200]} | | | |", flush=True)
    finally:
        problems = registry.drop_all()
    for problem in problems:
        print(f"could not drop {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
