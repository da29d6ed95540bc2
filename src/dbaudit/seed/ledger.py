"""The ledger: which rows each seed run inserted, recorded as the server stores them.

Two bookkeeping tables in the connection's default schema (one ledger per database, whatever ``--schema``
options a run gets; ``report`` lists ``dbaudit_*`` tables as system meta):

- ``dbaudit_ledger_tables``: one row per (run, table): the table's schema-qualified name and its *identity*
  as the server knows it (PostgreSQL OID, MariaDB table id, SQLite root page and definition), how its rows are
  marked, which columns identify a row and how they are recorded;
- ``dbaudit_ledger``: the rows, as integer key ranges (``key_lo``..``key_hi``) for a single integer key, else
  as JSON arrays of the key columns' *server* text (``row_key``), read back from the table after the insert so
  padding, floats and booleans compare exactly; ``row_text`` holds the text of every column of a row of a
  table without a mark, so purge can tell a mock row from a real row that reused its key.

Both are written in the seeding transaction (a failed or killed run leaves no ledger row) and created only
when a run inserts something; a purge that empties them drops them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy import table as sql_table
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from dbaudit.dialects import Dialect
from dbaudit.errors import SeedError
from dbaudit.seed.schema import LEDGER_TABLE, LEDGER_TABLES, SeedTable

ROW_KEY_CHUNK = 2_000
"""Keys sent per statement when rows are read back into the ledger."""


def _id_type() -> Any:
    # SQLite numbers a table's rows itself only for an ``INTEGER PRIMARY KEY``; elsewhere ids may grow big.
    return BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class LedgerTables:
    """The two ledger tables of one database (SQLAlchemy ``Table`` objects, not reflected)."""

    sets: Table
    rows: Table

    @property
    def schema(self) -> str | None:
        return self.sets.schema


def ledger_tables(schema: str | None, *, temporary: bool = False) -> LedgerTables:
    metadata = MetaData()
    prefixes = ["TEMPORARY"] if temporary else []
    sets = Table(
        LEDGER_TABLES,
        metadata,
        Column("id", _id_type(), primary_key=True, autoincrement=True),
        Column("run_id", String(40), nullable=False),
        Column("table_schema", String(255), nullable=False),
        Column("table_name", String(255), nullable=False),
        Column("table_identity", Text, nullable=False),
        Column("marker", String(300), nullable=False),
        Column("key_columns", Text, nullable=False),
        Column("key_kind", String(8), nullable=False),
        Column("content_columns", Text, nullable=True),
        Column("trigger_rows", Boolean, nullable=False, default=False),
        Column("created_at", String(32), nullable=False),
        schema=schema,
        prefixes=prefixes,
    )
    rows = Table(
        LEDGER_TABLE,
        metadata,
        Column("id", _id_type(), primary_key=True, autoincrement=True),
        Column("set_id", BigInteger, nullable=False),
        Column("key_lo", BigInteger, nullable=True),
        Column("key_hi", BigInteger, nullable=True),
        Column("row_key", Text, nullable=True),
        Column("row_text", Text, nullable=True),
        # Not on a temporary ledger (a MariaDB dry run): CREATE INDEX would commit the run's transaction.
        *([] if temporary else [Index("dbaudit_ledger_set", "set_id")]),
        schema=schema,
        prefixes=prefixes,
    )
    return LedgerTables(sets, rows)


def open_ledger(conn: Connection, dialect: Dialect, schema: str | None) -> LedgerTables | None:
    """The ledger of this database, or ``None``; a ledger written by an older dbaudit is refused clearly."""
    has_sets = dialect.has_table(conn, LEDGER_TABLES, schema)
    has_rows = dialect.has_table(conn, LEDGER_TABLE, schema)
    if not has_sets and not has_rows:
        return None
    columns = set(dialect.column_names(conn, LEDGER_TABLE, schema)) if has_rows else set()
    if (has_rows and not has_sets) or (columns and "set_id" not in columns):
        raise SeedError(
            f"the ledger table {LEDGER_TABLE} was written by an earlier dbaudit version in another format",
            "purge it with the version that seeded it, or drop dbaudit_ledger once you have checked its rows",
        )
    return ledger_tables(schema)


def ensure_ledger(conn: Connection, schema: str | None, *, temporary: bool = False) -> LedgerTables:
    tables = ledger_tables(schema, temporary=temporary)
    tables.sets.create(conn, checkfirst=not temporary)
    tables.rows.create(conn, checkfirst=not temporary)
    return tables


def drop_if_empty(conn: Connection, tables: LedgerTables) -> bool:
    """Drop both ledger tables when neither holds a row; ``True`` when dropped."""
    for table in (tables.rows, tables.sets):
        if conn.execute(select(literal(1)).select_from(table).limit(1)).first() is not None:
            return False
    tables.rows.drop(conn)
    tables.sets.drop(conn)
    return True


# ----------------------------------------------------------------------------------------------------------
# What a run records


@dataclass(frozen=True)
class LedgerSet:
    """The rows one run inserted into one table, as recorded."""

    id: int
    run_id: str
    table_schema: str
    table_name: str
    identity: str
    marker: dict[str, Any]
    key_columns: tuple[str, ...]
    key_kind: str
    """``int`` (ranges of a single integer key), ``text`` (server text of the key columns) or ``rows`` (a
    table without a key: every row's full text, removed as a counted multiset)."""
    content_columns: tuple[str, ...] | None
    trigger_rows: bool

    @property
    def qualified(self) -> tuple[str, str]:
        return (self.table_schema, self.table_name)


def read_sets(conn: Connection, tables: LedgerTables, run_id: str | None = None) -> list[LedgerSet]:
    stmt = select(tables.sets).order_by(tables.sets.c.id)
    if run_id:
        stmt = stmt.where(tables.sets.c.run_id == run_id)
    out = []
    for row in conn.execute(stmt):
        try:
            out.append(
                LedgerSet(
                    id=int(row.id),
                    run_id=str(row.run_id),
                    table_schema=str(row.table_schema),
                    table_name=str(row.table_name),
                    identity=str(row.table_identity),
                    marker=dict(json.loads(row.marker)),
                    key_columns=tuple(str(c) for c in json.loads(row.key_columns)),
                    key_kind=str(row.key_kind),
                    content_columns=(
                        tuple(str(c) for c in json.loads(row.content_columns))
                        if row.content_columns
                        else None
                    ),
                    trigger_rows=bool(row.trigger_rows),
                )
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise SeedError(
                f"the ledger row {row.id} of {LEDGER_TABLES} is malformed ({exc})",
                "it was edited by hand: fix or delete that row, and check its table's mock rows yourself",
            ) from exc
        if out[-1].key_kind not in ("int", "text", "rows"):
            raise SeedError(
                f"the ledger row {row.id} of {LEDGER_TABLES} has an unknown key kind {row.key_kind!r}",
                "it was edited by hand: fix or delete that row",
            )
    return out


def int_ranges(values: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, distinct integers as inclusive ``(low, high)`` runs."""
    ranges: list[tuple[int, int]] = []
    for value in sorted(set(values)):
        if ranges and value == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], value)
        else:
            ranges.append((value, value))
    return ranges


def stored_text(
    dialect: Dialect, table: SeedTable, key_columns: Sequence[str], content_columns: Sequence[str] | None
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """What the ledger records of a row of ``table``, as the server renders it: the JSON array of its key's
    text and, for ``content_columns``, of the whole row's (else NULL); purge compares the same."""
    sa = table.sa
    key = dialect.json_array([dialect.key_text(sa.c[c], table.columns[c]) for c in key_columns])
    if content_columns is None:
        return key, literal(None, Text())
    return key, dialect.json_array([dialect.key_text(sa.c[c], table.columns[c]) for c in content_columns])


@dataclass(frozen=True)
class PendingSet:
    """One table's rows waiting to be recorded with other tables' (:meth:`LedgerWriter.record_sets`)."""

    table: SeedTable
    identity: str
    marker: dict[str, Any]
    key_columns: tuple[str, ...]
    key_kind: str
    """``int`` (ranges of the keys sent) or ``text`` (read back as stored)."""
    content_columns: tuple[str, ...] | None
    keys: Sequence[tuple[Any, ...]]
    mark: ColumnElement[bool] | None
    columns: tuple[str, ...] = ()
    values: Sequence[tuple[Any, ...]] | None = None
    """The rows still to insert (``columns``), when the table's insert goes with its ledger rows
    (``dbaudit.seed.batch``); ``None`` when they are in the table already."""


@dataclass
class LedgerWriter:
    """Records one run's rows, table by table, inside the run's transaction (and the table's savepoint)."""

    conn: Connection
    dialect: Dialect
    tables_: LedgerTables | None
    run_id: str
    ledger_schema: str | None
    temporary: bool = False
    now: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))

    @property
    def tables(self) -> LedgerTables:
        return self._ledger()

    def _ledger(self) -> LedgerTables:
        if self.tables_ is None:
            # Created with the first recorded table, so a run that inserts nothing leaves no ledger behind.
            self.tables_ = ensure_ledger(self.conn, self.ledger_schema, temporary=self.temporary)
        return self.tables_

    def open_set(
        self,
        table: SeedTable,
        identity: str,
        marker: dict[str, Any],
        key_columns: Sequence[str],
        key_kind: str,
        content_columns: Sequence[str] | None,
        *,
        trigger_rows: bool = False,
    ) -> int:
        ledger = self._ledger()
        values = self.set_values(
            table, identity, marker, key_columns, key_kind, content_columns, trigger_rows
        )
        result = self.conn.execute(insert(ledger.sets).values(values))
        key = result.inserted_primary_key
        if key is None or key[0] is None:  # pragma: no cover - every supported driver returns it
            raise SeedError("the ledger did not return the id of its new row")
        return int(key[0])

    def set_values(
        self,
        table: SeedTable,
        identity: str,
        marker: dict[str, Any],
        key_columns: Sequence[str],
        key_kind: str,
        content_columns: Sequence[str] | None,
        trigger_rows: bool,
    ) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "table_schema": table.qualified[0],
            "table_name": table.name,
            "table_identity": identity,
            "marker": json.dumps(marker, sort_keys=True),
            "key_columns": json.dumps(list(key_columns)),
            "key_kind": key_kind,
            "content_columns": json.dumps(list(content_columns)) if content_columns is not None else None,
            "trigger_rows": trigger_rows,
            "created_at": self.now,
        }

    def record_sets(self, pending: Sequence[PendingSet]) -> list[tuple[int, int]]:
        """Record the rows of several tables (each once) in two or three statements: their sets, returning
        the new ids, then every row (``text``: read back from the tables as stored, in one INSERT from a
        UNION ALL; ``int``: the key ranges).  Returns ``(set id, rows recorded)`` per entry, in order.

        Only where the dialect ``batches_ledger``; the caller compares the counts with what it inserted.
        """
        ledger = self._ledger()
        sets, rows = ledger.sets, ledger.rows
        values = [
            self.set_values(
                p.table, p.identity, p.marker, p.key_columns, p.key_kind, p.content_columns, False
            )
            for p in pending
        ]
        returned = self.conn.execute(
            insert(sets).values(values).returning(sets.c.id, sets.c.table_schema, sets.c.table_name)
        )
        ids = {(str(schema), str(name)): int(set_id) for set_id, schema, name in returned}
        set_ids = [ids[(p.table.qualified[0], p.table.name)] for p in pending]
        found: dict[int, int] = {}
        ranges: list[dict[str, Any]] = []
        sources: list[Any] = []
        for entry, set_id in zip(pending, set_ids, strict=True):
            if entry.key_kind == "int":
                runs = int_ranges(k[0] for k in entry.keys)
                ranges += [{"set_id": set_id, "key_lo": lo, "key_hi": hi} for lo, hi in runs]
                found[set_id] = sum(hi - lo + 1 for lo, hi in runs)
            else:
                sources.append(
                    self._read_back(
                        set_id, entry.table, entry.key_columns, entry.keys, entry.content_columns, entry.mark
                    )
                )
        if ranges:
            self.conn.execute(insert(rows), ranges)
        if sources:
            union: Any = sources[0] if len(sources) == 1 else union_all(*sources)
            written = (
                insert(rows)
                .from_select(["set_id", "row_key", "row_text"], union)
                .returning(rows.c.set_id)
                .cte("written")
            )
            counted = select(written.c.set_id, func.count()).group_by(written.c.set_id)
            for set_id, count in self.conn.execute(counted):
                found[int(set_id)] = int(count)
        return [(set_id, found.get(set_id, 0)) for set_id in set_ids]

    def _read_back(
        self,
        set_id: int,
        table: SeedTable,
        key_columns: Sequence[str],
        keys: Sequence[tuple[Any, ...]],
        content_columns: Sequence[str] | None,
        mark: ColumnElement[bool] | None,
    ) -> Any:
        """The ledger rows of ``keys`` (at most ``ROW_KEY_CHUNK``) as ``table`` stores them: set id, the
        server's text of the key and, for ``content_columns``, of the whole row; only rows with ``mark``."""
        key_text, content = stored_text(self.dialect, table, key_columns, content_columns)
        match = self.dialect.rows_equal(table, key_columns, keys)
        source = select(literal(set_id, BigInteger()), key_text, content).select_from(table.sa).where(match)
        if mark is not None:
            source = source.where(mark)
        return table.restrict(source)

    def holds(self, table: SeedTable) -> bool:
        """Whether this run has recorded rows of ``table`` (read from the ledger: a savepoint rolled back
        takes its records with it)."""
        if self.tables_ is None:
            return False
        sets = self.tables_.sets
        found = select(sets.c.id).where(
            sets.c.run_id == self.run_id,
            sets.c.table_schema == table.qualified[0],
            sets.c.table_name == table.name,
        )
        return self.conn.execute(found.limit(1)).first() is not None

    def add_ranges(self, set_id: int, values: Iterable[int]) -> int:
        rows = [{"set_id": set_id, "key_lo": lo, "key_hi": hi} for lo, hi in int_ranges(values)]
        for start in range(0, len(rows), 5_000):
            self.conn.execute(insert(self._ledger().rows), rows[start : start + 5_000])
        return sum(r["key_hi"] - r["key_lo"] + 1 for r in rows)

    def copy_rows(
        self,
        set_id: int,
        table: SeedTable,
        key_columns: Sequence[str],
        keys: Sequence[tuple[Any, ...]],
        content_columns: Sequence[str] | None,
        mark: ColumnElement[bool] | None,
    ) -> int:
        """Read the rows with ``keys`` back from ``table`` into the ledger, as the server stores them.

        The server renders each key (and, for ``content_columns``, the whole row) as text itself, so the
        ledger holds exactly what a later comparison on the server will see.  Returns how many rows were
        found, which the caller checks against how many were inserted.
        """
        ledger = self._ledger()
        found = 0
        for start in range(0, len(keys), ROW_KEY_CHUNK):
            chunk = keys[start : start + ROW_KEY_CHUNK]
            source = self._read_back(set_id, table, key_columns, chunk, content_columns, mark)
            result = self.conn.execute(
                insert(ledger.rows).from_select(["set_id", "row_key", "row_text"], source)
            )
            found += result.rowcount or 0
        return found

    def add_multiset(
        self,
        set_id: int,
        table: SeedTable,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        mark: ColumnElement[bool] | None = None,
    ) -> int:
        """A table without a key: one ledger row per inserted row, holding the row's server text.

        Equal rows are indistinguishable, so each distinct row is read back once (the first stored row equal
        to it) and recorded as many times as it was inserted; purge removes at most that many.
        """
        dialect = self.dialect
        sa = table.sa
        text = dialect.json_array([dialect.key_text(sa.c[c], table.columns[c]) for c in columns])
        copies: dict[tuple[Any, ...], int] = {}
        for row in rows:
            marker = tuple(json.dumps(v, sort_keys=True, default=str) for v in row)
            copies[marker] = copies.get(marker, 0) + 1
        firsts: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for row in rows:
            firsts.setdefault(tuple(json.dumps(v, sort_keys=True, default=str) for v in row), row)
        recorded = 0
        entries: list[dict[str, Any]] = []
        for marker, row in firsts.items():
            stmt = select(text).select_from(sa).where(dialect.rows_equal(table, columns, [row])).limit(1)
            if mark is not None:
                stmt = stmt.where(mark)
            stored = self.conn.execute(table.restrict(stmt)).scalar()
            if stored is None:
                continue
            entries += [{"set_id": set_id, "row_key": stored}] * copies[marker]
            recorded += copies[marker]
        for start in range(0, len(entries), 5_000):
            self.conn.execute(insert(self._ledger().rows), entries[start : start + 5_000])
        return recorded

    def copy_where(
        self,
        set_id: int,
        table: SeedTable,
        key_columns: Sequence[str],
        content_columns: Sequence[str] | None,
        where: ColumnElement[bool],
    ) -> int:
        """Record every row of ``table`` that ``where`` selects (rows a trigger inserted), as stored."""
        key_text, content = stored_text(self.dialect, table, key_columns, content_columns)
        source = select(literal(set_id, BigInteger()), key_text, content).select_from(table.sa).where(where)
        result = self.conn.execute(
            insert(self._ledger().rows).from_select(["set_id", "row_key", "row_text"], table.restrict(source))
        )
        return int(result.rowcount or 0)

    def discard_set(self, set_id: int) -> None:
        ledger = self._ledger()
        self.conn.execute(delete(ledger.rows).where(ledger.rows.c.set_id == set_id))
        self.conn.execute(delete(ledger.sets).where(ledger.sets.c.id == set_id))

    @property
    def created(self) -> bool:
        return self.tables_ is not None


