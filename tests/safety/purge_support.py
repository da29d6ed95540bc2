"""Shared helpers of the seed/purge safety tests (issue 1/8): checksums of every table, the command line, and
transactions of "the application" on a real second connection.

Every scenario is judged by checksums: all rows of all tables of every schema (PostgreSQL) or database
(MariaDB) involved, read as a superuser so row-level security hides nothing.  The ledger's own ``dbaudit_*``
tables are left out of the checksum and looked at on their own (:func:`dbaudit_tables`).
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import decimal
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from tests.conftest import unique_name
from tests.safety.runner import Run, run_cli, start_process, wait_for

if TYPE_CHECKING:
    import subprocess

    from tests.conftest import TestDatabase

Checksum = dict[str, tuple[str, ...]]
"""``schema.table`` -> the table's rows, each as a normalised text, sorted (a multiset: duplicates stay)."""

LEDGER_PREFIX = "dbaudit_"


# ------------------------------------------------------------------------------------------------------------
# Checksums


def _value(value: Any) -> Any:
    """One column value in a form that compares by content across reads (JSON by its parsed content)."""
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, decimal.Decimal):
        return str(value.normalize())
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return value.isoformat() if not isinstance(value, dt.timedelta) else str(value)
    return value


def quote(db: TestDatabase | Engine, *parts: str) -> str:
    """``parts`` quoted as identifiers of the database's dialect and joined with dots."""
    engine = db if isinstance(db, Engine) else db.engine
    preparer = engine.dialect.identifier_preparer
    return ".".join(preparer.quote_identifier(p) for p in parts)


def _tables(conn: Connection, dialect: str, schema: str) -> list[str]:
    if dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        return sorted(r[0] for r in conn.execute(text(sql)))
    sql = (
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = :schema AND table_type = 'BASE TABLE'"
    )
    return sorted(str(r[0]) for r in conn.execute(text(sql), {"schema": schema}))


def schemas_of(db: TestDatabase, others: Sequence[str] = ()) -> list[str]:
    """The test's own schema (PostgreSQL) / database (MariaDB) / ``main`` (SQLite), then ``others``."""
    return [db.schema or "main", *others]


def checksum(db: TestDatabase, *others: str) -> Checksum:
    """Every row of every table (except the ``dbaudit_*`` ledger) of the test's schema and of ``others``."""
    out: Checksum = {}
    with db.engine.connect() as conn:
        for schema in schemas_of(db, others):
            for name in _tables(conn, db.dialect, schema):
                if name.startswith(LEDGER_PREFIX):
                    continue
                source = quote(db, name) if db.dialect == "sqlite" else quote(db, schema, name)
                rows = conn.execute(text(f"SELECT * FROM {source}"))
                out[f"{schema}.{name}"] = tuple(sorted(repr(tuple(_value(v) for v in row)) for row in rows))
    return out


def dbaudit_tables(db: TestDatabase, *others: str) -> list[str]:
    """The ``dbaudit_*`` tables in the test's schema/database and in ``others``."""
    with db.engine.connect() as conn:
        return [
            f"{schema}.{name}"
            for schema in schemas_of(db, others)
            for name in _tables(conn, db.dialect, schema)
            if name.startswith(LEDGER_PREFIX)
        ]


def differences(actual: Checksum, expected: Checksum) -> str:
    """What differs, table by table: rows that are missing (lost) and rows that are extra (left behind)."""
    lines = []
    for table in sorted(set(actual) | set(expected)):
        have, want = Counter(actual.get(table, ())), Counter(expected.get(table, ()))
        missing, extra = want - have, have - want
        if table not in actual:
            lines.append(f"{table}: table is gone")
        elif table not in expected:
            lines.append(f"{table}: new table")
        if missing:
            lines.append(f"{table}: {sum(missing.values())} row(s) missing: {sorted(missing.elements())[:6]}")
        if extra:
            lines.append(f"{table}: {sum(extra.values())} row(s) extra: {sorted(extra.elements())[:6]}")
    return "\n".join(lines)


def assert_checksum(
    db: TestDatabase, expected: Checksum, what: str, *others: str, run: Run | None = None
) -> None:
    """Every table of the test (and ``others``) holds exactly the rows of ``expected``."""
    actual = checksum(db, *others)
    if actual != expected:
        detail = f"\n{run.describe()}" if run is not None else ""
        pytest.fail(f"{what}:\n{differences(actual, expected)}{detail}", pytrace=False)


