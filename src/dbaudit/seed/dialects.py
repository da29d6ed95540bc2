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
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, event, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from dbaudit.errors import SeedError
from dbaudit.seed.schema import SeedTable

LOCK_WAIT_SECONDS = 5.0
NULL = "\\N"


class SeedDialect:
    """Defaults, correct everywhere; subclasses specialise."""

    name = "default"
    batch_rows = 500

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


class PostgresDialect(SeedDialect):
    name = "postgresql"

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
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            if conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key(database)}
            ).scalar():
                return
            if time.monotonic() >= deadline:
                raise SeedError(
                    "another dbaudit seed or purge is running on this server",
                    "wait for it to finish, then run again",
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


class MySQLDialect(SeedDialect):
    name = "mysql"
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
            {"name": _mysql_lock_name(database), "wait": LOCK_WAIT_SECONDS},
        ).scalar()
        if got != 1:
            raise SeedError(
                "another dbaudit seed or purge is running on this database",
                "wait for it to finish, then run again",
            )

    def release_lock(self, conn: Connection, database: str) -> None:
        conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": _mysql_lock_name(database)})


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
        # Take the write lock at BEGIN (so a second writer waits, then refuses) and enforce foreign keys.
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT_SECONDS * 1000)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                message = str(exc.orig).lower()
                if "locked" in message or "busy" in message:
                    raise SeedError(
                        "another process is writing to this SQLite database",
                        "wait for it to finish, then run again",
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
