"""The seed plan: which tables, in which order, how many rows, how each foreign-key cycle is broken.

Targets are the tables asked for (``--tables``) or every empty application table (``--missing``), plus every
empty parent a target needs (a NOT NULL foreign key into an empty table).  The foreign-key graph over them is
split into strongly connected components and ordered parents first.  A cycle is broken at a nullable foreign
key (insert NULL, then UPDATE), else with deferred constraints (PostgreSQL deferrable keys, SQLite's
``defer_foreign_keys``), else on PostgreSQL by inserting the cycle in one statement (its checks run at the end
of the statement), else on MySQL and MariaDB by inserting it with the session's foreign-key checks off and
verifying every key of its rows by a query before its savepoint is kept; a cycle none of these breaks is
reported and its tables are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from dbaudit.config import Settings
from dbaudit.errors import SeedError
from dbaudit.graphs import break_cycles, strongly_connected, topological
from dbaudit.model import CycleBreak, SeedPlan, SkippedTable, TablePlan, natural_sorted
from dbaudit.seed.api import ForeignKeyShape, LoadedSeeder, TableShape, choose_seeder
from dbaudit.seed.schema import SeedSchema, SeedTable, distinct_parents, is_system
from dbaudit.seed.semantics import MARKER_ORDER, classify_column
from dbaudit.seed.values import GENERATABLE, max_length

DEFAULT_ROWS = 20
#: Rows per table ``--rows`` accepts: every row is built in memory before it is inserted.
MAX_ROWS = 1_000_000


@dataclass
class PlanRequest:
    """What the user asked for."""

    tables: Sequence[str] = ()
    missing: bool = False
    rows: int | None = None
    rows_per_table: Mapping[str, int] = field(default_factory=dict)
    seed: int = 0
    tenant: str | None = None
    strict: bool = False
    """All or nothing: a table that cannot be filled rolls the whole run back (exit 2)."""
    show: int = 0
    """Sample rows per table to show in the report (``seed --dry-run --show N``)."""

    def __post_init__(self) -> None:
        counts = [("rows", self.rows)] + [(f"rows for {t}", n) for t, n in self.rows_per_table.items()]
        for what, number in counts:
            if number is not None and not (isinstance(number, int) and 1 <= number <= MAX_ROWS):
                raise SeedError(f"{what} must be a whole number between 1 and {MAX_ROWS:,}, not {number!r}")


def shape_of(table: SeedTable, schema: SeedSchema) -> TableShape:
    fks = tuple(
        ForeignKeyShape(
            columns=fk.columns,
            parent=schema.tables[fk.parent].name if fk.parent in schema.tables else fk.parent,
            referred=fk.referred,
            nullable=fk.nullable,
        )
        for fk in table.foreign_keys
    )
    writable = table.writable()
    return TableShape(
        name=table.name,
        schema=table.schema,
        columns=tuple(writable),
        column_kinds={name: table.columns[name].kind for name in writable},
        primary_key=table.primary_key,
        foreign_keys=fks,
        uniques=tuple(table.uniques),
        max_lengths={n: m for n in writable if (m := max_length(table.columns[n])) is not None},
    )


def application_tables(schema: SeedSchema, settings: Settings) -> list[SeedTable]:
    out = []
    for table in schema.tables.values():
        if table.is_partition or is_system(table.name, settings.system_tables):
            continue
        if table.name.startswith("dbaudit_") or not table.selected:
            continue  # --include/--exclude, matched on the name and schema.name as in report
        out.append(table)
    return sorted(out, key=lambda t: t.key)


def choose_marker(table: SeedTable, settings: Settings) -> tuple[str, str | None]:
    """``("column", col)`` for an is_mock column, ``("prefix", col)`` for text, else ``("ledger", None)``."""
    spec = table.columns.get(settings.mock_column)
    if spec is not None and not spec.skip and spec.kind in ("bool", "int"):
        return "column", settings.mock_column
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    candidates = []
    for name, column in table.columns.items():
        if column.skip or column.kind != "str" or name in fk_columns:
            continue
        rule = column.rule
        if rule.choices or rule.like or rule.excluded or rule.json or rule.min_length or rule.in_checks:
            continue
        limit = max_length(column)
        if limit is not None and limit < len(settings.mock_prefix) + 8:
            continue
        if table.partition_key == name:
            continue
        candidates.append(name)
    # Only free text a person reads (a name, title, label, description, note) carries the marker: never an
    # email, phone, URL, code, identifier, number kept as text or currency/country code.
    kinds = {
        name: classify_column(name, table.name, "str", table.columns[name].length) for name in candidates
    }
    free = [name for name in candidates if kinds[name].free_text]
    if not free:
        return "ledger", None
    for wanted in MARKER_ORDER:
        for name in free:
            if kinds[name].kind == wanted:
                return "prefix", name
    return "prefix", free[0]


def describe_marker(kind: str, column: str | None, settings: Settings) -> str:
    if kind == "column":
        return f"{column} = TRUE"
    if kind == "prefix":
        return f"{settings.mock_prefix} prefix in {column}"
    return "ledger only"


def _unfillable(table: SeedTable) -> str | None:
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    for name, spec in table.columns.items():
        if spec.skip or name in fk_columns or spec.nullable or spec.has_default:
            continue
        if spec.kind not in GENERATABLE:
            type_name = str(table.sa.columns[name].type)
            return f"column {name} has type {type_name}, which dbaudit cannot generate, and no default"
    return None


def plan_tables(
    schema: SeedSchema, settings: Settings, request: PlanRequest, seeders: list[LoadedSeeder]
) -> SeedPlan:
    """Build the :class:`SeedPlan` for ``request`` over the reflected ``schema``."""
    app = application_tables(schema, settings)
    targets: dict[str, str] = {}
    if request.tables:
        for name in request.tables:
            table = schema.find(name)
            if table is None:
                raise SeedError(f"unknown table {name!r}", "check the name; --schema selects another schema")
            if table.name.startswith("dbaudit_") or table.is_partition:
                raise SeedError(f"table {name!r} cannot be seeded directly (system table or partition)")
            if table.excluded:
                raise SeedError(
                    f"table {name!r} is excluded (--include/--exclude): dbaudit never writes it",
                    "drop it from --tables, or from the exclusions",
                )
            targets[table.key] = "requested"
    elif request.missing:
        for table in app:
            if not table.has_rows:
                targets[table.key] = "empty"
    else:
        raise SeedError("say which tables to seed", "pass --missing (every empty table) or --tables a,b")
    for name in request.rows_per_table:
        if schema.find(name) is None:
            raise SeedError(f"--rows names an unknown table {name!r}")

    # Required parents: a NOT NULL foreign key into an empty table that is not a target yet.  An excluded
    # table is never written, not even as a parent: a child that needs an empty excluded parent is skipped
    # (with rows in it, the child points at those rows like at any parent's).
    skipped: dict[str, str] = {}
    queue = list(targets)
    while queue:
        key = queue.pop(0)
        for fk in schema.tables[key].foreign_keys:
            parent = schema.tables.get(fk.parent)
            if parent is None or fk.nullable or parent.key == key or parent.has_rows or parent.key in targets:
                continue
            if parent.excluded:
                skipped.setdefault(
                    key,
                    f"excluded parent {parent.name} has no rows "
                    "(--include/--exclude: dbaudit never writes it)",
                )
                continue
            targets[parent.key] = f"required parent of {schema.tables[key].name}"
            queue.append(parent.key)
        # A CHECK (a <> b) over two keys into one parent that holds a single row (a label related to
        # another label, with one real label): the parent gets mock rows beside its real one.
        for parent_key, (a, b) in distinct_parents(schema.tables[key]).items():
            parent = schema.tables[parent_key]
            if not parent.one_row or parent_key in targets:
                continue
            if parent.excluded:
                skipped.setdefault(
                    key,
                    f"excluded parent {parent.name} holds one row and {a} <> {b} needs two "
                    "(--include/--exclude: dbaudit never writes it)",
                )
                continue
            child = schema.tables[key].name
            targets[parent_key] = (
                f"a second row for {child}: {a} <> {b} needs two different {parent.name} rows"
            )
            queue.append(parent_key)

    for key in sorted(targets):
        reason = _unfillable(schema.tables[key])
        if schema.tables[key].hidden:
            reason = f"not seeded: {schema.tables[key].hidden}, so it may not be empty"
            reason = "not seeded: " + reason.removeprefix("not seeded: ")
        if reason and key not in skipped:
            skipped[key] = reason
    cycles: list[CycleBreak] = []
    groups, modes, deferred = _order(schema, sorted(targets), skipped, cycles)
    _propagate_skips(schema, targets, skipped)

    default_rows = request.rows if request.rows is not None else DEFAULT_ROWS
    plans: list[TablePlan] = []
    planned_rows: dict[str, int] = {}
    kept_groups: list[tuple[str, ...]] = []
    kept_modes: list[str] = []
    for group, mode in zip(groups, modes, strict=True):
        members = tuple(k for k in group if k not in skipped)
        if not members:
            continue
        index = len(kept_groups)
        kept_groups.append(members)
        kept_modes.append(mode)
        for key in members:
            table = schema.tables[key]
            rows = _rows_for(table, request.rows_per_table, default_rows)
            rows = _cap_for_unique_parents(table, schema, rows, planned_rows)
            planned_rows[key] = rows
            kind, column = choose_marker(table, settings)
            seeder = choose_seeder(seeders, shape_of(table, schema))
            reused = tuple(
                sorted(
                    {
                        schema.tables[fk.parent].name
                        for fk in table.foreign_keys
                        if _has_parent_rows(schema, fk.parent)
                    }
                )
            )
            created = tuple(
                sorted(
                    {
                        schema.tables[fk.parent].name
                        for fk in table.foreign_keys
                        if fk.parent in targets
                        and fk.parent not in skipped
                        and fk.parent != key
                        and not _has_parent_rows(schema, fk.parent)
                    }
                )
            )
            plans.append(
                TablePlan(
                    table=key,
                    rows=rows,
                    seeder=seeder.seeder.name,
                    marker=describe_marker(kind, column, settings),
                    reason=targets[key],
                    parents_reused=reused,
                    parents_created=created,
                    deferred=tuple(deferred.get(key, ())),
                    group=index,
                )
            )
    # A CHECK a <> b over two keys into a parent this run fills needs two of its rows, whatever --rows says.
    index_of = {plan.table: i for i, plan in enumerate(plans)}
    for plan in list(plans):
        for parent_key in distinct_parents(schema.tables[plan.table]):
            at = index_of.get(parent_key)
            if at is not None and plans[at].rows < 2 and not schema.tables[parent_key].has_rows:
                plans[at] = replace(plans[at], rows=2)
    warnings = []
    for key in sorted(k for k in targets if k not in skipped):
        unparsed = schema.tables[key].rules.unparsed
        if unparsed:
            warnings.append(
                f"{key}: CHECK constraint(s) {', '.join(unparsed)} not understood; "
                "the database still checks them"
            )
    return SeedPlan(
        dialect=schema.dialect,
        seed=request.seed,
        tables=tuple(plans),
        skipped=tuple(SkippedTable(k, skipped[k]) for k in natural_sorted(skipped)),
        cycles=tuple(cycles),
        group_modes=tuple(kept_modes),
        tenant=request.tenant,
        warnings=tuple(warnings),
    )


def _has_parent_rows(schema: SeedSchema, key: str) -> bool:
    parent = schema.tables.get(key)
    return parent is not None and parent.has_rows


def _rows_for(table: SeedTable, per_table: Mapping[str, int], default: int) -> int:
    for name in (table.key, table.name):
        if name in per_table:
            return per_table[name]
    # Rows go round-robin over a range-partitioned table's partitions: one each at least, so none stays empty.
    return max(default, len(table.partition_ranges))


def _cap_for_unique_parents(table: SeedTable, schema: SeedSchema, rows: int, planned: dict[str, int]) -> int:
    """A unique foreign key (one parent per row at most) caps the rows at the parent's row count."""
    for fk in table.foreign_keys:
        if fk.nullable or not any(set(u) <= set(fk.columns) for u in table.uniques):
            continue
        parent = schema.tables.get(fk.parent)
        if parent is not None and not parent.has_rows and fk.parent in planned:
            rows = min(rows, planned[fk.parent])
    return rows


