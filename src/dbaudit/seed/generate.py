"""Rows for one table, column-wise: own columns first, then foreign keys from real parent keys.

Every random choice comes from a ``random.Random`` derived from the run's seed and the table's name, so the
sameseed, schema and existing data give the same rows, whatever else the run does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection

from dbaudit.dialects import Dialect
from dbaudit.errors import SeedError
from dbaudit.seed.api import LoadedSeeder, SeederContext
from dbaudit.seed.constraints import ColumnRule, Ordering
from dbaudit.seed.existing import ExistingData, existing_values, parent_event_times
from dbaudit.seed.kinds import column_values, table_semantics
from dbaudit.seed.pairs import after_parents, apply_pairs
from dbaudit.seed.plan import shape_of
from dbaudit.seed.predicates import UNSURE, passes
from dbaudit.seed.schema import ForeignKeyInfo, SeedSchema, SeedTable, only
from dbaudit.seed.server_check import check_verdicts
from dbaudit.seed.solve import CheckModel, RowFixer, check_model
from dbaudit.seed.values import (
    ColumnSpec,
    GenContext,
    Pools,
    disjoint_ranges,
    fit_text,
    generate_column,
    max_length,
)

NULL_SHARE = 0.1
EXISTING_KEY_LIMIT = 10_000
REDRAWS = 12
_ORDER_PAIRS = (
    ("created", "updated"),
    ("created", "modified"),
    ("start", "end"),
    ("starts", "ends"),
    ("begin", "end"),
    ("valid_from", "valid_to"),
    ("opened", "closed"),
    ("ordered", "shipped"),
    ("birth", "hire"),
    ("rental", "return"),
    ("issued", "due"),
    ("invoice", "due"),
)


class UnfillableTable(SeedError):
    """A table this run cannot fill (no parent row for a required foreign key), found while generating.

    Raised before anything of the table is written: the run skips the table with :attr:`reason` and goes on.
    """

    def __init__(self, table: str, reason: str) -> None:
        super().__init__(f"{table}: {reason}", "the table is skipped; the rest of the run goes on")
        self.table = table
        self.reason = reason


def table_rng(seed: int, table: str, purpose: str = "rows") -> random.Random:
    digest = hashlib.sha256(f"{seed}\0{table}\0{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass
class TableRows:
    """Generated rows of one table, column-wise."""

    table: SeedTable
    data: dict[str, list[Any]]
    count: int
    marker: dict[str, Any] = field(default_factory=lambda: {"kind": "ledger"})
    settled: set[tuple[str, ...]] = field(default_factory=set)
    """Unique keys already made unique (allocated numbers, de-duplicated text): no second pass needed."""

    @property
    def columns(self) -> list[str]:
        return list(self.data)

    def tuples(self, columns: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
        cols = list(columns) if columns is not None else self.columns
        return (
            list(zip(*(self.data[c] for c in cols), strict=False))
            if cols
            else [() for _ in range(self.count)]
        )

    def keep(self, indexes: Sequence[int]) -> None:
        for name, values in self.data.items():
            self.data[name] = [values[i] for i in indexes]
        self.count = len(indexes)


@dataclass
class RunState:
    """What one run shares across tables: the parent key pools, the tenant, the seed."""

    conn: Connection
    schema: SeedSchema
    dialect: Dialect
    seed: int
    pools: Pools
    tenant_columns: tuple[str, ...]
    tenant_option: str | None
    tenants: dict[str, Any] = field(default_factory=dict)
    created: dict[str, TableRows] = field(default_factory=dict)
    # Carried across the chunks of one table, so a table generated in chunks gets the rows it would in one go
    # (random streams continue, keys stay unique) and later chunks never need the database.
    rngs: dict[tuple[str, str], random.Random] = field(default_factory=dict)
    seeder_rows: dict[str, Any] = field(default_factory=dict)
    ids: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    # Sequence numbers drawn for many tables in one round trip before the run (PostgreSQL), raw.
    prefetched: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    taken: dict[tuple[str, str], tuple[set[Any], dict[str, int]]] = field(default_factory=dict)
    seen: dict[tuple[str, tuple[str, ...]], set[tuple[Any, ...]]] = field(default_factory=dict)

    def rng(self, table: str, purpose: str = "rows") -> random.Random:
        if (table, purpose) not in self.rngs:
            self.rngs[(table, purpose)] = table_rng(self.seed, table, purpose)
        return self.rngs[(table, purpose)]

    _existing: dict[tuple[str, tuple[str, ...], Any], list[tuple[Any, ...]]] = field(default_factory=dict)
    tenant_fallbacks: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)
    """Tables filled with fewer rows than asked because the server refused some: its first refusal."""
    check_models: dict[str, CheckModel] = field(default_factory=dict)
    range_after: dict[tuple[str, str], Any] = field(default_factory=dict)
    """Where the last range made for an exclusion constraint ends (the next one starts after it)."""
    accepted: dict[str, set[str]] = field(default_factory=dict)
    """Rows (as text of their values) the database found to satisfy the table's CHECKs Python cannot judge."""
    existing: ExistingData | None = None
    """Values of populated columns, read once per run (new rows follow the database's own data)."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Tables skipped while running (table key -> reason), so their dependents can name them."""
    """Parents with no row of the run's tenant and no shared row, whose other rows were used instead."""

    def checks_of(self, table: SeedTable) -> CheckModel:
        """The table's CHECKs as the generator uses them (analysed once per run)."""
        if table.key not in self.check_models:
            self.check_models[table.key] = check_model(table)
        return self.check_models[table.key]

    def existing_keys(self, parent: SeedTable, referred: tuple[str, ...]) -> list[tuple[Any, ...]]:
        """Up to 10,000 existing parent keys, in a reproducible order, scoped to this run's tenant.

        Rows of the tenant come first, then shared rows (a NULL tenant column: global templates, catalogues),
        each group in key order.  A parent with neither falls back to any of its rows, and the parent is
        recorded in :attr:`tenant_fallbacks` so the summary can say so.
        """
        if not parent.has_rows:
            return []
        tenant_filter = tuple(
            (c, self.tenants[c]) for c in self.tenant_columns if c in parent.sa.c and c in self.tenants
        )
        cache_key = (parent.key, referred, tenant_filter)
        if cache_key not in self._existing:
            keys = self._query_keys(parent, referred, tenant_filter)
            if tenant_filter and not keys:
                keys = self._query_keys(parent, referred, ())
                if keys:
                    self.tenant_fallbacks.add(parent.key)
            self._existing[cache_key] = keys
        return self._existing[cache_key]

    def _query_keys(
        self, parent: SeedTable, referred: tuple[str, ...], tenant_filter: tuple[tuple[str, Any], ...]
    ) -> list[tuple[Any, ...]]:
        cols = [parent.sa.c[c] for c in referred]
        stmt = select(*cols).where(*(c.is_not(None) for c in cols))
        shared: Any = None  # how many tenant columns of the row are NULL: the tenant's own rows first
        for name, value in tenant_filter:
            column = parent.sa.c[name]
            stmt = stmt.where(or_(column == value, column.is_(None)))
            is_shared = case((column.is_(None), 1), else_=0)
            shared = is_shared if shared is None else shared + is_shared
        order = [*([] if shared is None else [shared]), *cols]
        stmt = only(stmt.order_by(*order).limit(EXISTING_KEY_LIMIT), parent)
        return [tuple(r) for r in self.conn.execute(stmt)]

    def parent_keys(self, fk: ForeignKeyInfo) -> list[tuple[Any, ...]]:
        """Keys a row may point at: existing rows when the parent has any, else the rows this run made."""
        parent = self.schema.tables.get(fk.parent)
        if parent is None:
            return []
        existing = self.existing_keys(parent, fk.referred)
        if existing:
            return existing
        made = self.created.get(parent.key)
        if made is None or not all(c in made.data for c in fk.referred):
            return []
        return [k for k in made.tuples(fk.referred) if None not in k]


