"""Per-table row accounting around a step: exact counts before and after, and on PostgreSQL the server's
statistics (``pg_stat_user_tables``: rows inserted, updated, deleted).

The scratch database holds only what the steps wrote, so ``COUNT(*)`` of every table is cheap; it is asked
in one ``UNION ALL`` query per batch of tables.  PostgreSQL's statistics also see updates and deletes, which
counts cannot, but they include rows of transactions that were rolled back, and a session hands its figures
over when it ends: the figures are read once no other session is left on the scratch database.
"""

from __future__ import annotations

import fnmatch
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dbaudit.errors import DatabaseError
from dbaudit.model import TableDelta
from dbaudit.urls import mask_url, scrub, url_secrets

log = logging.getLogger("dbaudit.verify")

#: Tables counted in one query.
BATCH = 100
#: Seconds to wait for the sessions of a finished step to end before its statistics are read anyway.
SESSION_WAIT = 15.0
_PG_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


@dataclass(frozen=True)
class TableFigures:
    rows: int
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None


Figures = dict[str, TableFigures]


def is_system(name: str, schema: str | None, patterns: Sequence[str]) -> bool:
    qualified = f"{schema}.{name}" if schema else name
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(qualified, p) for p in patterns)


class Accountant:
    """Reads the figures of every application table of one scratch database."""

    def __init__(self, url: URL, system_tables: Sequence[str]) -> None:
        self.url = url
        self.system_tables = tuple(system_tables)
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.url)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            reason = scrub(
                str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], url_secrets(self.url)
            )
            raise DatabaseError(f"counting the rows of {mask_url(self.url)} failed: {reason}") from exc

    def figures(self) -> Figures:
        """Rows of every table now (and, on PostgreSQL, its statistics), by report name."""
        # a pool would keep this session open through the next step: a step's DDL (MariaDB) would wait on it
        try:
            with self._connection() as conn:
                names = self._tables(conn)
                counts = self._counts(conn, names)
                stats = self._statistics(conn) if conn.dialect.name == "postgresql" else {}
        finally:
            self.close()
        out: Figures = {}
        for key in counts:
            ins, upd, dele = stats.get(key, (None, None, None))
            out[key] = TableFigures(counts[key], ins, upd, dele)
        return out

    def _tables(self, conn: Connection) -> list[tuple[str | None, str, str]]:
        """(schema, name, report name) of each table but system meta; qualified outside the default schema."""
        inspector = inspect(conn)
        default = inspector.default_schema_name
        if conn.dialect.name == "postgresql":
            schemas: list[str | None] = [
                s
                for s in inspector.get_schema_names()
                if s not in _PG_SYSTEM_SCHEMAS and not s.startswith(("pg_toast", "pg_temp"))
            ]
        else:
            schemas = [default or None]
        found: list[tuple[str | None, str, str]] = []
        for schema in schemas:
            for name in inspector.get_table_names(schema=schema):
                if is_system(name, None if schema == default else schema, self.system_tables):
                    continue
                key = name if schema == default else f"{schema}.{name}"
                found.append((schema, name, key))
        return found

    def _counts(self, conn: Connection, tables: list[tuple[str | None, str, str]]) -> dict[str, int]:
        quote = conn.dialect.identifier_preparer.quote
        counts: dict[str, int] = {}
        for start in range(0, len(tables), BATCH):
            batch = tables[start : start + BATCH]
            parts = [
                f"SELECT {int(i)} AS n, COUNT(*) AS c FROM {quote(schema)}.{quote(name)}"
                if schema
                else f"SELECT {int(i)} AS n, COUNT(*) AS c FROM {quote(name)}"
                for i, (schema, name, _key) in enumerate(batch)
            ]
            for index, count in conn.exec_driver_sql(" UNION ALL ".join(parts)):
                counts[batch[int(index)][2]] = int(count)
        return counts

    def _statistics(self, conn: Connection) -> dict[str, tuple[int, int, int]]:
        deadline = time.monotonic() + SESSION_WAIT
        while time.monotonic() < deadline:
            others = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            ).scalar()
            if not others:
                break
            time.sleep(0.05)
        else:
            log.warning("sessions of the last step are still open: its PostgreSQL statistics may be short")
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        default = conn.exec_driver_sql("SELECT current_schema()").scalar()
        rows = conn.exec_driver_sql(
            "SELECT schemaname, relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables"
        )
        return {
            (name if schema == default else f"{schema}.{name}"): (int(ins), int(upd), int(dele))
            for schema, name, ins, upd, dele in rows
        }


def deltas(before: Figures, after: Figures) -> tuple[TableDelta, ...]:
    """What changed in each table between two readings, in table order; unchanged tables left out."""
    out = []
    for key in sorted(set(before) | set(after)):
        old = before.get(key, TableFigures(0, 0, 0, 0))
        new = after.get(key, TableFigures(0, 0, 0, 0))

        def diff(a: int | None, b: int | None) -> int | None:
            return None if a is None or b is None else max(b - a, 0)

        delta = TableDelta(
            key,
            old.rows,
            new.rows,
            diff(old.inserted, new.inserted),
            diff(old.updated, new.updated),
            diff(old.deleted, new.deleted),
        )
        if delta.touched or delta.inserted:
            out.append(delta)
    return tuple(out)