def rows_of(db: TestDatabase, table: str, schema: str | None = None) -> list[tuple[Any, ...]]:
    """The rows of one table, sorted by their text (duplicates kept)."""
    source = quote(db, schema, table) if schema else quote(db, table)
    with db.engine.connect() as conn:
        return sorted((tuple(r) for r in conn.execute(text(f"SELECT * FROM {source}"))), key=repr)


def new_rows(db: TestDatabase, before: Checksum, *others: str) -> dict[str, list[str]]:
    """Rows present now that ``before`` did not have (the mock rows, after a seed), table by table."""
    now = checksum(db, *others)
    out = {}
    for table, rows in now.items():
        extra = Counter(rows) - Counter(before.get(table, ()))
        if extra:
            out[table] = sorted(extra.elements())
    return out


# ------------------------------------------------------------------------------------------------------------
# Dialect spellings


def serial_id(db: TestDatabase) -> str:
    """An ``id`` column the database numbers itself."""
    return {
        "postgresql": "id SERIAL PRIMARY KEY",
        "mysql": "id INTEGER PRIMARY KEY AUTO_INCREMENT",
    }.get(db.dialect, "id INTEGER PRIMARY KEY")


def after_insert_trigger(db: TestDatabase, name: str, table: str, body: str) -> None:
    """An AFTER INSERT ... FOR EACH ROW trigger on ``table`` running the single statement ``body``."""
    if db.dialect == "postgresql":
        db.execute(
            f"CREATE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body}; RETURN NEW; END $$"
        )
        db.execute(f"CREATE TRIGGER {name} AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}_fn()")
    elif db.dialect == "mysql":
        db.execute(f"CREATE TRIGGER {name} AFTER INSERT ON {table} FOR EACH ROW {body}")
    else:
        db.execute(f"CREATE TRIGGER {name} AFTER INSERT ON {table} BEGIN {body}; END")


def boolean(db: TestDatabase, value: bool) -> str:
    """A boolean literal the dialect accepts."""
    if db.dialect == "postgresql":
        return "TRUE" if value else "FALSE"
    return "1" if value else "0"


# ------------------------------------------------------------------------------------------------------------
# The command line


@dataclass
class Dbaudit:
    """``dbaudit`` against one test database, with a project folder of its own (no stray configuration)."""

    db: TestDatabase
    project: Path
    capfd: pytest.CaptureFixture[str]
    url: str = ""

    def __post_init__(self) -> None:
        self.project.mkdir(parents=True, exist_ok=True)
        self.url = self.url or self.db.url

    def common(self) -> list[str]:
        return ["--url", self.url, "--project", str(self.project)]

    def run(self, *args: str) -> Run:
        return run_cli([*args, *self.common()], self.capfd)

    def seed(self, *args: str) -> Run:
        """``seed --yes ARGS`` (``--missing`` unless ``--tables`` is given)."""
        chosen = [] if any(a == "--tables" or a.startswith("--tables=") for a in args) else ["--missing"]
        return self.run("seed", "--yes", "-v", *chosen, *args)  # -v: every table listed

    def purge(self, *args: str) -> Run:
        return self.run("purge", "--yes", "-v", *args)

    def ledger_listing(self, *args: str) -> str:
        """What a dry-run purge lists (the ledger's content as the tool shows it), text and JSON."""
        shown = self.run("purge", "--dry-run", "-v", *args)
        as_json = self.run("purge", "--dry-run", "--format", "json", *args)
        return shown.stdout + shown.stderr + as_json.stdout + as_json.stderr

    def start(self, *args: str, project: Path | None = None) -> subprocess.Popen[str]:
        """``dbaudit ARGS`` as a separate process (a second, concurrent run)."""
        folder = project or self.project
        return start_process([*args, "--url", self.url, "--project", str(folder)], cwd=folder)

    def as_user(self, username: str, project: Path | None = None) -> Dbaudit:
        """The same database through another login role (PostgreSQL trusts local connections)."""
        url = make_url(self.url).set(username=username).render_as_string(hide_password=False)
        return Dbaudit(self.db, project or self.project.parent / f"as-{username}", self.capfd, url)