def _mark(rows: TableRows) -> None:
    """Put the mock marker on every row (idempotent)."""
    marker = rows.marker
    kind = marker["kind"]
    if kind == "column":
        rows.data[marker["column"]] = [True] * rows.count
    elif kind == "prefix":
        column = marker["column"]
        prefix = marker["prefix"]
        spec = rows.table.columns[column]
        limit = max_length(spec)
        values = rows.data.get(column) or [""] * rows.count
        out = [
            value if value.startswith(prefix) else prefix + value
            for value in (v if isinstance(v, str) else "" for v in values)
        ]
        if limit:
            out = [v if len(v) <= limit else v[:limit] for v in out]
        rows.data[column] = out


def build_rows(
    state: RunState,
    table: SeedTable,
    count: int,
    seeder: LoadedSeeder,
    marker: dict[str, Any],
    deferred: set[tuple[str, ...]],
) -> TableRows:
    """Own columns of ``count`` rows (keys allocated), then the foreign keys (``deferred`` ones left NULL)."""
    rows = own_columns(state, table, count, seeder, marker)
    foreign_keys(state, rows, deferred)
    return rows


def own_columns(
    state: RunState,
    table: SeedTable,
    count: int,
    seeder: LoadedSeeder,
    marker: dict[str, Any],
    total: int | None = None,
) -> TableRows:
    """``count`` rows' own columns (keys allocated, text made unique, marked).

    ``total`` is the whole table's row count when it is generated in chunks.
    """
    unsatisfiable = state.checks_of(table).unsatisfiable
    if unsatisfiable:
        raise UnfillableTable(table.key, unsatisfiable)
    rng = state.rng(table.key)
    shape = shape_of(table, state.schema)
    parent_keys: dict[tuple[str, ...], Sequence[tuple[Any, ...]]] = {
        fk.columns: state.parent_keys(fk) for fk in table.foreign_keys
    }
    tenant = next((state.tenants[c] for c in state.tenant_columns if c in state.tenants), None)
    if getattr(seeder.seeder, "fills_nothing", False):
        overrides: list[dict[str, Any]] = []
        n = count
    else:
        if table.key not in state.seeder_rows:
            context = SeederContext(
                table=shape,
                rows=total or count,
                rng=state.rng(table.key, "seeder"),
                parent_keys=parent_keys,
                tenant=tenant,
                seed=state.seed,
            )
            state.seeder_rows[table.key] = iter(seeder.seeder.rows(context))
        overrides = list(islice(state.seeder_rows[table.key], count))
        n = len(overrides)
    gen = GenContext(rng=rng, pools=state.pools, table=table.name)
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    data: dict[str, list[Any]] = {}
    single_uniques = {u[0] for u in table.uniques if len(u) == 1}
    if len(table.primary_key) == 1:
        single_uniques.add(table.primary_key[0])
    in_unique = {c for u in table.uniques for c in u} | set(table.primary_key)
    marker_column = marker.get("column")
    semantics = table_semantics(table.name, table.columns)
    if state.existing is None:
        state.existing = ExistingData(state.conn, state.dialect, state.schema)
    for name, spec in table.columns.items():
        if spec.skip or name in fk_columns:
            continue
        if spec.kind not in _KNOWN and spec.has_default:
            continue  # the database's default is the natural choice for a type dbaudit cannot generate
        if name in table.sequences or (spec.kind == "int" and name in single_uniques):
            data[name] = allocate_numbers(state, table, name, spec, n)
            continue
        if spec.kind not in _KNOWN or spec.rule.must_null:
            data[name] = [None] * n
            continue
        tenant_value = _plain_tenant(state, name, spec)
        if tenant_value is not None:
            data[name] = [tenant_value] * n  # a tenant column without a foreign key: the run's tenant
            continue
        # One random stream per column: a column's values depend on (seed, schema, table, column, row) only,
        # so adding or changing another column leaves them as they were.
        column_rng = state.rng(table.key, f"column:{name}")
        column_gen = dataclasses.replace(gen, rng=column_rng)
        if name == table.partition_key and table.partition_ranges:
            values = _partition_values(table, spec, n, rng)
        else:
            drawn = None
            if name not in in_unique:
                drawn = existing_values(state.existing, table, name, spec, semantics[name], n, column_gen)
            if drawn is None:
                drawn = column_values(spec, n, column_gen, state.seed, semantics[name])
            values = drawn
        # No random NULL in a JSON column: SQLAlchemy writes a Python None there as the JSON text 'null', not
        # as SQL NULL (a value the ledger of a keyless table then fails to match).
        sprinkle = spec.kind != "json"
        if (
            sprinkle
            and spec.nullable
            and name not in in_unique
            and name != marker_column
            and not spec.rule.not_null
        ):
            # NULLs from a stream of their own: row i is NULL or not whatever the number of rows.
            nulls = state.rng(table.key, f"nulls:{name}").random
            values = [None if nulls() < NULL_SHARE else v for v in values]
        data[name] = values
    for index, row in enumerate(overrides):
        for name, value in row.items():
            if name in data:
                data[name][index] = _conform(value, table.columns[name], data[name][index])
            elif name in fk_columns:
                data.setdefault(name, [None] * n)[index] = value
    if table.rules.exclusions:
        _exclusions(state, table, data, n)
    rows = TableRows(table, data, n, marker)
    _apply_orderings(rows, rng)
    fixed = fk_columns | set(table.sequences) | ({table.partition_key} if table.partition_key else set())
    apply_pairs(table.columns, data, state.rng(table.key, "pairs"), fixed)
    _mark(rows)
    for column in sorted(single_uniques):
        if column in data and table.columns[column].kind == "str":
            _unique_strings(state, rows, column)
            rows.settled.add((column,))
        elif column in data and not table.has_rows:
            rows.settled.add((column,))  # numbers from a sequence or from max + 1: unique by construction
    rows.data = {k: rows.data[k] for k in table.columns if k in rows.data}  # table column order
    return rows


