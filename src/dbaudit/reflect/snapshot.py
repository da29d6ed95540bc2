"""``reflect_database``: a live database in, a :class:`~dbaudit.model.DatabaseSnapshot` out.

Everything runs in one read-only transaction: the catalog of each schema in one pass, the catalog
estimates, a probe of every table, then exact counts where they are cheap.  Where the engine shares a
transaction's snapshot between connections (PostgreSQL), the probes and counts run on a second connection
reading that snapshot while the first reads the catalog (:mod:`dbaudit.reflect.side_counts`).

The count policy:

* every Empty / Populated status rests on a probe (or an exact count), never on an estimate;
* a table whose rows row-level security hides from the role is Unreadable: no probe, no count;
* ``settings.counts=False``: probes only;
* ``settings.exact``: ``COUNT(*)`` for every populated table, with no time limit;
* otherwise ``COUNT(*)`` when the estimate says the table is smaller than ``settings.exact_threshold`` (or
  there is no estimate), within ``settings.count_timeout`` seconds; else, or when that runs out, the estimate.
"""

from __future__ import annotations

import fnmatch
import functools
import gc
import logging
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SAWarning, SQLAlchemyError

from dbaudit import progress
from dbaudit.config import Settings
from dbaudit.dialects import Dialect, Estimate, dialect_for
from dbaudit.dialects.catalog import read_schema
from dbaudit.dialects.engine import connect, statement_failed
from dbaudit.errors import DatabaseError, DbauditError, SchemaNotFound
from dbaudit.model import (
    CountMethod,
    DatabaseSnapshot,
    RowCount,
    Table,
    TableRef,
    TableState,
    TableStatus,
    View,
    natural_key,
)
from dbaudit.reflect.counts import Failure, Target, count_or_probe_tables, count_tables, probe_tables
from dbaudit.reflect.side_counts import Measured, SideCounts
from dbaudit.reflect.steps import step
from dbaudit.urls import mask_url, scrub

log = logging.getLogger("dbaudit.reflect")

#: Allocations between two young-generation collections while reflecting (Python's default: 700).
RELAXED_GC_THRESHOLD = 100_000
#: Thresholds of the two older generations meanwhile (defaults 10, 10): full-heap passes become rare.
RELAXED_GC_OLDER = (50, 1_000)


def reflect_database(settings: Settings, engine: Engine | None = None) -> DatabaseSnapshot:
    """Reflect the database ``settings.url`` names (or ``engine``), probe and count its tables.

    Never writes: the work runs in a read-only transaction that is rolled back.  Raises a
    :class:`~dbaudit.errors.DbauditError` subclass when the database cannot be reached or read.
    """
    own_engine = engine is None
    engine = engine if engine is not None else connect(settings)
    secrets = (str(engine.url.password),) if engine.url.password else ()
    try:
        with collector_relaxed(), engine.connect() as conn:
            dialect = dialect_for(engine.dialect.name)
            if dialect.isolation_level:
                conn.execution_options(isolation_level=dialect.isolation_level)
            dialect.begin_read_only(conn)
            try:
                snapshot = _reflect(conn, dialect, settings, mask_url(engine.url), engine)
            except BaseException:
                if not conn.invalidated:
                    with suppress(SQLAlchemyError):  # best effort: the first error is the one to report
                        conn.rollback()
                raise
            dialect.end_read_only(conn)
            return snapshot
    except DbauditError:
        raise
    except DBAPIError as exc:  # outside the steps of _reflect: opening or ending the transaction
        raise statement_failed(engine.url, exc, "reading the database") from exc
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"reading {mask_url(engine.url)} failed: {scrub(str(exc).splitlines()[0], secrets)}"
        ) from exc
    finally:
        if own_engine:
            engine.dispose()


