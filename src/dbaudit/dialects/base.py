"""What differs between database engines: one class per engine, read side and write side together.

:class:`Dialect` is the default (plain SQL, no estimates, no time budget, no bulk load); the engine classes
of :mod:`~dbaudit.dialects.postgresql`, :mod:`~dbaudit.dialects.mysql` and :mod:`~dbaudit.dialects.sqlite`
override what their engine does differently, as attributes and methods:

- reading (``report``): the default schema, the read-only transaction, the catalog, bulk row estimates, the
  per-statement time budget, partitions, row-level security, how a failed statement is explained;
- writing (``seed``, ``purge``): locks and their timeout, read-only detection, key allocation, bulk loading,
  savepoints, how the ledger and purge compare values on the server, the transaction's write counters.

Table names never reach SQL as text: statements are built with SQLAlchemy constructs so the engine's own
identifier quoting applies, and catalog queries take names as bound parameters.  Nothing outside this package
compares dialect names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, Protocol

from sqlalchemy import (
    Text,
    and_,
    bindparam,
    cast,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Table

from dbaudit.errors import DbauditError, SchemaNotFound, SeedError

#: Schemas that hold the engine's own catalog, never application tables.
PG_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")
MYSQL_SYSTEM_SCHEMAS = ("information_schema", "mysql", "performance_schema", "sys")

LOCK_WAIT_SECONDS = 10.0
"""Seconds seed and purge wait for a lock (the run lock, a row lock) before giving up (``lock_timeout``)."""

#: Kinds whose values compare exactly as bound parameters, so many keys can go in one ``IN`` list.
PLAIN_KINDS = frozenset({"int", "str", "uuid", "date", "datetime", "decimal", "bool", "enum", "time", "year"})


class Estimate(NamedTuple):
    """A row estimate from catalog statistics.  ``complete=False``: part of it was never analysed, so
    ``rows`` is only a lower bound."""

    rows: int
    complete: bool = True


@dataclass
class PartitionLayout:
    """Partition bounds by partitioned table (key column, ``(low, high)`` ranges) and the tables that have
    inheritance children, in one schema."""

    bounds: dict[str, tuple[str, list[tuple[Any, Any]]]] = field(default_factory=dict)
    inherited: set[str] = field(default_factory=set)
    partitions: set[str] = field(default_factory=set)
    """Declarative partitions (inheritance children are tables of their own to write to)."""


@dataclass
class CatalogRows:
    """A schema's tables as a native catalog read gives them, in the shape of SQLAlchemy's multi-table
    inspection (``Inspector.get_multi_*``), keyed ``(schema, table name)``: what the model is built from."""

    columns: dict[tuple[str | None, str], list[dict[str, Any]]] = field(default_factory=dict)
    primary_keys: dict[tuple[str | None, str], dict[str, Any]] = field(default_factory=dict)
    foreign_keys: dict[tuple[str | None, str], list[dict[str, Any]]] = field(default_factory=dict)
    uniques: dict[tuple[str | None, str], list[dict[str, Any]]] = field(default_factory=dict)
    checks: dict[tuple[str | None, str], list[dict[str, Any]]] = field(default_factory=dict)
    indexes: dict[tuple[str | None, str], list[dict[str, Any]]] = field(default_factory=dict)
    comments: dict[tuple[str | None, str], dict[str, Any]] = field(default_factory=dict)
    views: list[str] = field(default_factory=list)
    materialized_views: list[str] = field(default_factory=list)


SAMPLE_LIMIT = 1000


@dataclass
class ColumnSample:
    """Existing values of one column: a sample (values as the driver returns them), or the planner's
    statistics (bounds of the histogram and most common values, as text) when the engine keeps them."""

    values: list[Any] = field(default_factory=list)
    bounds: list[str] = field(default_factory=list)
    common: list[str] = field(default_factory=list)
    common_shares: list[float] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.values or self.bounds or self.common)


class ColumnLike(Protocol):
    """What the write side needs to know of a column: the kind of value it holds (``int``, ``str``...)."""

    kind: str


class TableLike(Protocol):
    """What the write side needs to know of a table (the seeder's table record provides it)."""

    key: str
    name: str
    schema: str | None
    sa: Table
    primary_key: tuple[str, ...]
    sequences: dict[str, str | None]
    without_rowid: bool
    replaces_on_conflict: bool

    @property
    def columns(self) -> Mapping[str, Any]: ...

    @property
    def qualified(self) -> tuple[str, str]: ...

    def restrict(self, stmt: Any) -> Any: ...


class Dialect:
    """The behaviour of a database engine dbaudit has no special knowledge of."""

    name: ClassVar[str] = "default"
    #: Schemas never audited, even with ``--all-schemas``.
    system_schemas: ClassVar[tuple[str, ...]] = ()
    #: Whether tables live in named schemas (``False``: one unnamed schema, as in SQLite).
    has_schemas: ClassVar[bool] = True
    #: Whether the engine has materialized views SQLAlchemy can list.
    has_materialized_views: ClassVar[bool] = False
    #: The quote character that SQLAlchemy's reflection leaves doubled inside column names (``None``: none).
    doubled_quote_in_names: ClassVar[str | None] = None
    #: Whether a failed statement must be wrapped in a savepoint so the transaction survives it.
    savepoints: ClassVar[bool] = True
    #: Isolation level the report's connection is switched to (a real transaction even when the caller's
    #: engine runs in autocommit mode); ``None`` leaves the connection as it is.
    isolation_level: ClassVar[str | None] = "REPEATABLE READ"

    def display_name(self, conn: Connection) -> str:
        """The dialect as the report names it."""
        return conn.engine.dialect.name

    def server_version(self, conn: Connection) -> str:
        info = conn.engine.dialect.server_version_info
        return ".".join(str(part) for part in info) if info else "unknown"

    def default_schema(self, conn: Connection) -> str | None:
        """The schema unqualified names resolve to on this connection."""
        return conn.engine.dialect.default_schema_name

    def no_default_schema(self, shown_url: str) -> DbauditError:
        """The error when the connection has no default schema and none was given."""
        return SchemaNotFound(
            f"the connection to {shown_url} has no default schema (its search_path names no existing schema)",
            "pass --schema, or fix search_path",
        )

    def list_schemas(self, conn: Connection, names: Sequence[str]) -> list[str]:
        """The schemas ``--all-schemas`` audits: ``names`` without the engine's own."""
        return [n for n in names if n not in self.system_schemas]

    def begin_read_only(self, conn: Connection) -> None:
        """Open the read-only transaction the whole report runs in (nothing by default)."""

    def end_read_only(self, conn: Connection) -> None:
        """Leave the transaction without writing anything."""
        conn.rollback()

    def export_snapshot(self, conn: Connection) -> str | None:
        """An id under which another connection reads the very snapshot of ``conn``'s read-only
        transaction (:meth:`join_snapshot`), or ``None``: the engine cannot share one, and every read stays
        on ``conn``."""
        return None

    def join_snapshot(self, conn: Connection, snapshot: str) -> None:
        """Open on ``conn`` a read-only transaction reading the snapshot :meth:`export_snapshot` returned."""
        raise NotImplementedError(f"{self.name} cannot share a snapshot between connections")

    def cancel(self, conn: Connection) -> None:
        """Ask the server to stop the statement ``conn`` runs (from another thread); nothing by default."""

    def catalog_table_names(self, conn: Connection, schema: str | None) -> list[str]:
        """Names of the tables of ``schema`` as :func:`~dbaudit.dialects.catalog.read_schema` finds them
        (foreign tables included, views not), without reading their columns."""
        return [str(n) for n in inspect(conn).get_table_names(schema=schema)]

    @contextmanager
    def time_budget(self, conn: Connection, seconds: float | None) -> Iterator[None]:
        """Limit the next statements to ``seconds`` each (``None``: no limit).  No limit by default."""
        yield

    def native_catalog(self, conn: Connection, schema: str | None) -> CatalogRows | None:
        """The tables of ``schema`` read straight from the engine's catalog, or ``None``: SQLAlchemy's
        inspection reads them (the default)."""
        return None

    def estimates(self, conn: Connection, schema: str | None) -> dict[str, Estimate]:
        """Row estimates by table name from the catalog statistics; a table left out has no estimate."""
        return {}

    def partition_children(self, conn: Connection, schema: str | None) -> dict[str, str]:
        """Partition (or inheritance child) name -> its top-level parent's name, within ``schema``."""
        return {}

    def partitioned_parents(self, conn: Connection, schema: str | None) -> set[str]:
        """Names of declaratively partitioned parents in ``schema``."""
        return set()

    def rows_hidden(self, conn: Connection, schema: str | None) -> dict[str, str]:
        """Tables of ``schema`` whose rows row-level security filters for this connection's role, by name,
        with the reason they get no count.

        A probe or count of such a table sees only what the policies let through (or fails), so an Empty or
        a number would be wrong.  Only engines with row-level security can hide rows: nothing by default.
        """
        return {}

    def internal_tables(self, conn: Connection, schema: str | None) -> list[str]:
        """Bookkeeping tables of the engine itself that SQLAlchemy's table list leaves out but users see."""
        return []

    def module_tables(self, conn: Connection, schema: str | None) -> set[str]:
        """Tables a virtual-table module writes for itself (SQLite FTS shadow tables): never seeded."""
        return set()

    def module_totals_tables(self, conn: Connection, schema: str | None) -> dict[str, str]:
        """Virtual tables whose module keeps a row of totals in a shadow table from the first insert on, also
        once every row is deleted again (SQLite FTS4's ``_stat``): virtual table -> that shadow table."""
        return {}

    def foreign_key_actions(
        self, conn: Connection, schema: str | None
    ) -> dict[tuple[str, tuple[str, ...]], str]:
        """``ON DELETE`` actions by (table, constrained columns) where SQLAlchemy's reflection misses them."""
        return {}

    def is_identity(self, column: dict[str, Any], primary_key: Sequence[str]) -> bool:
        """Whether the database fills this column by itself (identity, serial, auto-increment)."""
        return bool(column.get("identity")) or column.get("autoincrement") is True

    def is_timeout(self, exc: DBAPIError) -> bool:
        return False

    def is_lock_wait(self, exc: DBAPIError) -> bool:
        """Whether the statement gave up waiting for another session's lock."""
        return False

    def is_permission_denied(self, exc: DBAPIError) -> bool:
        return "permission denied" in str(exc.orig).lower()

    def timeout_setting(self, exc: DBAPIError) -> str | None:
        """The server setting whose time limit ended the statement (``statement_timeout``...), if one did.

        A statement cancelled for another reason (a cancel request, a ``KILL QUERY``) has none."""
        return None

    def is_connection_lost(self, exc: DBAPIError) -> bool:
        """Whether the session is gone (killed, server restarted, network cut), not just the statement."""
        return bool(exc.connection_invalidated)

    def explain_failure(self, exc: DBAPIError, budget: float | None) -> str:
        """One line saying why a statement on a table failed, for the Unreadable status."""
        if self.is_permission_denied(exc):
            return "permission denied"
        if self.is_timeout(exc):
            reason = f"timed out after {budget:g} s" if budget else "timed out"
            return f"{reason} waiting for a lock" if self.is_lock_wait(exc) else reason
        first = str(exc.orig).strip().splitlines()
        return first[0] if first else type(exc.orig).__name__

    # -- What writing needs beyond the model (see dialects.catalog.PhysicalTable) --------------------------

    def domains(
        self, conn: Connection, schema: str | None
    ) -> dict[str, tuple[list[tuple[str | None, str]], bool, str]]:
        """Domain name -> (its CHECKs, whether it is NOT NULL, its base type as the server writes it);
        engines without domains have none."""
        return {}

    def exclusion_constraints(self, conn: Connection, schema: str | None) -> dict[str, list[tuple[str, str]]]:
        """Exclusion constraints by table: (name, definition)."""
        return {}

    def partition_layout(self, conn: Connection, schema: str | None) -> PartitionLayout:
        """Range bounds of partitioned tables and which tables have inheritance children."""
        return PartitionLayout()

    def column_checks(self, conn: Connection, schema: str | None) -> dict[str, list[tuple[str | None, str]]]:
        """CHECKs by table that SQLAlchemy's inspection misses."""
        return {}

    def column_uniques(
        self, conn: Connection, schema: str | None, tables: Sequence[str]
    ) -> dict[str, list[tuple[str, ...]]]:
        """Unique keys by table that SQLAlchemy's inspection misses."""
        return {}

    def table_options(self, conn: Connection, schema: str | None) -> dict[str, dict[str, bool]]:
        """Per-table storage options that change how rows are written (SQLite ``WITHOUT ROWID``...)."""
        return {}

    def schema_names(self, conn: Connection) -> list[str]:
        return [str(n) for n in inspect(conn).get_schema_names()]

    def has_table(self, conn: Connection, name: str, schema: str | None = None) -> bool:
        return bool(inspect(conn).has_table(name, schema=schema))

    def column_names(self, conn: Connection, name: str, schema: str | None = None) -> list[str]:
        return [str(c["name"]) for c in inspect(conn).get_columns(name, schema=schema)]

    def primary_key_of(self, conn: Connection, name: str, schema: str | None = None) -> list[str]:
        """The table's primary key columns (empty when it has none or cannot be read)."""
        try:
            found = inspect(conn).get_pk_constraint(name, schema=schema)
        except DBAPIError:
            return []
        return [str(c) for c in found.get("constrained_columns") or []]

    # -- Whole databases (``verify``'s scratch databases) --------------------------------------------------

    #: The server holds databases that a statement creates and drops.
    makes_databases: ClassVar[bool] = False
    #: A database is a file (SQLite): a scratch database is a temporary file.
    database_is_a_file: ClassVar[bool] = False
    #: Schemas live inside one database (PostgreSQL); elsewhere a schema is a database of its own.
    schemas_inside_database: ClassVar[bool] = False

    def create_database(self, conn: Connection, name: str) -> None:
        raise NotImplementedError

    def drop_database(self, conn: Connection, name: str) -> None:
        raise NotImplementedError

    def database_names(self, conn: Connection) -> set[str]:
        raise NotImplementedError

    def table_names(self, conn: Connection, schema: str | None) -> list[str]:
        return [str(n) for n in inspect(conn).get_table_names(schema=schema)]

    def column_type_names(self, conn: Connection, table: TableLike) -> dict[str, str]:
        """Each column's type as the server writes it, where a cast needs it (a domain's base type)."""
        return {}

    def cumulative_statistics(self, conn: Connection) -> dict[tuple[str, str], tuple[int, int, int]]:
        """Rows inserted, updated and deleted per table since the statistics began, where the server keeps
        such counts (``(schema, name)`` -> counts); none elsewhere."""
        return {}

    # == Writing (seed and purge) ==========================================================================
    batch_rows = 500
    #: Bound parameters one statement may carry (SQLite's default limit is 999).
    parameter_budget: ClassVar[int] = 20_000
    #: UUID columns take ``uuid.UUID`` values (PostgreSQL); elsewhere they hold text.
    native_uuid: ClassVar[bool] = False
    #: A column without a declared type takes any value (SQLite's BLOB affinity).
    untyped_columns_take_anything: ClassVar[bool] = False
    #: A fixed-length CHAR(n) value is matched by LIKE and regular expressions with its trailing blanks
    #: (PostgreSQL's bpchar): a CHECK's pattern must match the value padded to n.
    pads_fixed_char_in_patterns: ClassVar[bool] = False
    #: A VALUES list can name and type its columns (PostgreSQL); elsewhere candidate rows are one-row
    #: SELECTs joined by UNION ALL.
    typed_values_lists: ClassVar[bool] = False
    #: DDL ends the transaction (MySQL): the ledger is made before the run's transaction, or temporary.
    ddl_commits: ClassVar[bool] = False
    #: A large table is loaded as one statement fed in chunks (PostgreSQL COPY): it fails whole, no savepoint
    #: is needed to find the row, and generation overlaps with the server's loading.
    streams_bulk_load: ClassVar[bool] = False
    #: An INSERT returns the keys of many new rows, and takes its rows from a UNION ALL of tables, in one
    #: statement (PostgreSQL): the ledger of many tables is written in two statements.
    batches_ledger: ClassVar[bool] = False
    #: Every foreign key can be deferred to the commit (SQLite ``PRAGMA defer_foreign_keys``).
    defers_every_foreign_key: ClassVar[bool] = False
    #: Keys declared DEFERRABLE can be deferred to the commit (PostgreSQL ``SET CONSTRAINTS ALL DEFERRED``).
    defers_deferrable_keys: ClassVar[bool] = False
    #: Rows of a foreign-key cycle can be inserted or deleted in one statement (PostgreSQL data-modifying
    #: CTEs): the checks run at its end.
    one_statement_cycles: ClassVar[bool] = False
    #: Foreign-key checks can be switched off for the session inside the transaction (MySQL and MariaDB
    #: ``foreign_key_checks``): a cycle with no nullable key is written unchecked, then every key of the
    #: rows is verified by a query before the savepoint is kept.
    suspends_foreign_key_checks: ClassVar[bool] = False
    #: Isolation of seed and purge transactions: every statement sees the latest committed rows (a purge's
    #: reference check must see a real row committed a moment ago); ``None`` keeps the engine's own.
    write_isolation_level: ClassVar[str | None] = "READ COMMITTED"
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

    def check_at_statement_end(self, conn: Connection) -> None:
        """Make constraints declared ``INITIALLY DEFERRED`` run at the end of each statement of this
        transaction, where a savepoint can take back the table that broke one, instead of at the commit."""

    def check_deferred_keys(self, conn: Connection, tables: Sequence[TableLike]) -> str | None:
        """Run the deferred foreign-key checks of ``tables`` now; what is wrong, or ``None``."""
        return None

    def column_sample(
        self, conn: Connection, table: TableLike, column: str, limit: int = SAMPLE_LIMIT
    ) -> ColumnSample:
        """What a column of a populated table holds, read cheaply: here a bounded sample of its non-NULL
        values (the first ``limit`` the engine returns, no sort, no full scan)."""
        col = table.sa.c[column]
        stmt = table.restrict(select(col).where(col.is_not(None)).limit(limit))
        return ColumnSample(values=[row[0] for row in conn.execute(stmt)])

    @contextmanager
    def foreign_key_checks_off(self, conn: Connection) -> Iterator[None]:
        """Foreign keys unchecked inside the block, checked again after it (also when it raises)."""
        raise SeedError("this database cannot switch foreign-key checks off")
        yield  # pragma: no cover - a generator for contextmanager

    def allocate_ids(self, conn: Connection, table: TableLike, column: str, count: int) -> list[int]:
        """``count`` new values for an integer key the database normally numbers."""
        current = conn.execute(select(func.max(table.sa.c[column]))).scalar()
        start = int(current) + 1 if current is not None else 1
        return list(range(start, start + count))

    def prefetch_ids(
        self, conn: Connection, wanted: Sequence[tuple[TableLike, str, int]]
    ) -> dict[tuple[str, str], list[int]]:
        """New numbers for many ``(table, column, count)`` at once, where the database can; else nothing."""
        return {}

    def insert_rows(
        self, conn: Connection, table: TableLike, columns: Sequence[str], rows: list[tuple[Any, ...]]
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
        table: TableLike,
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
        table: TableLike,
        columns: Sequence[str],
        chunks: Iterable[list[list[Any]]],
    ) -> None:
        """Insert rows that arrive in chunks, each a list of column values (PostgreSQL: one COPY)."""
        for chunk in chunks:
            self.insert_rows(conn, table, columns, list(zip(*chunk, strict=True)))

    def insert_together(
        self, conn: Connection, parts: list[tuple[TableLike, Sequence[str], list[tuple[Any, ...]]]]
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

    def begin_session(self, conn: Connection) -> None:
        """Settings of the run's transaction: lock waits end after :attr:`lock_timeout`, and values print
        the same way in every session (the ledger compares the text forms the server gives)."""

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

    def key_text(self, column: Any, spec: ColumnLike) -> ColumnElement[Any]:
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

    def value_equal(self, column: Any, spec: ColumnLike, value: Any) -> ColumnElement[bool]:
        """``column`` holds ``value`` (a value the seeder inserted), NULL equal to NULL."""
        if value is None:
            return column.is_(None)  # type: ignore[no-any-return]
        return column == bindparam(None, value, type_=column.type)  # type: ignore[no-any-return]

    def rows_equal(
        self, table: TableLike, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
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
        self, column: Any, spec: ColumnLike, item: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        """A comparison of ``column`` with a ledger text that an index on ``column`` can serve, when the
        dialect has one that is never false for the row the text came from (it narrows; the exact
        comparison of texts decides)."""
        return None

    # -- Purge -----------------------------------------------------------------------------------------

    def references_to(self, conn: Connection, tables: Sequence[tuple[str, str]]) -> list[Reference]:
        """Every foreign key in the whole database (any schema) that refers to one of ``tables``."""
        raise NotImplementedError

    def lock_rows(self, conn: Connection, stmt: Any, table: TableLike) -> int:
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
        table: TableLike,
        row_text: ColumnElement[Any],
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
                row_text.label("rk"),
                func.row_number().over(partition_by=row_text).label("pos"),
            )
            .select_from(table.sa)
            .where(row_text.in_(select(wanted.c.rk)))
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
        """Tables of ``names`` (``(schema, name)``) whose rows row-level security hides from this role, with
        the reason: the rule of :meth:`rows_hidden`, asked once per schema."""
        hidden: dict[tuple[str, str], str] = {}
        wanted = set(names)
        for schema in sorted({s for s, _n in wanted}):
            for name, why in self.rows_hidden(conn, schema).items():
                if (schema, name) in wanted:
                    hidden[(schema, name)] = why
        return hidden

    # -- Side effects ------------------------------------------------------------------------------------

    def tables_with_triggers(
        self, conn: Connection, tables: Sequence[TableLike], event_name: str
    ) -> set[str]:
        """Keys of ``tables`` on which ``event_name`` (INSERT or DELETE) can run more than the statement
        itself: triggers, rules, conflict clauses that replace rows."""
        return set()

    def insert_trigger_bodies(self, conn: Connection, tables: Sequence[TableLike]) -> list[tuple[str, str]]:
        """``(table key, body)`` of every enabled INSERT trigger on ``tables``: the statement or the
        function the trigger runs, as the catalog holds it."""
        return []

    def insert_trigger_targets(
        self, conn: Connection, tables: Sequence[TableLike]
    ) -> dict[str, set[tuple[str | None, str]]]:
        """Table key -> the tables its INSERT triggers insert into, as ``(schema or None, name)``.

        Read from the trigger's text (``INSERT INTO name``): a hint for the insert order (the table a
        trigger fills comes after the trigger's own table), never taken for what the trigger did, which
        the transaction's own counters tell.
        """
        out: dict[str, set[tuple[str | None, str]]] = {}
        for key, body in self.insert_trigger_bodies(conn, tables):
            for match in _INSERT_INTO.finditer(_without_comments(body)):
                parts = [p.strip().strip('`"[]') for p in match.group(1).split(".")]
                out.setdefault(key, set()).add((parts[-2] if len(parts) > 1 else None, parts[-1]))
        return out

    def effect_counters(self, conn: Connection, watch: Sequence[TableLike]) -> Any:
        """Counters of this transaction's writes, to compare before and after a statement."""
        raise NotImplementedError

    def effects_between(
        self, conn: Connection, before: Any, after: Any, watch: Sequence[TableLike]
    ) -> Effects:
        """What the transaction wrote between two :meth:`effect_counters` (per table where it can tell)."""
        raise NotImplementedError

    def new_rows_since(self, conn: Connection, before: Any, table: TableLike) -> ColumnElement[bool] | None:
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


_NAME = r'(?:`[^`]+`|"[^"]+"|\[[^\]]+\]|[\w$]+)'
#: ``INSERT [IGNORE | OR REPLACE ...] INTO [schema.]name`` and MySQL's ``REPLACE INTO``.
_INSERT_INTO = re.compile(
    rf"\b(?:INSERT|REPLACE)\s+(?:(?:IGNORE|LOW_PRIORITY|DELAYED|HIGH_PRIORITY|OR\s+\w+)\s+)*INTO\s+"
    rf"({_NAME}(?:\s*\.\s*{_NAME})?)",
    re.IGNORECASE,
)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def _without_comments(sql: str) -> str:
    return _COMMENTS.sub(" ", sql)