_KNOWN = {
    "int",
    "year",
    "float",
    "decimal",
    "bool",
    "str",
    "datetime",
    "date",
    "time",
    "interval",
    "uuid",
    "json",
    "bytes",
    "enum",
    "set",
    "array",
    "inet",
    "cidr",
    "macaddr",
    "tsvector",
    "range",
}


def _exclusions(state: RunState, table: SeedTable, data: dict[str, list[Any]], n: int) -> None:
    """Rows that no exclusion constraint can find in conflict: one range compared with ``&&`` per
    constraint made disjoint from the others and from the table's rows (then no row excludes another)."""
    for exclusion in table.rules.exclusions:
        overlaps = [c for c, op in exclusion.elements if op == "&&"]
        supported = (
            overlaps
            and all(c is not None and op in ("=", "&&") for c, op in exclusion.elements)
            and all(c in table.columns and table.columns[c].kind == "range" for c in overlaps)
        )
        if not supported:
            raise UnfillableTable(
                table.key,
                f"exclusion constraint {exclusion.name} ({exclusion.definition}) is not one dbaudit can "
                "satisfy (it makes ranges compared with && disjoint)",
            )
        column = str(overlaps[0])
        item = table.columns[column].item
        assert item is not None
        key = (table.key, f"range:{column}")
        after = state.range_after.get(key)
        if after is None and table.has_rows:
            col = table.sa.c[column]
            after = state.conn.execute(only(select(func.max(func.upper(col))), table)).scalar()
        values = disjoint_ranges(item, n, after)
        data[column] = values
        if values:
            state.range_after[key] = _range_upper(values[-1], item.kind)


