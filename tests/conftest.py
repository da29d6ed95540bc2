"""Shared fixtures: real database servers, each test in its own schema or database.

Server URLs come from ``DBAUDIT_TEST_POSTGRES_URL`` and ``DBAUDIT_TEST_MYSQL_URL`` (defaults: the local
servers).  An unreachable server skips its tests with the reason, unless ``DBAUDIT_REQUIRE_SERVERS=1``, in
which case the tests fail: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import queue
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url

from dbaudit.urls import parse_url

# Through parse_url: a bare postgresql:// means psycopg (3) to SQLAlchemy 2.1, dbaudit ships psycopg2.
PG_URL = parse_url(
    os.environ.get("DBAUDIT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
).render_as_string(hide_password=False)
MYSQL_URL = parse_url(
    os.environ.get("DBAUDIT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
).render_as_string(hide_password=False)
REQUIRE_SERVERS = os.environ.get("DBAUDIT_REQUIRE_SERVERS") == "1"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def unique_name(prefix: str = "t") -> str:
    return f"dbaudit_{prefix}_{uuid.uuid4().hex[:10]}"


def _unavailable(what: str, exc: Exception) -> None:
    reason = f"{what} unreachable ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
    if REQUIRE_SERVERS:
        pytest.fail(f"{reason}; DBAUDIT_REQUIRE_SERVERS=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def _admin_engine(url: str, what: str) -> Engine:
    engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        _unavailable(what, exc)
    return engine


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    engine = _admin_engine(PG_URL, "PostgreSQL")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def mysql_admin() -> Iterator[Engine]:
    engine = _admin_engine(MYSQL_URL, "MariaDB/MySQL")
    yield engine
    engine.dispose()


@dataclass
class TestDatabase:
    """A database (or PostgreSQL schema) of one test: ``url`` reaches it with its default schema set."""

    __test__ = False  # a fixture's value, not a test class

    url: str
    engine: Engine
    schema: str | None
    dialect: str

    def execute(self, sql: str, **params: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), params)

    def scalar(self, sql: str, **params: object) -> object:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()


def _with_search_path(url: str, schema: str) -> str:
    parsed: URL = make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture
def pg_schema(pg_admin: Engine) -> Iterator[TestDatabase]:
    """A fresh PostgreSQL schema; the yielded URL has it as its ``search_path``."""
    schema = unique_name("s")
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(PG_URL, schema)
    engine = create_engine(url)
    try:
        yield TestDatabase(url=url, engine=engine, schema=schema, dialect="postgresql")
    finally:
        engine.dispose()
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


class _Dropper:
    """Drops the test databases of PostgreSQL in a background thread.

    ``DROP DATABASE`` waits for a checkpoint (0.4 s on a quiet machine, several seconds on a busy one) while
    the next test could already run; the drops overlap with the tests instead, and the session waits for the
    last of them, so nothing is left behind."""

    def __init__(self, admin: Engine) -> None:
        self.admin = admin
        self.names: queue.Queue[str | None] = queue.Queue()
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._run, name="drop-test-databases", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (name := self.names.get()) is not None:
            try:
                with self.admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception as exc:  # reported at the end of the session, never lost
                self.errors.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")

    def close(self) -> None:
        self.names.put(None)
        self.thread.join()
        assert not self.errors, f"test databases not dropped: {self.errors}"


@pytest.fixture(scope="session")
def pg_dropper(pg_admin: Engine) -> Iterator[_Dropper]:
    dropper = _Dropper(pg_admin)
    yield dropper
    dropper.close()


@pytest.fixture
def pg_database(pg_admin: Engine, pg_dropper: _Dropper) -> Iterator[TestDatabase]:
    """A fresh PostgreSQL database (for corpora that create objects in ``public``)."""
    name = unique_name("db")
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        yield TestDatabase(url=url, engine=engine, schema="public", dialect="postgresql")
    finally:
        engine.dispose()
        # WITH (FORCE) ends what the test left connected (a second connection of a concurrency test).
        pg_dropper.names.put(name)


@pytest.fixture
def mysql_database(mysql_admin: Engine) -> Iterator[TestDatabase]:
    """A fresh MariaDB/MySQL database."""
    name = unique_name("db")
    with mysql_admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = make_url(MYSQL_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        yield TestDatabase(url=url, engine=engine, schema=name, dialect="mysql")
    finally:
        engine.dispose()
        with mysql_admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[TestDatabase]:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    engine = create_engine(url)
    try:
        yield TestDatabase(url=url, engine=engine, schema=None, dialect="sqlite")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def any_database(request: pytest.FixtureRequest) -> TestDatabase:
    """The same test on every dialect."""
    fixture = {"sqlite": "sqlite_database", "postgresql": "pg_schema", "mysql": "mysql_database"}
    return request.getfixturevalue(fixture[request.param])  # type: ignore[no-any-return]


def corpus_file(*parts: str) -> Path:
    """A file of the shared sample-schema corpus, or skip when the corpus is absent (a user's machine)."""
    path = CORPUS.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"sample corpus not present ({'/'.join(parts)})")
    return path
