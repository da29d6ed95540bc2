"""Many small tables' rows and their ledger rows in one statement (PostgreSQL, the quick attempt of a run).

Tables without triggers or rules, empty when the run began and written in its first attempt (no savepoint
each, see ``run.py``), are inserted together with data-modifying CTEs, one ``INSERT`` per table.  Its
``RETURNING`` gives each row's key and content as the server stored them (the text the read-back of
:meth:`LedgerWriter.copy_rows` finds), recorded in the ledger by the same statement; an integer key sent is
recorded as ranges.  Each table's rows travel as one JSON parameter read into the table's own row type, every
value through its type's input function as COPY's text is (``dbaudit.dialects.pg_insert``).  Foreign
keys between the tables of one statement are checked at its end.  A statement the server refuses fails the
attempt, which then starts over table by table (``NeedsSavepoints``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Text,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy import column as sql_column
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.engine import Connection

from dbaudit.dialects import Dialect
from dbaudit.dialects.engine import ONE_OFF
from dbaudit.dialects.pg_insert import recordset, rows_source
from dbaudit.seed.ledger import LedgerWriter, PendingSet, int_ranges, stored_text

_SET_COLUMNS = (
    "run_id",
    "table_schema",
    "table_name",
    "table_identity",
    "marker",
    "key_columns",
    "key_kind",
    "content_columns",
    "trigger_rows",
    "created_at",
)


def write_batch(
    conn: Connection, dialect: Dialect, writer: LedgerWriter, entries: Sequence[PendingSet]
) -> list[tuple[int, int, int]]:
    """Insert the rows of every entry and record them in the ledger, in one statement.  Returns, per entry
    in order, ``(set id, rows inserted, rows recorded)`` (for an ``int`` key, the keys its ranges cover).
    Each table appears once: the sets are told apart by their table."""
    ledger = writer.tables
    sets_table, rows_table = ledger.sets, ledger.rows
    preparer = conn.dialect.identifier_preparer

    new_sets = [
        writer.set_values(e.table, e.identity, e.marker, e.key_columns, e.key_kind, e.content_columns, False)
        for e in entries
    ]
    set_source = recordset(preparer, sets_table, _SET_COLUMNS, json.dumps(new_sets), "dbaudit_sets")
    sets = (
        insert(sets_table)
        .from_select(list(_SET_COLUMNS), set_source)
        .returning(sets_table.c.id, sets_table.c.table_schema, sets_table.c.table_name)
        .cte("dbaudit_sets")
    )
    names = []
    stored = []
    ranges: list[dict[str, Any]] = []
    covered: dict[int, int] = {}
    empty = literal(None, Text())
    for n, entry in enumerate(entries):
        table = entry.table
        names.append({"n": n, "sch": table.qualified[0], "tbl": table.name})
        source = rows_source(preparer, table, entry.columns, entry.values or (), f"dbaudit_rows_{n}")
        if entry.key_kind == "text":
            key, content = stored_text(dialect, table, entry.key_columns, entry.content_columns)
        else:  # recorded as the ranges of the keys sent; only counted here
            runs = int_ranges(k[0] for k in entry.keys)
            ranges += [{"n": n, "lo": lo, "hi": hi} for lo, hi in runs]
            covered[n] = sum(hi - lo + 1 for lo, hi in runs)
            key, content = empty, empty
        part = (
            insert(table.sa)
            .from_select(list(entry.columns), source)
            .returning(key.label("k"), content.label("c"))
            .cte(f"dbaudit_p{n}")
        )
        stored.append(select(literal_column(str(int(n))).label("n"), part.c.k, part.c.c))
    # What each table's INSERT returned, tagged with the entry's number; the entries' numbers and tables.
    rows_out = (union_all(*stored) if len(stored) > 1 else stored[0]).cte("dbaudit_stored")
    listed = _recordset(
        "dbaudit_entries",
        names,
        sql_column("n", BigInteger()),
        sql_column("sch", Text()),
        sql_column("tbl", Text()),
    )
    own_set = and_(sets.c.table_schema == listed.c.sch, sets.c.table_name == listed.c.tbl)
    recorded_rows = (
        insert(rows_table)
        .from_select(
            ["set_id", "row_key", "row_text"],
            select(sets.c.id, rows_out.c.k, rows_out.c.c)
            .join_from(rows_out, listed, listed.c.n == rows_out.c.n)
            .join(sets, own_set)
            .where(rows_out.c.k.is_not(None)),
        )
        .returning(rows_table.c.set_id)
        .cte("dbaudit_recorded")
    )
    final_ctes = [sets, recorded_rows]
    if ranges:
        spans = _recordset(
            "dbaudit_spans",
            ranges,
            sql_column("n", BigInteger()),
            sql_column("lo", BigInteger()),
            sql_column("hi", BigInteger()),
        )
        final_ctes.append(
            insert(rows_table)
            .from_select(
                ["set_id", "key_lo", "key_hi"],
                select(sets.c.id, spans.c.lo, spans.c.hi)
                .join_from(spans, listed, listed.c.n == spans.c.n)
                .join(sets, own_set),
            )
            .returning(rows_table.c.set_id)
            .cte("dbaudit_ranges")
        )
    inserted = select(func.count()).select_from(rows_out).where(rows_out.c.n == listed.c.n).scalar_subquery()
    recorded = (
        select(func.count())
        .select_from(recorded_rows)
        .where(recorded_rows.c.set_id == sets.c.id)
        .scalar_subquery()
    )
    statement = select(listed.c.n, sets.c.id, inserted, recorded).join_from(listed, sets, own_set)
    # Data-modifying CTEs run whether or not the query reads them; named here so that each is written.
    statement = statement.add_cte(*final_ctes)
    found: dict[int, tuple[int, int, int]] = {}
    for n, set_id, inserted_count, rows_recorded in conn.execute(statement, execution_options=ONE_OFF):
        found[int(n)] = (int(set_id), int(inserted_count), covered.get(int(n), int(rows_recorded)))
    return [found.get(n, (0, 0, 0)) for n in range(len(entries))]


def _recordset(name: str, items: list[dict[str, Any]], *columns: Any) -> Any:
    """``items`` as a table (one JSON parameter, ``json_to_recordset``) with typed ``columns``."""
    return (
        func.json_to_recordset(cast(bindparam(name, json.dumps(items)), JSON))
        .table_valued(*columns, name=name)
        .render_derived(with_types=True)
    )