def _range_upper(value: str, kind: str) -> Any:
    upper = value.rstrip(")]").split(",")[-1].strip('"')
    if kind == "int":
        return int(upper)
    if kind == "decimal":
        return decimal.Decimal(upper)
    if kind == "date":
        return dt.date.fromisoformat(upper)
    return dt.datetime.fromisoformat(upper).replace(tzinfo=None)


def _plain_tenant(state: RunState, name: str, spec: ColumnSpec) -> Any:
    """The run's tenant for a tenant column that is no foreign key: the chosen one, else ``--tenant``."""
    if name not in state.tenant_columns:
        return None
    if name in state.tenants:
        return state.tenants[name]
    if state.tenant_option is None:
        return None
    value: Any = state.tenant_option
    if spec.kind == "int":
        try:
            value = int(value)
        except ValueError:
            raise SeedError(f"--tenant {value!r} is not a number, but {name} holds numbers") from None
    state.tenants[name] = value
    return value


def _conform(value: Any, spec: ColumnSpec, fallback: Any) -> Any:
    """A seeder's value if it respects the column's limits, else the generated one."""
    if value is None:
        return None if spec.nullable else fallback
    rule = spec.rule
    if rule.choices and value not in rule.choices:
        return fallback
    if isinstance(value, str) and spec.kind == "str":
        return fit_text(value, spec)
    return value


def numbered_columns(table: SeedTable) -> list[str]:
    """The columns :func:`own_columns` draws from the table's sequences."""
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    out = []
    for name in table.sequences:
        spec = table.columns[name]
        if spec.skip or name in fk_columns or (spec.kind not in _KNOWN and spec.has_default):
            continue
        out.append(name)
    return out


def allocate_numbers(state: RunState, table: SeedTable, column: str, spec: ColumnSpec, n: int) -> list[Any]:
    """``n`` new numbers for an integer key: from its sequence, else after the largest existing one."""
    if n == 0:
        return []
    allocated = state.ids.get((table.key, column))
    if allocated is not None:
        ids, state.ids[(table.key, column)] = allocated[:n], allocated[n:]
        return ids
    prefetched = state.prefetched.pop((table.key, column), None)
    if prefetched is not None and len(prefetched) >= n:
        ids = prefetched[:n]
    elif column in table.sequences:
        ids = state.dialect.allocate_ids(state.conn, table, column, n)
    else:
        ids = Dialect.allocate_ids(state.dialect, state.conn, table, column, n)
    low = spec.rule.low
    if isinstance(low, int) and ids and ids[0] < low:
        shift = low - ids[0] + (0 if spec.rule.low_inclusive else 1)
        ids = [i + shift for i in ids]
    return ids


def _partition_values(table: SeedTable, spec: ColumnSpec, n: int, rng: random.Random) -> list[Any]:
    """Spread rows over the partitions' ranges, round-robin, so every partition gets some."""
    from dbaudit.seed.constraints import ColumnRule

    ranges = sorted(table.partition_ranges, key=str)
    out: list[Any] = [None] * n
    for index in range(len(ranges)):
        lo, hi = ranges[index]
        positions = list(range(index, n, len(ranges)))
        if not positions:
            continue
        bounded = ColumnSpec(name=spec.name, kind=spec.kind, timezone=spec.timezone, int_bits=spec.int_bits)
        bounded.rule = ColumnRule(low=_bound(lo), low_inclusive=True, high=_bound(hi), high_inclusive=False)
        values = generate_column(bounded, len(positions), GenContext(rng, Pools(0), table.name))
        for at, value in zip(positions, values, strict=False):
            out[at] = value
    return out


def _bound(value: Any) -> Any:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return parsed
    return value


