"""``report`` never writes.

On MariaDB a user holding only ``SELECT`` gets the full report; on SQLite the database file is byte for byte
the same afterwards, with no file left next to it.  Two proofs on PostgreSQL:

* it runs to completion as a role that holds only ``USAGE`` on the schema and ``SELECT`` on its tables (so
  it needs no write privilege at all);
* run as the *owner* of every table (a role that could write anything there), the server's own statistics
  (``pg_stat_user_tables``: ``n_tup_ins``, ``n_tup_upd``, ``n_tup_del``, ``n_tup_hot_upd``) are unchanged
  afterwards, no table was created or dropped, and every row is identical.

Statistics are read once the role's backends have ended and a later canary write has been counted (a backend
flushes its counters when it exits).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from tests.conftest import unique_name
from tests.safety.runner import run_cli, wait_for

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

COUNTERS = "n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd"


@pytest.fixture
def roles(pg_admin: Engine) -> Iterator[dict[str, str]]:
    names = {"reader": unique_name("ro"), "owner": unique_name("ow")}
    with pg_admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
    try:
        yield names
    finally:
        with pg_admin.connect() as conn:
            for name in names.values():
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                    {"r": name},
                )
                conn.execute(text(f'REASSIGN OWNED BY "{name}" TO CURRENT_USER'))
                conn.execute(text(f'DROP OWNED BY "{name}"'))
                conn.execute(text(f'DROP ROLE "{name}"'))


def _statistics(admin: Engine, schema: str) -> dict[str, tuple[int, ...]]:
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        rows = conn.execute(
            text(f"SELECT relname, {COUNTERS} FROM pg_stat_user_tables WHERE schemaname = :s"), {"s": schema}
        )
        return {str(r[0]): tuple(int(v) for v in r[1:]) for r in rows}


def _picture(db: TestDatabase) -> dict[str, list[tuple[object, ...]]]:
    with db.engine.connect() as conn:
        names = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY 1"), {"s": db.schema}
        ).scalars()
        return {n: sorted(tuple(r) for r in conn.execute(text(f'SELECT * FROM "{n}"'))) for n in names}


def _no_backends(admin: Engine, role: str) -> bool:
    with admin.connect() as conn:
        return not conn.execute(
            text("SELECT 1 FROM pg_stat_activity WHERE usename = :r"), {"r": role}
        ).first()


@pytest.mark.slow
def test_report_needs_only_select_and_writes_nothing(
    pg_schema: TestDatabase,
    pg_admin: Engine,
    roles: dict[str, str],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    schema = pg_schema.schema
    pg_schema.execute(
        "CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL);"
        "CREATE TABLE notes (id serial PRIMARY KEY, account_id int REFERENCES accounts(id), body text);"
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
        "CREATE TABLE stats_canary (id int);"
        "INSERT INTO accounts (name) VALUES ('a'), ('b'); INSERT INTO alembic_version VALUES ('0001')"
    )
    reader, owner = roles["reader"], roles["owner"]
    pg_schema.execute(
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{reader}";'
        f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{reader}";'
        f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{owner}";'
        f'ALTER TABLE accounts OWNER TO "{owner}"; ALTER TABLE notes OWNER TO "{owner}";'
        f'ALTER TABLE alembic_version OWNER TO "{owner}"'
    )
    pg_schema.engine.dispose()  # a backend flushes its statistics when it ends
    wait_for(lambda: _statistics(pg_admin, schema).get("accounts", (0,))[0] >= 2, "the setup's statistics")
    before_stats = _statistics(pg_admin, schema)
    before_rows = _picture(pg_schema)

    for role in (reader, owner):
        url = make_url(pg_schema.url).set(username=role).render_as_string(hide_password=False)
        for fmt in ("json", "md"):
            run = run_cli(
                ["report", "--format", fmt, "--exact", "--project", str(tmp_path), "--url", url], capfd
            )
            assert run.code == 0, run.describe()
        wait_for(lambda r=role: _no_backends(pg_admin, r), f"{role}'s sessions to end")

    # A canary write from a session that starts after dbaudit's have ended: once the canary is counted, any
    # write dbaudit made would be counted too (a backend flushes its statistics as it exits).
    pg_schema.execute("INSERT INTO stats_canary VALUES (1)")
    pg_schema.engine.dispose()
    wait_for(
        lambda: _statistics(pg_admin, schema).get("stats_canary", (0,))[0] == 1, "the canary's statistics"
    )
    after_stats = _statistics(pg_admin, schema)
    del after_stats["stats_canary"], before_stats["stats_canary"]
    after_rows = _picture(pg_schema)
    del after_rows["stats_canary"], before_rows["stats_canary"]
    assert after_rows == before_rows
    assert after_stats == before_stats


def test_report_leaves_a_sqlite_file_byte_for_byte_unchanged(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sqlite_database.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    sqlite_database.execute(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts(id))"
    )
    sqlite_database.execute("INSERT INTO accounts (name) VALUES ('a')")
    sqlite_database.engine.dispose()
    database = Path(str(make_url(sqlite_database.url).database))
    (tmp_path / "p").mkdir()
    folder = sorted(p.name for p in database.parent.iterdir())
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    for fmt in ("json", "md", "html"):
        run = run_cli(
            [
                "report",
                "--format",
                fmt,
                "--exact",
                "--project",
                str(tmp_path / "p"),
                "--url",
                sqlite_database.url,
            ],
            capfd,
        )
        assert run.code == 0, run.describe()
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in database.parent.iterdir()) == folder, (
        "report left a file next to the database"
    )


def test_report_needs_only_select_on_mariadb(
    mysql_database: TestDatabase, mysql_admin: Engine, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    mysql_database.execute("CREATE TABLE accounts (id int PRIMARY KEY, name varchar(20) NOT NULL)")
    mysql_database.execute("CREATE TABLE notes (id int PRIMARY KEY)")
    mysql_database.execute("INSERT INTO accounts VALUES (1, 'a')")
    user = unique_name("ro")[:32]
    with mysql_admin.connect() as conn:
        conn.execute(text(f"CREATE USER '{user}'@'%'"))
        conn.execute(text(f"CREATE USER '{user}'@'localhost'"))
        for host in ("%", "localhost"):
            conn.execute(text(f"GRANT SELECT ON `{mysql_database.schema}`.* TO '{user}'@'{host}'"))
    try:
        url = make_url(mysql_database.url).set(username=user).render_as_string(hide_password=False)
        run = run_cli(
            ["report", "--format", "json", "--exact", "--project", str(tmp_path), "--url", url], capfd
        )
        assert run.code == 0, run.describe()
        tables = {s["table"]["name"]: s["status"] for s in json.loads(run.stdout)["database"]["tables"]}
        assert tables == {"accounts": "populated", "notes": "empty"}
    finally:
        with mysql_admin.connect() as conn:
            for host in ("%", "localhost"):
                conn.execute(text(f"DROP USER IF EXISTS '{user}'@'{host}'"))
