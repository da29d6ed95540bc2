"""``dbaudit purge``: delete exactly the mock rows, in one transaction that holds what it judges.

A row is deleted only when the ledger records it (by the key the server stored, compared on the server), it
still carries its mark (``is_mock = TRUE`` or the ``MOCK:`` prefix) or, in a table without a mark, every
column still holds what the seed wrote, and its table is the one that was seeded (same server identity: not
dropped and created again, not renamed, mark column still there).

The order, in one transaction: the run lock; the mock rows locked (``SELECT ... FOR UPDATE``; SQLite's
immediate transaction is one writer already); then table by table, children first, every foreign key in the
whole database that refers to the table is checked for rows that are not being deleted, then the table's mock
rows are deleted.  A real row inserted meanwhile either committed before the check (and refuses the purge) or
waits for the purge to commit and then fails its own foreign key; a cascade never reaches it.  Any such
reference refuses the whole purge: nothing is deleted.  A table that cannot be judged (re-created, renamed,
mark column dropped, row-level security in the way) is left with its ledger entries and listed, and the rest
is purged.  Everything is set-based SQL joined with the ledger: memory does not grow with the rows purged.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, column, func, literal, select, table, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from dbaudit import progress
from dbaudit.config import Settings
from dbaudit.dialects import Dialect, Reference
from dbaudit.errors import SeedError
from dbaudit.graphs import strongly_connected, topological
from dbaudit.model import BlockingReference, PurgeReport, PurgeResult, RefusedTable, natural_sorted
from dbaudit.seed import ledger as ledger_mod
from dbaudit.seed import orphans
from dbaudit.seed.connection import connect, lock_scope, open_engine, refuse_if_protected
from dbaudit.seed.ledger import LedgerSet, LedgerTables
from dbaudit.seed.schema import SeedSchema, SeedTable, reflect_schema

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
    with open_engine(settings) as (engine, dialect), connect(engine) as conn:
        refuse_if_protected(conn, dialect, settings, schemas, "purge")
        ledger = ledger_mod.open_ledger(conn, dialect, None)
        conn.rollback()
        if ledger is None:
            return PurgeReport(dry_run=dry_run)
        database = lock_scope(conn)
        locked = False
        try:
            with conn.begin() as transaction:
                dialect.check_writable(conn)
                dialect.begin_session(conn)
                dialect.acquire_lock(conn, database)
                locked = True
                report = purge_rows(conn, dialect, ledger, settings, tables=tables, run_id=run_id)
                if dry_run or report.blocked:
                    transaction.rollback()
                    return dataclasses.replace(report, dry_run=dry_run)
            dropped = False
            with conn.begin():
                dropped = ledger_mod.drop_if_empty(conn, ledger)
        except DBAPIError as exc:
            raise purge_error(dialect, exc) from exc
        finally:
            if locked:  # a session-level lock (MySQL) outlives the transaction; the others end with it
                dialect.release_lock(conn, database)
    return dataclasses.replace(report, ledger_dropped=dropped)


def purge_error(dialect: Dialect, exc: DBAPIError) -> SeedError:
    if dialect.is_lock_wait(exc):
        return SeedError(
            f"timed out after {dialect.lock_timeout:g} s waiting for a row lock another transaction holds "
            f"({dialect.describe_error(exc)})",
            "nothing was deleted; let that transaction finish, then run again (--lock-timeout waits longer)",
        )
    return SeedError(f"purging failed: {dialect.describe_error(exc)}", "nothing was committed")


@dataclass
class _Batch:
    """Ledger sets of one table that record its rows the same way (one run's, or several runs')."""

    table: SeedTable
    sets: list[LedgerSet]
    released: set[str] = field(default_factory=set)
    """Foreign-key columns this purge set to NULL to let the doomed rows go of each other: a recorded row may
    hold NULL there now (and only there) and still be the row the ledger recorded."""

    @property
    def first(self) -> LedgerSet:
        return self.sets[0]

    @property
    def ids(self) -> list[int]:
        return [s.id for s in self.sets]


def purge_rows(
    conn: Connection,
    dialect: Dialect,
    ledger: LedgerTables,
    settings: Settings,
    *,
    tables: Sequence[str] | None,
    run_id: str | None,
    lenient: bool = False,
) -> PurgeReport:
    """Purge inside the caller's transaction; with blocking references nothing goes (caller rolls back).

    ``lenient``: a name in ``tables`` the ledger holds nothing of selects nothing (else it is an error).
    """
    home = dialect.default_schema(conn) or ""
    sets = _select(ledger_mod.read_sets(conn, ledger, run_id), settings.schemas, tables, home, lenient)
    if not sets:
        return PurgeReport()
    runs = tuple(sorted({s.run_id for s in sets}))
    by_table: dict[tuple[str, str], list[LedgerSet]] = defaultdict(list)
    for entry in sets:
        by_table[entry.qualified].append(entry)
    wanted: dict[str, list[str]] = defaultdict(list)
    for schema_name, name in by_table:
        wanted[schema_name].append(name)
    schema = reflect_schema(conn, dialect, settings, only_tables=dict(wanted))
    current = {t.qualified: t for t in schema.tables.values()}
    identities = dialect.table_identities(conn, list(by_table))

    def shown(qualified: tuple[str, str]) -> str:
        return qualified[1] if qualified[0] == home else ".".join(qualified)

    refused: list[RefusedTable] = []
    results: dict[str, PurgeResult] = {}
    batches: list[_Batch] = []
    for qualified, group in sorted(by_table.items()):
        recorded = ledger_mod.entry_counts(conn, ledger, [s.id for s in group])
        seeded = current.get(qualified)
        why = _refusal(conn, dialect, qualified, group, seeded, identities.get(qualified), shown)
        if why == "gone":
            results[shown(qualified)] = PurgeResult(shown(qualified), 0, already_gone=recorded)
            ledger_mod.forget_sets(conn, ledger, [s.id for s in group])
            continue
        if why is not None:
            refused.append(RefusedTable(shown(qualified), why, recorded))
            continue
        assert seeded is not None
        for same in _same_shape(group):
            batches.append(_Batch(seeded, same))
    hidden = dialect.hidden_by_row_security(conn, [b.table.qualified for b in batches])
    references = dialect.references_to(conn, sorted({b.table.qualified for b in batches}))
    children = {(r.schema, r.table) for r in references}
    hidden_children = dialect.hidden_by_row_security(conn, sorted(children))
    kept: list[_Batch] = []
    for batch in batches:
        qualified = batch.table.qualified
        reason = hidden.get(qualified) or next(
            (
                f"{shown((r.schema, r.table))} refers to it and {hidden_children[(r.schema, r.table)]}: "
                "references to its mock rows cannot be checked"
                for r in references
                if (r.referred_schema, r.referred_table) == qualified
                and (r.schema, r.table) in hidden_children
            ),
            None,
        )
        if reason:
            recorded = ledger_mod.entry_counts(conn, ledger, batch.ids)
            refused.append(RefusedTable(shown(qualified), reason, recorded))
        else:
            kept.append(batch)
    batches = kept
    # A real row inserted meanwhile must never be reached by a cascade.  Where the server counts this
    # transaction's writes per table (PostgreSQL), the DELETE itself holds the rows it deletes (a concurrent
    # child insert waits for the commit, then fails its foreign key) and the counts afterwards show any
    # cascade into a row that was committed before it: the purge is then rolled back.  Elsewhere every row
    # about to be judged is locked first (SELECT ... FOR UPDATE), so a concurrent child insert waits before
    # the check instead of slipping in between the check and the DELETE.
    referenced = {(r.referred_schema, r.referred_table) for r in references}
    present_counts: dict[int, int] = {}
    for index, batch in enumerate(batches):
        if batch.table.qualified in referenced and not dialect.counts_writes_per_table:
            locked = select(literal(1)).select_from(batch.table.sa).where(_doomed(dialect, ledger, batch))
            with _waiting_on(dialect, shown(batch.table.qualified)):
                dialect.lock_rows(conn, locked, batch.table)
        present_counts[index] = _count(conn, batch.table, _recorded(dialect, ledger, batch))
    blocked, deleted = _delete_in_order(conn, dialect, ledger, schema, batches, references, shown)
    if blocked:
        return PurgeReport(blocked=tuple(blocked), runs=runs)
    for index, batch in enumerate(batches):
        name = shown(batch.table.qualified)
        recorded = ledger_mod.entry_counts(conn, ledger, batch.ids)
        present = present_counts[index]
        removed = deleted.get(index, 0)
        previous = results.get(name, PurgeResult(name, 0))
        content = batch.first.content_columns is not None and batch.first.key_kind != "rows"
        changed = present - removed if content else 0
        unmarked = 0 if content or batch.first.key_kind == "rows" else present - removed
        gone = recorded - removed if batch.first.key_kind == "rows" else recorded - present
        results[name] = PurgeResult(
            name,
            previous.deleted + removed,
            kept_unmarked=previous.kept_unmarked + unmarked,
            already_gone=previous.already_gone + gone,
            kept_changed=previous.kept_changed + changed,
        )
        if content:
            ledger_mod.forget_entries_without_row(conn, dialect, ledger, batch.table, batch.sets)
        else:
            ledger_mod.forget_sets(conn, ledger, batch.ids)
    return PurgeReport(
        results=tuple(results[k] for k in natural_sorted(results)), runs=runs, refused=tuple(refused)
    )


def _select(
    sets: list[LedgerSet], schemas: Sequence[str], tables: Sequence[str] | None, home: str, lenient: bool
) -> list[LedgerSet]:
    """The ledger sets ``--schema`` and ``--tables`` select (a bare table name must be unambiguous)."""
    if schemas:
        sets = [s for s in sets if s.table_schema in set(schemas)]
    if not tables:
        return sets
    chosen: set[tuple[str, str]] = set()
    recorded = sorted({s.qualified for s in sets})
    for name in tables:
        if "." in name and (tuple(name.split(".", 1)) in recorded):
            chosen.add((name.split(".", 1)[0], name.split(".", 1)[1]))
            continue
        matches = [q for q in recorded if q[1] == name]
        if len(matches) > 1:
            home_match = [q for q in matches if q[0] == home]
            if len(home_match) != 1:
                listed = ", ".join(".".join(q) for q in matches)
                raise SeedError(
                    f"table {name!r} is ambiguous: the ledger holds {listed}", "name it schema.table"
                )
            matches = home_match
        if not matches and lenient:
            continue
        if not matches:
            raise SeedError(
                f"the ledger holds no mock rows of table {name!r}",
                "check the name (schema.table for another schema); purge --dry-run lists what it holds",
            )
        chosen.add(matches[0])
    return [s for s in sets if s.qualified in chosen]


def _same_shape(group: list[LedgerSet]) -> list[list[LedgerSet]]:
    shapes: dict[tuple[Any, ...], list[LedgerSet]] = {}
    for entry in group:
        shape = (
            entry.key_kind,
            entry.key_columns,
            tuple(sorted(entry.marker.items())),
            entry.content_columns,
        )
        shapes.setdefault(shape, []).append(entry)
    return list(shapes.values())


def _same_identity(recorded: str, now: str) -> bool | None:
    """Whether two identities name the same table: ``None`` when they share nothing to compare."""
    kind_a, _sep, rest_a = recorded.partition(":")
    kind_b, _sep, rest_b = now.partition(":")
    if kind_a != kind_b:
        return None
    parts_a = dict(p.partition("=")[::2] for p in rest_a.split(";"))
    parts_b = dict(p.partition("=")[::2] for p in rest_b.split(";"))
    shared = set(parts_a) & set(parts_b)
    if not shared:
        return None
    return all(parts_a[k] == parts_b[k] for k in shared)


def _refusal(
    conn: Connection,
    dialect: Dialect,
    qualified: tuple[str, str],
    group: list[LedgerSet],
    seeded: SeedTable | None,
    identity: str | None,
    shown: Any,
) -> str | None:
    """Why the table's mock rows cannot be judged now; ``"gone"`` when the table itself is gone."""
    if seeded is None or identity is None:
        for entry in group:
            moved = dialect.find_identity(conn, entry.identity)
            if moved is not None and moved != qualified:
                return (
                    f"renamed to {shown(moved)} since the seed: its rows are no longer where the ledger says"
                )
        return "gone"
    for entry in group:
        same = _same_identity(entry.identity, identity)
        if same is False:
            return (
                "dropped and re-created since the seed (the server's identity of the table changed): "
                "its rows are not the ones the seed inserted"
            )
        if same is None:
            return "the ledger and the server identify the table differently: it cannot be matched safely"
        marker = entry.marker
        if marker.get("kind") in ("column", "prefix") and marker.get("column") not in seeded.columns:
            return (
                f"its mark column {marker.get('column')} was dropped since the seed: mock rows cannot be told"
            )
        for name in (*entry.key_columns, *(entry.content_columns or ())):
            if name not in seeded.columns:
                return f"its column {name} was dropped since the seed: the recorded rows cannot be matched"
    return None