def _orderings(table: SeedTable) -> list[Ordering]:
    names = [n for n, s in table.columns.items() if not s.skip]
    found = list(table.rules.orderings)
    for earlier, later in _ORDER_PAIRS:
        for name in names:
            lowered = name.lower()
            if not lowered.startswith(earlier):
                continue
            rest = lowered[len(earlier) :]
            for other in names:
                if other.lower() == later + rest and other != name:
                    found.append(Ordering(name, other))
    return found


def _apply_orderings(rows: TableRows, rng: random.Random) -> None:
    # A foreign-key column can only hold a parent's key (a seeder may have set it already): moving it past the
    # other column would make an orphan.  Its CHECKs are met once the keys are chosen (satisfy_checks).
    fk_columns = {c for fk in rows.table.foreign_keys for c in fk.columns}
    for ordering in _orderings(rows.table):
        if {ordering.earlier, ordering.later} & fk_columns:
            continue
        first = rows.data.get(ordering.earlier)
        second = rows.data.get(ordering.later)
        if first is None or second is None:
            continue
        for i, (a, b) in enumerate(zip(first, second, strict=False)):
            if a is None or b is None:
                continue
            try:
                wrong = a >= b if ordering.strict else a > b
            except TypeError:
                continue
            if wrong:
                second[i] = _after(a, rng)


def _after(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(hours=rng.randint(1, 24 * 30))
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=rng.randint(1, 30))
    if isinstance(value, (int, decimal.Decimal, float)) and not isinstance(value, bool):
        return value + rng.randint(1, 10)
    return value


def _unique_strings(state: RunState, rows: TableRows, column: str) -> None:
    """Make a text column unique within the batch and against the table's existing values."""
    table = rows.table
    if (table.key, column) not in state.taken:
        existing: set[Any] = set()
        if table.has_rows:
            col = table.sa.c[column]
            existing = {r[0] for r in state.conn.execute(select(col).where(col.is_not(None)))}
        state.taken[(table.key, column)] = (existing, {})
    taken, counters = state.taken[(table.key, column)]
    spec = table.columns[column]
    limit = max_length(spec)
    values = rows.data[column]
    for i, value in enumerate(values):
        if value is None:
            continue
        if value in taken:
            base = value
            k = counters.get(base, 1)
            while True:
                k += 1
                suffix = str(k)
                if "@" in base:
                    local, _, domain = base.partition("@")
                    candidate = f"{local}{suffix}@{domain}"
                    if limit and len(candidate) > limit:
                        candidate = (
                            f"{local[: max(1, limit - len(domain) - len(suffix) - 1)]}{suffix}@{domain}"
                        )
                else:
                    candidate = base + suffix
                    if limit and len(candidate) > limit:
                        candidate = base[: max(0, limit - len(suffix))] + suffix
                if candidate not in taken:
                    break
            counters[base] = k
            value = candidate
            values[i] = value
        taken.add(value)


# ------------------------------------------------------------------------------------------------------------
# Foreign keys


def _tenant_first(table: SeedTable, tenant_columns: tuple[str, ...]) -> list[ForeignKeyInfo]:
    return sorted(table.foreign_keys, key=lambda fk: 0 if set(fk.columns) & set(tenant_columns) else 1)


def foreign_keys(state: RunState, rows: TableRows, deferred: set[tuple[str, ...]]) -> None:
    """Fill every foreign key of ``rows`` with real parent keys (composite keys as a whole)."""
    table = rows.table
    rng = state.rng(table.key, "parents")
    n = rows.count
    for fk in _tenant_first(table, state.tenant_columns):
        given = [rows.data.get(c) for c in fk.columns]
        if fk.columns in deferred:
            for c in fk.columns:
                rows.data[c] = [None] * n
            continue
        if fk.parent == table.key:
            _tree(state, rows, fk, rng)
            continue
        candidates = state.parent_keys(fk)
        tenant_cols = [c for c in fk.columns if c in state.tenant_columns]
        if tenant_cols and candidates:
            candidates = _tenant_candidates(state, fk, candidates, tenant_cols)
        fixed = _already_fixed(rows, fk)
        if fixed:
            candidates = [k for k in candidates if all(k[i] == v for i, v in fixed.items())] or candidates
        if all(g is not None for g in given) and given:
            _validate_given(table, fk, given, candidates, n)
            continue
        if not candidates:
            if fk.nullable:
                for c in fk.columns:
                    rows.data[c] = [None] * n
                continue
            parent = state.schema.tables.get(fk.parent)
            parent_name = parent.name if parent else fk.parent
            if fk.parent in state.skipped:
                reason = f"needs rows in {parent_name}, which was skipped ({state.skipped[fk.parent]})"
            else:
                reason = f"no rows in {parent_name} to point {', '.join(fk.columns)} at"
            raise UnfillableTable(table.key, reason)
        unique_fk = any(set(u) <= set(fk.columns) for u in table.uniques)
        if unique_fk:
            picks = rng.sample(range(len(candidates)), min(n, len(candidates)))
            if len(picks) < n:
                rows.keep(list(range(len(picks))))
                n = rows.count
            chosen = [candidates[p] for p in picks]
        else:
            chosen = _spread(candidates, n, rng, fk.nullable)
        for position, column in enumerate(fk.columns):
            rows.data[column] = [None if key is None else key[position] for key in chosen]
    _after_parents(state, rows)
    satisfy_checks(state, rows)
    _keep_distinct(state, rows, rng, deferred)
    _dedupe(state, rows, rng, deferred)
    _mark(rows)
    verify_checks(state, rows)
    rows.data = {k: rows.data[k] for k in table.columns if k in rows.data}