def _propagate_skips(schema: SeedSchema, targets: dict[str, str], skipped: dict[str, str]) -> None:
    changed = True
    while changed:
        changed = False
        for key in sorted(targets):
            if key in skipped:
                continue
            for fk in schema.tables[key].foreign_keys:
                if fk.nullable or fk.parent == key or fk.parent not in skipped:
                    continue
                parent = schema.tables[fk.parent]
                if parent.has_rows:
                    continue
                skipped[key] = f"needs rows in {parent.name}, which cannot be seeded"
                changed = True
                break


# ------------------------------------------------------------------------------------------------------------
# Ordering


def _edges(schema: SeedSchema, nodes: Sequence[str], ignore: set[tuple[str, int]]) -> dict[str, set[str]]:
    """child -> parents among ``nodes`` (self-references left out: those are filled as trees)."""
    members = set(nodes)
    out: dict[str, set[str]] = {n: set() for n in nodes}
    for key in nodes:
        for index, fk in enumerate(schema.tables[key].foreign_keys):
            if fk.parent in members and fk.parent != key and (key, index) not in ignore:
                out[key].add(fk.parent)
    return out


def _order(
    schema: SeedSchema, nodes: Sequence[str], skipped: dict[str, str], cycles: list[CycleBreak]
) -> tuple[list[tuple[str, ...]], list[str], dict[str, list[str]]]:
    """Insertion groups (parents first), each group's mode, and the deferred foreign keys per table."""
    edges = _edges(schema, nodes, set())
    components = strongly_connected(list(nodes), edges)
    component_of = {n: i for i, comp in enumerate(components) for n in comp}
    condensed: dict[str, set[str]] = {str(i): set() for i in range(len(components))}
    for child, parents in edges.items():
        for parent in parents:
            if component_of[child] != component_of[parent]:
                condensed[str(component_of[child])].add(str(component_of[parent]))
    # A table another target's INSERT trigger fills comes after that table: the trigger fills it (recorded
    # with --allow-trigger-inserts) or the source is skipped for it, never a collision with rows seeded
    # first.  Foreign keys win: an order they need is never reversed for a trigger.
    for source in sorted(schema.trigger_fills):
        for filled in sorted(schema.trigger_fills[source]):
            if source not in component_of or filled not in component_of:
                continue
            after, before = str(component_of[filled]), str(component_of[source])
            if after != before and not _reaches(condensed, before, after):
                condensed[after].add(before)
    names = {str(i): comp[0] for i, comp in enumerate(components)}
    order = topological(sorted(condensed, key=lambda c: names[c]), condensed) or []
    groups: list[tuple[str, ...]] = []
    modes: list[str] = []
    deferred: dict[str, list[str]] = {}
    for comp_id in order:
        component = components[int(comp_id)]
        if len(component) == 1:
            groups.append((component[0],))
            modes.append("order")
            continue
        mode, inner_order = _break_cycle(schema, component, deferred, skipped, cycles)
        groups.append(tuple(inner_order))
        modes.append(mode)
    return groups, modes, deferred


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    """``goal`` is among the nodes ``start`` depends on, directly or not."""
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for nxt in edges[node] - seen:
            seen.add(nxt)
            stack.append(nxt)
    return False


