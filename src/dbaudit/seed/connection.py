"""Opening a writable connection for seeding and purging, and the refusals that come before any write.

Seeding opens its own engine rather than the reporting one: the report connection is read-only by design.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine

from dbaudit.config import Settings
from dbaudit.dialects import Dialect, dialect_for
from dbaudit.dialects.engine import open_engine as open_write_engine
from dbaudit.errors import SeedError
from dbaudit.seed.schema import PROTECTED_TABLE


@contextmanager
def open_engine(settings: Settings) -> Iterator[tuple[Engine, Dialect]]:
    """A fresh engine for writing to ``settings.url`` (the one opener: ``dialects.engine``), then disposed."""
    engine, dialect = open_write_engine(settings, "write")
    try:
        yield engine, dialect
    finally:
        engine.dispose()


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection that, when the work failed (a lost connection among the reasons), closes quietly so the
    original error is the one reported.

    Its transactions see each statement's latest committed rows (the dialect's write isolation level): a
    check for real rows referring to mock rows must see a row another session committed a moment ago, not
    a snapshot from the transaction's start (MariaDB's default, REPEATABLE READ, would hide it).
    """
    conn = engine.connect()
    level = dialect_for(engine.dialect.name).write_isolation_level
    if level is not None:
        conn.execution_options(isolation_level=level)
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(Exception):
            conn.close()
        raise
    conn.close()


def lock_scope(conn: Connection) -> str:
    """What one seed or purge locks: its ledger, i.e. the database and the connection's default schema,
    whatever ``--schema`` options the run gets (two runs with different schema lists on one URL contend).

    The default schema is the one SQLAlchemy read when it first connected (``current_schema()`` on
    PostgreSQL, the database on MariaDB): no statement, so no transaction is begun here."""
    return f"{conn.engine.url.database or ''}/{conn.dialect.default_schema_name or ''}"


def refuse_if_protected(
    conn: Connection, dialect: Dialect, settings: Settings, schemas: tuple[str | None, ...], verb: str
) -> None:
    """``protected = true`` in the configuration, or a ``dbaudit_protected`` table: refuse to write."""
    if settings.protected:
        origin = settings.sources.get("protected", "the configuration")
        raise SeedError(
            f"this environment is protected ({origin} sets protected = true): dbaudit will not {verb} here",
            "remove the setting only if this is really a development database",
        )
    for schema in schemas:
        if dialect.has_table(conn, PROTECTED_TABLE, schema):
            raise SeedError(
                f"this database is protected (it has a {PROTECTED_TABLE} table): "
                f"dbaudit will not {verb} here",
                f"drop {PROTECTED_TABLE} only if this is really a development database",
            )