def _after_parents(state: RunState, rows: TableRows) -> None:
    """Each row's event after its parents' (a payment after its rental), where both say when they happened."""
    table = rows.table
    skip = {c for fk in table.foreign_keys for c in fk.columns} | set(table.sequences)
    if table.partition_key:
        skip.add(table.partition_key)  # its values pick the partition: they stay within its bounds
    rng = state.rng(table.key, "after-parents")
    for fk in table.foreign_keys:
        parent = state.schema.tables.get(fk.parent)
        if parent is None or fk.parent == table.key or not all(c in rows.data for c in fk.columns):
            continue
        keys = [None if None in key else key for key in rows.tuples(fk.columns)]
        made = state.created.get(parent.key)
        times = parent_event_times(state.conn, parent, fk.referred, keys, made.data if made else None)
        if times is not None:
            after_parents(table.columns, rows.data, times, rng, skip)


def _already_fixed(rows: TableRows, fk: ForeignKeyInfo) -> dict[int, Any]:
    """Columns of ``fk`` another key already set to one value for every row (a shared tenant column)."""
    fixed = {}
    for i, column in enumerate(fk.columns):
        values = rows.data.get(column)
        if values and len(set(values)) == 1 and values[0] is not None:
            fixed[i] = values[0]
    return fixed


def _tenant_candidates(
    state: RunState, fk: ForeignKeyInfo, candidates: list[tuple[Any, ...]], tenant_cols: list[str]
) -> list[tuple[Any, ...]]:
    column = tenant_cols[0]
    position = fk.columns.index(column)
    if column not in state.tenants:
        if state.tenant_option is not None:
            wanted = [k for k in candidates if str(k[position]) == state.tenant_option]
            if not wanted:
                raise SeedError(
                    f"tenant {state.tenant_option!r} is not a row of {fk.parent} ({column})",
                    "pick an existing tenant with --tenant",
                )
            state.tenants[column] = wanted[0][position]
        else:
            rng = table_rng(state.seed, "tenant")
            state.tenants[column] = rng.choice(candidates)[position]
    value = state.tenants[column]
    return [k for k in candidates if k[position] == value]


def _validate_given(
    table: SeedTable,
    fk: ForeignKeyInfo,
    given: list[list[Any] | None],
    candidates: list[tuple[Any, ...]],
    n: int,
) -> None:
    allowed = set(candidates)
    for i in range(n):
        key = tuple(column[i] for column in given if column is not None)
        if None in key:
            continue
        if key not in allowed:
            raise SeedError(
                f"{table.name}: a seeder gave {', '.join(fk.columns)} = {key!r}, which is not a parent row",
                "a seeder must take foreign-key values from ctx.parent_keys",
            )


def _spread(candidates: list[tuple[Any, ...]], n: int, rng: random.Random, nullable: bool) -> list[Any]:
    """Parents for ``n`` rows: skewed, as in real data (a few parents have many children, most have few)."""
    size = len(candidates)
    out: list[Any] = []
    rnd = rng.random
    for _ in range(n):
        if nullable and rnd() < NULL_SHARE:
            out.append(None)
            continue
        out.append(candidates[int(size * rnd() ** 2)])
    return out


def _tree(state: RunState, rows: TableRows, fk: ForeignKeyInfo, rng: random.Random) -> None:
    """A self-reference as a tree: early rows are roots (or point at existing rows), later ones at earlier."""
    n = rows.count
    existing = state.parent_keys(fk) if rows.table.has_rows else []
    if not all(c in rows.data for c in fk.referred):
        for c in fk.columns:
            rows.data[c] = [None] * n
        return
    own = rows.tuples(fk.referred)
    chosen: list[Any] = []
    for i in range(n):
        pool_size = len(existing) + i
        if fk.nullable and (pool_size == 0 or i == 0 or rng.random() < 0.2):
            chosen.append(None)
        elif pool_size == 0:
            chosen.append(own[i])  # NOT NULL and nothing to point at yet: the first row is its own parent
        else:
            pick = rng.randrange(pool_size)
            chosen.append(existing[pick] if pick < len(existing) else own[pick - len(existing)])
    for position, column in enumerate(fk.columns):
        rows.data[column] = [None if key is None else key[position] for key in chosen]


