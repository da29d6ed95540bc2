"""Counting on a second connection that reads the first one's snapshot, while the first reads the catalog.

Reading a large catalog and counting its tables are two long waits on the server, one after the other on one
connection.  Where the engine can share a transaction's snapshot between connections (PostgreSQL's
``pg_export_snapshot`` / ``SET TRANSACTION SNAPSHOT``, as ``pg_dump --jobs`` does), a thread opens a second
connection on that very snapshot, read-only, lists the audited tables (names only) and probes and counts
them, while the report's connection reads columns, keys and constraints.  The answers are those the report's
own connection would give: the same snapshot, the same statements, the same policy
(:func:`~dbaudit.reflect.snapshot.measure_tables`).

Where that cannot be set up (no shared snapshots, a standby, no second connection allowed, a pooler that
refuses ``SET TRANSACTION SNAPSHOT``), :meth:`SideCounts.result` says so with ``None`` and the counts run on
the report's connection after the catalog, as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Protocol

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import AssertionPool, SingletonThreadPool, StaticPool

from dbaudit.config import Settings
from dbaudit.dialects import Dialect, Estimate
from dbaudit.dialects.catalog import audited_table_names
from dbaudit.model import RowCount, TableRef
from dbaudit.reflect.counts import stoppable
from dbaudit.reflect.steps import step
from dbaudit.urls import scrub

log = logging.getLogger("dbaudit.reflect")

#: What reading one table found: its row count (``None`` when it could not be read) and why not.
Measured = tuple[RowCount | None, str | None]
#: What the thread found, by table.
Found = dict[TableRef, Measured]


class Measure(Protocol):
    """:func:`dbaudit.reflect.snapshot.measure_tables`: the count policy, the same on either connection."""

    def __call__(
        self,
        conn: Connection,
        dialect: Dialect,
        settings: Settings,
        refs: Sequence[TableRef],
        estimates: Mapping[tuple[str | None, str], Estimate],
        hidden: Mapping[tuple[str | None, str], str] | None = None,
    ) -> list[Measured]: ...


class SideCounts:
    """The thread counting on the second connection (see the module's documentation)."""

    def __init__(
        self,
        engine: Engine,
        dialect: Dialect,
        settings: Settings,
        schemas: Sequence[tuple[str | None, str]],
        snapshot: str,
        measure: Measure,
    ) -> None:
        self._engine = engine
        self._dialect = dialect
        self._settings = settings
        self._schemas = schemas
        self._snapshot = snapshot
        self._measure = measure
        self._secrets = (str(engine.url.password),) if engine.url.password else ()
        self._conn: Connection | None = None
        self._found: Found | None = None
        self._error: BaseException | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dbaudit-counts", daemon=True)

    @classmethod
    def start(
        cls,
        engine: Engine,
        conn: Connection,
        dialect: Dialect,
        settings: Settings,
        schemas: Sequence[tuple[str | None, str]],
        measure: Measure,
    ) -> SideCounts | None:
        """Start counting the tables of ``schemas`` ((schema argument, label) pairs) on a second connection
        reading ``conn``'s snapshot; ``None`` where the engine cannot share it."""
        if isinstance(engine.pool, (StaticPool, SingletonThreadPool, AssertionPool)):
            return None  # the engine hands out one connection (or one per thread): no second one to use
        snapshot = dialect.export_snapshot(conn)
        if snapshot is None:
            return None
        side = cls(engine, dialect, settings, schemas, snapshot, measure)
        side._thread.start()
        return side

    def result(self) -> Found | None:
        """Wait for the counts: by table, or ``None`` when the second connection could not be set up (the
        caller counts on its own connection).  An error of the counting itself is raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._found

    def stop(self) -> None:
        """Stop counting (the caller failed): no statement starts any more, the running one is cancelled,
        the connection closed."""
        self._stopped.set()
        conn = self._conn
        if conn is not None:
            self._dialect.cancel(conn)
        self._thread.join()

    def _run(self) -> None:
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            log.info("counting on the report's connection: no second connection (%s)", self._why(exc))
            return
        try:
            try:
                if self._dialect.isolation_level:
                    conn.execution_options(isolation_level=self._dialect.isolation_level)
                self._dialect.join_snapshot(conn, self._snapshot)
            except SQLAlchemyError as exc:  # refused by the server, or by the driver before it got there
                log.info(
                    "counting on the report's connection: the snapshot is not shared (%s)", self._why(exc)
                )
                return
            self._conn = conn
            if self._stopped.is_set():
                return
            with stoppable(self._stopped):
                self._found = self._count(conn)
        except BaseException as exc:  # raised again in the caller's thread by result()
            self._error = exc
        finally:
            self._conn = None
            with suppress(SQLAlchemyError):
                conn.rollback()
            with suppress(SQLAlchemyError):
                conn.close()

    def _count(self, conn: Connection) -> Found:
        refs: list[TableRef] = []
        hidden: dict[tuple[str | None, str], str] = {}
        estimates: dict[tuple[str | None, str], Estimate] = {}
        settings, dialect = self._settings, self._dialect
        for schema, label in self._schemas:
            with step(conn, f"listing the tables of schema {label!r}"):
                names, hides = audited_table_names(
                    conn, dialect, schema, include=settings.include, exclude=settings.exclude, label=label
                )
            refs.extend(TableRef(schema, name) for name in names)
            hidden.update(((schema, name), why) for name, why in hides.items())
            if settings.counts:
                with step(conn, f"reading the row estimates of schema {label!r}"):
                    estimates.update(((schema, n), e) for n, e in dialect.estimates(conn, schema).items())
        with step(conn, f"probing and counting {len(refs)} tables"):
            found = self._measure(conn, dialect, settings, refs, estimates, hidden)
        return dict(zip(refs, found, strict=True))

    def _why(self, exc: BaseException) -> str:
        text = str(getattr(exc, "orig", None) or exc).strip()
        return scrub(text.splitlines()[0], self._secrets) if text else type(exc).__name__
