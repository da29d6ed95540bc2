"""Gap analysis on hand-built model objects: domains, archetypes, prerequisites, guidance, execution order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbaudit.config import Settings
from dbaudit.gaps import analyse_gaps, uncovered_empty_tables
from dbaudit.gaps.classify import classify
from dbaudit.gaps.convention import command_like, detect_convention
from dbaudit.gaps.graph import Edge, SchemaGraph
from dbaudit.gaps.order import Job, plan_order
from dbaudit.model import (
    Column,
    CountMethod,
    Coverage,
    DatabaseSnapshot,
    ForeignKey,
    RowCount,
    ScanResult,
    SeedSource,
    SourceKind,
    Table,
    TableKind,
    TableState,
    TableStatus,
    TableWrite,
)
from dbaudit.scan.conventions import mock_marker, purge_flag, session_style
from tests.gaps_support import by_table, migration_app_case, script, snapshot, state, table


@pytest.fixture
def migration_app(tmp_path: Path) -> tuple[DatabaseSnapshot, ScanResult, Settings]:
    return migration_app_case(tmp_path)


# ------------------------------------------------------------------------------------------------------------
# recommendations


def test_every_uncovered_empty_table_in_exactly_one_recommendation(migration_app) -> None:
    snap, scan, conf = migration_app
    result = analyse_gaps(snap, scan, None, conf)
    listed = [t for r in result.recommendations for t in r.tables]
    gaps = uncovered_empty_tables(SchemaGraph(snap), scan, None)
    assert sorted(listed) == sorted(gaps)
    assert len(listed) == len(set(listed))
    assert "alembic_version" not in listed and "orders_2024" not in listed and "report_view" not in listed
    assert "assets" not in listed  # populated


def test_coverage_decides_what_is_a_gap(migration_app) -> None:
    snap, scan, conf = migration_app
    coverage = Coverage(
        covered=("client_accounts", "users", "engagements", "assets", "wave_plans"), application_tables=22
    )
    recs = analyse_gaps(snap, scan, coverage, conf).recommendations
    assert "wave_plans" not in by_table(recs)


def test_domains_by_name_and_foreign_keys(migration_app) -> None:
    snap, scan, conf = migration_app
    recs = by_table(analyse_gaps(snap, scan, None, conf).recommendations)
    imports = recs["data_imports"]
    assert recs["raw_import_records"] is imports and recs["import_field_mappings"] is imports
    assert recs["mapping_learning_patterns"] is imports  # joined through its foreign key
    assert imports.seeder == "seed_import.py" and imports.folder == "app/scripts/"
    assert recs["access_audit_log"] is recs["enhanced_access_audit_log"]
    assert recs["access_audit_log"].seeder == "seed_audit_logs.py"
    assert recs["sixr_analyses"] is recs["sixr_question_responses"]
    assert recs["migrations"] is recs["migration_logs"]


def test_archetypes_get_their_own_advice(migration_app) -> None:
    snap, scan, conf = migration_app
    recs = by_table(analyse_gaps(snap, scan, None, conf).recommendations)
    reference = recs["sixr_questions"]
    assert reference is recs["sixr_parameters"] and reference.archetype == "reference"
    assert "data-only Alembic revision" in reference.text and "every environment" in reference.text
    assert recs["sixr_analyses"].archetype != "reference"
    assert recs["llm_model_pricing"].archetype == "reference"
    assert (
        recs["access_audit_log"].archetype == "log"
        and "back-fill a few events" in recs["access_audit_log"].text
    )
    # an association whose parents the existing script seeds: extend that script to link them
    assert recs["client_access"].archetype == "extend"
    assert recs["client_access"].text.startswith(
        "Extend `init_db.py` to link its existing `users` and `client_accounts` rows in `client_access`."
    )
    assert classify(SchemaGraph(snap), "client_access") == "association"
    assert classify(SchemaGraph(snap), "sixr_analyses", ("client_account_id",)) == "domain"
    assert recs["soft_deleted_items"].archetype == "soft-delete"
    assert recs["soft_deleted_items"].text.startswith("Optional:")
    extend = recs["asset_dependencies"]
    assert extend.archetype == "extend" and extend.seeder == "init_db.py"
    assert extend.text.startswith("Extend `init_db.py`")


def test_prerequisites_name_the_empty_parent_and_its_seeder(migration_app) -> None:
    snap, scan, conf = migration_app
    recs = by_table(analyse_gaps(snap, scan, None, conf).recommendations)
    assessments = recs["assessments"]
    assert assessments.tables == ("assessments",)  # it hangs off existing assets: not in the migration group
    assert assessments.requires == ("migrations",)
    assert assessments.provided_by == ("seed_migration.py",)
    assert "Requires at least one row in `migrations` (provided by `seed_migration.py`)." in assessments.text
    assert "linked to existing `assets` rows" in assessments.text
    assert recs["wave_plans"] is recs["migrations"]  # joined through its foreign key
    assert recs["sixr_questions"].requires == ()


def test_tenant_scoped_advice(migration_app) -> None:
    snap, scan, conf = migration_app
    recs = by_table(analyse_gaps(snap, scan, None, conf).recommendations)
    assert (
        recs["wave_plans"].tenant_scoped
        and "Scope rows to an existing tenant (`client_account_id`)" in recs["wave_plans"].text
    )
    assert not recs["soft_deleted_items"].tenant_scoped
    custom = analyse_gaps(snap, scan, None, conf.replace(tenant_columns=("org_id",))).recommendations
    assert not any(r.tenant_scoped for r in custom)


def test_without_a_scan_every_empty_table_is_a_gap(migration_app) -> None:
    snap, _scan, conf = migration_app
    result = analyse_gaps(snap, None, None, conf)
    listed = {t for r in result.recommendations for t in r.tables}
    assert listed == {
        s.table.name
        for s in snap.tables
        if s.status is TableStatus.EMPTY and s.table.partition_of is None and s.table.kind is TableKind.TABLE
    }
    assert all(r.archetype != "extend" for r in result.recommendations)
    assert result.guidance.session_style is None and result.guidance.seed_folder is None


# ------------------------------------------------------------------------------------------------------------
# guidance


def test_guidance_follows_the_existing_seed_script(migration_app) -> None:
    snap, scan, conf = migration_app
    guidance = analyse_gaps(snap, scan, None, conf).guidance
    assert guidance.session_style == "async SQLAlchemy session"
    assert guidance.mock_marker == "is_mock = TRUE + MOCK: prefix"
    assert guidance.purge_flag == "--force"
    assert guidance.seed_folder == "app/scripts/"
    assert guidance.pattern_source == "app/scripts/init_db.py"
    assert guidance.tenant_columns == ("client_account_id",)
    assert guidance.run_command is not None
    assert guidance.run_command.startswith("docker exec backend python app/scripts/seed_")


# ------------------------------------------------------------------------------------------------------------
# execution order


def test_execution_order_runs_parents_first_with_project_commands(migration_app) -> None:
    snap, scan, conf = migration_app
    result = analyse_gaps(snap, scan, None, conf)
    recs = by_table(result.recommendations)
    names = [s.seeder for s in result.execution_order]
    assert names.index("app/scripts/init_db.py") < names.index(recs["migrations"].seeder)
    assert names.index(recs["migrations"].seeder) < names.index(recs["assessments"].seeder)
    assert names.index(recs["llm_model_pricing"].seeder) < names.index(recs["llm_usage_logs"].seeder)
    init = next(s for s in result.execution_order if s.seeder == "app/scripts/init_db.py")
    assert init.command == "docker exec backend python app/scripts/init_db.py --force"
    assert "asset_dependencies" in init.tables  # the recommendation extends it
    waves = next(s for s in result.execution_order if s.seeder == recs["assessments"].seeder)
    assert waves.command == f"docker exec backend python app/scripts/{waves.seeder} --force"
    assert not waves.existing and recs["migrations"].seeder in waves.after
    reference = next(s for s in result.execution_order if s.seeder == recs["sixr_questions"].seeder)
    assert reference.command == "alembic upgrade head"
    assert result.cycles == () and result.findings == ()


def test_foreign_key_cycle_is_named_with_the_key_to_break() -> None:
    store = table("store", "staff", columns=("name",))
    staff = table("staff", "store", columns=("name",))
    snap = snapshot(state(store), state(staff), state(table("rental", "store", "staff")))
    result = analyse_gaps(snap, None, None, Settings())
    assert result.cycles == (("staff", "store"),)
    (finding,) = result.findings
    assert finding.kind == "fk-cycle"
    assert "`staff.store_id -> store`" in finding.message or "`store.staff_id -> staff`" in finding.message


def test_deferrable_key_is_preferred_for_breaking() -> None:
    edges = [
        Edge("a", "b", ("b_id",), True),
        Edge("b", "a", ("a_id",), True, deferrable=True),
    ]
    order = plan_order([Job("sa", ("a",)), Job("sb", ("b",))], edges)
    assert order.cycles[0].broken == "b.a_id -> a"
    assert [s.seeder for s in order.steps] == ["sb", "sa"]


def test_seeders_that_need_each_other_are_reported() -> None:
    edges = [Edge("t2", "t1", ("t1_id",), True), Edge("t4", "t3", ("t3_id",), True)]
    order = plan_order([Job("first", ("t1", "t4")), Job("second", ("t2", "t3"))], edges)
    assert len(order.steps) == 2
    (cycle,) = order.cycles
    assert cycle.between_seeders


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[Job], list[Edge]]:
    """Random required foreign keys over up to 12 tables (a DAG plus back edges making cycles) and seeders
    writing random groups of them."""
    n = draw(st.integers(2, 12))
    tables = [f"t{i}" for i in range(n)]
    edges: list[Edge] = []
    for child in range(n):
        for parent in range(n):
            if parent < child and draw(st.integers(0, 3)) == 0:
                edges.append(Edge(tables[child], tables[parent], (f"{tables[parent]}_id",), True))
            elif parent > child and draw(st.integers(0, 9)) == 0:  # a back edge: a cycle
                edges.append(
                    Edge(tables[child], tables[parent], (f"{tables[parent]}_id",), True, draw(st.booleans()))
                )
            elif parent != child and draw(st.integers(0, 6)) == 0:  # nullable: never orders anything
                edges.append(Edge(tables[child], tables[parent], (f"{tables[parent]}_ref",), False))
    owner = [draw(st.integers(0, n - 1)) for _ in tables]
    jobs: dict[int, list[str]] = {}
    for t, o in zip(tables, owner, strict=True):
        jobs.setdefault(o, []).append(t)
    extra = draw(st.lists(st.sampled_from(tables), max_size=3))  # a table written by two seeders
    result = [Job(f"s{o}", tuple(ts)) for o, ts in sorted(jobs.items())]
    if extra:
        result.append(Job("extra", tuple(dict.fromkeys(extra))))
    return draw(st.permutations(result)), edges


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(graphs())
def test_order_never_runs_a_seeder_before_the_providers_of_its_required_parents(
    case: tuple[list[Job], list[Edge]],
) -> None:
    jobs, edges = case
    order = plan_order(jobs, edges)
    position = {s.seeder: i for i, s in enumerate(order.steps)}
    assert sorted(position) == sorted(j.name for j in jobs)
    set_aside = {tuple(c.broken.split(" -> ")) for c in order.cycles if c.between_seeders}
    for edge in edges:
        if not edge.required or edge.child == edge.parent or edge in order.broken_edges:
            continue
        for job in jobs:
            if edge.child in job.tables and edge.parent not in job.tables:
                providers = [p.name for p in jobs if p is not job and edge.parent in p.tables]
                if not providers:
                    continue
                # a provider of the parent runs first (one is enough), unless the two were reported as a cycle
                assert any(position[p] < position[job.name] for p in providers) or any(
                    (job.name, p) in set_aside for p in providers
                ), (edge, job.name, providers)
                if len(providers) == 1:
                    assert (
                        position[providers[0]] < position[job.name] or (job.name, providers[0]) in set_aside
                    )
    # every broken foreign key closes a cycle of required foreign keys
    for cycle in order.cycles:
        if not cycle.between_seeders:
            assert len(cycle.path) >= 2
    # what is left after setting the broken keys aside has no cycle: a table order exists
    remaining = {
        (e.child, e.parent)
        for e in edges
        if e.required and e.child != e.parent and e not in order.broken_edges
    }
    assert _acyclic(remaining)


def _acyclic(pairs: set[tuple[str, str]]) -> bool:
    nodes = {n for p in pairs for n in p}
    pending = set(pairs)
    while nodes:
        free = {n for n in nodes if not any(child == n for child, _ in pending)}
        if not free:
            return False
        nodes -= free
        pending = {p for p in pending if p[1] not in free}
    return True


# ------------------------------------------------------------------------------------------------------------
# any schema


_pieces = st.sampled_from(["a", "b", "x", "_", " ", "-", ";", "'", '"', "É", "é", "0", "log", "audit"])
_words = st.sampled_from(["type", "sixr_", "import", "deleted", "users", "Track", "_questions"])
_names = st.lists(_pieces | _words, min_size=1, max_size=6).map("".join)


@st.composite
def snapshots(draw: st.DrawFn) -> DatabaseSnapshot:
    """Random tables with random names (quotes, spaces, unicode), foreign keys and statuses."""
    names = draw(st.lists(_names, min_size=1, max_size=14, unique_by=str.lower))
    states = []
    for name in names:
        parents = draw(st.lists(st.sampled_from(names), max_size=3))
        columns = [Column("id", "INTEGER", nullable=False)]
        fks = []
        for i, parent in enumerate(parents):
            column = f"fk{i}"
            columns.append(Column(column, "INTEGER", nullable=draw(st.booleans())))
            fks.append(ForeignKey((column,), parent, ("id",), deferrable=draw(st.booleans())))
        if draw(st.booleans()):
            columns.append(Column("client_account_id", "INTEGER", nullable=False))
        t = Table(name, columns=tuple(columns), primary_key=("id",), foreign_keys=tuple(fks))
        status = draw(
            st.sampled_from([TableStatus.EMPTY, TableStatus.EMPTY, TableStatus.POPULATED, TableStatus.SYSTEM])
        )
        states.append(TableState(t, status, RowCount(CountMethod.PROBE, status is TableStatus.POPULATED)))
    return snapshot(*states)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(snapshots(), st.booleans())
def test_any_schema_gets_one_recommendation_per_gap_and_a_valid_order(
    snap: DatabaseSnapshot, scanned: bool
) -> None:
    graph = SchemaGraph(snap)
    populated = [n for n, s in graph.tables.items() if s.status is TableStatus.POPULATED]
    scan = ScanResult(root="", sources=(script("app/seed_base.py", *populated[:2]),)) if scanned else None
    result = analyse_gaps(snap, scan, None, Settings())
    listed = [t for r in result.recommendations for t in r.tables]
    assert sorted(listed) == sorted(uncovered_empty_tables(graph, scan, None))
    seeders = [r.seeder for r in result.recommendations if r.archetype != "extend"]
    assert len(seeders) == len(set(seeders))
    assert all(re.fullmatch(r"[\w.]+", r.seeder) for r in result.recommendations)
    order = [s.seeder for s in result.execution_order]
    assert len(order) == len(set(order))
    assert set(seeders) <= set(order)


# ------------------------------------------------------------------------------------------------------------
# conventions


def writes(path: str, recogniser: str) -> SeedSource:
    return SeedSource(path, SourceKind.SCRIPT, (TableWrite("t", recogniser),))


def test_session_style_from_recognisers_and_text() -> None:
    assert session_style([writes("a.py", "orm-add")], {"a.py": "async with AsyncSession(engine) as s:"}) == (
        "async SQLAlchemy session"
    )
    assert session_style([writes("a.py", "orm-add-all")], {"a.py": "with Session(engine) as s:"}) == (
        "sync SQLAlchemy session"
    )
    assert session_style([writes("a.py", "core-insert")], {}) == "SQLAlchemy Core"
    assert session_style([writes("a.py", "sql-insert")], {}) == "raw SQL"
    assert session_style([], {}) is None


def test_mock_marker_and_purge_flag_from_text() -> None:
    conf = Settings()
    assert mock_marker(['Tag(name="x", is_mock=True)'], conf) == "is_mock = TRUE"
    assert mock_marker(["row = {'name': 'MOCK: demo'}"], conf) == "MOCK: prefix"
    assert mock_marker(["nothing here"], conf) is None
    assert purge_flag(['parser.add_argument("--force", action="store_true")']) == "--force"
    assert purge_flag(["@click.option('--purge-mock')"]) == "--purge-mock"
    assert purge_flag(["no flags"]) is None


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("python -m app.scripts.init_db", "python -m app.scripts.seed_x"),
        (
            "docker exec api python app/scripts/init_db.py --force",
            "docker exec api python app/scripts/seed_x.py --force",
        ),
        ("make seed", "python app/scripts/seed_x.py --force"),
        (None, "python app/scripts/seed_x.py --force"),
    ],
)
def test_new_seeders_run_like_the_existing_ones(run: str | None, expected: str) -> None:
    pattern = SeedSource("app/scripts/init_db.py", SourceKind.SCRIPT, run_command=run)
    assert command_like(pattern, "app/scripts/", "seed_x.py", "--force") == expected


def test_naming_convention_follows_the_project() -> None:
    scan = ScanResult(
        root="",
        sources=(writes("db/populate_users.py", "orm-add"), writes("db/populate_teams.py", "orm-add")),
    )
    convention = detect_convention(scan)
    assert convention.folder == "db/" and convention.script_name("billing") == "populate_billing.py"
    assert detect_convention(None).script_name("billing") == "seed_billing.py"
