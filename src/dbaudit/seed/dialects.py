"""What differs between databases when writing: locks, read-only detection, key allocation, bulk loading.

One small class per dialect, chosen by ``engine.dialect.name`` (:func:`seed_dialect`).  PostgreSQL loads with
``COPY ... FROM STDIN`` (psycopg2 ``copy_expert``, streamed in chunks); MariaDB/MySQL and SQLite use multi-row
``INSERT ... VALUES`` batches.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BINARY,
    CHAR,
    Float,
    Integer,
    Text,
    and_,
    bindparam,
    case,
    cast,
    event,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.sql.elements import ColumnElement

from dbaudit.errors import SeedError
from dbaudit.seed.schema import SeedTable
from dbaudit.seed.values import ColumnSpec

LOCK_WAIT_SECONDS = 10.0
"""Seconds seed and purge wait for a lock (the run lock, a row lock) before it gives up (``lock_timeout``)."""
NULL = "\\N"

#: Kinds whose values compare exactly as bound parameters, so many keys can go in one ``IN`` list.
PLAIN_KINDS = frozenset({"int", "str", "uuid", "date", "datetime", "decimal", "bool", "enum", "time", "year"})


class SeedDialect:
    """Defaults, correct everywhere; subclasses specialise."""

    name = "default"
    batch_rows = 500
    lock_timeout = LOCK_WAIT_SECONDS
    """Seconds a seed or purge waits for a lock (set from the ``lock_timeout`` setting)."""

    def prepare_engine(self, engine: Engine) -> None:
        """Hook to configure a freshly created engine (SQLite's transaction handling)."""

    def check_writable(self, conn: Connection) -> None:
        """Raise :class:`SeedError` when the server or the transaction is read-only."""

    def acquire_lock(self, conn: Connection, database: str) -> None:
        """Serialise dbaudit writers: the second one waits briefly, then refuses."""

    def release_lock(self, conn: Connection, database: str) -> None:
        """Release what :meth:`acquire_lock` took, when it outlives the transaction."""

    def defer_constraints(self, conn: Connection) -> None:
        raise SeedError("this database cannot defer foreign-key checks")

    def allocate_ids(self, conn: Connection, table: SeedTable, column: str, count: int) -> list[int]:
        """``count`` new values for an integer key the database normally numbers."""
        current = conn.execute(select(func.max(table.sa.c[column]))).scalar()
        start = int(current) + 1 if current is not None else 1
        return list(range(start, start + count))

    def prefetch_ids(
        self, conn: Connection, wanted: Sequence[tuple[SeedTable, str, int]]
    ) -> dict[tuple[str, str], list[int]]:
        """New numbers for many ``(table, column, count)`` at once, where the database can; else nothing."""
        return {}

    def insert_rows(
        self, conn: Connection, table: SeedTable, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Multi-row INSERT batches."""
        if not rows:
            return
        sa_table = table.sa
        size = max(1, min(self.batch_rows, 30000 // max(1, len(columns))))
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            values = [dict(zip(columns, row, strict=False)) for row in chunk]
            conn.execute(insert(sa_table).values(values))

    def update_rows(
        self,
        conn: Connection,
        table: SeedTable,
        key: Sequence[str],
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """``UPDATE table SET columns WHERE key`` for rows of ``key values + column values``."""
        if not rows:
            return
        sa_table = table.sa
        where = [sa_table.c[k] == bindparam(f"k_{i}") for i, k in enumerate(key)]
        stmt = update(sa_table).where(*where).values({c: bindparam(f"v_{i}") for i, c in enumerate(columns)})
        params = []
        for row in rows:
            item = {f"k_{i}": row[i] for i in range(len(key))}
            item.update({f"v_{i}": row[len(key) + i] for i in range(len(columns))})
            params.append(item)
        conn.execute(stmt, params)

    def insert_stream(
        self,
        conn: Connection,
        table: SeedTable,
        columns: Sequence[str],
        chunks: Iterable[list[list[Any]]],
    ) -> None:
        """Insert rows that arrive in chunks, each a list of column values (PostgreSQL: one COPY)."""
        for chunk in chunks:
            self.insert_rows(conn, table, columns, list(zip(*chunk, strict=True)))

    def insert_together(
        self, conn: Connection, parts: list[tuple[SeedTable, Sequence[str], list[tuple[Any, ...]]]]
    ) -> None:
        raise SeedError("this database cannot insert a foreign-key cycle in one statement")

    def describe_error(self, exc: DBAPIError) -> str:
        """The database's message: first line, plus PostgreSQL's detail (the key and the constraint)."""
        orig = exc.orig
        if orig is None:
            return str(exc).splitlines()[0]
        lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
        kept = [line for line in lines if not line.startswith(("CONTEXT:", "HINT:"))][:2]
        return "; ".join(kept) or type(orig).__name__

    def is_lock_timeout(self, exc: DBAPIError) -> bool:
        """The statement gave up waiting for a lock another transaction holds."""
        return False

    #: Server error codes of a statement the server cancelled (a timeout), not of bad data.
    cancelled_codes: frozenset[Any] = frozenset()

    def gave_up(self, exc: DBAPIError) -> bool:
        """The server cancelled the statement (a statement or lock timeout), rather than rejecting a row."""
        if self.is_lock_timeout(exc):
            return True
        orig = exc.orig
        code = getattr(orig, "pgcode", None) or (getattr(orig, "args", None) or (None,))[0]
        return code in self.cancelled_codes

    def connection_lost(self, conn: Connection, exc: DBAPIError) -> bool:
        """The connection broke (the server went away, the session was killed), by the driver's own codes;
        a constraint the server reports with a driver's ``OperationalError`` is not that."""
        if exc.connection_invalidated:
            return True
        try:
            raw = conn.connection.dbapi_connection
        except Exception:  # a connection that cannot even be reached is lost
            return True
        return bool(conn.dialect.is_disconnect(exc.orig, raw, None))  # type: ignore[arg-type]

    # -- Sessions and locks ----------------------------------------------------------------------------

    def begin_session(self, conn: Connection) -> None:
        """Settings of the run's transaction: lock waits end after :attr:`lock_timeout`, and values print
        the same way in every session (the ledger compares the text forms the server gives)."""

    def default_schema(self, conn: Connection) -> str:
        """The schema a table without one lives in (what the ledger records for it)."""
        return str(conn.dialect.default_schema_name or "main")

    # -- Which table is it ------------------------------------------------------------------------------

    def table_identities(
        self, conn: Connection, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """The server's identity of each ``(schema, name)`` that exists: it changes when the table is dropped
        and created again, and follows the table through a rename (see :meth:`find_identity`)."""
        return {}

    def find_identity(self, conn: Connection, identity: str) -> tuple[str, str] | None:
        """Where the table with ``identity`` is now (after a rename), or ``None`` when it is gone."""
        return None

    # -- How values look on the server --------------------------------------------------------------------

    def key_text(self, column: Any, spec: ColumnSpec) -> ColumnElement[Any]:
        """The server's own text form of a column's value (what the ledger records and compares)."""
        if spec.kind == "bytes":
            return func.hex(column)
        return cast(column, Text)

    def json_array(self, items: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        """A JSON array of ``items`` as text."""
        return cast(func.json_array(*items), Text)

    def json_item(self, expr: Any, index: int) -> ColumnElement[Any]:
        """Item ``index`` of a JSON array of texts (NULL for a JSON null)."""
        return func.json_extract(expr, f"$[{int(index)}]")

    def value_equal(self, column: Any, spec: ColumnSpec, value: Any) -> ColumnElement[bool]:
        """``column`` holds ``value`` (a value the seeder inserted), NULL equal to NULL."""
        if value is None:
            return column.is_(None)  # type: ignore[no-any-return]
        return column == bindparam(None, value, type_=column.type)  # type: ignore[no-any-return]

    def rows_equal(
        self, table: SeedTable, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> ColumnElement[bool]:
        """Rows of ``table`` whose ``columns`` hold one of ``rows`` (values the seeder inserted)."""
        sa_columns = [table.sa.c[c] for c in columns]
        plain = all(table.columns[c].kind in PLAIN_KINDS for c in columns) and all(
            None not in row for row in rows
        )
        if plain and self.exact_parameters:
            if len(columns) == 1:
                return sa_columns[0].in_([row[0] for row in rows])
            return tuple_(*sa_columns).in_(list(rows))
        return or_(
            *(
                and_(
                    *(
                        self.value_equal(col, table.columns[c], v)
                        for col, c, v in zip(sa_columns, columns, row, strict=True)
                    )
                )
                for row in rows
            )
        )

    #: Bound parameters compare exactly with stored values of the plain kinds (not so for floats, JSON...).
    exact_parameters = True

    def indexable_equal(
        self, column: Any, spec: ColumnSpec, item: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        """A comparison of ``column`` with a ledger text that an index on ``column`` can serve, when the
        dialect has one that is never false for the row the text came from (it narrows; the exact
        comparison of texts decides)."""
        return None

    # -- Purge -----------------------------------------------------------------------------------------

    def references_to(self, conn: Connection, tables: Sequence[tuple[str, str]]) -> list[Reference]:
        """Every foreign key in the whole database (any schema) that refers to one of ``tables``."""
        raise NotImplementedError

    def lock_rows(self, conn: Connection, stmt: Any, table: SeedTable) -> int:
        """Lock the rows ``stmt`` selects from ``table`` until the transaction ends; returns how many."""
        locked = stmt.with_for_update(of=table.sa) if self.row_locks else stmt
        return int(conn.execute(select(func.count()).select_from(locked.subquery())).scalar() or 0)

    #: ``SELECT ... FOR UPDATE`` locks rows (SQLite has one writer: the transaction itself is the lock).
    row_locks = True
    #: The transaction's own writes are counted per table (so a cascade into another table shows).
    counts_writes_per_table = False

    row_locator: tuple[str, ...] = ()
    """System columns that pick out one physical row (SQLite ``rowid``, PostgreSQL ``tableoid, ctid``)."""

    def delete_multiset(
        self,
        conn: Connection,
        table: SeedTable,
        text: ColumnElement[Any],
        ledger_rows: Any,
        set_ids: list[int],
        extra: ColumnElement[bool] | None = None,
    ) -> int:
        """Delete, for each distinct ``row_key`` the ledger holds for ``set_ids``, at most as many rows whose
        ``text`` equals it as the ledger holds of it (a counted multiset: equal rows are interchangeable)."""
        wanted = (
            select(ledger_rows.c.row_key.label("rk"), func.count().label("n"))
            .where(ledger_rows.c.set_id.in_(set_ids))
            .group_by(ledger_rows.c.row_key)
            .subquery("dbaudit_wanted")
        )
        locator: list[ColumnElement[Any]] = [literal_column(name) for name in self.row_locator]
        numbered = (
            select(
                *(column.label(f"loc{i}") for i, column in enumerate(locator)),
                text.label("rk"),
                func.row_number().over(partition_by=text).label("pos"),
            )
            .select_from(table.sa)
            .where(text.in_(select(wanted.c.rk)))
        )
        if extra is not None:
            numbered = numbered.where(extra)
        rows = table.restrict(numbered).subquery("dbaudit_numbered")
        doomed = (
            select(*(rows.c[f"loc{i}"] for i in range(len(locator))))
            .join(wanted, wanted.c.rk == rows.c.rk)
            .where(rows.c.pos <= wanted.c.n)
        )
        target = locator[0] if len(locator) == 1 else tuple_(*locator)
        removal = table.sa.delete().where(target.in_(doomed))
        return int(conn.execute(table.restrict(removal)).rowcount or 0)

    def hidden_by_row_security(
        self, conn: Connection, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """Tables whose rows row-level security hides from this role: ``(schema, name) -> reason``."""
        return {}

    # -- Side effects ------------------------------------------------------------------------------------

    def tables_with_triggers(
        self, conn: Connection, tables: Sequence[SeedTable], event_name: str
    ) -> set[str]:
        """Keys of ``tables`` on which ``event_name`` (INSERT or DELETE) can run more than the statement
        itself: triggers, rules, conflict clauses that replace rows."""
        return set()

    def effect_counters(self, conn: Connection, watch: Sequence[SeedTable]) -> Any:
        """Counters of this transaction's writes, to compare before and after a statement."""
        raise NotImplementedError

    def effects_between(
        self, conn: Connection, before: Any, after: Any, watch: Sequence[SeedTable]
    ) -> Effects:
        """What the transaction wrote between two :meth:`effect_counters` (per table where it can tell)."""
        raise NotImplementedError

    def new_rows_since(self, conn: Connection, before: Any, table: SeedTable) -> ColumnElement[bool] | None:
        """Rows of ``table`` this transaction inserted after ``before`` (for ``--allow-trigger-inserts``), or
        ``None`` when the dialect cannot tell them from the others."""
        return None


@dataclass(frozen=True)
class Reference:
    """A foreign key (anywhere in the database) that points at a table purge deletes from."""

    schema: str
    table: str
    columns: tuple[str, ...]
    referred_schema: str
    referred_table: str
    referred: tuple[str, ...]
    name: str | None = None
    ondelete: str | None = None


@dataclass
class Effects:
    """What the transaction wrote between two counter readings.

    PostgreSQL counts per table (:attr:`inserted`, :attr:`updated`, :attr:`deleted`, keyed by
    ``(schema, name)``); MariaDB counts per session (the same dicts keyed by ``("", "")``, every insert in
    :attr:`writes`); SQLite counts every changed row in one number (:attr:`writes`), and the row count of
    tables whose conflict clause may replace rows in :attr:`net_rows`.
    """

    inserted: dict[tuple[str, str], int] = field(default_factory=dict)
    updated: dict[tuple[str, str], int] = field(default_factory=dict)
    deleted: dict[tuple[str, str], int] = field(default_factory=dict)
    writes: int | None = None
    net_rows: dict[tuple[str, str], int] = field(default_factory=dict)

    def beyond_insert(
        self, expected: dict[tuple[str, str], int], shown: Callable[[tuple[str, str]], str]
    ) -> tuple[list[str], dict[tuple[str, str], int] | int]:
        """After inserting ``expected`` rows per table: the problems (existing rows updated or deleted, rows
        not stored as sent) and the rows inserted elsewhere (per table where the dialect counts per table)."""
        problems = _describe_changes(self.updated, "updated", shown)
        problems += _describe_changes(self.deleted, "deleted", shown)
        count = sum(expected.values())
        extra: dict[tuple[str, str], int] | int
        if self.writes is None:  # per table
            for name, sent in sorted(expected.items()):
                stored = self.inserted.get(name, 0)
                if stored != sent:
                    problems.append(f"{sent} rows sent, {stored} stored in {shown(name)}")
            extra = {name: n for name, n in self.inserted.items() if name not in expected}
        else:
            extra = self.writes - count
            if extra < 0:
                problems.append(f"{count} rows sent, {self.writes} written")
        for name, sent in sorted(expected.items()):
            net = self.net_rows.get(name)
            if net is not None and net != sent:
                problems.append(f"{sent - net} existing rows of {shown(name)} replaced")
        return problems, extra

    def beyond_deletes(
        self, expected: dict[tuple[str, str], int], shown: Callable[[tuple[str, str]], str]
    ) -> list[str]:
        """Problems after deleting ``expected`` rows per table: anything else written."""
        problems = _describe_changes(self.updated, "updated", shown)
        total = sum(expected.values())
        if self.writes is None and ("", "") not in self.deleted:
            problems += _describe_changes(self.inserted, "inserted", shown)
            for name, count in self.deleted.items():
                if count != expected.get(name, 0):
                    problems.append(f"{count - expected.get(name, 0)} more rows deleted in {shown(name)}")
        else:
            deleted = sum(self.deleted.values())
            if self.deleted and deleted != total:
                problems.append(f"{deleted - total} more rows deleted")
            inserts = self.writes or 0
            if self.deleted or self.updated:  # MariaDB: writes are inserts only
                if inserts:
                    problems.append(f"{inserts} rows inserted")
            elif inserts != total:  # SQLite: writes are every changed row, the deletes included
                problems.append(f"{inserts - total} more rows changed")
        return problems


def _describe_changes(
    counts: dict[tuple[str, str], int], verb: str, shown: Callable[[tuple[str, str]], str]
) -> list[str]:
    out = []
    for name, count in sorted(counts.items()):
        if count:
            where = f" in {shown(name)}" if name != ("", "") else ""
            out.append(f"{count} existing row{'s' if count != 1 else ''} {verb}{where}")
    return out


class PostgresDialect(SeedDialect):
    name = "postgresql"
    cancelled_codes = frozenset({"57014", "55P03"})  # query_canceled (statement_timeout), lock_not_available

    def check_writable(self, conn: Connection) -> None:
        read_only = conn.execute(text("SELECT current_setting('transaction_read_only')")).scalar()
        in_recovery = conn.execute(text("SELECT pg_is_in_recovery()")).scalar()
        if read_only == "on" or in_recovery:
            why = "a standby in recovery" if in_recovery else "transaction_read_only is on"
            raise SeedError(
                f"the database is read-only ({why}); seeding and purging need to write",
                "connect to a writable primary, or unset default_transaction_read_only for this role or "
                "database",
            )

    def acquire_lock(self, conn: Connection, database: str) -> None:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            if conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key(database)}
            ).scalar():
                return
            if time.monotonic() >= deadline:
                raise SeedError(
                    f"timed out after {self.lock_timeout:g} s waiting for the dbaudit lock of database "
                    f"{database}: another dbaudit seed or purge is running on it",
                    "wait for it to finish, then run again (--lock-timeout waits longer)",
                )
            time.sleep(0.2)

    def defer_constraints(self, conn: Connection) -> None:
        conn.execute(text("SET CONSTRAINTS ALL DEFERRED"))

    def allocate_ids(self, conn: Connection, table: SeedTable, column: str, count: int) -> list[int]:
        sequence = table.sequences.get(column)
        if sequence is None:
            qualified = conn.dialect.identifier_preparer.format_table(table.sa)
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": qualified, "column": column}
            ).scalar()
        if not sequence:
            return super().allocate_ids(conn, table, column, count)
        # Draw the numbers in the server and look at their range only: a single sequence never repeats a
        # number within n draws, so a range of n numbers is exactly them.  Only when another session drew
        # numbers in between are they drawn again into a temporary table and fetched.
        low, high, drawn = conn.execute(
            text(
                "SELECT min(v), max(v), count(*)"
                " FROM (SELECT nextval(CAST(:seq AS regclass)) AS v FROM generate_series(1, :n)) AS drawn"
            ),
            {"seq": sequence, "n": count},
        ).one()
        if low is not None and high - low + 1 == count == drawn:
            return list(range(int(low), int(high) + 1))
        conn.execute(
            text(
                "CREATE TEMPORARY TABLE IF NOT EXISTS dbaudit_numbers (n bigint) ON COMMIT DROP;"
                "TRUNCATE dbaudit_numbers;"
                "INSERT INTO dbaudit_numbers"
                " SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)"
            ),
            {"seq": sequence, "n": count},
        )
        low, high, distinct = conn.execute(
            text("SELECT min(n), max(n), count(DISTINCT n) FROM dbaudit_numbers")
        ).one()
        if low is not None and high - low + 1 == count == distinct:
            return list(range(int(low), int(high) + 1))
        return [int(r[0]) for r in conn.execute(text("SELECT n FROM dbaudit_numbers ORDER BY n"))]

    def prefetch_ids(
        self, conn: Connection, wanted: Sequence[tuple[SeedTable, str, int]]
    ) -> dict[tuple[str, str], list[int]]:
        """One round trip: ``nextval`` of each column's sequence (serial or identity), ``count`` times."""
        if not wanted:
            return {}
        format_table = conn.dialect.identifier_preparer.format_table
        result = conn.execute(
            text(
                "SELECT t.i, nextval(CAST(coalesce(t.seq, pg_get_serial_sequence(t.tbl, t.col)) AS regclass))"
                " FROM unnest(CAST(:seqs AS text[]), CAST(:tbls AS text[]), CAST(:cols AS text[]),"
                " CAST(:counts AS int[])) WITH ORDINALITY AS t(seq, tbl, col, c, i)"
                " CROSS JOIN LATERAL generate_series(1, t.c) AS g(n)"
            ),
            {
                "seqs": [table.sequences.get(column) for table, column, _n in wanted],
                "tbls": [format_table(table.sa) for table, _column, _n in wanted],
                "cols": [column for _table, column, _n in wanted],
                "counts": [n for _table, _column, n in wanted],
            },
        )
        drawn: dict[int, list[int]] = {}
        for index, value in result:
            if value is not None:
                drawn.setdefault(int(index), []).append(int(value))
        found = {}
        for index, (table, column, n) in enumerate(wanted, start=1):
            values = sorted(drawn.get(index, []))
            if len(values) == n:
                found[(table.key, column)] = values
        return found

    def insert_rows(
        self, conn: Connection, table: SeedTable, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        size = _CsvStream.CHUNK
        if len(rows) <= size:
            # One chunk: rendered here and sent from memory (no producer thread for a small table).
            converters = [_pg_converter(table, c) for c in columns]
            payload = _render_csv([list(c) for c in zip(*rows, strict=True)], converters)
            self._copy(conn, table, columns, io.BytesIO(payload))
            return
        chunks = ([list(c) for c in zip(*rows[i : i + size], strict=True)] for i in range(0, len(rows), size))
        self.insert_stream(conn, table, columns, chunks)

    def insert_stream(
        self,
        conn: Connection,
        table: SeedTable,
        columns: Sequence[str],
        chunks: Iterable[list[list[Any]]],
    ) -> None:
        """One COPY fed chunk by chunk: while the server loads a chunk, the next one is produced."""
        converters = [_pg_converter(table, c) for c in columns]
        self._copy(conn, table, columns, _CsvStream(chunks, converters))

    def _copy(
        self, conn: Connection, table: SeedTable, columns: Sequence[str], stream: _CsvStream | io.BytesIO
    ) -> None:
        """``COPY table (columns) FROM STDIN`` reading CSV from ``stream``; errors as SQLAlchemy's."""
        import psycopg2
        from psycopg2 import sql

        target = sql.Identifier(table.schema, table.name) if table.schema else sql.Identifier(table.name)
        statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, NULL {})").format(
            target, sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Literal(NULL)
        )
        raw = conn.connection.dbapi_connection
        assert raw is not None
        text_statement = statement.as_string(raw)
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            try:
                cursor.copy_expert(text_statement, stream, size=_CsvStream.READ_SIZE)
            except psycopg2.Error as exc:
                stream.close()
                if isinstance(stream, _CsvStream) and stream.failure is not None:
                    # psycopg2 turns an exception raised while reading into a failed COPY: raise the original.
                    raise stream.failure from exc
                if "error in .read() call" in str(exc):
                    # Only a signal can escape read() unrecorded (Ctrl-C landing as the call starts).
                    raise KeyboardInterrupt from exc
                lost = bool(conn.dialect.is_disconnect(exc, raw, cursor)) or raw.closed != 0
                error = DBAPIError.instance(
                    text_statement,
                    None,
                    exc,
                    psycopg2.Error,
                    connection_invalidated=lost,
                    dialect=conn.dialect,
                )
                if lost:
                    conn.invalidate(exc)
                raise error from exc

    def insert_together(
        self, conn: Connection, parts: list[tuple[SeedTable, Sequence[str], list[tuple[Any, ...]]]]
    ) -> None:
        """Insert every part in one statement (data-modifying CTEs): foreign keys are checked at its end."""
        parts = [p for p in parts if p[2]]
        if not parts:
            return
        *first, last = parts
        stmt = insert(last[0].sa).values([dict(zip(last[1], row, strict=False)) for row in last[2]])
        for index, (table, columns, rows) in enumerate(first):
            cte = (
                insert(table.sa)
                .values([dict(zip(columns, row, strict=False)) for row in rows])
                .cte(f"dbaudit_part_{index}")
            )
            stmt = stmt.add_cte(cte)
        conn.execute(stmt)

    def is_lock_timeout(self, exc: DBAPIError) -> bool:
        return getattr(exc.orig, "pgcode", None) == "55P03"  # lock_not_available

    def begin_session(self, conn: Connection) -> None:
        # Text forms the ledger compares must not depend on the session: one time zone, ISO dates, the
        # shortest exact float output, hex bytea.  Row-lock waits are bounded.
        conn.execute(
            text(
                "SELECT set_config('lock_timeout', :lock, true), set_config('TimeZone', 'UTC', true),"
                " set_config('DateStyle', 'ISO, YMD', true), set_config('IntervalStyle', 'postgres', true),"
                " set_config('extra_float_digits', '1', true), set_config('bytea_output', 'hex', true)"
            ),
            {"lock": f"{int(self.lock_timeout * 1000)}ms"},
        )

    def default_schema(self, conn: Connection) -> str:
        return str(conn.execute(text("SELECT current_schema()")).scalar())

    def table_identities(
        self, conn: Connection, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        if not names:
            return {}
        rows = conn.execute(
            text(
                "SELECT n.nspname, c.relname, c.oid"
                " FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[]))"
                " AS w(s, t) JOIN pg_namespace n ON n.nspname = w.s"
                " JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.t"
            ),
            {"schemas": [s for s, _n in names], "names": [n for _s, n in names]},
        )
        return {(str(s), str(n)): f"postgresql:oid={int(oid)}" for s, n, oid in rows}

    def find_identity(self, conn: Connection, identity: str) -> tuple[str, str] | None:
        prefix = "postgresql:oid="
        if not identity.startswith(prefix) or not identity[len(prefix) :].isdigit():
            return None
        row = conn.execute(
            text(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.oid = CAST(:oid AS oid)"
            ),
            {"oid": int(identity[len(prefix) :])},
        ).first()
        return (str(row[0]), str(row[1])) if row else None

    def key_text(self, column: Any, spec: ColumnSpec) -> ColumnElement[Any]:
        if spec.kind == "json":
            return cast(cast(column, JSONB), Text)  # json keeps its input text; jsonb normalises it
        return cast(column, Text)

    def json_array(self, items: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        return cast(func.json_build_array(*items), Text)

    def json_item(self, expr: Any, index: int) -> ColumnElement[Any]:
        return func.jsonb_extract_path_text(cast(expr, JSONB), str(int(index)))

    def value_equal(self, column: Any, spec: ColumnSpec, value: Any) -> ColumnElement[bool]:
        if value is None:
            return column.is_(None)  # type: ignore[no-any-return]
        if spec.kind == "json":
            return cast(column, JSONB) == cast(literal(json.dumps(value), Text), JSONB)
        if spec.kind == "float":
            # A real column compared with a double parameter widens the stored value: cast the parameter.
            return column == cast(literal(value, Float()), column.type)  # type: ignore[no-any-return]
        return column == bindparam(None, value, type_=column.type)  # type: ignore[no-any-return]

    def indexable_equal(
        self, column: Any, spec: ColumnSpec, item: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        if spec.kind in ("int", "uuid", "date", "datetime", "decimal"):
            return column == cast(item, column.type)  # type: ignore[no-any-return]
        if spec.kind == "str":
            return column == item  # type: ignore[no-any-return]
        return None

    def references_to(self, conn: Connection, tables: Sequence[tuple[str, str]]) -> list[Reference]:
        if not tables:
            return []
        # Every schema, whatever the run audits; clones of a partitioned table's key (conparentid <> 0)
        # are covered by the key on the partitioned table.
        rows = conn.execute(
            text(
                "SELECT con.conname, cn.nspname, cc.relname, pn.nspname, pc.relname, con.confdeltype,"
                " ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, pos)"
                "  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.pos),"
                " ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, pos)"
                "  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.pos)"
                " FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS w(s, t)"
                " JOIN pg_namespace pn ON pn.nspname = w.s"
                " JOIN pg_class pc ON pc.relnamespace = pn.oid AND pc.relname = w.t"
                " JOIN pg_constraint con ON con.confrelid = pc.oid AND con.contype = 'f'"
                "  AND con.conparentid = 0"
                " JOIN pg_class cc ON cc.oid = coalesce(pg_partition_root(con.conrelid), con.conrelid)"
                " JOIN pg_namespace cn ON cn.oid = cc.relnamespace"
                " ORDER BY cn.nspname, cc.relname, con.conname"
            ),
            {"schemas": [s for s, _n in tables], "names": [n for _s, n in tables]},
        )
        actions = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
        # A key declared on each partition of a table (not on the table) is reported once, on the table:
        # its rows are the partitions' rows.
        found: dict[tuple[Any, ...], Reference] = {}
        for name, cs, ct, ps, pt, action, cols, refs in rows:
            ref = Reference(
                schema=str(cs),
                table=str(ct),
                columns=tuple(cols),
                referred_schema=str(ps),
                referred_table=str(pt),
                referred=tuple(refs),
                name=str(name),
                ondelete=actions.get(str(action)),
            )
            found.setdefault(
                (ref.schema, ref.table, ref.columns, ref.referred_schema, ref.referred_table), ref
            )
        return list(found.values())

    counts_writes_per_table = True
    row_locator = ("tableoid", "ctid")
    """A partitioned table's rows are unique only as the pair."""

    def hidden_by_row_security(
        self, conn: Connection, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        if not names:
            return {}
        rows = conn.execute(
            text(
                "SELECT n.nspname, c.relname, c.relforcerowsecurity, pg_has_role(c.relowner, 'USAGE'),"
                " r.rolsuper OR r.rolbypassrls, current_user, current_setting('row_security')"
                " FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS w(s, t)"
                " JOIN pg_namespace n ON n.nspname = w.s"
                " JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.t"
                " JOIN pg_roles r ON r.rolname = current_user"
                " WHERE c.relrowsecurity"
            ),
            {"schemas": [s for s, _n in names], "names": [n for _s, n in names]},
        )
        hidden = {}
        for schema, name, forced, owner, bypass, role, setting in rows:
            if bypass or (owner and not forced):
                continue
            why = "its owner's FORCE ROW LEVEL SECURITY" if owner else "its policies"
            hidden[(str(schema), str(name))] = (
                f"row-level security ({why}) can hide rows from role {role}"
                + (" and row_security is off" if setting == "off" else "")
            )
        return hidden

    def tables_with_triggers(
        self, conn: Connection, tables: Sequence[SeedTable], event_name: str
    ) -> set[str]:
        if not tables:
            return set()
        # Trigger type bits: 4 INSERT, 8 DELETE; rules: ev_type '3' INSERT, '4' DELETE.
        bit, ev_type = (4, "3") if event_name == "INSERT" else (8, "4")
        by_name = {t.qualified: t.key for t in tables}
        rows = conn.execute(
            text(
                "SELECT w.s, w.t FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS w(s, t)"
                " JOIN pg_namespace n ON n.nspname = w.s"
                " JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.t"
                " WHERE EXISTS (SELECT 1 FROM pg_trigger g WHERE NOT g.tgisinternal AND g.tgenabled <> 'D'"
                "   AND (g.tgtype & :bit) <> 0 AND (g.tgrelid = c.oid OR g.tgrelid IN"
                "   (SELECT relid FROM pg_partition_tree(c.oid))))"
                " OR EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.ev_type = :ev)"
            ),
            {
                "schemas": [s for s, _n in by_name],
                "names": [n for _s, n in by_name],
                "bit": bit,
                "ev": ev_type,
            },
        )
        return {by_name[(str(s), str(n))] for s, n in rows}

    def effect_counters(self, conn: Connection, watch: Sequence[SeedTable]) -> Any:
        # This transaction's own counts, per table (leaf partitions folded into their root).
        rows = conn.execute(
            text(
                "SELECT n.nspname, c.relname, sum(s.n_tup_ins), sum(s.n_tup_upd), sum(s.n_tup_del)"
                " FROM pg_stat_xact_user_tables s"
                " JOIN pg_class c ON c.oid = coalesce(pg_partition_root(s.relid), s.relid)"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE s.n_tup_ins > 0 OR s.n_tup_upd > 0 OR s.n_tup_del > 0 GROUP BY n.nspname, c.relname"
            )
        )
        return {(str(s), str(t)): (int(i), int(u), int(d)) for s, t, i, u, d in rows}

    def effects_between(
        self, conn: Connection, before: Any, after: Any, watch: Sequence[SeedTable]
    ) -> Effects:
        effects = Effects()
        for name, (ins, upd, dele) in sorted(after.items()):
            was = before.get(name, (0, 0, 0))
            for counts, value in ((effects.inserted, ins - was[0]), (effects.updated, upd - was[1])):
                if value:
                    counts[name] = value
            if dele - was[2]:
                effects.deleted[name] = dele - was[2]
        return effects

    def new_rows_since(self, conn: Connection, before: Any, table: SeedTable) -> ColumnElement[bool] | None:
        # Rows visible to this transaction whose inserting transaction is still in progress are this
        # transaction's own (other sessions' uncommitted rows are invisible).  xmin is 32 bits: the epoch
        # comes from the current transaction id.
        return literal_column(
            "pg_xact_status(CAST(CAST(((CAST(CAST(pg_current_xact_id() AS text) AS bigint) >> 32) << 32)"
            " | CAST(CAST(xmin AS text) AS bigint) AS text) AS xid8)) = 'in progress'"
        )


class MySQLDialect(SeedDialect):
    name = "mysql"
    cancelled_codes = frozenset({1969, 3024, 1205})  # max_statement_time, max_execution_time, lock wait
    batch_rows = 1000

    def check_writable(self, conn: Connection) -> None:
        read_only = conn.execute(text("SELECT @@global.read_only")).scalar()
        try:
            tx_read_only = conn.execute(text("SELECT @@session.tx_read_only")).scalar()
        except DBAPIError:
            tx_read_only = conn.execute(text("SELECT @@session.transaction_read_only")).scalar()
        if int(read_only or 0) or int(tx_read_only or 0):
            raise SeedError(
                "the database is read-only (read_only or transaction_read_only is set); seeding and purging "
                "need "
                "to write",
                "connect to a writable server",
            )

    def acquire_lock(self, conn: Connection, database: str) -> None:
        got = conn.execute(
            text("SELECT GET_LOCK(:name, :wait)"),
            {"name": _mysql_lock_name(database), "wait": self.lock_timeout},
        ).scalar()
        if got != 1:
            raise SeedError(
                f"timed out after {self.lock_timeout:g} s waiting for the dbaudit lock of database "
                f"{database}: another dbaudit seed or purge is running on it",
                "wait for it to finish, then run again (--lock-timeout waits longer)",
            )

    def release_lock(self, conn: Connection, database: str) -> None:
        conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": _mysql_lock_name(database)})

    def is_lock_timeout(self, exc: DBAPIError) -> bool:
        args: tuple[Any, ...] = tuple(getattr(exc.orig, "args", ()))
        return bool(args) and args[0] in (1205, 3572)  # lock wait timeout; NOWAIT

    def begin_session(self, conn: Connection) -> None:
        seconds = max(1, round(self.lock_timeout))
        conn.execute(
            text("SET SESSION innodb_lock_wait_timeout = :s, SESSION lock_wait_timeout = :s"), {"s": seconds}
        )

    def default_schema(self, conn: Connection) -> str:
        return str(conn.execute(text("SELECT DATABASE()")).scalar())

    def table_identities(
        self, conn: Connection, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        wanted = set(names)
        if not wanted:
            return {}
        created = {
            (str(s), str(t)): str(c)
            for s, t, c in conn.execute(
                text(
                    "SELECT TABLE_SCHEMA, TABLE_NAME, CREATE_TIME FROM information_schema.TABLES"
                    " WHERE TABLE_SCHEMA IN :schemas AND TABLE_TYPE = 'BASE TABLE'"
                ).bindparams(bindparam("schemas", expanding=True)),
                {"schemas": sorted({s for s, _t in wanted})},
            )
            if (str(s), str(t)) in wanted
        }
        ids = self._innodb_ids(conn, {s for s, _t in wanted})
        out = {}
        for name, when in created.items():
            table_id = ids.get(name)
            out[name] = f"mysql:id={table_id}" if table_id is not None else f"mysql:created={when}"
        return out

    def _innodb_ids(self, conn: Connection, schemas: set[str]) -> dict[tuple[str, str], int]:
        """InnoDB's table ids (stable across a rename, new on a re-create), keyed by decoded name."""
        try:
            rows = conn.execute(text("SELECT NAME, TABLE_ID FROM information_schema.INNODB_SYS_TABLES")).all()
        except DBAPIError:  # no such table (MySQL 8: INNODB_TABLES) or no PROCESS privilege
            conn.rollback() if not conn.in_nested_transaction() and not conn.in_transaction() else None
            return {}
        out = {}
        for name, table_id in rows:
            schema, _sep, table = _decode_filename(str(name)).partition("/")
            if schema in schemas and table:
                out[(schema, table)] = int(table_id)
        return out

    def find_identity(self, conn: Connection, identity: str) -> tuple[str, str] | None:
        prefix = "mysql:id="
        if not identity.startswith(prefix) or not identity[len(prefix) :].isdigit():
            return None
        try:
            row = conn.execute(
                text("SELECT NAME FROM information_schema.INNODB_SYS_TABLES WHERE TABLE_ID = :i"),
                {"i": int(identity[len(prefix) :])},
            ).first()
        except DBAPIError:
            return None
        if row is None:
            return None
        schema, _sep, table = _decode_filename(str(row[0])).partition("/")
        return (schema, table) if table else None

    def key_text(self, column: Any, spec: ColumnSpec) -> ColumnElement[Any]:
        if spec.kind == "bytes":
            return func.hex(column)
        if spec.kind == "json":
            return func.json_compact(column)
        # Compared as bytes: no collation decides that two different texts are the same key.
        return cast(cast(column, CHAR), BINARY)

    def json_array(self, items: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        return cast(cast(func.json_array(*items), CHAR), BINARY)

    def json_item(self, expr: Any, index: int) -> ColumnElement[Any]:
        path = f"$[{int(index)}]"
        item = func.json_extract(expr, path)
        return case((func.json_type(item) == "NULL", None), else_=cast(func.json_unquote(item), BINARY))

    exact_parameters = True

    def value_equal(self, column: Any, spec: ColumnSpec, value: Any) -> ColumnElement[bool]:
        if value is None:
            return column.is_(None)  # type: ignore[no-any-return]
        if spec.kind == "float":
            # FLOAT columns keep single precision: a double parameter never equals the stored value.  The
            # ledger then records the stored value's own text, which later comparisons use exactly.
            tolerance = abs(float(value)) * 1e-6 + 1e-12
            return func.abs(column - literal(float(value), Float())) <= tolerance
        if spec.kind == "json":
            return func.json_compact(column) == func.json_compact(literal(json.dumps(value), Text))
        return column == bindparam(None, value, type_=column.type)  # type: ignore[no-any-return]

    def indexable_equal(
        self, column: Any, spec: ColumnSpec, item: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        if spec.kind == "int":
            return column == cast(item, Integer)  # type: ignore[no-any-return]
        return None

    def references_to(self, conn: Connection, tables: Sequence[tuple[str, str]]) -> list[Reference]:
        if not tables:
            return []
        # Every database on the server this user can see, whatever the run audits.
        rows = conn.execute(
            text(
                "SELECT k.CONSTRAINT_NAME, k.TABLE_SCHEMA, k.TABLE_NAME, k.COLUMN_NAME,"
                " k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE"
                " FROM information_schema.KEY_COLUMN_USAGE k"
                " JOIN information_schema.REFERENTIAL_CONSTRAINTS r"
                " ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME"
                " AND r.TABLE_NAME = k.TABLE_NAME"
                " WHERE k.REFERENCED_TABLE_SCHEMA IN :schemas AND k.REFERENCED_TABLE_NAME IN :names"
                " ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
            ).bindparams(bindparam("schemas", expanding=True), bindparam("names", expanding=True)),
            {"schemas": sorted({s for s, _t in tables}), "names": sorted({t for _s, t in tables})},
        )
        wanted = set(tables)
        grouped: dict[tuple[str, str, str, str, str], tuple[list[str], list[str], str]] = {}
        for name, cs, ct, col, ps, pt, ref, rule in rows:
            if (str(ps), str(pt)) not in wanted:
                continue
            entry = grouped.setdefault((str(cs), str(ct), str(name), str(ps), str(pt)), ([], [], str(rule)))
            entry[0].append(str(col))
            entry[1].append(str(ref))
        return [
            Reference(cs, ct, tuple(cols), ps, pt, tuple(refs), name, rule)
            for (cs, ct, name, ps, pt), (cols, refs, rule) in grouped.items()
        ]

    def lock_rows(self, conn: Connection, stmt: Any, table: SeedTable) -> int:
        # MariaDB takes no FOR UPDATE inside a derived table: stream the locked rows and count them here.
        locked = stmt.with_for_update()
        count = 0
        result = conn.execution_options(stream_results=True, yield_per=10_000).execute(locked)
        for part in result.partitions():
            count += len(part)
        return count

    def delete_multiset(
        self,
        conn: Connection,
        table: SeedTable,
        text: ColumnElement[Any],
        ledger_rows: Any,
        set_ids: list[int],
        extra: ColumnElement[bool] | None = None,
    ) -> int:
        # No row locator: one DELETE ... LIMIT per distinct row.
        wanted = conn.execute(
            select(ledger_rows.c.row_key, func.count())
            .where(ledger_rows.c.set_id.in_(set_ids))
            .group_by(ledger_rows.c.row_key)
        ).all()
        deleted = 0
        for row_key, copies in wanted:
            removal = table.sa.delete().where(text == cast(literal(row_key, Text), BINARY))
            if extra is not None:
                removal = removal.where(extra)
            deleted += int(conn.execute(removal.with_dialect_options(mysql_limit=int(copies))).rowcount or 0)
        return deleted

    def tables_with_triggers(
        self, conn: Connection, tables: Sequence[SeedTable], event_name: str
    ) -> set[str]:
        if not tables:
            return set()
        by_name = {t.qualified: t.key for t in tables}
        rows = conn.execute(
            text(
                "SELECT DISTINCT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS"
                " WHERE EVENT_MANIPULATION = :event AND EVENT_OBJECT_SCHEMA IN :schemas"
            ).bindparams(bindparam("schemas", expanding=True)),
            {"event": event_name, "schemas": sorted({s for s, _t in by_name})},
        )
        return {by_name[(str(s), str(t))] for s, t in rows if (str(s), str(t)) in by_name}

    def effect_counters(self, conn: Connection, watch: Sequence[SeedTable]) -> Any:
        handlers = {
            str(k): int(v)
            for k, v in conn.execute(
                text(
                    "SHOW SESSION STATUS WHERE Variable_name IN"
                    " ('Handler_write', 'Handler_update', 'Handler_delete')"
                )
            )
        }
        tops = {}
        for table in watch:
            column = _auto_key(table)
            if column is not None:
                tops[table.key] = conn.execute(select(func.max(table.sa.c[column]))).scalar()
        return handlers, tops

    def effects_between(
        self, conn: Connection, before: Any, after: Any, watch: Sequence[SeedTable]
    ) -> Effects:
        (was, _tops), (now, _later) = before, after
        effects = Effects(writes=now.get("Handler_write", 0) - was.get("Handler_write", 0))
        updated = now.get("Handler_update", 0) - was.get("Handler_update", 0)
        deleted = now.get("Handler_delete", 0) - was.get("Handler_delete", 0)
        if updated:
            effects.updated[("", "")] = updated
        if deleted:
            effects.deleted[("", "")] = deleted
        return effects

    def new_rows_since(self, conn: Connection, before: Any, table: SeedTable) -> ColumnElement[bool] | None:
        _handlers, tops = before
        column = _auto_key(table)
        if column is None or table.key not in tops:
            return None
        top = tops[table.key]
        return table.sa.c[column] > (top if top is not None else 0)


def _auto_key(table: SeedTable) -> str | None:
    """The auto-numbered single-column primary key of ``table`` (new rows get larger values), if any."""
    if len(table.primary_key) == 1 and table.primary_key[0] in table.sequences:
        return table.primary_key[0]
    return None


def _decode_filename(name: str) -> str:
    """MariaDB's file-name encoding of identifiers (``@0020`` for a space) back to text."""
    import re

    return re.sub(r"@([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), name)


def _lock_key(scope: str) -> int:
    """A signed 64-bit advisory-lock key for one database and schema."""
    import hashlib

    return int.from_bytes(hashlib.sha256(f"dbaudit:{scope}".encode()).digest()[:8], "big", signed=True)


def _mysql_lock_name(database: str) -> str:
    return f"dbaudit:{database}"[:64]


class SQLiteDialect(SeedDialect):
    name = "sqlite"
    batch_rows = 500

    def prepare_engine(self, engine: Engine) -> None:
        timeout = self.lock_timeout

        # Take the write lock at BEGIN (so a second writer waits, then refuses) and enforce foreign keys.
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                message = str(exc.orig).lower()
                if "locked" in message or "busy" in message:
                    raise SeedError(
                        f"timed out after {timeout:g} s waiting for the write lock of this SQLite database: "
                        "another process is writing to it",
                        "wait for it to finish, then run again (--lock-timeout waits longer)",
                    ) from exc
                if "readonly" in message or "read-only" in message:
                    raise SeedError(
                        "the SQLite database is read-only; seeding and purging need to write",
                        "check the file's permissions",
                    ) from exc
                raise

    def check_writable(self, conn: Connection) -> None:
        if conn.exec_driver_sql("PRAGMA query_only").scalar():
            raise SeedError("the SQLite connection is query-only; seeding and purging need to write")

    def defer_constraints(self, conn: Connection) -> None:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")

    row_locks = False
    row_locator = ("rowid",)

    def is_lock_timeout(self, exc: DBAPIError) -> bool:
        return "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower()

    def begin_session(self, conn: Connection) -> None:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(self.lock_timeout * 1000)}")

    def default_schema(self, conn: Connection) -> str:
        return "main"

    def table_identities(
        self, conn: Connection, names: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        # The root page: kept by a rename and by ALTER TABLE ADD COLUMN, new for a rebuilt table (a dropped
        # table's page may be reused by the next one: rows of tables without a mark are also fingerprinted).
        wanted = {n for s, n in names if s == "main"}
        rows = conn.execute(text("SELECT name, rootpage FROM sqlite_master WHERE type = 'table'"))
        return {("main", str(n)): f"sqlite:root={int(r)}" for n, r in rows if n in wanted}

    def find_identity(self, conn: Connection, identity: str) -> tuple[str, str] | None:
        prefix = "sqlite:root="
        if not identity.startswith(prefix) or not identity[len(prefix) :].isdigit():
            return None
        row = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND rootpage = :r"),
            {"r": int(identity[len(prefix) :])},
        ).first()
        return ("main", str(row[0])) if row else None

    def json_array(self, items: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        return func.json_array(*items)

    def indexable_equal(
        self, column: Any, spec: ColumnSpec, item: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        if spec.kind in ("int", "str"):
            return column == item  # type: ignore[no-any-return]
        return None

    def references_to(self, conn: Connection, tables: Sequence[tuple[str, str]]) -> list[Reference]:
        wanted = {n.lower(): n for s, n in tables if s == "main"}
        if not wanted:
            return []
        rows = conn.execute(
            text(
                'SELECT m.name, f.id, f."from", f."to", f."table", f.on_delete FROM sqlite_master m'
                " JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"
            )
        ).all()
        grouped: dict[tuple[str, int], tuple[str, list[str], list[str | None], str]] = {}
        for child, fk_id, col, ref, parent, action in rows:
            target = wanted.get(str(parent).lower())
            if target is None:
                continue
            entry = grouped.setdefault((str(child), int(fk_id)), (target, [], [], str(action)))
            entry[1].append(str(col))
            entry[2].append(None if ref is None else str(ref))
        out = []
        for (child, _fk_id), (parent, cols, refs, action) in grouped.items():
            if any(r is None for r in refs):  # REFERENCES parent without columns: its primary key
                refs = [
                    str(r[0])
                    for r in conn.execute(
                        text("SELECT name FROM pragma_table_info(:t) WHERE pk > 0 ORDER BY pk"), {"t": parent}
                    )
                ]
            out.append(
                Reference(
                    "main", child, tuple(cols), "main", parent, tuple(str(r) for r in refs), None, action
                )
            )
        return out

    def tables_with_triggers(
        self, conn: Connection, tables: Sequence[SeedTable], event_name: str
    ) -> set[str]:
        by_name = {t.name.lower(): t.key for t in tables}
        found = set()
        for kind, _name, owner, sql in conn.execute(
            text("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('trigger', 'table')")
        ):
            key = by_name.get(str(owner).lower())
            if key is None or not sql:
                continue
            if kind == "trigger" and _sqlite_trigger_event(str(sql)) == event_name:
                found.add(key)
            if kind == "table" and event_name == "INSERT" and _REPLACE_CLAUSE.search(str(sql)):
                found.add(key)  # a conflict clause that deletes the existing row to make room
        return found

    def effect_counters(self, conn: Connection, watch: Sequence[SeedTable]) -> Any:
        total = int(conn.execute(text("SELECT total_changes()")).scalar() or 0)
        tops = {}
        for table in watch:
            if table.without_rowid:
                continue
            tops[table.key] = conn.execute(
                select(func.max(literal_column("rowid"))).select_from(table.sa)
            ).scalar()
        counts = {
            table.qualified: int(conn.execute(select(func.count()).select_from(table.sa)).scalar() or 0)
            for table in watch
            if table.replaces_on_conflict
        }
        return total, tops, counts

    def effects_between(
        self, conn: Connection, before: Any, after: Any, watch: Sequence[SeedTable]
    ) -> Effects:
        (total, _tops, counts), (total_after, _later, counts_after) = before, after
        effects = Effects(writes=total_after - total)
        for name, count in counts.items():
            # REPLACE conflict resolution deletes rows without counting them as changes: count the table.
            effects.net_rows[name] = counts_after.get(name, count) - count
        return effects

    def new_rows_since(self, conn: Connection, before: Any, table: SeedTable) -> ColumnElement[bool] | None:
        _total, tops, _counts = before
        if table.key not in tops:
            return None
        top = tops[table.key]
        return literal_column("rowid") > (top if top is not None else 0)


_REPLACE_CLAUSE = re.compile(r"\bON\s+CONFLICT\s+REPLACE\b", re.IGNORECASE)
_TRIGGER_EVENT = re.compile(
    r"\bCREATE\s+(?:TEMP\w*\s+)?TRIGGER\b.*?\b(INSERT|DELETE|UPDATE)\b", re.IGNORECASE | re.DOTALL
)


def _sqlite_trigger_event(sql: str) -> str | None:
    """The event (INSERT, DELETE, UPDATE) a SQLite ``CREATE TRIGGER`` statement fires on."""
    match = _TRIGGER_EVENT.search(sql)
    return match.group(1).upper() if match else None


def seed_dialect(name: str) -> SeedDialect:
    return {
        "postgresql": PostgresDialect,
        "mysql": MySQLDialect,
        "mariadb": MySQLDialect,
        "sqlite": SQLiteDialect,
    }.get(name, SeedDialect)()


# ------------------------------------------------------------------------------------------------------------
# COPY formatting


def _pg_converter(table: SeedTable, column: str) -> Callable[[Any], Any] | None:
    spec = table.columns[column]
    kind = spec.kind
    if kind == "bool":
        return lambda v: NULL if v is None else ("t" if v else "f")
    if kind == "json":
        return lambda v: NULL if v is None else json.dumps(v)
    if kind == "bytes":
        return lambda v: NULL if v is None else "\\x" + bytes(v).hex()
    if kind == "interval":
        return lambda v: NULL if v is None else f"{v.total_seconds()} seconds"
    if kind == "array":
        return lambda v: NULL if v is None else _pg_array(v)
    if kind == "datetime":
        return _datetime_text
    return None


def _datetime_text(value: Any) -> Any:
    """A timestamp as ISO text for COPY (``isoformat`` is cheaper than the ``str`` csv would call)."""
    if type(value) is dt.datetime:
        return value.isoformat()
    return NULL if value is None else value


def _datetime_column(values: list[Any]) -> list[Any]:
    """:func:`_datetime_text` over a whole column, without a Python call per value."""
    datetime = dt.datetime
    return [v.isoformat() if type(v) is datetime else (NULL if v is None else v) for v in values]


def _pg_array(values: list[Any]) -> str:
    items = []
    for value in values:
        if value is None:
            items.append("NULL")
            continue
        if isinstance(value, bool):
            value = "t" if value else "f"
        text_value = str(value).replace("\\", "\\\\").replace('"', '\\"')
        items.append(f'"{text_value}"')
    return "{" + ",".join(items) + "}"


def _plain(value: Any) -> Any:
    if value is None:
        return NULL
    return value


class _CsvStream(io.RawIOBase):
    """A file object ``copy_expert`` reads from, fed by a producer thread.

    The thread takes the chunks (generating them, for a streamed table), converts values column by column
    (NULL marks only where a column holds ``None``) and renders them with the C ``csv`` writer, while the main
    thread sends the previous chunk: generation overlaps with the server's loading.
    """

    CHUNK = 20000
    READ_SIZE = 1 << 20

    def __init__(
        self, chunks: Iterable[list[list[Any]]], converters: list[Callable[[Any], Any] | None]
    ) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=3)
        self._stop = threading.Event()
        self._current = b""
        self._position = 0
        self._done = False
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._produce, args=(chunks, converters), daemon=True)
        self._thread.start()

    def _produce(
        self, chunks: Iterable[list[list[Any]]], converters: list[Callable[[Any], Any] | None]
    ) -> None:
        try:
            for chunk in chunks:
                if self._stop.is_set():
                    return
                if chunk and chunk[0]:
                    self._put(_render_csv(chunk, converters))
            self._put(None)
        except BaseException as exc:  # handed to the reading thread, which raises it
            self._put(exc)

    def _put(self, item: bytes | BaseException | None) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        self._stop.set()
        super().close()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._read(size)
        except BaseException as exc:  # Ctrl-C, or a chunk that could not be produced: remember which
            self.failure = exc
            self._stop.set()
            raise

    def _read(self, size: int) -> bytes:
        while self._position >= len(self._current):
            if self._done:
                return b""
            try:
                item = self._queue.get(timeout=0.1)  # a timeout, so Ctrl-C is seen while waiting
            except queue.Empty:
                continue
            if item is None:
                self._done = True
                return b""
            if isinstance(item, BaseException):
                raise item
            self._current, self._position = item, 0
        end = len(self._current) if size < 0 else self._position + size
        data = self._current[self._position : end]
        self._position += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:  # pragma: no cover - copy_expert only calls read
        return self.read(size if size is not None else -1)


def _render_csv(chunk: list[list[Any]], converters: list[Callable[[Any], Any] | None]) -> bytes:
    """CSV text of one chunk given column by column."""
    columns = list(chunk)
    for index, convert in enumerate(converters):
        values = columns[index]
        if convert is _datetime_text:
            columns[index] = _datetime_column(values)  # rendered while the server loads the previous chunk
        elif convert is not None:
            columns[index] = [convert(v) for v in values]
        elif None in values:
            columns[index] = [NULL if v is None else v for v in values]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(zip(*columns, strict=True))
    return out.getvalue().encode("utf-8")


def jsonable(value: Any) -> Any:
    """A JSON-ready form of a key value, reversible with :func:`from_jsonable` given the column kind."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)


def from_jsonable(value: Any, kind: str, uuid_as_text: bool = False) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "time":
        return dt.time.fromisoformat(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    if kind == "uuid" and not uuid_as_text:
        return uuid.UUID(value)
    if kind == "bytes":
        return bytes.fromhex(value)
    if kind == "interval":
        return dt.timedelta(seconds=value)
    return value
