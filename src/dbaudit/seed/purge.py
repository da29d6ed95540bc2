"""``dbaudit purge``: delete exactly the mock rows, children before parents.

A row is deleted only when the ledger lists it *and* it still carries its mark (``is_mock = TRUE`` or the
``MOCK:`` prefix; tables without a markable column rely on the ledger alone).  A row that carries no mark
and is not in the ledger is never touched.  Before deleting, every foreign key into the mock rows is checked:
a real row pointing at a mock row (ON DELETE CASCADE would delete it, RESTRICT would fail) makes purge refuse
and list those rows, deleting nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Table

from dbaudit.config import Settings
from dbaudit.errors import SeedError
from dbaudit.seed import ledger as ledger_mod
from dbaudit.seed.connection import connect, lock_scope, open_engine, refuse_if_protected
from dbaudit.seed.dialects import SeedDialect, from_jsonable, jsonable
from dbaudit.seed.plan import _components, _topological
from dbaudit.seed.records import BlockingReference, PurgeReport, PurgeResult
from dbaudit.seed.schema import SeedSchema, SeedTable, only, reflect_schema

CHUNK = 500
MAX_LISTED = 20


def purge(
    settings: Settings,
    *,
    tables: Sequence[str] | None = None,
    run_id: str | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Remove the mock rows (of ``tables`` / of one run, or all); nothing is committed when ``dry_run``.

    When real rows reference mock rows the report lists them in ``blocked`` and nothing is deleted.
    """
    schemas: tuple[str | None, ...] = tuple(settings.schemas) or (None,)
    ledger_schema = schemas[0]
    with open_engine(settings) as (engine, dialect), connect(engine) as conn:
        refuse_if_protected(conn, settings, schemas, "purge")
        exists = ledger_mod.ledger_exists(conn, ledger_schema)
        conn.rollback()
        if not exists:
            return PurgeReport(dry_run=dry_run)
        database = lock_scope(conn, schemas)
        ledger = ledger_mod.ledger_table(ledger_schema)
        locked = False
        try:
            with conn.begin() as transaction:
                dialect.check_writable(conn)
                dialect.acquire_lock(conn, database)
                locked = True
                schema = reflect_schema(conn, settings.schemas, settings.system_tables)
                keys = _resolve(schema, tables)
                report = purge_rows(conn, dialect, schema, ledger, tables=keys, run_id=run_id)
                if dry_run or report.blocked:
                    transaction.rollback()
                    return _with(report, dry_run=dry_run)
            dropped = False
            with conn.begin():
                if ledger_mod.remaining(conn, ledger) == 0:
                    ledger.drop(conn)
                    dropped = True
        except DBAPIError as exc:
            raise SeedError(
                f"purging failed: {dialect.describe_error(exc)}", "nothing was committed"
            ) from exc
        finally:
            if locked and dialect.name == "mysql":
                dialect.release_lock(conn, database)
    return _with(report, ledger_dropped=dropped)


def _with(report: PurgeReport, **changes: Any) -> PurgeReport:
    import dataclasses

    return dataclasses.replace(report, **changes)


def _resolve(schema: SeedSchema, tables: Sequence[str] | None) -> list[str] | None:
    if not tables:
        return None
    out = []
    for name in tables:
        table = schema.find(name)
        if table is None:
            raise SeedError(f"unknown table {name!r}", "check the name; --schema selects another schema")
        out.append(table.key)
    return out


def _marker_condition(table: SeedTable, marker: dict[str, Any]) -> ColumnElement[bool] | None:
    kind = marker.get("kind")
    column = str(marker.get("column"))
    if kind == "column" and column in table.sa.c:
        return table.sa.c[column] == True  # noqa: E712 - SQL comparison, not Python truthiness
    if kind == "prefix" and column in table.sa.c:
        return table.sa.c[column].startswith(marker["prefix"], autoescape=True)
    return None


def _key_clause(
    table: SeedTable, columns: Sequence[str], keys: Sequence[tuple[Any, ...]]
) -> ColumnElement[bool]:
    if len(columns) == 1:
        return table.sa.c[columns[0]].in_([k[0] for k in keys])
    return tuple_(*(table.sa.c[c] for c in columns)).in_(list(keys))


