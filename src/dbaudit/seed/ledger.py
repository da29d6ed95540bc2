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
from dataclasses import dataclass
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


def record(
    conn: Connection,
    dialect: SeedDialect,
    ledger: Table,
    run_id: str,
    table: SeedTable,
    key_columns: Sequence[str],
    keys: Iterable[tuple[Any, ...]],
    marker: str,
) -> int:
    """Write one ledger row per key; returns how many."""
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    keys = list(keys)
    if dialect.name == "postgresql" and len(key_columns) == 1 and all(type(k[0]) is int for k in keys):
        # One integer key per row: send the keys as one array and let the server build the ledger rows.
        numbers = [k[0] for k in keys]
        low, high = (min(numbers), max(numbers)) if numbers else (0, -1)
        if high - low + 1 == len(numbers) and len(set(numbers)) == len(numbers):
            value = func.generate_series(low, high).column_valued("k")  # keys from a sequence: a range
        else:
            value = func.unnest(cast(numbers, ARRAY(BigInteger))).column_valued("k")
        prefix = "{" + json.dumps(key_columns[0]) + ": "
        source = select(
            literal(run_id, String()),
            literal(table.schema, String()),
            literal(table.name, String()),
            literal(prefix, Text()) + cast(value, Text) + literal("}", Text()),
            literal(marker, String()),
            literal(now, String()),
        )
        columns = ["run_id", "table_schema", "table_name", "row_key", "marker", "created_at"]
        conn.execute(insert(ledger).from_select(columns, source))
        return len(keys)
    names = [json.dumps(c) for c in key_columns]
    head = (run_id, table.schema, table.name)
    rows = []
    if len(names) == 1:
        prefix = "{" + names[0] + ": "
        for (value,) in keys:
            text = str(value) if type(value) is int else json.dumps(jsonable(value))
            rows.append((*head, prefix + text + "}", marker, now))
    else:
        for key in keys:
            body = ", ".join(f"{n}: {json.dumps(jsonable(v))}" for n, v in zip(names, key, strict=True))
            rows.append((*head, "{" + body + "}", marker, now))
    ledger_seed = _ledger_seed_table(ledger)
    dialect.insert_rows(
        conn, ledger_seed, ["run_id", "table_schema", "table_name", "row_key", "marker", "created_at"], rows
    )
    return len(rows)


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