def resolve_schemas(conn: Connection, dialect: Dialect, settings: Settings, shown_url: str) -> list[str]:
    """The schemas to audit: the requested ones (checked), every non-system one, or the default one."""
    existing = dialect.schema_names(conn)
    if settings.all_schemas:
        return sorted(dialect.list_schemas(conn, existing))
    if settings.schemas:
        missing = [s for s in settings.schemas if s not in existing]
        if missing:
            shown = ", ".join(sorted(dialect.list_schemas(conn, existing))[:20]) or "none"
            raise SchemaNotFound(
                f"schema {missing[0]!r} does not exist in {shown_url}",
                f"existing schemas: {shown}; check --schema / [tool.dbaudit] schemas",
            )
        return list(dict.fromkeys(settings.schemas))
    default = dialect.default_schema(conn)
    if default is None:
        raise dialect.no_default_schema(shown_url)
    return [default]


def _reflect(
    conn: Connection, dialect: Dialect, settings: Settings, shown_url: str, engine: Engine | None = None
) -> DatabaseSnapshot:
    with step(conn, "reading the server version"):
        version = dialect.server_version(conn)
    with step(conn, "listing the schemas"):
        schemas = resolve_schemas(conn, dialect, settings, shown_url)
    # SQLite's one schema is "main", reached by not naming it.
    arguments = [(schema if dialect.has_schemas else None, schema) for schema in schemas]
    side = None
    if engine is not None:
        with step(conn, "sharing the snapshot with a second connection"):
            side = SideCounts.start(engine, conn, dialect, settings, arguments, measure_tables)
    tables: list[Table] = []
    views: list[View] = []
    hidden: dict[tuple[str | None, str], str] = {}
    try:
        for schema_arg, schema in arguments:
            with _warnings_to_log(), step(conn, f"reading the catalog of schema {schema!r}"):
                catalog = read_schema(
                    conn,
                    dialect,
                    schema_arg,
                    include=settings.include,
                    exclude=settings.exclude,
                    label=schema,
                )
            log.debug("schema %s: %d tables, %d views", schema, len(catalog.tables), len(catalog.views))
            tables.extend(catalog.tables)
            views.extend(catalog.views)
            hidden.update(((schema_arg, name), why) for name, why in catalog.hidden.items())
    except BaseException:
        if side is not None:
            side.stop()
        raise
    found: dict[TableRef, Measured] = {}
    if side is not None:
        found.update(side.result() or {})
    # Counted here: everything when no second connection counted, else what it did not find (nothing, as
    # both read one snapshot; kept so that a difference could never leave a table without its status).
    rest = [t.ref for t in tables if t.ref not in found]
    if rest:
        estimates: dict[tuple[str | None, str], Estimate] = {}
        if settings.counts:
            for schema_arg, schema in arguments:
                with step(conn, f"reading the row estimates of schema {schema!r}"):
                    for name, estimate in dialect.estimates(conn, schema_arg).items():
                        estimates[(schema_arg, name)] = estimate
        with step(conn, f"probing and counting {len(rest)} tables"):
            found.update(
                zip(rest, measure_tables(conn, dialect, settings, rest, estimates, hidden), strict=True)
            )
    states = [table_state(t, *found[t.ref], settings) for t in tables]
    return DatabaseSnapshot(
        dialect=dialect.display_name(conn),
        url=shown_url,
        server_version=version,
        schemas=tuple(schemas),
        tables=tuple(sorted(states, key=lambda s: (s.table.schema or "", natural_key(s.table.name)))),
        views=tuple(sorted(views, key=lambda v: (v.schema or "", natural_key(v.name), v.kind.value))),
    )


