"""``dbaudit seed``: plan, then fill the tables in one transaction, with a savepoint per table.

All or nothing: an error rolls the whole run back and names the table, the row and the constraint; Ctrl-C or a
killed process leaves the database as it was (the transaction never commits).  ``dry_run`` does every insert
and rolls back at the end, so it is a real pre-flight.

A table found unfillable while its rows are generated (no parent row for a required foreign key) is a plan
decision, not an error: nothing of it has been written yet, so it is skipped with the reason (and so are the
tables that needed it) and the run goes on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from dbaudit import progress
from dbaudit.config import Settings
from dbaudit.dialects import Dialect
from dbaudit.errors import SeedError
from dbaudit.model import SeedPlan, SeedReport, SkippedTable, TablePlan, TableResult, natural_key
from dbaudit.resources import seeders_dir
from dbaudit.seed import ledger as ledger_mod
from dbaudit.seed import orphans
from dbaudit.seed.api import LoadedSeeder, choose_seeder, load_seeders
from dbaudit.seed.connection import connect, lock_scope, open_engine, refuse_if_protected
from dbaudit.seed.generate import (
    RunState,
    TableRows,
    UnfillableTable,
    allocate_numbers,
    build_rows,
    foreign_keys,
    marker_spec,
    numbered_columns,
    own_columns,
    table_rng,
)
from dbaudit.seed.guard import InsertGuard, NeedsSavepoints
from dbaudit.seed.plan import PlanRequest, choose_marker, plan_tables, shape_of
from dbaudit.seed.schema import ForeignKeyInfo, SeedSchema, SeedTable, has_rows, reflect_schema
from dbaudit.seed.values import pools_for
from dbaudit.urls import scrub

log = logging.getLogger("dbaudit.seed")


def all_seeders(settings: Settings) -> list[LoadedSeeder]:
    """The bundled seeders, then the project's own (``seeders_dir``)."""
    folders = [(seeders_dir(), "bundled")]
    if settings.seeders_dir is not None:
        folders.append((settings.seeders_dir, "project"))
    return load_seeders(folders)


def new_run_id() -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{os.urandom(3).hex()}"


def undo_command(run_id: str, settings: Settings) -> str:
    parts = ["dbaudit", "purge", "--run", run_id]
    for schema in settings.schemas:
        parts += ["--schema", schema]
    return " ".join(parts)


def plan_seed(settings: Settings, request: PlanRequest) -> SeedPlan:
    """The plan only (reads the database, writes nothing)."""
    seeders = all_seeders(settings)
    with open_engine(settings) as (engine, dialect), connect(engine) as conn:
        schema = reflect_schema(conn, dialect, settings)
        plan = plan_tables(schema, settings, request, seeders)
        conn.rollback()
        return plan


