"""Probes and exact counts, batched, each statement under a time budget, one failing table isolated.

A probe asks ``EXISTS (SELECT 1 FROM t)`` and an exact count ``(SELECT count(*) FROM t)``; many tables are
asked in one statement (one column each) so 10,000 tables cost a few dozen round trips.  When a batch fails (a
table the role may not read, a probe that ran out of time) every table of that batch is asked again on its
own, inside a savepoint where the engine needs one (an error aborts a PostgreSQL transaction), so one bad
table never hides the others.  A batch is a ``select()`` of labelled columns, each written out once with the
table name quoted by the dialect's identifier preparer (``format_table``): building, cache-keying and
compiling an ``exists(select(...))`` construct per table cost more than the server's answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Integer, literal_column, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import IdentifierPreparer
from sqlalchemy.sql.expression import TableClause

from dbaudit import progress
from dbaudit.dialects import Dialect
from dbaudit.dialects.engine import ONE_OFF

#: Tables asked in one statement (PostgreSQL allows 1,664 result columns, SQLite 2,000).
BATCH_SIZE = 200
#: Estimated rows counted in one statement: a batch shares one time budget, so big tables go alone.
ROWS_PER_BATCH = 250_000
#: One type instance for every column: SQLAlchemy adapts (copies) a type per instance for each dialect.
_BOOLEAN = Boolean()
_INTEGER = Integer()


class Stopped(Exception):
    """The probes and counts of this thread were asked to stop (see :func:`stoppable`)."""


_this_thread = threading.local()


@contextmanager
def stoppable(stop: threading.Event) -> Iterator[None]:
    """In the block, this thread's probes and counts end with :class:`Stopped` at the next statement once
    ``stop`` is set (a statement already running is the caller's to cancel)."""
    _this_thread.stop = stop
    try:
        yield
    finally:
        _this_thread.stop = None


def _check_stop() -> None:
    stop: threading.Event | None = getattr(_this_thread, "stop", None)
    if stop is not None and stop.is_set():
        raise Stopped


@dataclass(frozen=True)
class Failure:
    """A table the statement could not read, and why (one line)."""

    reason: str


@dataclass(frozen=True)
class Target:
    """A table to ask about: its name and schema as the engine spells them."""

    name: str
    schema: str | None = None
    rows: int | None = None
    """Estimated rows, where the catalog has an estimate: groups tables into count batches."""

    def clause(self) -> TableClause:
        return table(self.name, schema=self.schema)


#: What is asked of one table (an ``EXISTS`` or a ``count(*)``), written out for the statement.
Expression = Callable[[Target, IdentifierPreparer], ColumnElement[Any]]


def probe_expression(target: Target, preparer: IdentifierPreparer) -> ColumnElement[Any]:
    """``EXISTS (SELECT 1 FROM target)``: stops at the first row, whatever the table's size."""
    return literal_column(f"EXISTS (SELECT 1 FROM {preparer.format_table(target.clause())})", _BOOLEAN)


def count_expression(target: Target, preparer: IdentifierPreparer) -> ColumnElement[Any]:
    """``(SELECT count(*) FROM target)``: reads the whole table."""
    return literal_column(f"(SELECT count(*) FROM {preparer.format_table(target.clause())})", _INTEGER)


def probe_tables(
    conn: Connection, dialect: Dialect, targets: Sequence[Target], budget: float | None
) -> list[bool | Failure]:
    """For each target: whether it holds at least one row, or why it could not be read."""
    return [
        v if isinstance(v, Failure) else bool(v)
        for v in _ask(conn, dialect, targets, lambda _i: probe_expression, budget)
    ]


def count_tables(
    conn: Connection, dialect: Dialect, targets: Sequence[Target], budget: float | None
) -> list[int | Failure]:
    """For each target: its exact row count, or why it could not be counted within ``budget`` seconds."""
    return [
        v if isinstance(v, Failure) else int(v)
        for v in _ask(conn, dialect, targets, lambda _i: count_expression, budget, ROWS_PER_BATCH)
    ]


def count_or_probe_tables(
    conn: Connection, dialect: Dialect, targets: Sequence[Target], probe: Sequence[bool], budget: float | None
) -> list[int | bool | Failure]:
    """One pass over the tables: for each target an exact count (an ``int``) or, where ``probe`` says so (the
    estimate says it is large), whether it holds a row (a ``bool``), or why it could not be read.

    Counts and probes share statements (batched as counts are, by estimated rows), so a table is read once
    instead of probed first and counted after.
    """
    chosen: list[Expression] = [probe_expression if p else count_expression for p in probe]
    sized = [replace(t, rows=0) if p else t for t, p in zip(targets, probe, strict=True)]
    answers = _ask(conn, dialect, sized, lambda i: chosen[i], budget, ROWS_PER_BATCH)
    return [
        a if isinstance(a, Failure) else (bool(a) if p else int(a))
        for a, p in zip(answers, probe, strict=True)
    ]


def _ask(
    conn: Connection,
    dialect: Dialect,
    targets: Sequence[Target],
    pick: Callable[[int], Expression],
    budget: float | None,
    max_rows: int | None = None,
) -> list[Any]:
    """Ask of every target the expression ``pick`` gives for its index."""
    results: list[Any] = [None] * len(targets)
    preparer = conn.dialect.identifier_preparer
    for start, batch in batches(targets, max_rows):
        # One row, one column per table: cheaper to build and to plan than a UNION of selects.
        _check_stop()
        statement = select(*(pick(start + i)(t, preparer).label(f"v{i}") for i, t in enumerate(batch)))
        try:
            with _guarded(conn, dialect, budget):
                row = conn.execute(statement, execution_options=ONE_OFF).one()
            results[start : start + len(batch)] = list(row)
            progress.advance(len(batch))
            continue
        except DBAPIError as exc:
            if exc.connection_invalidated:  # the connection is gone: nothing more can be read
                raise
        for i, target in enumerate(batch, start):
            _check_stop()
            try:
                with _guarded(conn, dialect, budget):
                    results[i] = conn.execute(select(pick(i)(target, preparer))).scalar()
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise
                results[i] = Failure(dialect.explain_failure(exc, budget))
        progress.advance(len(batch))
    return results


def batches(targets: Sequence[Target], max_rows: int | None) -> Iterator[tuple[int, Sequence[Target]]]:
    """(start index, targets) of consecutive batches: at most BATCH_SIZE tables, and at most ``max_rows``
    estimated rows unless a single table alone is bigger."""
    start = 0
    while start < len(targets):
        end, rows = start, 0
        while end < len(targets) and end - start < BATCH_SIZE:
            size = targets[end].rows or 0
            if max_rows is not None and end > start and rows + size > max_rows:
                break
            rows += size
            end += 1
        yield start, targets[start:end]
        start = end


@contextmanager
def _guarded(conn: Connection, dialect: Dialect, budget: float | None) -> Iterator[None]:
    """Run the statements of the block in a savepoint that is always rolled back once their rows are read.

    Rolling back (rather than releasing) also frees the table locks the reads took: PostgreSQL keeps every
    lock to the end of the transaction otherwise, and 10,000 tables would exhaust its lock table.  Nothing
    is lost: the statements only read.
    """
    if not dialect.savepoints:
        with dialect.time_budget(conn, budget):
            yield
        return
    savepoint = conn.begin_nested()
    try:
        with dialect.time_budget(conn, budget):
            yield
    finally:
        if not conn.invalidated:
            savepoint.rollback()