def _same(rows: TableRows, i: int) -> bool:
    """Whether row ``i`` breaks a ``a <> b`` CHECK (equal and neither NULL)."""
    for a, b in rows.table.rules.distinct:
        first, second = rows.data.get(a), rows.data.get(b)
        if first is not None and second is not None and first[i] is not None and first[i] == second[i]:
            return True
    return False


def _keep_distinct(
    state: RunState, rows: TableRows, rng: random.Random, deferred: set[tuple[str, ...]]
) -> None:
    """Rows whose ``a <> b`` columns came out equal: redraw one of them, else drop the row."""
    table = rows.table
    if not table.rules.distinct:
        return
    gen = GenContext(rng=rng, pools=state.pools, table=table.name)
    drop: list[int] = []
    for i in range(rows.count):
        tries = 0
        while _same(rows, i) and tries < REDRAWS:
            tries += 1
            columns = tuple(c for pair in table.rules.distinct for c in pair)
            _redraw(state, rows, i, columns, gen, deferred)
        if _same(rows, i):
            drop.append(i)
    if drop:
        dropped = set(drop)
        rows.keep([i for i in range(rows.count) if i not in dropped])


def _dedupe(state: RunState, rows: TableRows, rng: random.Random, deferred: set[tuple[str, ...]]) -> None:
    """Keep every unique key unique (within the run and against existing rows): redraw, else drop the row."""
    table = rows.table
    keys = list(table.uniques)
    if table.primary_key and table.primary_key not in keys:
        keys.insert(0, table.primary_key)
    gen = GenContext(rng=rng, pools=state.pools, table=table.name)
    for key in keys:
        if not all(c in rows.data for c in key) or key in rows.settled:
            continue
        if (table.key, key) not in state.seen:
            found: set[tuple[Any, ...]] = set()
            if table.has_rows:
                cols = [table.sa.c[c] for c in key]
                statement = select(*cols).where(and_(*(c.is_not(None) for c in cols)))
                found = {_frozen(tuple(r)) for r in state.conn.execute(statement)}
            state.seen[(table.key, key)] = found
        seen = state.seen[(table.key, key)]
        drop: list[int] = []
        for i in range(rows.count):
            current = _frozen(tuple(rows.data[c][i] for c in key))
            if None in current:
                continue
            tries = 0
            while (current in seen or _same(rows, i)) and tries < REDRAWS:
                tries += 1
                _redraw(state, rows, i, key, gen, deferred)
                current = _frozen(tuple(rows.data[c][i] for c in key))
            if current in seen or _same(rows, i):
                drop.append(i)
            else:
                seen.add(current)
        if drop:
            dropped = set(drop)
            rows.keep([i for i in range(rows.count) if i not in dropped])