@contextmanager
def collector_relaxed() -> Iterator[None]:
    """Run the cyclic garbage collector less often while the catalog is read.

    Reflection allocates hundreds of thousands of short-lived, acyclic dicts and lists (one set per column,
    key and constraint); with the default thresholds the collector walks them over and over, a quarter to a
    third of reflection's Python time at 1,000 tables.  Collections still happen (memory stays bounded),
    just ~100 times less often; the previous thresholds are restored afterwards.  ``report`` keeps it so for
    the whole command: the gap analysis and the rendering allocate as much, and with the snapshot's million
    objects alive every full collection costs a few tenths of a second.
    """
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], RELAXED_GC_THRESHOLD), *RELAXED_GC_OLDER)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@contextmanager
def _warnings_to_log() -> Iterator[None]:
    """Reflection warnings of SQLAlchemy (an unparsable constraint, an odd type) go to the log, not stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SAWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, SAWarning):
            log.debug("reflection: %s", warning.message)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


@dataclass(frozen=True)
class _Pending:
    """A populated table waiting for its count, with what is known so far."""

    index: int
    estimate: Estimate | None


def table_state(table: Table, count: RowCount | None, failure: str | None, settings: Settings) -> TableState:
    """The status of ``table`` from what :func:`measure_tables` found of it."""
    return _state(table, count, failure, settings.system_tables)


def measure_tables(
    conn: Connection,
    dialect: Dialect,
    settings: Settings,
    refs: Sequence[TableRef],
    estimates: Mapping[tuple[str | None, str], Estimate],
    hidden: Mapping[tuple[str | None, str], str] | None = None,
) -> list[Measured]:
    """Probe every table of ``refs``, count where the policy says so: per table its count, or why it has none.

    A table in ``hidden`` (row-level security filters its rows for this role) is neither probed nor counted:
    what the role sees of it says nothing about what it holds, so it is Unreadable with the reason.
    """
    budget = settings.count_timeout if settings.count_timeout and settings.count_timeout > 0 else None
    targets = [Target(r.name, r.schema) for r in refs]
    reasons: list[str | None] = [(hidden or {}).get((r.schema, r.name)) for r in refs]
    readable = [i for i, reason in enumerate(reasons) if reason is None]
    if settings.counts and not settings.exact:
        counted = _measure_in_one_pass(
            conn, dialect, settings, refs, targets, readable, reasons, estimates, budget
        )
        return list(zip(counted, reasons, strict=True))
    progress.phase("tables probed", len(readable))
    probes = probe_tables(conn, dialect, [targets[i] for i in readable], budget)
    counts: list[RowCount | None] = [None] * len(refs)
    to_count: list[_Pending] = []
    for i, probe in zip(readable, probes, strict=True):
        if isinstance(probe, Failure):
            timed_out = probe.reason.startswith("timed out")
            reasons[i] = f"probe {probe.reason}" if timed_out else probe.reason
        elif not probe:
            counts[i] = RowCount(CountMethod.PROBE, populated=False, value=0)
        elif not settings.counts:
            counts[i] = RowCount(CountMethod.PROBE, populated=True)
        else:
            estimate = estimates.get((refs[i].schema, refs[i].name))
            if not settings.exact and estimate is not None and estimate.rows >= settings.exact_threshold:
                counts[i] = RowCount(CountMethod.ESTIMATE, populated=True, value=estimate.rows)
            else:
                to_count.append(_Pending(i, estimate))
    if to_count:
        sized = [replace(targets[p.index], rows=p.estimate.rows if p.estimate else None) for p in to_count]
        progress.phase("tables counted", len(sized))
        exact = count_tables(conn, dialect, sized, None if settings.exact else budget)
        for pending, result in zip(to_count, exact, strict=True):
            counts[pending.index] = _count_or_fallback(result, pending.estimate)
            if isinstance(result, Failure):
                kept = "the estimate" if pending.estimate is not None else "the probe"
                log.info(
                    "no exact count for %s (%s); keeping %s", refs[pending.index].key, result.reason, kept
                )
    return list(zip(counts, reasons, strict=True))


def _measure_in_one_pass(
    conn: Connection,
    dialect: Dialect,
    settings: Settings,
    refs: Sequence[TableRef],
    targets: Sequence[Target],
    readable: Sequence[int],
    reasons: list[str | None],
    estimates: Mapping[tuple[str | None, str], Estimate],
    budget: float | None,
) -> list[RowCount | None]:
    """The default policy with one read per table: a count where the estimate says small (or there is none),
    a probe where it says large, in shared statements.  ``reasons`` gets the reasons of unreadable tables.

    The statuses are those of probing first and counting after: a count of 0 is what a probe finding no row
    says (recorded as the probe's answer); a count that fails (its time budget ran out) is followed by a
    probe of that table alone, then the estimate or the probe's answer stands, as when a count fails after a
    probe.
    """
    counts: list[RowCount | None] = [None] * len(refs)
    found: list[Estimate | None] = [estimates.get((refs[i].schema, refs[i].name)) for i in readable]
    probe_only = [e is not None and e.rows >= settings.exact_threshold for e in found]
    sized = [replace(targets[i], rows=e.rows if e else None) for i, e in zip(readable, found, strict=True)]
    progress.phase("tables counted", len(sized))
    answers = count_or_probe_tables(conn, dialect, sized, probe_only, budget)
    failed_counts: list[int] = []  # positions in ``readable``
    for k, (i, answer) in enumerate(zip(readable, answers, strict=True)):
        estimate = found[k]
        if isinstance(answer, Failure):
            if probe_only[k]:
                timed_out = answer.reason.startswith("timed out")
                reasons[i] = f"probe {answer.reason}" if timed_out else answer.reason
            else:
                failed_counts.append(k)
        elif answer is False or answer == 0:
            counts[i] = RowCount(CountMethod.PROBE, populated=False, value=0)
        elif probe_only[k] and estimate is not None:
            counts[i] = RowCount(CountMethod.ESTIMATE, populated=True, value=estimate.rows)
        else:
            counts[i] = RowCount(CountMethod.EXACT, populated=True, value=int(answer))
    if failed_counts:
        progress.phase("tables probed after a failed count", len(failed_counts))
        probes = probe_tables(conn, dialect, [targets[readable[k]] for k in failed_counts], budget)
        for k, probe in zip(failed_counts, probes, strict=True):
            i, failure = readable[k], answers[k]
            assert isinstance(failure, Failure)
            if isinstance(probe, Failure):
                timed_out = probe.reason.startswith("timed out")
                reasons[i] = f"probe {probe.reason}" if timed_out else probe.reason
            elif not probe:
                counts[i] = RowCount(CountMethod.PROBE, populated=False, value=0)
            else:
                counts[i] = _count_or_fallback(failure, found[k])
                kept = "the estimate" if found[k] is not None else "the probe"
                log.info("no exact count for %s (%s); keeping %s", refs[i].key, failure.reason, kept)
    return counts


def _count_or_fallback(result: int | Failure, estimate: Estimate | None) -> RowCount:
    if not isinstance(result, Failure):
        return RowCount(CountMethod.EXACT, populated=result > 0, value=result)
    if estimate is not None:
        return RowCount(CountMethod.ESTIMATE, populated=True, value=estimate.rows)
    return RowCount(CountMethod.PROBE, populated=True)


def system_rule(name: str, patterns: Sequence[str]) -> str | None:
    """The system-table pattern ``name`` matches, if any (the first one, in the order given)."""
    ordered = tuple(patterns)
    match = _system_matcher(ordered).match(name)
    if match is None:
        return None
    return next(p for i, p in enumerate(ordered) if match.group(f"rule{i}") is not None)


@functools.lru_cache(maxsize=8)
def _system_matcher(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """The globs compiled once into one expression, one named group per glob (tried in order)."""
    if not patterns:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(f"(?P<rule{i}>{fnmatch.translate(p)})" for i, p in enumerate(patterns)))


def _state(
    table: Table, count: RowCount | None, failure: str | None, system_patterns: Sequence[str]
) -> TableState:
    rule = system_rule(table.name, system_patterns)
    if rule is not None:
        reason = (
            f"system table ({rule})" if failure is None else f"system table ({rule}); unreadable: {failure}"
        )
        return TableState(table=table, status=TableStatus.SYSTEM, count=count, reason=reason)
    if failure is not None or count is None:
        return TableState(table=table, status=TableStatus.UNREADABLE, reason=failure or "not probed")
    status = TableStatus.POPULATED if count.populated else TableStatus.EMPTY
    return TableState(table=table, status=status, count=count)