# ----------------------------------------------------------------------------------------------------------
# Matching ledger rows against a table, on the server


def key_match(
    dialect: Dialect,
    table: SeedTable,
    entry: Any,
    kind: str,
    key_columns: Sequence[str],
    source: Any = None,
) -> ColumnElement[bool]:
    """``table``'s row (in ``source``, the table or an alias of it) is the one ``entry`` (the ledger rows, or
    an alias of them) records, by its key."""
    sa = source if source is not None else table.sa
    if kind == "int":
        column = sa.c[key_columns[0]]
        return and_(column >= entry.c.key_lo, column <= entry.c.key_hi)
    parts: list[ColumnElement[bool]] = []
    for index, name in enumerate(key_columns):
        item = dialect.json_item(entry.c.row_key, index)
        spec = table.columns[name]
        parts.append(dialect.key_text(sa.c[name], spec).is_not_distinct_from(item))
        hint = dialect.indexable_equal(sa.c[name], spec, item)
        if hint is not None:
            parts.append(hint)
    return and_(*parts)


def content_match(
    dialect: Dialect,
    table: SeedTable,
    entry: Any,
    columns: Sequence[str],
    source: Any = None,
    released: Collection[str] = (),
) -> ColumnElement[bool]:
    """Every column of ``table``'s row still holds the text the ledger recorded for it.

    ``released``: foreign-key columns the purge itself set to NULL (a self-reference or a cycle let go before
    the delete): NULL there stands for the recorded value, any other value must still equal it."""
    sa = source if source is not None else table.sa
    items = []
    for index, c in enumerate(columns):
        item = dialect.key_text(sa.c[c], table.columns[c])
        if c in released:
            item = case((sa.c[c].is_(None), dialect.json_item(entry.c.row_text, index)), else_=item)
        items.append(item)
    matched: ColumnElement[bool] = dialect.json_array(items) == entry.c.row_text
    return matched


