"""The ledger: a bookkeeping table listing every row a seed run inserted.

``dbaudit_ledger`` is created on first use (``report`` lists ``dbaudit_*`` tables as system meta).  One row
per inserted row: the run id, the table, the row's key as JSON and how the row is marked.  Purge deletes a row
only when the ledger lists it *and* (where the table has a marker) the row still carries the mark; the ledger
table is dropped again when a purge leaves it empty.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    insert,
    inspect,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from dbaudit.seed.dialects import SeedDialect, jsonable
from dbaudit.seed.schema import LEDGER_TABLE, SeedTable


def ledger_table(schema: str | None) -> Table:
    metadata = MetaData()
    return Table(
        LEDGER_TABLE,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", String(40), nullable=False),
        Column("table_schema", String(255), nullable=True),
        Column("table_name", String(255), nullable=False),
        Column("row_key", Text, nullable=False),
        Column("marker", String(300), nullable=False),
        Column("created_at", String(32), nullable=False),
        schema=schema,
    )


def ledger_exists(conn: Connection, schema: str | None) -> bool:
    return bool(inspect(conn).has_table(LEDGER_TABLE, schema=schema))


def ensure_ledger(conn: Connection, schema: str | None) -> Table:
    table = ledger_table(schema)
    table.create(conn, checkfirst=True)
    return table


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    run_id: str
    table_schema: str | None
    table_name: str
    key: dict[str, Any]
    marker: str


LEDGER_COLUMNS = ["run_id", "table_schema", "table_name", "row_key", "marker", "created_at"]


@dataclass
class LedgerBook:
    """The ledger rows of one run, collected table by table and written at the end in one or two statements.

    Same transaction as the inserts, so a failed or killed run leaves no ledger row either.  Integer keys
    numbered contiguously (from a sequence) are kept as ranges, which the server expands
    (``generate_series``); every other key becomes one text row, sent with one bulk insert (COPY on
    PostgreSQL).
    """

    run_id: str
    now: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    ranges: list[tuple[str | None, str, str, str, int, int]] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def add(
        self,
        dialect: SeedDialect,
        table: SeedTable,
        key_columns: Sequence[str],
        keys: Iterable[tuple[Any, ...]],
        marker: str,
    ) -> int:
        """Note one ledger row per key; returns how many."""
        keys = list(keys)
        if not keys:
            return 0
        names = [json.dumps(c) for c in key_columns]
        if dialect.name == "postgresql" and len(names) == 1:
            numbers = [k[0] for k in keys]
            if all(type(k) is int for k in numbers):
                low, high = min(numbers), max(numbers)
                if high - low + 1 == len(numbers) and len(set(numbers)) == len(numbers):
                    self.ranges.append((table.schema, table.name, "{" + names[0] + ": ", marker, low, high))
                    return len(numbers)
        head = (self.run_id, table.schema, table.name)
        if len(names) == 1:
            prefix = "{" + names[0] + ": "
            for (value,) in keys:
                text = str(value) if type(value) is int else json.dumps(jsonable(value))
                self.rows.append((*head, prefix + text + "}", marker, self.now))
        else:
            for key in keys:
                body = ", ".join(f"{n}: {json.dumps(jsonable(v))}" for n, v in zip(names, key, strict=True))
                self.rows.append((*head, "{" + body + "}", marker, self.now))
        return len(keys)

    def write(self, conn: Connection, dialect: SeedDialect, ledger: Table) -> None:
        """Write everything noted so far (the ranges in one statement, the other rows in one bulk insert)."""
        if self.ranges:
            columns = list(zip(*self.ranges, strict=True))
            spans = (
                func.unnest(
                    cast(list(columns[0]), ARRAY(String)),
                    cast(list(columns[1]), ARRAY(String)),
                    cast(list(columns[2]), ARRAY(Text)),
                    cast(list(columns[3]), ARRAY(String)),
                    cast(list(columns[4]), ARRAY(BigInteger)),
                    cast(list(columns[5]), ARRAY(BigInteger)),
                )
                .table_valued("s", "n", "p", "m", "lo", "hi")
                .render_derived(name="spans")
            )
            keys = select(
                spans.c.s,
                spans.c.n,
                spans.c.p,
                spans.c.m,
                func.generate_series(spans.c.lo, spans.c.hi, type_=BigInteger).label("k"),
            ).subquery("keys")
            source = select(
                literal(self.run_id, String()),
                keys.c.s,
                keys.c.n,
                keys.c.p + cast(keys.c.k, Text) + literal("}", Text()),
                keys.c.m,
                literal(self.now, String()),
            )
            conn.execute(insert(ledger).from_select(LEDGER_COLUMNS, source))
            self.ranges = []
        if self.rows:
            dialect.insert_rows(conn, _ledger_seed_table(ledger), LEDGER_COLUMNS, self.rows)
            self.rows = []


def _ledger_seed_table(ledger: Table) -> SeedTable:
    from dbaudit.seed.constraints import CheckRules
    from dbaudit.seed.values import ColumnSpec

    specs = {c.name: ColumnSpec(name=c.name, kind="int" if c.name == "id" else "str") for c in ledger.columns}
    return SeedTable(
        key=ledger.key,
        name=ledger.name,
        schema=ledger.schema,
        sa=ledger,
        columns=specs,
        primary_key=("id",),
        uniques=[],
        foreign_keys=[],
        rules=CheckRules(),
    )


def entries(
    conn: Connection,
    ledger: Table,
    tables: Sequence[tuple[str | None, str]] | None = None,
    run_id: str | None = None,
) -> list[LedgerEntry]:
    stmt = select(ledger).order_by(ledger.c.id)
    if run_id:
        stmt = stmt.where(ledger.c.run_id == run_id)
    out = []
    wanted = {name for _schema, name in tables} if tables else None
    for row in conn.execute(stmt):
        if wanted is not None and row.table_name not in wanted:
            continue
        out.append(
            LedgerEntry(
                row.id, row.run_id, row.table_schema, row.table_name, json.loads(row.row_key), row.marker
            )
        )
    return out


def forget(conn: Connection, ledger: Table, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), 1000):
        conn.execute(delete(ledger).where(ledger.c.id.in_(ids[start : start + 1000])))


def remaining(conn: Connection, ledger: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(ledger)).scalar() or 0)