# ----------------------------------------------------------------------------------------------------------
# Which rows


def _mark(batch: _Batch, source: Any) -> ColumnElement[bool] | None:
    return ledger_mod.mark_condition(source, batch.first.marker)


def _recorded(
    dialect: Dialect, ledger: LedgerTables, batch: _Batch, source: Any = None
) -> ColumnElement[bool]:
    """Rows of the batch's table that some ledger entry of the batch records, by key (mark not looked at)."""
    entry = ledger.rows.alias("dbaudit_entry")
    first = batch.first
    if first.key_kind == "rows":
        text = _row_text(dialect, batch.table, first.key_columns, source)
        listed: ColumnElement[bool] = text.in_(select(entry.c.row_key).where(entry.c.set_id.in_(batch.ids)))
        return listed
    match = ledger_mod.key_match(dialect, batch.table, entry, first.key_kind, first.key_columns, source)
    found: ColumnElement[bool] = (
        select(literal(1)).select_from(entry).where(entry.c.set_id.in_(batch.ids), match).exists()
    )
    return found


def _doomed(dialect: Dialect, ledger: LedgerTables, batch: _Batch, source: Any = None) -> ColumnElement[bool]:
    """Rows of the batch's table that purge deletes: recorded, still marked, unchanged where not marked."""
    source = source if source is not None else batch.table.sa
    first = batch.first
    if first.key_kind == "rows" or first.content_columns is None:
        conditions = [_recorded(dialect, ledger, batch, source)]
    else:
        entry = ledger.rows.alias("dbaudit_entry")
        match = and_(
            ledger_mod.key_match(dialect, batch.table, entry, first.key_kind, first.key_columns, source),
            ledger_mod.content_match(
                dialect, batch.table, entry, first.content_columns, source, released=batch.released
            ),
        )
        conditions = [
            select(literal(1)).select_from(entry).where(entry.c.set_id.in_(batch.ids), match).exists()
        ]
    mark = _mark(batch, source)
    if mark is not None:
        conditions.append(mark)
    return and_(*conditions)


