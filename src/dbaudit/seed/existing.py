"""The database's own data first: a column that already holds values gives new rows of the same look.

Where from, in order: the table's own rows, else the same-named column (of the same type) in another
populated table.  How: the dialect layer reads the column cheaply (PostgreSQL's planner statistics where
ANALYZE has run, else a bounded sample).  Dates and timestamps are drawn within the span of the existing
ones, numbers from the existing distribution, codes and categories from the existing values.  Names, emails,
addresses and any other free text are never copied from real rows: mock rows must not carry a real person's
data.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from dbaudit.dialects import Dialect
from dbaudit.dialects.base import ColumnSample
from dbaudit.seed.kinds import constrained, replace_misfits
from dbaudit.seed.schema import SeedSchema, SeedTable
from dbaudit.seed.semantics import Semantic
from dbaudit.seed.values import ColumnSpec, GenContext, as_kind

#: Kinds of text whose existing values may be reused: codes and categories, never a person's data.
SHARED_TEXT = frozenset(
    {
        "status",
        "category",
        "currency_code",
        "country_code",
        "language_code",
        "locale",
        "timezone",
        "gender",
        "region_code",
        "mime_type",
        "file_extension",
    }
)
#: Kinds of numbers not drawn from existing values (keys, positions made unique elsewhere).
_OWN_NUMBERS = frozenset({"identifier", "position", "version", "boolean"})


@dataclass
class ExistingData:
    """Samples read during one run (each column read once)."""

    conn: Connection
    dialect: Dialect
    schema: SeedSchema
    samples: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    source: dict[tuple[str, str], str] = field(default_factory=dict)
    """(table, column) -> the table the values came from (for the summary and the tests)."""
    _by_column: dict[str, list[SeedTable]] | None = None

    def values_of(self, table: SeedTable, column: str, spec: ColumnSpec) -> list[Any]:
        """Existing values of ``column`` (converted to the column's kind), from the table or a namesake."""
        key = (table.key, column)
        if key not in self.samples:
            self.samples[key] = []
            for other in self._sources(table, column, spec):
                values = _convert(self.dialect.column_sample(self.conn, other, column), spec)
                if values:
                    self.samples[key] = values
                    self.source[key] = other.key
                    break
        return self.samples[key]

    def _sources(self, table: SeedTable, column: str, spec: ColumnSpec) -> list[SeedTable]:
        out = [table] if table.has_rows and table.hidden is None else []
        if self._by_column is None:
            # column name -> the tables that have one, in key order: one pass, not one sort per column
            self._by_column = {}
            for other in sorted(self.schema.tables.values(), key=lambda t: t.key):
                for name in other.columns:
                    self._by_column.setdefault(name, []).append(other)
        for other in self._by_column.get(column, ()):
            if other is table or not other.has_rows or other.hidden is not None or other.is_partition:
                continue
            namesake = other.columns.get(column)
            if namesake is not None and namesake.kind == spec.kind and not namesake.skip:
                out.append(other)
        return out


def _convert(sample: ColumnSample, spec: ColumnSpec) -> list[Any]:
    if sample.values:
        return [_plain(v, spec) for v in sample.values if v is not None]
    out: list[Any] = []
    for text_value in [*sample.bounds, *sample.common]:
        value = as_kind(text_value, spec)
        if spec.kind in ("date", "datetime") and isinstance(value, str):
            continue
        out.append(_plain(value, spec))
    return out


def _plain(value: Any, spec: ColumnSpec) -> Any:
    if spec.kind == "datetime" and isinstance(value, dt.datetime):
        if spec.timezone and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        if not spec.timezone and value.tzinfo is not None:
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def usable(spec: ColumnSpec, sem: Semantic) -> bool:
    """Whether new values of this column may follow existing ones."""
    if constrained(spec):
        return False
    if spec.kind in ("date", "datetime"):
        return True
    if spec.kind in ("int", "decimal", "float", "year"):
        return sem.kind not in _OWN_NUMBERS
    return spec.kind == "str" and sem.kind in SHARED_TEXT


def existing_values(
    data: ExistingData | None,
    table: SeedTable,
    column: str,
    spec: ColumnSpec,
    sem: Semantic,
    n: int,
    ctx: GenContext,
) -> list[Any] | None:
    """``n`` values like the existing ones, or ``None`` when there are none to follow."""
    if data is None or not usable(spec, sem):
        return None
    seen = data.values_of(table, column, spec)
    if len(seen) < 2:
        return None
    rng = ctx.rng
    if spec.kind in ("date", "datetime"):
        values = _within_span(seen, n, rng)
    else:
        # Numbers and codes as often as they occur: a new payment's amount is one of the amounts seen.
        values = [seen[int(rng.random() * len(seen))] for _ in range(n)]
    return replace_misfits(values, spec, ctx)


def _within_span(seen: list[Any], n: int, rng: random.Random) -> list[Any]:
    try:
        low, high = min(seen), max(seen)
    except TypeError:
        return [seen[int(rng.random() * len(seen))] for _ in range(n)]
    if isinstance(low, dt.datetime):
        seconds = int((high - low).total_seconds())
        return [low + dt.timedelta(seconds=rng.randint(0, max(0, seconds))) for _ in range(n)]
    if isinstance(low, dt.date):
        days = (high - low).days
        return [low + dt.timedelta(days=rng.randint(0, max(0, days))) for _ in range(n)]
    if isinstance(low, (int, float, decimal.Decimal)):
        return [seen[int(rng.random() * len(seen))] for _ in range(n)]
    return [seen[int(rng.random() * len(seen))] for _ in range(n)]


PARENT_LOOKUP_LIMIT = 5_000
"""At most this many distinct parent keys are looked up for their times (larger batches keep their times)."""


def parent_event_times(
    conn: Connection,
    parent: SeedTable,
    referred: tuple[str, ...],
    keys: list[tuple[Any, ...] | None],
    made: dict[str, list[Any]] | None,
) -> list[Any] | None:
    """When each row's parent happened (its event column, :func:`dbaudit.seed.pairs.event_column`), for the
    parent keys ``keys`` (None: no parent); from the rows this run made (``made``), else from the database."""
    from sqlalchemy import tuple_

    from dbaudit.seed.pairs import event_column

    column = event_column(parent.columns, {c for fk in parent.foreign_keys for c in fk.columns})
    if column is None:
        return None
    times: dict[tuple[Any, ...], Any] = {}
    if made is not None and column in made and all(c in made for c in referred):
        rows = zip(*(made[c] for c in referred), made[column], strict=False)
        times = {tuple(row[:-1]): row[-1] for row in rows}
    wanted = sorted({k for k in keys if k is not None and k not in times}, key=repr)
    if wanted and parent.has_rows and len(wanted) <= PARENT_LOOKUP_LIMIT:
        cols = [parent.sa.c[c] for c in referred]
        target = cols[0] if len(cols) == 1 else tuple_(*cols)
        plain = [k[0] for k in wanted] if len(cols) == 1 else wanted
        stmt = parent.restrict(select(*cols, parent.sa.c[column]).where(target.in_(plain)))
        for row in conn.execute(stmt):
            times[tuple(row[:-1])] = row[-1]
    return [None if k is None else times.get(k) for k in keys]