def _break_cycle(
    schema: SeedSchema,
    component: list[str],
    deferred: dict[str, list[str]],
    skipped: dict[str, str],
    cycles: list[CycleBreak],
) -> tuple[str, list[str]]:
    engine = schema.engine
    ignore: set[tuple[str, int]] = set()
    removed: list[str] = []
    members = set(component)
    # The shared cycle breaker, told to set aside a nullable foreign key wherever a cycle has one: those
    # are inserted as NULL and set once the other side exists.
    by_pair: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for key in component:
        for index, fk in enumerate(schema.tables[key].foreign_keys):
            if fk.parent in members and fk.parent != key:
                by_pair.setdefault((key, fk.parent), []).append((key, index))

    def nullable(pair: tuple[str, str]) -> tuple[bool, tuple[str, str]]:
        return (not all(schema.tables[k].foreign_keys[i].nullable for k, i in by_pair[pair]), pair)

    order = None
    broken = [pair for _cycle, pair in break_cycles(component, by_pair.keys(), nullable)]
    if all(not nullable(pair)[0] for pair in broken):
        for pair in broken:
            for key, index in by_pair[pair]:
                fk = schema.tables[key].foreign_keys[index]
                ignore.add((key, index))
                removed.append(f"{schema.tables[key].name}.{','.join(fk.columns)}")
                deferred.setdefault(key, []).append(",".join(fk.columns))
        order = topological(component, _edges(schema, component, ignore))
        if order is None:  # pragma: no cover - removing one edge of every cycle leaves none
            for key in component:
                deferred.pop(key, None)
            ignore.clear()
    label = tuple(schema.tables[k].name for k in component)
    if order is not None:
        cycles.append(CycleBreak(label, "nullable", f"insert NULL into {', '.join(removed)}, then UPDATE"))
        return "order", order
    remaining = [
        fk
        for key in component
        for index, fk in enumerate(schema.tables[key].foreign_keys)
        if fk.parent in members and fk.parent != key and (key, index) not in ignore
    ]
    if engine.defers_every_foreign_key or (
        engine.defers_deferrable_keys and all(fk.deferrable for fk in remaining)
    ):
        cycles.append(CycleBreak(label, "deferred", "foreign keys checked at commit"))
        return "deferred", sorted(component)
    if engine.one_statement_cycles:
        cycles.append(
            CycleBreak(label, "one-statement", "inserted together in one statement; checks run at its end")
        )
        return "one-statement", sorted(component)
    if engine.suspends_foreign_key_checks:
        cycles.append(
            CycleBreak(
                label,
                "unchecked",
                "inserted with foreign-key checks off inside the transaction, "
                "then every key verified by a query",
            )
        )
        return "unchecked", sorted(component)
    for key in component:
        deferred.pop(key, None)
        skipped[key] = f"foreign-key cycle {' -> '.join(label)} has no nullable column to break it"
    cycles.append(CycleBreak(label, "unbreakable", "no nullable or deferrable foreign key in the cycle"))
    return "order", []


