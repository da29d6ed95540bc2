"""Foreign keys verified by a query: rows whose key points at no row of the parent.

Where the server cannot defer a cycle's keys, dbaudit writes the cycle with the checks switched off (MySQL and
MariaDB ``foreign_key_checks``) and must then prove the keys itself before keeping the rows.  The orphans of
every foreign key involved are counted before and after the writes, in the same transaction: only dbaudit
wrote in between, so any new orphan is one of its rows (or left behind by one of its deletes), and rows that
were orphans before (loaded unchecked by someone else) are not blamed on it.  A key with a NULL column is not
checked, as the server does not check it (``MATCH SIMPLE``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from dbaudit.seed.schema import ForeignKeyInfo, SeedSchema, SeedTable

#: (child table key, index of the foreign key in ``SeedTable.foreign_keys``) -> orphan rows.
Counts = dict[tuple[str, int], int]


def keys_of(schema: SeedSchema, tables: Iterable[str], *, referring: bool = False) -> list[tuple[str, int]]:
    """The foreign keys of ``tables``; with ``referring``, also every key that points into them."""
    wanted = set(tables)
    out = []
    for table in sorted(schema.tables.values(), key=lambda t: t.key):
        for index, fk in enumerate(table.foreign_keys):
            if fk.parent not in schema.tables:
                continue
            if table.key in wanted or (referring and fk.parent in wanted):
                out.append((table.key, index))
    return out


def count_orphans(conn: Connection, schema: SeedSchema, keys: Iterable[tuple[str, int]]) -> Counts:
    return {(key, index): _count(conn, schema, schema.tables[key], index) for key, index in keys}


def new_orphans(conn: Connection, schema: SeedSchema, before: Counts) -> str | None:
    """What is wrong now that was not before (the first key with more orphans), or ``None``."""
    for (key, index), was in sorted(before.items()):
        table = schema.tables[key]
        now = _count(conn, schema, table, index)
        if now > was:
            fk = table.foreign_keys[index]
            parent = schema.tables[fk.parent]
            sample = _sample(conn, schema, table, fk)
            return (
                f"{now - was} row(s) of {table.name} refer to no row of {parent.name} "
                f"({', '.join(fk.columns)}{f' = {sample}' if sample else ''})"
            )
    return None


def _orphan_condition(schema: SeedSchema, table: SeedTable, fk: ForeignKeyInfo) -> ColumnElement[bool]:
    parent = schema.tables[fk.parent].sa.alias("dbaudit_parent")  # an alias: a key may refer to its own table
    child_columns = [table.sa.c[c] for c in fk.columns]
    parent_columns = [parent.c[c] for c in fk.referred]
    match = and_(*(p == c for p, c in zip(parent_columns, child_columns, strict=True)))
    present = exists(select(literal(1)).select_from(parent).where(match))
    return and_(*(c.is_not(None) for c in child_columns), ~present)


def _count(conn: Connection, schema: SeedSchema, table: SeedTable, index: int) -> int:
    fk = table.foreign_keys[index]
    stmt = select(func.count()).select_from(table.sa).where(_orphan_condition(schema, table, fk))
    return int(conn.execute(table.restrict(stmt)).scalar() or 0)


def _sample(conn: Connection, schema: SeedSchema, table: SeedTable, fk: ForeignKeyInfo) -> str:
    columns = [table.sa.c[c] for c in fk.columns]
    stmt = select(*columns).where(_orphan_condition(schema, table, fk)).limit(1)
    row = conn.execute(table.restrict(stmt)).first()
    return "" if row is None else ", ".join(repr(v) for v in row)
