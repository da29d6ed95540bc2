"""The database servers the benchmarks run against, and the fixtures built on them.

Every fixture lives in its own PostgreSQL or MariaDB database named ``dbaudit_bench_*`` and is recorded
in a :class:`FixtureRegistry` as soon as it is created, so :meth:`FixtureRegistry.drop_all` removes it again
whatever happens (normal end, an error, Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import pymysql
from sqlalchemy.engine import URL, make_url

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
PREFIX = "dbaudit_bench_"
# PostgreSQL's lock table holds max_locks_per_transaction x max_connections entries (6,400 by default):
# creating or dropping thousands of tables must be split over several transactions.
DDL_BATCH = 100


def interruptible_queries() -> None:
    """Make psycopg2 wait in select(), so Ctrl-C cancels a long fixture build instead of waiting for it.

    Process-wide (it also disables COPY in this process), so only the suite's own entry point calls it,
    never an import: tests importing the benchmarks share their process with the seeder's COPY.
    """
    psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)


def pg_url() -> URL:
    return make_url(
        os.environ.get("DBAUDIT_BENCH_POSTGRES_URL")
        or os.environ.get("DBAUDIT_TEST_POSTGRES_URL")
        or DEFAULT_PG_URL
    )


def mysql_url() -> URL:
    return make_url(
        os.environ.get("DBAUDIT_BENCH_MYSQL_URL")
        or os.environ.get("DBAUDIT_TEST_MYSQL_URL")
        or DEFAULT_MYSQL_URL
    )


def pg_params(url: URL, database: str | None = None) -> dict[str, Any]:
    """psycopg2 keyword arguments for a SQLAlchemy URL."""
    params: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "dbname": database or url.database or "postgres",
    }
    if url.password:
        params["password"] = str(url.password)
    return params


def mysql_params(url: URL, database: str | None = None) -> dict[str, Any]:
    """PyMySQL keyword arguments for a SQLAlchemy URL."""
    params: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 3306,
        "user": url.username or "root",
        "password": str(url.password or ""),
        "charset": "utf8mb4",
    }
    if database or url.database:
        params["database"] = database or url.database
    return params


def url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def fixture_name(kind: str) -> str:
    return f"{PREFIX}{kind}_{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def pg_connect(database: str | None = None, *, autocommit: bool = True) -> Iterator[Any]:
    conn = psycopg2.connect(**pg_params(pg_url(), database))
    conn.autocommit = autocommit
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def mysql_connect(database: str | None = None) -> Iterator[Any]:
    conn = pymysql.connect(**mysql_params(mysql_url(), database), autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def pg_fixture_url(database: str) -> str:
    """The URL of a fixture database (whose schema of the same name dbaudit is pointed at with --schema)."""
    return url_string(pg_url().set(database=database))


def mysql_database_url(database: str) -> str:
    return url_string(mysql_url().set(database=database))


def pg_server_version() -> str:
    with pg_connect() as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version")
        return str(cur.fetchone()[0]).split()[0]


def mysql_server_version() -> str:
    with mysql_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        return str(cur.fetchone()[0])


def pg_run_batches(
    schema: str, statements: list[str], batch: int = DDL_BATCH, *, database: str | None = None
) -> None:
    """Execute statements in ``schema`` (of the fixture database ``database``, by default the one named like
    the schema), ``batch`` statements per transaction."""
    with pg_connect(database or schema, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
        for start in range(0, len(statements), batch):
            cur.execute(";\n".join(statements[start : start + batch]))
            conn.commit()


def pg_tables(schema: str, *, database: str | None = None) -> list[str]:
    with pg_connect(database or schema) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
            (schema,),
        )
        return [row[0] for row in cur.fetchall()]


def pg_drop_database(name: str) -> None:
    """Drop a fixture database, ending any session still connected to it."""
    with pg_connect() as conn, conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_drop_schema(schema: str) -> None:
    """Drop a schema of the server's default database (left by an older run), tables in batches first, so
    no transaction runs out of locks."""
    tables = pg_tables(schema, database=pg_url().database or "postgres")
    statements = [f'DROP TABLE IF EXISTS "{schema}"."{t}" CASCADE' for t in tables]
    with pg_connect(autocommit=False) as conn, conn.cursor() as cur:
        for start in range(0, len(statements), DDL_BATCH):
            cur.execute(";\n".join(statements[start : start + DDL_BATCH]))
            conn.commit()
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.commit()


@dataclass
class FixtureRegistry:
    """Every database the run created, dropped again by :meth:`drop_all`.

    A PostgreSQL fixture is a database of its own holding one schema of the same name: nothing the run does
    meets the other users of the server (their locks, their catalog), and dropping it is one statement
    however many tables it holds.
    """

    log: Callable[[str], None] = print
    pg_databases: list[str] = field(default_factory=list)
    mysql_databases: list[str] = field(default_factory=list)

    def pg_schema(self, kind: str) -> str:
        """A new PostgreSQL database with a schema of the same name; the name is returned."""
        name = fixture_name(kind)
        self.pg_databases.append(name)
        with pg_connect() as conn, conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        self.log(f"created PostgreSQL database {name}")
        with pg_connect(name) as conn, conn.cursor() as cur:
            cur.execute(f'CREATE SCHEMA "{name}"')
        return name

    def pg_side_schema(self, database: str, kind: str) -> str:
        """Another schema inside the fixture database ``database`` (dropped with it)."""
        name = fixture_name(kind)
        with pg_connect(database) as conn, conn.cursor() as cur:
            cur.execute(f'CREATE SCHEMA "{name}"')
        return name

    def mysql_database(self, kind: str) -> str:
        name = fixture_name(kind)
        self.mysql_databases.append(name)
        with mysql_connect() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        self.log(f"created MariaDB database {name}")
        return name

    def drop_pg_schema(self, name: str) -> None:
        pg_drop_database(name)
        if name in self.pg_databases:
            self.pg_databases.remove(name)

    def drop_all(self) -> list[str]:
        """Drop everything; the names that could not be dropped (with the reason) are returned."""
        problems: list[str] = []
        for database in list(self.pg_databases):
            try:
                self.drop_pg_schema(database)
            except Exception as exc:
                problems.append(f"PostgreSQL database {database}: {exc}")
        for database in list(self.mysql_databases):
            try:
                with mysql_connect() as conn, conn.cursor() as cur:
                    cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
                self.mysql_databases.remove(database)
            except Exception as exc:
                problems.append(f"MariaDB database {database}: {exc}")
        return problems


def leftover_fixtures() -> tuple[list[str], list[str], list[str]]:
    """``dbaudit_bench_*`` PostgreSQL databases and schemas, and MariaDB databases, on the servers (left by a
    run that was killed with SIGKILL)."""
    like = PREFIX.replace("_", r"\_") + "%"
    with pg_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (like,))
        pg_databases = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (like,))
        schemas = [row[0] for row in cur.fetchall()]
    with mysql_connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s", (like,))
        databases = [row[0] for row in cur.fetchall()]
    return pg_databases, schemas, databases