def parse_rows_options(values: Sequence[str]) -> tuple[int | None, dict[str, int]]:
    """``--rows 50`` and ``--rows album=10`` (repeatable, or comma-separated) -> (default, per table)."""
    default: int | None = None
    per_table: dict[str, int] = {}
    for value in values:
        for item in (v.strip() for v in value.split(",")):
            if not item:
                continue
            name, _, count = item.rpartition("=")
            # At most a few digits: int() of a 5,000-digit string is refused by Python itself.
            try:
                number = int(count) if len(count.strip()) <= 20 else MAX_ROWS + 1
            except ValueError:
                raise SeedError(f"--rows {_shown(item)}: expected N or table=N (a whole number)") from None
            if not 1 <= number <= MAX_ROWS:
                raise SeedError(
                    f"--rows {_shown(item)}: the row count must be between 1 and {MAX_ROWS:,}",
                    "mock rows are generated in memory; load more rows with a bulk loader",
                )
            if name:
                per_table[name] = number
            else:
                default = number
    return default, per_table


def _shown(item: str) -> str:
    return repr(item if len(item) <= 40 else item[:40] + "...")


def parse_table_list(values: Sequence[str]) -> tuple[str, ...]:
    """``--tables a,b --tables c`` -> ("a", "b", "c")."""
    return tuple(t.strip() for value in values for t in value.split(",") if t.strip())