def mark_condition(source: Any, marker: dict[str, Any]) -> ColumnElement[bool] | None:
    """Rows of ``source`` (a table or an alias) that carry ``marker``; ``None`` for ledger-only marking."""
    kind = marker.get("kind")
    name = str(marker.get("column"))
    if kind == "column":
        condition: ColumnElement[bool] = source.c[name] == True  # noqa: E712 - SQL, not Python truthiness
        return condition
    if kind == "prefix":
        prefixed: ColumnElement[bool] = source.c[name].startswith(str(marker["prefix"]), autoescape=True)
        return prefixed
    if kind == "totals-of":
        # a module's row of totals (FTS4's _stat) goes only when the table it counts holds no row
        counted = sql_table(
            str(marker["table"]), schema=getattr(getattr(source, "element", source), "schema", None)
        )
        empty: ColumnElement[bool] = ~select(literal(1)).select_from(counted).exists()
        return empty
    return None


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def entry_counts(conn: Connection, tables: LedgerTables, set_ids: Sequence[int]) -> int:
    """How many rows the ledger records for ``set_ids`` (a range counts every number in it)."""
    rows = tables.rows
    per_entry = func.coalesce(rows.c.key_hi - rows.c.key_lo + 1, 1)
    total = conn.execute(select(func.coalesce(func.sum(per_entry), 0)).where(rows.c.set_id.in_(set_ids)))
    return int(total.scalar() or 0)