def run_seed(
    settings: Settings,
    request: PlanRequest,
    *,
    dry_run: bool = False,
    force: bool = False,
    allow_trigger_inserts: bool = False,
) -> SeedReport:
    """Seed per ``request``; returns what was inserted.  Nothing is committed when ``dry_run``."""
    seeders = all_seeders(settings)
    run_id = new_run_id()
    schemas: tuple[str | None, ...] = tuple(settings.schemas) or (None,)
    with _collector_paused(), open_engine(settings) as (engine, dialect), connect(engine) as conn:
        refuse_if_protected(conn, dialect, settings, schemas, "seed")
        existing = ledger_mod.open_ledger(conn, dialect, None)
        conn.rollback()
        database = lock_scope(conn)
        made_ledger = False
        if dialect.ddl_commits and existing is None and not dry_run:
            # DDL commits implicitly on MySQL: the ledger is made before the run's transaction (and dropped
            # again below when the run inserts nothing); a dry run makes a temporary one inside it.
            with conn.begin():
                dialect.check_writable(conn)
            with conn.begin():
                existing = ledger_mod.ensure_ledger(conn, None)
            made_ledger = True
        locked = False
        try:
            # First without a savepoint per table (two round trips fewer each); when a table would have
            # been rolled back to its savepoint, the whole attempt is rolled back and the run starts over,
            # table by table in savepoints, from a fresh look at the database.
            for careful in (False, True):
                writer = ledger_mod.LedgerWriter(
                    conn, dialect, existing, run_id, None, temporary=dialect.ddl_commits and existing is None
                )
                try:
                    with conn.begin() as transaction:
                        dialect.check_writable(conn)
                        dialect.begin_session(conn)
                        dialect.acquire_lock(conn, database)
                        locked = True
                        schema = reflect_schema(conn, dialect, settings)
                        purged = 0
                        if force:
                            purged = _purge_first(conn, dialect, schema, writer, settings, request)
                        plan = plan_tables(schema, settings, request, seeders)
                        results, late_skips = execute_plan(
                            conn,
                            dialect,
                            schema,
                            plan,
                            settings,
                            request,
                            seeders,
                            writer,
                            allow_trigger_inserts=allow_trigger_inserts,
                            careful=careful,
                        )
                        plan = with_late_skips(plan, late_skips)
                        if dry_run:
                            transaction.rollback()
                except NeedsSavepoints as exc:
                    log.info(
                        "starting over table by table: %s needs its own savepoint (%s)", exc.table, exc.reason
                    )
                    dialect.release_lock(conn, database)  # a session's lock (MySQL); taken again at once
                    conn.rollback()  # the release began a transaction of its own
                    locked = False
                    if writer.temporary and writer.tables_ is not None:
                        existing = writer.tables_  # a temporary table outlives the rollback (its rows do not)
                    progress.phase("rows inserted, table by table", unit="rows")  # the count starts over
                    continue
                break
        except DBAPIError as exc:
            if dialect.is_lock_wait(exc):
                raise SeedError(
                    f"timed out after {dialect.lock_timeout:g} s waiting for a lock another transaction "
                    "holds "
                    f"({dialect.describe_error(exc)})",
                    "nothing was committed; let that transaction finish, then run again (--lock-timeout)",
                ) from exc
            raise SeedError(
                f"seeding failed: {dialect.describe_error(exc)}", "nothing was committed"
            ) from exc
        except PendingRollbackError as exc:
            raise SeedError("the connection was lost while seeding", "nothing was committed") from exc
        finally:
            if made_ledger and not conn.invalidated:
                # Made before the run's transaction (MySQL): gone again when the run committed nothing.
                with contextlib.suppress(DBAPIError), conn.begin():
                    ledger_mod.drop_if_empty(conn, ledger_mod.ledger_tables(None))
            if locked:  # a session-level lock (MySQL) outlives the transaction; the others end with it
                dialect.release_lock(conn, database)
    return SeedReport(
        run_id=run_id,
        plan=plan,
        results=tuple(results),
        dry_run=dry_run,
        purged_first=purged,
        undo_command="" if dry_run or not results else undo_command(run_id, settings),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during a run.

    A run holds the reflected schema (tens of thousands of SQLAlchemy objects for a thousand tables) and
    makes few reference cycles: full collections walking that schema again and again took about a fifth
    of the CPU of ``seed --missing`` on 1,000 tables.  Generated rows are freed by reference counting as
    before; the collector is switched back on at the end (whatever cycles are left are collected then).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _purge_first(
    conn: Connection,
    dialect: Dialect,
    schema: SeedSchema,
    writer: ledger_mod.LedgerWriter,
    settings: Settings,
    request: PlanRequest,
) -> int:
    from dbaudit.seed.purge import purge_rows

    if writer.tables_ is None:
        return 0
    names = []
    for name in request.tables:
        table = schema.find(name)
        if table is not None:
            names.append(".".join(table.qualified))
    if not names and any(t.excluded for t in schema.tables.values()):
        # --exclude is absolute: the earlier mock rows of an excluded table stay too.
        names = [".".join(t.qualified) for t in schema.tables.values() if not t.excluded]
    report = purge_rows(
        conn,
        dialect,
        writer.tables_,
        settings.replace(schemas=()),
        tables=names or None,
        run_id=None,
        lenient=True,
    )
    if report.blocked:
        first = report.blocked[0]
        raise SeedError(
            f"--force cannot remove the earlier mock rows: real row {first.table} {first.key} references "
            f"{first.references}",
            "see dbaudit purge --dry-run",
        )
    if report.refused:
        first_refused = report.refused[0]
        raise SeedError(
            f"--force cannot remove the earlier mock rows of {first_refused.table}: {first_refused.reason}",
            "see dbaudit purge --dry-run",
        )
    for table in schema.tables.values():
        table.has_rows = has_rows(conn, table)
    return report.total_deleted


def execute_plan(
    conn: Connection,
    dialect: Dialect,
    schema: SeedSchema,
    plan: SeedPlan,
    settings: Settings,
    request: PlanRequest,
    seeders: list[LoadedSeeder],
    writer: ledger_mod.LedgerWriter,
    *,
    allow_trigger_inserts: bool = False,
    careful: bool = True,
) -> tuple[list[TableResult], list[SkippedTable]]:
    """Generate and insert every planned table, group by group; returns the results and the tables skipped.

    Each table (each cycle inserted together) is written inside a savepoint with its ledger rows.  Not
    ``careful``: only the tables with triggers, rules or cycles are; where another table would be rolled
    back to its savepoint, :class:`NeedsSavepoints` is raised instead (the caller rolls the whole attempt
    back and runs again carefully).  A table
    that turns out to have no parent row for a required foreign key is found while its rows are generated;
    a table whose rows the server rejects, or whose insert makes triggers change existing rows or write rows
    the run cannot account for, is rolled back to its savepoint.  Either is skipped with the reason (and so
    are the tables that needed it), and the run goes on, unless ``request.strict``.  A lost connection or a
    server timeout aborts the whole run.
    """
    state = RunState(
        conn=conn,
        schema=schema,
        dialect=dialect,
        seed=request.seed,
        pools=pools_for(request.seed),
        tenant_columns=settings.tenant_columns,
        tenant_option=request.tenant,
    )
    guard = InsertGuard(conn, dialect, schema, writer, allow_trigger_inserts)
    dialect.check_at_statement_end(conn)
    planned = [schema.tables[tp.table] for tp in plan.tables]
    guard.prepare(planned)
    results: list[TableResult] = []
    state.prefetched = _prefetch_numbers(conn, dialect, schema, plan)
    for index, mode in enumerate(plan.group_modes):
        members = [tp for tp in plan.tables if tp.group == index]
        made: list[tuple[TablePlan, SeedTable, TableRows]] = []
        if mode == "order":
            for tp in members:
                table = schema.tables[tp.table]
                if table.key in guard.trigger_filled:
                    results.append(_filled_by_trigger(schema, tp, *guard.trigger_filled[table.key]))
                    table.has_rows = True  # its children point at the rows the trigger inserted
                    continue
                deferred = {tuple(d.split(",")) for d in tp.deferred}
                seeder, marker = _seeder(seeders, table, schema), _marker(table, settings)
                built: TableRows | None = None
                try:
                    if not careful and table.key not in guard.watched and not _streamable(dialect, table, tp):
                        # Nothing written yet when generating finds the table unfillable (skipped below).
                        rows = built = build_rows(state, table, tp.rows, seeder, marker, deferred)
                        try:
                            if not guard.insert_later(table, rows):
                                guard.send_pending_rows()  # parents it may point at go in first
                                _insert(conn, dialect, table, rows)
                                guard.record_later(table, rows)
                        except UnfillableTable as exc:  # rows of it may be written: only a savepoint undoes
                            raise NeedsSavepoints(table.key, exc.reason) from exc
                        state.created[table.key] = rows
                        made.append((tp, table, rows))
                        continue
                    guard.flush()  # before the savepoint: a rollback to it must not take earlier records
                    try:
                        with conn.begin_nested():
                            before = guard.before([table])
                            if _streamable(dialect, table, tp):
                                rows = _insert_streamed(state, table, tp.rows, seeder, marker)
                            else:
                                rows = built = build_rows(state, table, tp.rows, seeder, marker, deferred)
                                _insert(conn, dialect, table, rows)
                            guard.after(before, [(table, rows)])
                    except RejectedRows as exc:
                        if built is None:
                            raise
                        state.rejected[table.key] = exc.reason
                        try:
                            rows = _insert_accepted(conn, dialect, guard, table, built, exc)
                        except RejectedRows:
                            rows = _with_fresh_parents(
                                state, guard, table, tp, seeders, settings, results, exc
                            )
                except UnfillableTable as exc:
                    _skip_or_abort(request, table.key, exc)
                    state.skipped[table.key] = exc.reason
                    continue
                state.created[table.key] = rows
                made.append((tp, table, rows))
            if any(tp.deferred for tp, _t, _r in made):
                guard.flush()  # the rows it updates go in first
            for tp, table, rows in made:
                if tp.deferred:
                    _fill_deferred(state, table, rows, {tuple(d.split(",")) for d in tp.deferred})
        else:
            guard.flush()
            try:
                for tp in members:
                    table = schema.tables[tp.table]
                    rows = own_columns(
                        state, table, tp.rows, _seeder(seeders, table, schema), _marker(table, settings)
                    )
                    state.created[table.key] = rows
                    made.append((tp, table, rows))
                for _tp, _table, rows in made:
                    foreign_keys(state, rows, set())
                _repoint(state, [rows for _tp, _table, rows in made])
                with conn.begin_nested():
                    before = guard.before([t for _tp, t, _r in made])
                    if mode == "deferred":
                        dialect.defer_constraints(conn)
                        for _tp, table, rows in made:
                            _insert(conn, dialect, table, rows)
                        _check_deferred(conn, dialect, [t for _tp, t, _r in made])
                    elif mode == "unchecked":
                        _insert_unchecked(conn, dialect, schema, made)
                    else:
                        _insert_together(conn, dialect, made)
                    guard.after(before, [(t, r) for _tp, t, r in made])
            except UnfillableTable as exc:
                _skip_or_abort(request, exc.table, exc)
                for tp in members:  # a cycle inserted together is filled whole or not at all
                    state.created.pop(tp.table, None)
                    state.skipped[tp.table] = (
                        exc.reason if tp.table == exc.table else f"in a cycle with {exc.table}: {exc.reason}"
                    )
                continue
        for tp, table, rows in made:
            results.append(
                TableResult(
                    table=tp.table,
                    inserted=rows.count,
                    marker=tp.marker,
                    seeder=tp.seeder,
                    parents_reused=tp.parents_reused,
                    parents_created=tp.parents_created,
                    note=_note(state, table, tp, rows),
                    **_sample(rows, request.show),
                )
            )
    guard.flush()
    skipped = [SkippedTable(key, state.skipped[key]) for key in sorted(state.skipped)]
    return results, skipped


def _filled_by_trigger(schema: SeedSchema, tp: TablePlan, source: str, count: int) -> TableResult:
    """A target an earlier table's INSERT trigger already filled in this run (``--allow-trigger-inserts``):
    its rows are the trigger's, recorded in the ledger with the source's; seeding it as well would only
    collide with them."""
    return TableResult(
        table=tp.table,
        inserted=count,
        marker="ledger only",
        seeder="trigger",
        note=f"filled by the INSERT trigger of {schema.tables[source].name}",
    )


def _with_fresh_parents(
    state: RunState,
    guard: InsertGuard,
    table: SeedTable,
    tp: TablePlan,
    seeders: list[LoadedSeeder],
    settings: Settings,
    results: list[TableResult],
    rejected: RejectedRows,
) -> TableRows:
    """The server refused every row: try once more, pointing at parent rows made for the purpose.

    Rules a trigger keeps across tables (an item put in a collection must not be another item's attachment, an
    event copied into a child must belong to the child's room) reject rows for what the run's earlier rows
    did with the parents they point at.  Fresh rows in the parents this run created, used by nothing else,
    escape those rules; a fresh parent's column named like another foreign key of the table (a denormalised
    copy, ``events.room_id`` next to ``room_id``) takes that key's values, and each row of the table copies
    it from the parent it points at.  Parent and table rows share one savepoint and are recorded in the
    ledger; when the server still refuses every row the table is skipped with the first rejection.
    """
    conn, dialect = state.conn, state.dialect
    filled = {r.table: i for i, r in enumerate(results)}
    growing = {
        fk.parent: fk
        for fk in table.foreign_keys
        if fk.parent != table.key and fk.parent in filled and fk.parent in state.created
    }
    if not growing:
        raise rejected
    earlier = {key: state.created[key] for key in growing}
    fresh: dict[str, TableRows] = {}
    try:
        with conn.begin_nested():
            for key in growing:
                parent = state.schema.tables[key]
                rows = build_rows(
                    state,
                    parent,
                    tp.rows,
                    _seeder(seeders, parent, state.schema),
                    _marker(parent, settings),
                    set(),
                )
                _copy_named_keys(state, table, parent, rows)
                try:  # a parent its own rules keep from growing is used as it is
                    rows = _insert_accepted(conn, dialect, guard, parent, rows, rejected)
                except UnfillableTable:
                    continue
                fresh[key] = state.created[key] = rows
            if not fresh:
                raise rejected
            state.seeder_rows.pop(table.key, None)
            deferred = {tuple(d.split(",")) for d in tp.deferred}
            rows = build_rows(
                state,
                table,
                tp.rows,
                _seeder(seeders, table, state.schema),
                _marker(table, settings),
                deferred,
            )
            _agree_with_parents(table, rows, fresh)
            made = _insert_accepted(conn, dialect, guard, table, rows, rejected)
    except UnfillableTable:
        state.created.update(earlier)
        raise rejected from None
    for key, rows in fresh.items():
        whole = earlier[key]
        for column, values in whole.data.items():
            values.extend(rows.data.get(column, [None] * rows.count))
        whole.count += rows.count
        state.created[key] = whole
        result = results[filled[key]]
        results[filled[key]] = replace(result, inserted=result.inserted + rows.count)
    return made


def _named_keys(table: SeedTable, parent: SeedTable) -> dict[str, ForeignKeyInfo]:
    """Single-column foreign keys of ``table`` whose column ``parent`` also has, outside its own keys."""
    own = set(parent.primary_key) | {c for u in parent.uniques for c in u}
    own |= {c for fk in parent.foreign_keys for c in fk.columns}
    return {
        fk.columns[0]: fk
        for fk in table.foreign_keys
        if len(fk.columns) == 1
        and fk.parent != parent.key
        and fk.columns[0] in parent.columns
        and fk.columns[0] not in own
        and parent.columns[fk.columns[0]].kind == table.columns[fk.columns[0]].kind
    }


def _copy_named_keys(state: RunState, table: SeedTable, parent: SeedTable, rows: TableRows) -> None:
    """Fresh parent rows: a column named like another foreign key of ``table`` holds one of its keys."""
    rng = state.rng(parent.key, "fresh")
    for column, fk in _named_keys(table, parent).items():
        keys = state.parent_keys(fk)
        if keys and column in rows.data:
            rows.data[column] = [rng.choice(keys)[0] for _ in range(rows.count)]


def _agree_with_parents(table: SeedTable, rows: TableRows, fresh: dict[str, TableRows]) -> None:
    """Each row copies the named-key columns of the fresh parent row it points at."""
    for fk in table.foreign_keys:
        parent_rows = fresh.get(fk.parent)
        if parent_rows is None or not all(c in rows.data for c in fk.columns):
            continue
        by_key = {
            tuple(parent_rows.data[c][i] for c in fk.referred): i
            for i in range(parent_rows.count)
            if all(c in parent_rows.data for c in fk.referred)
        }
        for column in _named_keys(table, parent_rows.table):
            if column not in rows.data or column not in parent_rows.data:
                continue
            for i in range(rows.count):
                index = by_key.get(tuple(rows.data[c][i] for c in fk.columns))
                if index is not None and parent_rows.data[column][index] is not None:
                    rows.data[column][i] = parent_rows.data[column][index]


def _skip_or_abort(request: PlanRequest, key: str, exc: UnfillableTable) -> None:
    """``--strict``: a table that cannot be filled rolls the whole run back."""
    if request.strict:
        raise SeedError(f"--strict: {key} cannot be filled ({exc.reason})", "nothing was committed") from exc


def _check_deferred(conn: Connection, dialect: Dialect, tables: list[SeedTable]) -> None:
    """The deferred foreign keys of a cycle checked now, inside its savepoint, not at the commit: a bad
    row skips the cycle instead of failing the whole run."""
    try:
        with conn.begin_nested():
            problem = dialect.check_deferred_keys(conn, tables)
    except DBAPIError as exc:
        if dialect.is_connection_lost(exc) or dialect.is_timeout(exc):
            raise
        problem = dialect.describe_error(exc)
    if problem:
        raise UnfillableTable(tables[0].key, f"the server rejected a row of the cycle: {problem}")


def _insert_unchecked(
    conn: Connection, dialect: Dialect, schema: SeedSchema, made: list[tuple[TablePlan, SeedTable, TableRows]]
) -> None:
    """A cycle the server can neither defer nor take in one statement (MySQL, MariaDB): its rows are
    written with the session's foreign-key checks off, then every foreign key of its tables is verified by a
    query, inside the cycle's savepoint: a row pointing nowhere rolls the cycle back and skips it."""
    keys = orphans.keys_of(schema, [t.key for _tp, t, _r in made])
    before = orphans.count_orphans(conn, schema, keys)
    with dialect.foreign_key_checks_off(conn):
        for _tp, table, rows in made:
            _insert(conn, dialect, table, rows)
    problem = orphans.new_orphans(conn, schema, before)
    if problem:
        raise UnfillableTable(
            made[0][1].key, f"foreign-key violation in a cycle written unchecked: {problem}"
        )


def _insert_together(
    conn: Connection, dialect: Dialect, made: list[tuple[TablePlan, SeedTable, TableRows]]
) -> None:
    try:
        with conn.begin_nested():
            dialect.insert_together(conn, [(t, r.columns, r.tuples()) for _tp, t, r in made])
        progress.advance(sum(r.count for _tp, _t, r in made))
    except DBAPIError as exc:
        if dialect.is_connection_lost(exc) or dialect.is_timeout(exc):
            raise
        names = ", ".join(t.key for _tp, t, _r in made)
        raise UnfillableTable(
            made[0][1].key, f"the server rejected a row of the cycle {names}: {dialect.describe_error(exc)}"
        ) from exc


PREFETCH_ROWS = 10_000
"""Tables up to this many rows get their sequence numbers drawn together, in one round trip."""


def _prefetch_numbers(
    conn: Connection, dialect: Dialect, schema: SeedSchema, plan: SeedPlan
) -> dict[tuple[str, str], list[int]]:
    wanted = []
    for tp in plan.tables:
        if 0 < tp.rows <= PREFETCH_ROWS:
            table = schema.tables[tp.table]
            wanted += [(table, column, tp.rows) for column in numbered_columns(table)]
    return dialect.prefetch_ids(conn, wanted)


SAMPLE_CELL = 60
"""Longest text of one value in ``--show`` samples (longer values end in an ellipsis)."""


def _sample(rows: TableRows, count: int) -> dict[str, Any]:
    """The first ``count`` rows as text, for ``seed --show``."""
    if count <= 0:
        return {}
    columns = tuple(rows.columns)
    shown = []
    for row in rows.tuples()[:count]:
        cells = []
        for value in row:
            cell = "NULL" if value is None else str(value)
            cells.append(cell if len(cell) <= SAMPLE_CELL else cell[: SAMPLE_CELL - 1] + "…")
        shown.append(tuple(cells))
    return {"sample_columns": columns, "sample_rows": tuple(shown)}


def _note(state: RunState, table: SeedTable, tp: TablePlan, rows: TableRows) -> str | None:
    """Fewer rows than asked; parents taken from other tenants for want of the run's own or shared rows."""
    notes = [] if rows.count == tp.rows else [f"{tp.rows} asked, {rows.count} possible"]
    if rows.count < tp.rows and table.key in state.rejected:
        # the server's own words on the first row it refused: the rule the seeder could not read
        notes[-1] += f" ({state.rejected[table.key]})"
    borrowed = sorted(
        {
            state.schema.tables[fk.parent].name
            for fk in table.foreign_keys
            if fk.parent in state.tenant_fallbacks
        }
    )
    if borrowed:
        notes.append(f"no row of the tenant or shared row in {', '.join(borrowed)}: used other tenants' rows")
    return "; ".join(notes) or None


def with_late_skips(plan: SeedPlan, skipped: Sequence[SkippedTable]) -> SeedPlan:
    """``plan`` with the tables the run had to skip moved from its tables to its skipped ones."""
    if not skipped:
        return plan
    names = {s.table for s in skipped}
    return replace(
        plan,
        tables=tuple(tp for tp in plan.tables if tp.table not in names),
        skipped=tuple(sorted((*plan.skipped, *skipped), key=lambda s: natural_key(s.table))),
    )


STREAM_CHUNK = 25_000


def _streamable(dialect: Dialect, table: SeedTable, tp: TablePlan) -> bool:
    """Large tables on PostgreSQL are generated chunk by chunk inside one COPY, overlapping with the server.

    Not for tables whose rows depend on all earlier rows of the table (self-references as trees, unique
    foreign keys drawn without replacement, partition round-robin) or that are set later (cycles).
    """
    if not dialect.streams_bulk_load or tp.rows <= STREAM_CHUNK or tp.deferred or table.partition_ranges:
        return False
    if table.rules.unparsed:
        return False  # candidates are shown to the database for these CHECKs: not while a COPY runs
    for fk in table.foreign_keys:
        if fk.parent == table.key or any(set(u) <= set(fk.columns) for u in table.uniques):
            return False
    return True


def _insert_streamed(
    state: RunState, table: SeedTable, count: int, seeder: LoadedSeeder, marker: dict[str, Any]
) -> TableRows:
    conn, dialect = state.conn, state.dialect
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    numbered = set(table.sequences) | {
        u[0]
        for u in [*table.uniques, table.primary_key]
        if len(u) == 1 and u[0] not in fk_columns and table.columns[u[0]].kind == "int"
    }
    for column in sorted(numbered):  # every key before the COPY starts: later chunks never query
        spec = table.columns[column]
        if not spec.skip:
            state.ids[(table.key, column)] = allocate_numbers(state, table, column, spec, count)
    # A small first chunk (made before the COPY starts, it reads what later chunks need), then full ones.
    first_size = min(count, max(1, STREAM_CHUNK // 10))
    rest = count - first_size
    sizes = [first_size] + [STREAM_CHUNK] * (rest // STREAM_CHUNK)
    if rest % STREAM_CHUNK:
        sizes.append(rest % STREAM_CHUNK)

    def chunk(size: int) -> TableRows:
        rows = own_columns(state, table, size, seeder, marker, total=count)
        foreign_keys(state, rows, set())
        return rows

    first = chunk(sizes[0])
    columns = first.columns
    # Kept after sending: the key (for the ledger) and what other tables' foreign keys point at.
    wanted = set(table.identity_key)
    for other in state.schema.tables.values():
        for fk in other.foreign_keys:
            if fk.parent == table.key:
                wanted.update(fk.referred)
    kept = [c for c in columns if c in wanted]
    parts: list[TableRows] = [first]

    def produce() -> Iterator[list[list[Any]]]:
        yield [first.data[c] for c in columns]
        progress.advance(first.count)
        for size in sizes[1:]:
            rows = chunk(size)
            payload = [rows.data[c] for c in columns]
            rows.data = {c: rows.data[c] for c in kept}  # the rest goes into the COPY only
            parts.append(rows)
            yield payload
            progress.advance(rows.count)

    try:
        with conn.begin_nested():
            dialect.insert_stream(conn, table, columns, produce())
    except DBAPIError as exc:
        message = dialect.describe_error(exc)
        raise SeedError(
            f"inserting into {table.key} failed: {scrub(message)}", "nothing was committed"
        ) from exc
    whole = TableRows(table, {c: [v for part in parts for v in part.data[c]] for c in kept}, 0, first.marker)
    whole.count = sum(part.count for part in parts)
    return whole


def _seeder(seeders: list[LoadedSeeder], table: SeedTable, schema: SeedSchema) -> LoadedSeeder:
    return choose_seeder(seeders, shape_of(table, schema))


def _marker(table: SeedTable, settings: Settings) -> dict[str, Any]:
    kind, column = choose_marker(table, settings)
    return marker_spec(kind, column, settings.mock_prefix)


def _insert(conn: Connection, dialect: Dialect, table: SeedTable, rows: TableRows) -> None:
    columns = rows.columns
    tuples = rows.tuples()
    # PostgreSQL loads a table with one COPY, a single statement: it fails whole and names the failing line
    # or key, so no savepoint is needed to find the row (a failed run is rolled back whole anyway).  The
    # other databases insert in batches and find a failing row by retrying inside savepoints.
    atomic = dialect.streams_bulk_load
    try:
        if atomic:
            dialect.insert_rows(conn, table, columns, tuples)
        else:
            with conn.begin_nested():
                dialect.insert_rows(conn, table, columns, tuples)
        progress.advance(len(tuples))
    except DBAPIError as exc:
        message = dialect.describe_error(exc)
        if dialect.is_connection_lost(exc):
            raise SeedError(
                f"inserting into {table.key} failed: the connection was lost ({scrub(message)})",
                "nothing was committed",
            ) from exc
        if dialect.is_timeout(exc):
            raise SeedError(
                f"inserting into {table.key} failed: the server gave up ({scrub(message)})",
                "nothing was committed; raise the statement or lock timeout, or seed fewer rows",
            ) from exc
        row = _failing_row(conn, dialect, table, columns, tuples, exc, probe=not atomic)
        where = f"; row {row}" if row else ""
        raise RejectedRows(table.key, f"the server rejected a row: {scrub(message)}{where}") from exc


class RejectedRows(UnfillableTable):
    """The server refused a row of the table (a CHECK, a key, a trigger's own rule), the others maybe not."""


def _insert_accepted(
    conn: Connection,
    dialect: Dialect,
    guard: InsertGuard,
    table: SeedTable,
    rows: TableRows,
    rejected: RejectedRows,
) -> TableRows:
    """Insert the rows the server accepts, one savepoint each, and keep only those.

    A rule the seeder cannot read (a trigger that raises for some parent combinations, an expression index)
    rejects some generated rows, rarely all of them: the table is filled with the accepted ones (its note says
    fewer rows than asked).  When the server accepts none, the table is skipped with the first rejection.
    """
    columns = rows.columns
    accepted: list[int] = []
    with conn.begin_nested():
        before = guard.before([table])
        for index, row in enumerate(rows.tuples()):
            try:
                with conn.begin_nested():
                    dialect.insert_rows(conn, table, columns, [row])
            except DBAPIError as exc:
                if dialect.is_connection_lost(exc) or dialect.is_timeout(exc):
                    raise SeedError(
                        f"inserting into {table.key} failed: {scrub(dialect.describe_error(exc))}",
                        "nothing was committed",
                    ) from exc
                continue
            accepted.append(index)
        if not accepted:
            raise rejected
        rows.keep(accepted)
        guard.after(before, [(table, rows)])
    return rows


def _failing_row(
    conn: Connection,
    dialect: Dialect,
    table: SeedTable,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    exc: DBAPIError,
    *,
    probe: bool = True,
) -> str | None:
    """The first row the database rejects.

    COPY names its line, or the key of a failed foreign-key check (the first row holding that key); batches
    are retried one row at a time inside savepoints when ``probe`` (the transaction is still usable).
    """
    diag = getattr(exc.orig, "diag", None)
    line = getattr(diag, "context", None) or ""
    import re

    # the COPY's own line: a trigger that failed during the COPY names its function's line first
    match = re.search(r"\bCOPY [^\n]*?, line (\d+)", line)
    if match:
        index = int(match.group(1)) - 1
        if 0 <= index < len(rows):
            return _row_text(columns, rows[index])
        return None
    found = _row_by_detail(columns, rows, getattr(diag, "message_detail", None) or "")
    if found is not None or not probe:
        return found
    if len(rows) > 5000:
        return None
    savepoint = conn.begin_nested()
    try:
        for row in rows:
            try:
                with conn.begin_nested():
                    dialect.insert_rows(conn, table, columns, [row])
            except DBAPIError:
                return _row_text(columns, row)
    finally:
        savepoint.rollback()
    return None


def _row_by_detail(columns: Sequence[str], rows: list[tuple[Any, ...]], detail: str) -> str | None:
    """The first row holding the key of a detail like ``Key (a, b)=(1, x) is not present in ...``."""
    import re

    match = re.match(r"Key \((.+?)\)=\((.*)\)", detail)
    if not match:
        return None
    names = [n.strip().strip('"') for n in match.group(1).split(",")]
    values = [v.strip() for v in match.group(2).split(",")]
    if len(names) != len(values) or not set(names) <= set(columns):
        return None
    positions = [list(columns).index(n) for n in names]
    for row in rows:
        if all(str(row[p]) == v for p, v in zip(positions, values, strict=True)):
            return _row_text(columns, row)
    return None


def _row_text(columns: Sequence[str], row: tuple[Any, ...]) -> str:
    shown = ", ".join(f"{c}={v!r}" for c, v in list(zip(columns, row, strict=False))[:8])
    return "{" + shown + "}"


def _fill_deferred(
    state: RunState, table: SeedTable, rows: TableRows, deferred: set[tuple[str, ...]]
) -> None:
    """Second half of a cycle broken at nullable keys: point them at the rows that now exist."""
    key = [c for c in table.identity_key if c in rows.data]
    rng = table_rng(state.seed, table.key, "deferred")
    for fk in table.foreign_keys:
        if fk.columns not in deferred:
            continue
        candidates = state.parent_keys(fk)
        if not candidates or rows.count == 0:
            continue
        unique = any(set(u) <= set(fk.columns) for u in table.uniques)
        if unique:
            picks = rng.sample(range(len(candidates)), min(rows.count, len(candidates)))
            chosen = [candidates[p] for p in picks] + [None] * (rows.count - len(picks))
        else:
            chosen = [rng.choice(candidates) for _ in range(rows.count)]
        updates = []
        for i, parent_key in enumerate(chosen):
            if parent_key is None:
                continue
            for position, column in enumerate(fk.columns):
                rows.data[column][i] = parent_key[position]
            updates.append(tuple(rows.data[c][i] for c in key) + tuple(parent_key))
        try:
            with state.conn.begin_nested():
                state.dialect.update_rows(state.conn, table, key, fk.columns, updates)
        except DBAPIError as exc:
            raise SeedError(
                f"setting {table.key}.{','.join(fk.columns)} after the cycle failed: "
                f"{state.dialect.describe_error(exc)}",
                "nothing was committed",
            ) from exc


def _repoint(state: RunState, group: list[TableRows]) -> None:
    """Inside a cycle inserted together, rows dropped as duplicates must not stay referenced."""
    by_key = {rows.table.key: rows for rows in group}
    for rows in group:
        rng = table_rng(state.seed, rows.table.key, "repoint")
        for fk in rows.table.foreign_keys:
            parent = by_key.get(fk.parent)
            if parent is None or parent is rows or parent.table.has_rows:
                continue
            valid = [k for k in parent.tuples(fk.referred) if None not in k]
            allowed = set(valid)
            for i in range(rows.count):
                current = tuple(rows.data[c][i] for c in fk.columns)
                if None in current or current in allowed:
                    continue
                if not valid:
                    raise UnfillableTable(rows.table.key, f"no rows left in {parent.table.name} to point at")
                pick = rng.choice(valid)
                for position, column in enumerate(fk.columns):
                    rows.data[column][i] = pick[position]