def _row_text(dialect: Dialect, seeded: SeedTable, columns: Sequence[str], source: Any = None) -> Any:
    source = source if source is not None else seeded.sa
    return dialect.json_array([dialect.key_text(source.c[c], seeded.columns[c]) for c in columns])


def _count(conn: Connection, seeded: SeedTable, condition: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(seeded.sa).where(condition)
    return int(conn.execute(seeded.restrict(stmt)).scalar() or 0)


# ----------------------------------------------------------------------------------------------------------
# Deleting


def _delete_in_order(
    conn: Connection,
    dialect: Dialect,
    ledger: LedgerTables,
    schema: SeedSchema,
    batches: list[_Batch],
    references: list[Reference],
    shown: Any,
) -> tuple[list[BlockingReference], dict[int, int]]:
    """Children first; before each table, every reference into its doomed rows from rows that stay."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, batch in enumerate(batches):
        by_key[batch.table.key].append(index)
    nodes = sorted(by_key)
    edges: dict[str, set[str]] = {n: set() for n in nodes}
    for key in nodes:
        for fk in schema.tables[key].foreign_keys:
            if fk.parent in edges and fk.parent != key:
                edges[key].add(fk.parent)
    # The catalog's keys too: declared on partitions, or not reflected with the table.
    key_of = {batch.table.qualified: batch.table.key for batch in batches}
    for ref in references:
        child, parent = (
            key_of.get((ref.schema, ref.table)),
            key_of.get((ref.referred_schema, ref.referred_table)),
        )
        if child is not None and parent is not None and child != parent:
            edges[child].add(parent)
    # A module's row of totals (FTS4's _stat) goes after the rows of the table it counts: it is doomed only
    # once that table is empty, so that table's rows go first, as a child's would.
    by_name = {(batch.table.qualified[0], batch.table.name): batch.table.key for batch in batches}
    for batch in batches:
        if batch.first.marker.get("kind") == "totals-of":
            counting = by_name.get((batch.table.qualified[0], str(batch.first.marker.get("table"))))
            if counting is not None:
                edges[counting].add(batch.table.key)
    cyclic = {n for comp in strongly_connected(nodes, edges) if len(comp) > 1 for n in comp}
    # Cycles and self-references through nullable keys: the doomed rows let go of each other first (they
    # are the seed's own rows).
    for key in nodes:
        seeded = schema.tables[key]
        for fk in seeded.foreign_keys:
            inside = fk.parent == key or (key in cyclic and fk.parent in cyclic)
            if not (inside and fk.nullable):
                continue
            for index in by_key[key]:
                stmt = (
                    update(seeded.sa)
                    .where(_doomed(dialect, ledger, batches[index]))
                    .values({c: None for c in fk.columns})
                )
                conn.execute(seeded.restrict(stmt))
                batches[index].released.update(fk.columns)
            if fk.parent != key:
                edges[key].discard(fk.parent)
    # Groups that still form a cycle (no nullable key to break it) are deleted together: in one statement
    # (PostgreSQL), with the checks deferred to the commit (SQLite) or off and verified after (MySQL).
    groups = strongly_connected(nodes, edges)
    group_of = {n: i for i, comp in enumerate(groups) for n in comp}
    condensed: dict[str, set[str]] = {str(i): set() for i in range(len(groups))}
    for child, parents in edges.items():
        for parent in parents:
            if group_of[child] != group_of[parent]:
                condensed[str(group_of[child])].add(str(group_of[parent]))
    order = topological(sorted(condensed), condensed) or sorted(condensed)
    watched = dialect.tables_with_triggers(conn, [schema.tables[k] for k in nodes], "DELETE")
    cascades = dialect.counts_writes_per_table and any(
        r.ondelete in ("CASCADE", "SET NULL", "SET DEFAULT") for r in references
    )
    before = dialect.effect_counters(conn, []) if watched or cascades else None
    deleted: dict[int, int] = {}
    for group_id in reversed(order):
        members = groups[int(group_id)]
        together = {i for k in members for i in by_key[k]} if len(members) > 1 else set()
        for key in members:
            for index in by_key[key]:
                found = _blocking(conn, dialect, ledger, batches, together, index, references, shown)
                if found:
                    return found[:MAX_LISTED], deleted
        if not together:
            for index in by_key[members[0]]:
                deleted[index] = _delete_batch(conn, dialect, ledger, batches[index])
        elif dialect.one_statement_cycles:
            deleted.update(_delete_together(conn, dialect, ledger, batches, sorted(together)))
        elif dialect.suspends_foreign_key_checks:
            # MySQL, MariaDB: deleted with the checks off (ON DELETE actions do not run then either), and
            # every key into and out of the cycle verified afterwards.
            counted = orphans.count_orphans(conn, schema, orphans.keys_of(schema, members, referring=True))
            with dialect.foreign_key_checks_off(conn):
                for index in sorted(together):
                    deleted[index] = _delete_batch(conn, dialect, ledger, batches[index])
            problem = orphans.new_orphans(conn, schema, counted)
            if problem:
                raise SeedError(
                    f"purging the cycle {', '.join(members)} would leave {problem}", "nothing was deleted"
                )
        else:
            dialect.defer_constraints(conn)
            for index in sorted(together):
                deleted[index] = _delete_batch(conn, dialect, ledger, batches[index])
    if before is not None:
        _no_side_effects(conn, dialect, before, batches, deleted, shown)
    return [], deleted


@contextmanager
def _waiting_on(dialect: Dialect, table: str) -> Iterator[None]:
    """A lock wait that runs out names the table whose rows another transaction holds."""
    try:
        yield
    except DBAPIError as exc:
        if not dialect.is_lock_wait(exc):
            raise
        raise SeedError(
            f"timed out after {dialect.lock_timeout:g} s waiting for rows of {table} that another "
            f"transaction holds ({dialect.describe_error(exc)})",
            "nothing was deleted; let that transaction finish, then run again (--lock-timeout waits longer)",
        ) from exc


def _delete_batch(conn: Connection, dialect: Dialect, ledger: LedgerTables, batch: _Batch) -> int:
    with _waiting_on(dialect, ".".join(batch.table.qualified)):
        deleted = _delete_rows(conn, dialect, ledger, batch)
    progress.advance(deleted)
    return deleted


def _delete_rows(conn: Connection, dialect: Dialect, ledger: LedgerTables, batch: _Batch) -> int:
    seeded = batch.table
    first = batch.first
    if first.key_kind == "rows":
        mark = _mark(batch, seeded.sa)
        text = _row_text(dialect, seeded, first.key_columns)
        return dialect.delete_multiset(conn, seeded, text, ledger.rows, batch.ids, mark)
    removal = seeded.sa.delete().where(_doomed(dialect, ledger, batch))
    return int(conn.execute(seeded.restrict(removal)).rowcount or 0)


def _delete_together(
    conn: Connection, dialect: Dialect, ledger: LedgerTables, batches: list[_Batch], members: list[int]
) -> dict[int, int]:
    """PostgreSQL: one DELETE statement with a data-modifying CTE per table; checks run at its end."""
    statements = []
    for index in members:
        batch = batches[index]
        stmt = batch.table.sa.delete().where(_doomed(dialect, ledger, batch)).returning(literal(1))
        statements.append((index, batch.table.restrict(stmt)))
    counted = [
        (index, stmt.cte(f"dbaudit_purge_{position}")) for position, (index, stmt) in enumerate(statements)
    ]
    final = select(*(select(func.count()).select_from(cte).scalar_subquery() for _i, cte in counted))
    row = conn.execute(final).one()
    progress.advance(sum(int(value) for value in row))
    return {index: int(row[position]) for position, (index, _cte) in enumerate(counted)}


def _blocking(
    conn: Connection,
    dialect: Dialect,
    ledger: LedgerTables,
    batches: list[_Batch],
    group_members: set[int],
    index: int,
    references: list[Reference],
    shown: Any,
) -> list[BlockingReference]:
    """Rows that stay and refer to a row of ``batches[index]`` about to be deleted."""
    batch = batches[index]
    parent = batch.table
    blocked: list[BlockingReference] = []
    for ref in references:
        if (ref.referred_schema, ref.referred_table) != parent.qualified:
            continue
        same = [
            i
            for i, other in enumerate(batches)
            if other.table.qualified == (ref.schema, ref.table) and (i == index or i in group_members)
        ]
        source: Any
        if same:
            source = batches[same[0]].table.sa.alias("dbaudit_child")
            child_columns = list(batches[same[0]].table.sa.c.keys())
        else:
            child_columns = sorted(
                set(ref.columns) | set(dialect.primary_key_of(conn, ref.table, ref.schema))
            )
            source = table(ref.table, *(column(c) for c in child_columns), schema=ref.schema).alias(
                "dbaudit_child"
            )
        key = dialect.primary_key_of(conn, ref.table, ref.schema) or list(ref.columns)
        join = and_(*(source.c[c] == parent.sa.c[r] for c, r in zip(ref.columns, ref.referred, strict=True)))
        stmt = (
            select(*(source.c[c] for c in key), *(parent.sa.c[r] for r in ref.referred))
            .select_from(source.join(parent.sa, join))
            .where(_doomed(dialect, ledger, batch))
        )
        for other in same:
            # Rows of a table deleted in the same statement (a self-reference, a cycle) do not block.
            stmt = stmt.where(~_doomed(dialect, ledger, batches[other], source))
        stmt = stmt.limit(MAX_LISTED)
        for row in conn.execute(stmt):
            values = tuple(row)
            blocked.append(
                BlockingReference(
                    table=shown((ref.schema, ref.table)),
                    key=_describe(key, values[: len(key)]),
                    references=f"{shown(parent.qualified)} {_describe(ref.referred, values[len(key) :])}",
                    via=ref.name or ",".join(ref.columns),
                )
            )
    return blocked


def _describe(columns: Sequence[str], values: tuple[Any, ...]) -> str:
    return "(" + ", ".join(f"{c}={v!r}" for c, v in zip(columns, values, strict=False)) + ")"


def _no_side_effects(
    conn: Connection,
    dialect: Dialect,
    before: Any,
    batches: list[_Batch],
    deleted: dict[int, int],
    shown: Any,
) -> None:
    """Deleting the mock rows changed nothing else: no cascade reached a row that stays (one committed by
    another session after the reference check), no trigger wrote anything."""
    after = dialect.effect_counters(conn, [])
    effects = dialect.effects_between(conn, before, after, [])
    expected: dict[tuple[str, str], int] = defaultdict(int)
    for index, count in deleted.items():
        expected[batches[index].table.qualified] += count
    problems = effects.beyond_deletes(expected, shown)
    if problems:
        raise SeedError(
            "purge refused: deleting the mock rows would change other rows (" + "; ".join(problems) + "): "
            "a real row that refers to a mock row was added while purging, or a trigger writes on delete",
            "nothing was deleted; run purge again, or remove those rows (or the trigger) first",
        )