def purge_rows(
    conn: Connection,
    dialect: SeedDialect,
    schema: SeedSchema,
    ledger: Table,
    *,
    tables: Sequence[str] | None,
    run_id: str | None,
) -> PurgeReport:
    """Purge inside the caller's transaction; with blocking references nothing goes (caller rolls back)."""
    by_name = {(t.schema, t.name): t for t in schema.tables.values()}
    wanted = {schema.tables[k].name for k in tables} if tables else None
    found = ledger_mod.entries(conn, ledger, run_id=run_id)
    grouped: dict[tuple[str | None, str], list[ledger_mod.LedgerEntry]] = defaultdict(list)
    for entry in found:
        if wanted is None or entry.table_name in wanted:
            grouped[(entry.table_schema, entry.table_name)].append(entry)
    deletable: dict[str, list[tuple[Any, ...]]] = {}
    key_columns: dict[str, list[str]] = {}
    conditions: dict[str, ColumnElement[bool] | None] = {}
    stats: dict[str, dict[str, int]] = {}
    forget_ids: list[int] = []
    for (table_schema, name), items in sorted(grouped.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        table = by_name.get((table_schema, name))
        forget_ids.extend(e.id for e in items)
        if table is None:
            stats[name] = {"gone": len(items), "kept": 0}
            continue
        by_marker: dict[str, list[ledger_mod.LedgerEntry]] = defaultdict(list)
        for entry in items:
            by_marker[entry.marker].append(entry)
        for marker_text, marker_items in by_marker.items():
            marker = json.loads(marker_text)
            columns = list(marker_items[0].key)
            if any(c not in table.columns for c in columns):
                stats.setdefault(table.key, {"gone": 0, "kept": 0})["gone"] += len(marker_items)
                continue
            keys = [_decode(table, columns, e.key) for e in marker_items]
            condition = _marker_condition(table, marker)
            present, marked = _present_and_marked(conn, table, columns, keys, condition)
            counts = stats.setdefault(table.key, {"gone": 0, "kept": 0})
            counts["gone"] += sum(1 for k in keys if k not in present)
            counts["kept"] += sum(1 for k in keys if k in present and k not in marked)
            rows = [k for k in keys if k in marked]
            if rows:
                if table.key in key_columns and key_columns[table.key] != columns:
                    raise SeedError(
                        f"the ledger records {table.key} under two different keys", "purge per run"
                    )
                deletable.setdefault(table.key, []).extend(rows)
                key_columns[table.key] = columns
                conditions[table.key] = condition
    blocked = _blocking(conn, schema, deletable, key_columns)
    if blocked:
        return PurgeReport(blocked=tuple(blocked), runs=tuple(sorted({e.run_id for e in found})))
    deleted = _delete(conn, dialect, schema, deletable, key_columns, conditions)
    ledger_mod.forget(conn, ledger, forget_ids)
    results = []
    for key in sorted(set(stats) | set(deleted)):
        counts = stats.get(key, {"gone": 0, "kept": 0})
        results.append(
            PurgeResult(key, deleted.get(key, 0), kept_unmarked=counts["kept"], already_gone=counts["gone"])
        )
    runs = tuple(sorted({e.run_id for items in grouped.values() for e in items}))
    return PurgeReport(results=tuple(results), runs=runs)


def _decode(table: SeedTable, columns: Sequence[str], key: dict[str, Any]) -> tuple[Any, ...]:
    out = []
    for column in columns:
        spec = table.columns[column]
        out.append(from_jsonable(key[column], spec.kind, spec.uuid_as_text))
    return tuple(out)


def _normal(value: Any) -> Any:
    """Compare keys read back from the database with decoded ledger keys."""
    if type(value) in (int, str):
        return value
    return json.dumps(jsonable(value))


def _present_and_marked(
    conn: Connection,
    table: SeedTable,
    columns: Sequence[str],
    keys: list[tuple[Any, ...]],
    condition: ColumnElement[bool] | None,
) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    cols = [table.sa.c[c] for c in columns]
    normal = {tuple(_normal(v) for v in k): k for k in keys}
    present: set[tuple[Any, ...]] = set()
    marked: set[tuple[Any, ...]] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        flag = condition if condition is not None else None
        stmt = select(*cols, *([flag.label("dbaudit_marked")] if flag is not None else [])).where(
            _key_clause(table, columns, chunk)
        )
        stmt = only(stmt, table)
        for row in conn.execute(stmt):
            original = normal.get(tuple(_normal(v) for v in row[: len(cols)]))
            if original is None:
                continue
            present.add(original)
            if flag is None or row[len(cols)]:
                marked.add(original)
    return present, marked


def _referred_values(
    conn: Connection,
    parent: SeedTable,
    key_cols: Sequence[str],
    keys: list[tuple[Any, ...]],
    referred: Sequence[str],
) -> list[tuple[Any, ...]]:
    if list(referred) == list(key_cols):
        return keys
    out: list[tuple[Any, ...]] = []
    cols = [parent.sa.c[c] for c in referred]
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        stmt = only(select(*cols).where(_key_clause(parent, key_cols, chunk)), parent)
        out.extend(tuple(r) for r in conn.execute(stmt))
    return out


def _blocking(
    conn: Connection,
    schema: SeedSchema,
    deletable: dict[str, list[tuple[Any, ...]]],
    key_columns: dict[str, list[str]],
) -> list[BlockingReference]:
    blocked: list[BlockingReference] = []
    doomed = {key: {tuple(_normal(v) for v in k) for k in rows} for key, rows in deletable.items()}
    for parent_key, rows in sorted(deletable.items()):
        parent = schema.tables[parent_key]
        for child in sorted(schema.tables.values(), key=lambda t: t.key):
            if child.is_partition:
                continue  # its rows are the partitioned parent's, checked through the parent's keys
            for fk in child.foreign_keys:
                if fk.parent != parent_key:
                    continue
                values = _referred_values(conn, parent, key_columns[parent_key], rows, fk.referred)
                child_key = list(key_columns.get(child.key) or child.identity_key)
                cols = [child.sa.c[c] for c in child_key] + [child.sa.c[c] for c in fk.columns]
                for start in range(0, len(values), CHUNK):
                    chunk = values[start : start + CHUNK]
                    stmt = only(select(*cols).where(_key_clause(child, fk.columns, chunk)), child)
                    for row in conn.execute(stmt):
                        own = tuple(row[: len(child_key)])
                        if tuple(_normal(v) for v in own) in doomed.get(child.key, set()):
                            continue
                        blocked.append(
                            BlockingReference(
                                table=child.key,
                                key=_describe(child_key, own),
                                references=_target(parent.key, fk.referred, tuple(row[len(child_key) :])),
                                via=fk.name or ",".join(fk.columns),
                            )
                        )
                        if len(blocked) >= MAX_LISTED:
                            return blocked
    return blocked


def _target(table: str, columns: Sequence[str], values: tuple[Any, ...]) -> str:
    return f"{table} {_describe(columns, values)}"


def _describe(columns: Sequence[str], values: tuple[Any, ...]) -> str:
    return "(" + ", ".join(f"{c}={v!r}" for c, v in zip(columns, values, strict=False)) + ")"


def _delete(
    conn: Connection,
    dialect: SeedDialect,
    schema: SeedSchema,
    deletable: dict[str, list[tuple[Any, ...]]],
    key_columns: dict[str, list[str]],
    conditions: dict[str, ColumnElement[bool] | None],
) -> dict[str, int]:
    nodes = sorted(deletable)
    edges: dict[str, set[str]] = {n: set() for n in nodes}
    for key in nodes:
        for fk in schema.tables[key].foreign_keys:
            if fk.parent in edges and fk.parent != key:
                edges[key].add(fk.parent)
    # Cycles and self-references: clear the nullable keys of the doomed rows first.
    cyclic = {n for comp in _components(nodes, edges) if len(comp) > 1 for n in comp}
    for key in nodes:
        table = schema.tables[key]
        for fk in table.foreign_keys:
            inside = fk.parent == key or (key in cyclic and fk.parent in cyclic)
            if inside and fk.nullable:
                for start in range(0, len(deletable[key]), CHUNK):
                    chunk = deletable[key][start : start + CHUNK]
                    stmt = (
                        update(table.sa)
                        .where(_key_clause(table, key_columns[key], chunk))
                        .values({c: None for c in fk.columns})
                    )
                    conn.execute(only(stmt, table))
                if fk.parent != key:
                    edges[key].discard(fk.parent)
    order = _topological(nodes, edges)
    deleted: dict[str, int] = {}
    if order is None:
        # A cycle without a nullable key: checks must wait until every row of it is gone.
        if dialect.name == "postgresql":
            return _delete_together(conn, schema, nodes, deletable, key_columns, conditions)
        dialect.defer_constraints(conn)
        order = sorted(nodes)
    for key in reversed(order):
        table = schema.tables[key]
        total = 0
        for start in range(0, len(deletable[key]), CHUNK):
            chunk = deletable[key][start : start + CHUNK]
            removal = delete(table.sa).where(_key_clause(table, key_columns[key], chunk))
            condition = conditions.get(key)
            if condition is not None:
                removal = removal.where(condition)
            total += conn.execute(only(removal, table)).rowcount or 0
        deleted[key] = total
    return deleted


def _delete_together(
    conn: Connection,
    schema: SeedSchema,
    nodes: list[str],
    deletable: dict[str, list[tuple[Any, ...]]],
    key_columns: dict[str, list[str]],
    conditions: dict[str, ColumnElement[bool] | None],
) -> dict[str, int]:
    """PostgreSQL: one DELETE statement with a data-modifying CTE per table; checks run at its end."""
    statements = []
    for key in nodes:
        table = schema.tables[key]
        stmt = delete(table.sa).where(_key_clause(table, key_columns[key], deletable[key]))
        if conditions.get(key) is not None:
            stmt = stmt.where(conditions[key])  # type: ignore[arg-type]
        statements.append(only(stmt, table))
    *first, last = statements
    final = last
    for index, stmt in enumerate(first):
        final = final.add_cte(stmt.cte(f"dbaudit_purge_{index}"))
    conn.execute(final)
    return {key: len(deletable[key]) for key in nodes}