def forget_sets(conn: Connection, tables: LedgerTables, set_ids: Sequence[int]) -> None:
    for part in chunks(list(set_ids), 500):
        conn.execute(delete(tables.rows).where(tables.rows.c.set_id.in_(part)))
        conn.execute(delete(tables.sets).where(tables.sets.c.id.in_(part)))


def forget_entries_without_row(
    conn: Connection,
    dialect: Dialect,
    tables: LedgerTables,
    table: SeedTable,
    group: Sequence[LedgerSet],
) -> int:
    """Forget the entries of ``group`` whose row is no longer in ``table``; keep the others.  Returns kept."""
    first = group[0]
    ids = [s.id for s in group]
    entry = tables.rows
    still = (
        select(literal(1))
        .select_from(table.sa)
        .where(key_match(dialect, table, entry, first.key_kind, first.key_columns))
    )
    conn.execute(delete(entry).where(entry.c.set_id.in_(ids), ~table.restrict(still).exists()))
    kept = int(
        conn.execute(select(func.count()).select_from(entry).where(entry.c.set_id.in_(ids))).scalar() or 0
    )
    left = {
        int(r[0])
        for r in conn.execute(select(entry.c.set_id).where(entry.c.set_id.in_(ids)).group_by(entry.c.set_id))
    }
    forget_sets(conn, tables, [i for i in ids if i not in left])
    return kept