def assert_seeded(run: Run, *tables: str) -> None:
    """The seed succeeded (exit 0, or 1 when a table was skipped) and named each of ``tables``."""
    assert run.code in (0, 1), run.describe()
    for table in tables:
        assert table in run.stdout, f"seed did not list {table}\n{run.describe()}"


def skip_reason(run: Run, table: str) -> str | None:
    """The reason the seed run gives for skipping ``table`` (``- table: reason`` in its output), if any."""
    for line in run.stdout.splitlines():
        stripped = line.strip().lstrip("-").strip()
        head, sep, reason = stripped.partition(": ")
        if sep and (head == table or head.endswith(f".{table}")):
            return reason
    return None


def write_config(project: Path, **settings: object) -> None:
    """``[tool.dbaudit]`` settings in the project folder's ``pyproject.toml``."""
    project.mkdir(parents=True, exist_ok=True)
    lines = ["[tool.dbaudit]"] + [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    (project / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def assert_option_known(run: Run, option: str) -> None:
    """The run failed for its own reason, not because the command line or configuration lacks ``option``."""
    said = run.stderr.lower()
    assert "no such option" not in said, f"dbaudit has no {option} option yet\n{run.describe()}"
    assert "unknown setting" not in said, f"dbaudit does not know the setting {option} yet\n{run.describe()}"


# ------------------------------------------------------------------------------------------------------------
# Extra schemas, databases and roles


@contextlib.contextmanager
def extra_pg_schema(admin: Engine) -> Iterator[str]:
    """A second PostgreSQL schema in the test server's database, dropped afterwards."""
    name = unique_name("o")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@contextlib.contextmanager
def extra_mysql_database(admin: Engine) -> Iterator[str]:
    """A second MariaDB database on the test server, dropped afterwards."""
    name = unique_name("o")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))


@contextlib.contextmanager
def pg_login_role(admin: Engine) -> Iterator[str]:
    """A non-superuser login role; whatever it owns or was granted is dropped with it afterwards."""
    role = unique_name("r")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS'))
    try:
        yield role
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename = :role AND pid <> pg_backend_pid()"
                ),
                {"role": role},
            )
            conn.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
            conn.execute(text(f'DROP ROLE "{role}"'))


# ------------------------------------------------------------------------------------------------------------
# The application, on its own connections


def app_engine(url: str) -> Engine:
    """An engine for "the application": SQLite enforces its foreign keys, as a careful application would."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.close()

    return engine


def backend_id(conn: Connection) -> int:
    """The server's id of this connection (PostgreSQL pid, MariaDB connection id; 0 on SQLite)."""
    name = conn.dialect.name
    if name == "postgresql":
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    if name in ("mysql", "mariadb"):
        return int(conn.execute(text("SELECT CONNECTION_ID()")).scalar_one())
    return 0