def _frozen(value: Any) -> Any:
    """A key value as a set member: arrays (lists) and JSON objects (dicts) of a unique key made hashable."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def _redraw(
    state: RunState,
    rows: TableRows,
    i: int,
    key: tuple[str, ...],
    gen: GenContext,
    deferred: set[tuple[str, ...]],
) -> None:
    table = rows.table
    for fk in table.foreign_keys:
        if not set(fk.columns) & set(key) or fk.columns in deferred or fk.parent == table.key:
            continue
        candidates = state.parent_keys(fk)
        fixed = {p: rows.data[c][i] for p, c in enumerate(fk.columns) if c in state.tenant_columns}
        candidates = [k for k in candidates if all(k[p] == v for p, v in fixed.items())]
        if candidates:
            pick = gen.rng.choice(candidates)
            for position, column in enumerate(fk.columns):
                rows.data[column][i] = pick[position]
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    for column in key:
        if column in fk_columns or column in table.sequences or column not in rows.data:
            continue
        spec = table.columns[column]
        if spec.kind in _KNOWN and not spec.skip:
            value = generate_column(spec, 1, gen)[0]
            if rows.marker.get("kind") == "prefix" and column == rows.marker["column"]:
                limit = max_length(spec)
                value = (rows.marker["prefix"] + value)[: limit or None]
            rows.data[column][i] = value


def marker_spec(kind: str, column: str | None, prefix: str) -> dict[str, Any]:
    return {"kind": kind, "column": column, "prefix": prefix if kind == "prefix" else None}


def marker_text(marker: dict[str, Any]) -> str:
    return json.dumps(marker, sort_keys=True)


# ------------------------------------------------------------------------------------------------------------
# CHECK constraints

SERVER_ROUNDS = 4
"""Candidates per row shown to the database for the CHECKs Python cannot judge, before the row is dropped."""


def _fixer(state: RunState, rows: TableRows, model: CheckModel) -> RowFixer:
    table = rows.table
    gen = GenContext(rng=state.rng(table.key, "checks"), pools=state.pools, table=table.name)

    def make_value(column: str, rule: ColumnRule) -> Any:
        spec = table.columns[column]
        if spec.kind not in _KNOWN:
            return None
        return generate_column(dataclasses.replace(spec, rule=rule), 1, gen)[0]

    fixed = {name for name, spec in table.columns.items() if spec.skip or spec.kind not in _KNOWN}
    fixed |= set(table.sequences)
    if rows.marker.get("column"):
        fixed.add(rows.marker["column"])
    return RowFixer(table, model.checks, gen.rng, make_value, state.parent_keys, fixed)


def satisfy_checks(state: RunState, rows: TableRows) -> None:
    """Make every row satisfy the table's CHECKs, or drop it; never keep a row the database would reject.

    Rows a CHECK rejects in Python get a branch per CHECK with alternatives and new values for the columns
    it constrains; rows with a CHECK only the database can judge are shown to it (a SELECT over the
    candidates) and drawn again up to :data:`SERVER_ROUNDS` times.  A table left with no row is unfillable.
    """
    table = rows.table
    model = state.checks_of(table)
    if not model.checks or rows.count == 0:
        return
    fixer = _fixer(state, rows, model)
    columns = rows.columns
    candidates = [{c: rows.data[c][i] for c in columns} for i in range(rows.count)]
    alive = [True] * rows.count
    failures: dict[str, int] = {}
    changed: set[str] = set()
    for i, row in enumerate(candidates):
        index = fixer.failing(row)
        if index is None:
            continue
        before = dict(row)
        if not fixer.fix(row):
            alive[i] = False
            label = model.checks[fixer.failing(row) or index].label
            failures[label] = failures.get(label, 0) + 1
        changed |= {c for c in columns if row[c] is not before[c] and row[c] != before[c]}
    if model.server:
        changed |= _ask_server(state, table, model, fixer, candidates, alive, failures)
    kept = [i for i in range(rows.count) if alive[i]]
    rows.data = {c: [candidates[i][c] for i in kept] for c in columns}
    before_count, rows.count = rows.count, len(kept)
    rows.settled = {key for key in rows.settled if not set(key) & changed}
    if not kept and before_count:
        label = max(failures, key=lambda k: failures[k]) if failures else "?"
        raise UnfillableTable(
            table.key, f"unsatisfiable CHECK {label}: none of {before_count} candidate rows satisfies it"
        )


def _ask_server(
    state: RunState,
    table: SeedTable,
    model: CheckModel,
    fixer: RowFixer,
    candidates: list[dict[str, Any]],
    alive: list[bool],
    failures: dict[str, int],
) -> set[str]:
    changed: set[str] = set()
    accepted = state.accepted.setdefault(table.key, set())
    pending = [
        i
        for i, row in enumerate(candidates)
        if alive[i] and any(passes(c.predicate, row) is UNSURE for c in model.server)
    ]
    for round_ in range(SERVER_ROUNDS):
        if not pending:
            break
        verdicts = check_verdicts(state.conn, table, [candidates[i] for i in pending], model.server)
        again = []
        for i, verdict in zip(pending, verdicts, strict=True):
            if all(verdict):
                accepted.add(_row_text(candidates[i]))
                continue
            failed = [c for c, ok in zip(model.server, verdict, strict=True) if not ok]
            if round_ == SERVER_ROUNDS - 1:
                alive[i] = False
                failures[failed[0].label] = failures.get(failed[0].label, 0) + 1
                continue
            row = candidates[i]
            for check in failed:
                fixer.reroll(row, check.columns)
                changed.update(check.columns)
            if not fixer.fix(row):
                alive[i] = False
                continue
            again.append(i)
        pending = again
    return changed


def verify_checks(state: RunState, rows: TableRows) -> None:
    """The last look before insert: drop rows that later steps (unique keys drawn again) left failing a CHECK,
    by Python's verdict or, for rows the database has not judged yet, the database's."""
    table = rows.table
    model = state.checks_of(table)
    if not model.checks or rows.count == 0:
        return
    columns = rows.columns
    candidates = [{c: rows.data[c][i] for c in columns} for i in range(rows.count)]
    keep = [
        i
        for i, row in enumerate(candidates)
        if all(passes(c.predicate, row) is not False for c in model.checks)
    ]
    if model.server:
        accepted = state.accepted.get(table.key, set())
        unjudged = [i for i in keep if _row_text(candidates[i]) not in accepted]
        if unjudged:
            verdicts = check_verdicts(state.conn, table, [candidates[i] for i in unjudged], model.server)
            rejected = {i for i, verdict in zip(unjudged, verdicts, strict=True) if not all(verdict)}
            keep = [i for i in keep if i not in rejected]
    if len(keep) != rows.count:
        rows.keep(keep)


def _row_text(row: dict[str, Any]) -> str:
    return repr(sorted(row.items()))
