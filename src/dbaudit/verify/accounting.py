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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dbaudit.dialects import Dialect
from dbaudit.errors import DatabaseError
from dbaudit.model import TableDelta
from dbaudit.urls import mask_url, scrub, url_secrets

log = logging.getLogger("dbaudit.verify")

#: Tables counted in one query.
BATCH = 100
#: Seconds to wait for the sessions of a finished step to end before its statistics are read anyway.
SESSION_WAIT = 15.0


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
        """Rows of every table now (and, where the server keeps them, its statistics), by report name."""
        from dbaudit.dialects import dialect_for

        # a pool would keep this session open through the next step: a step's DDL (MariaDB) would wait on it
        try:
            with self._connection() as conn:
                dialect = dialect_for(conn.engine.dialect.name)
                names = self._tables(conn, dialect)
                counts = self._counts(conn, names)
                default = dialect.default_schema(conn)
                stats = {
                    (name if schema == default else f"{schema}.{name}"): figures
                    for (schema, name), figures in dialect.cumulative_statistics(conn).items()
                }
        finally:
            self.close()
        out: Figures = {}
        for key in counts:
            ins, upd, dele = stats.get(key, (None, None, None))
            out[key] = TableFigures(counts[key], ins, upd, dele)
        return out

    def _tables(self, conn: Connection, dialect: Dialect) -> list[tuple[str | None, str, str]]:
        """(schema, name, report name) of each table but system meta; qualified outside the default schema."""
        default = dialect.default_schema(conn)
        if dialect.schemas_inside_database:
            schemas: list[str | None] = list(dialect.list_schemas(conn, dialect.schema_names(conn)))
        else:
            schemas = [default if dialect.has_schemas else None]
        found: list[tuple[str | None, str, str]] = []
        for schema in schemas:
            for name in dialect.table_names(conn, schema):
                if is_system(name, None if schema in (default, None) else schema, self.system_tables):
                    continue
                key = name if schema in (default, None) else f"{schema}.{name}"
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