def waiting_on(admin: Engine, holder: int) -> bool:
    """Whether some session waits on a lock the session ``holder`` holds (MariaDB: whether a transaction of
    the holder's database waits on a lock; only the holder holds locks there during the tests that ask)."""
    # A fresh autocommit connection each time: a pooled MariaDB session may be shown a stale lock picture.
    fresh = create_engine(admin.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with contextlib.closing(fresh.connect()) as conn:
        if admin.dialect.name == "postgresql":
            sql = "SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"
        else:
            # Any transaction of the holder's database in LOCK WAIT (innodb_lock_waits lags behind).
            sql = (
                "SELECT count(*) FROM information_schema.innodb_trx t "
                "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                "WHERE t.trx_state = 'LOCK WAIT' AND t.trx_mysql_thread_id <> :holder "
                "AND p.db = (SELECT db FROM information_schema.processlist WHERE id = :holder)"
            )
        return bool(conn.execute(text(sql), {"holder": holder}).scalar())


@dataclass
class HeldTransaction:
    """One transaction of the application in a thread of its own, on its own engine and connection.

    It runs ``statements``, reports that they are done (``ready``), then waits ``hold`` seconds or until
    :meth:`release`, and commits.  ``error`` is the text of whatever failed (a statement or the commit).
    """

    url: str
    statements: Sequence[tuple[str, dict[str, Any]]]
    hold: float
    commit: bool = True
    ready: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    error: str | None = None
    committed: bool = False
    backend: int = 0
    thread: threading.Thread | None = None

    def _run(self) -> None:
        engine = app_engine(self.url)
        try:
            with engine.connect() as conn:
                self.backend = backend_id(conn)
                conn.commit()
                try:
                    for sql, params in self.statements:
                        conn.execute(text(sql), params)
                except DBAPIError as exc:
                    self.error = str(exc.orig)
                    conn.rollback()
                    return
                finally:
                    self.ready.set()
                self.released.wait(self.hold)
                if self.commit:
                    conn.commit()
                    self.committed = True
                else:
                    conn.rollback()
        except DBAPIError as exc:
            self.error = str(exc.orig)
        finally:
            self.ready.set()
            engine.dispose()

    def release(self) -> None:
        self.released.set()


@contextlib.contextmanager
def held_transaction(
    url: str, statements: Sequence[tuple[str, dict[str, Any]]], *, hold: float, commit: bool = True
) -> Iterator[HeldTransaction]:
    """Start :class:`HeldTransaction` and wait until its statements ran; on leaving, release and join it."""
    held = HeldTransaction(url, statements, hold, commit)
    held.thread = threading.Thread(target=held._run, name="application-transaction", daemon=True)
    held.thread.start()
    assert held.ready.wait(60), "the application's transaction did not start"
    assert held.error is None, f"the application's statements failed before the test began: {held.error}"
    try:
        yield held
    finally:
        held.release()
        held.thread.join(120)
        assert not held.thread.is_alive(), "the application's transaction never ended"


@dataclass
class InsertLoop:
    """The application, steadily: insert a real child row referencing a mock row (commit), delete it again
    (commit), and so on, on its own connection in a thread, until stopped.

    ``vanished`` lists children that were committed and then found gone by the application's own delete: a
    cascade took them.  ``alive`` is the child the loop committed last and has not deleted yet (if any).
    """

    url: str
    table: str
    insert_sql: str
    parent: Any
    first_id: int = 100_000
    max_rounds: int = 20_000
    inserted: int = 0
    refused: list[str] = field(default_factory=list)
    vanished: list[int] = field(default_factory=list)
    alive: int | None = None
    started: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def _run(self) -> None:
        engine = app_engine(self.url)
        next_id = self.first_id
        try:
            with engine.connect() as conn:
                for _ in range(self.max_rounds):
                    if self.stop.is_set():
                        break
                    try:
                        conn.execute(text(self.insert_sql), {"id": next_id, "parent": self.parent})
                        conn.commit()
                    except DBAPIError as exc:
                        conn.rollback()
                        self.refused.append(str(exc.orig).splitlines()[0])
                        self.started.set()
                        time.sleep(0.01)
                        continue
                    self.inserted += 1
                    self.alive = next_id
                    self.started.set()
                    gone = conn.execute(text(f"DELETE FROM {self.table} WHERE id = :id"), {"id": next_id})
                    conn.commit()
                    if gone.rowcount != 1:
                        self.vanished.append(next_id)
                    self.alive = None
                    next_id += 1
        finally:
            self.started.set()
            engine.dispose()


@contextlib.contextmanager
def insert_loop(url: str, table: str, insert_sql: str, parent: Any) -> Iterator[InsertLoop]:
    """Run :class:`InsertLoop` while the block runs (it has committed at least one child when the block
    starts); stop and join it on leaving."""
    loop = InsertLoop(url, table, insert_sql, parent)
    loop.thread = threading.Thread(target=loop._run, name="application-insert-loop", daemon=True)
    loop.thread.start()
    wait_for(lambda: loop.inserted > 0 or loop.refused, "the application's first insert")
    try:
        yield loop
    finally:
        loop.stop.set()
        loop.thread.join(120)
        assert not loop.thread.is_alive(), "the application's insert loop never ended"


def wait_until_blocking(admin: Engine, held: HeldTransaction, what: str, process: Any = None) -> None:
    """Wait until some session waits on a lock of ``held`` (synchronisation, not a timing check)."""
    wait_for(lambda: waiting_on(admin, held.backend), what, process=process)


def row_values(row_text: str) -> tuple[Any, ...]:
    """A checksum row text (``repr`` of a tuple of plain values) as the tuple again."""
    return tuple(ast.literal_eval(row_text))


def first_value(row_text: str) -> Any:
    """The first column of a checksum row text."""
    return row_values(row_text)[0]
