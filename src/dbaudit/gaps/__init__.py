"""Gap analysis: what to seed next, how, and in which order (sections 3, 4 and 6 of the audit).

:func:`analyse_gaps` reads the reflected schema, the scanned sources and the coverage, and returns a
:class:`GapAnalysis`: one recommendation for every empty application table no source covers (grouped by
domain, with advice for its kind of table), the implementation guidance the existing seeders suggest, the
execution order of every seeder, existing and recommended, and the foreign-key cycles that order has to break.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from dbaudit.config import Settings
from dbaudit.gaps import classify as kinds
from dbaudit.gaps.convention import (
    command_for,
    command_like,
    conventions,
    detect_convention,
    implementation_guidance,
)
from dbaudit.gaps.domains import group_domains
from dbaudit.gaps.graph import SchemaGraph
from dbaudit.gaps.order import Cycle, Job, plan_order
from dbaudit.gaps.rationale import with_reasons
from dbaudit.gaps.recommend import draft_recommendations, finish
from dbaudit.markdown import code
from dbaudit.model import (
    Coverage,
    DatabaseSnapshot,
    ExecutionStep,
    Finding,
    ImplementationGuidance,
    Recommendation,
    ScanResult,
    SeedSource,
    Severity,
    SourceKind,
    TableStatus,
)

__all__ = ["GapAnalysis", "analyse_gaps", "uncovered_empty_tables"]


@dataclass(frozen=True)
class GapAnalysis:
    """What :func:`analyse_gaps` found; ``build_audit`` copies it into the :class:`~dbaudit.model.Audit`."""

    recommendations: tuple[Recommendation, ...]
    guidance: ImplementationGuidance
    execution_order: tuple[ExecutionStep, ...]
    cycles: tuple[tuple[str, ...], ...] = ()
    """Cycles of required foreign keys between tables, each as the path of its tables."""
    findings: tuple[Finding, ...] = ()


def written_tables(source: SeedSource, graph: SchemaGraph) -> tuple[str, ...]:
    """The report names of the application tables ``source`` writes (tables the database lacks left out)."""
    by_bare = graph.by_bare_name
    found = []
    for write in source.writes:
        qualified = f"{write.schema}.{write.table}" if write.schema else None
        if qualified and qualified in graph.tables:
            found.append(qualified)
        elif write.table in graph.tables:
            found.append(write.table)
        elif len(by_bare.get(write.table, [])) == 1:
            found.append(by_bare[write.table][0])
    return tuple(dict.fromkeys(found))


def uncovered_empty_tables(
    graph: SchemaGraph, scan: ScanResult | None, coverage: Coverage | None
) -> tuple[str, ...]:
    """Empty application tables that no source covers, in snapshot order: the gaps."""
    covered: set[str] = set()
    if coverage is not None:
        covered.update(coverage.covered)
    elif scan is not None:
        for source in scan.sources:
            covered.update(written_tables(source, graph))
    return tuple(
        name
        for name, state in graph.tables.items()
        if state.status is TableStatus.EMPTY and name not in covered and state.table.key not in covered
    )


def analyse_gaps(
    snapshot: DatabaseSnapshot,
    scan: ScanResult | None,
    coverage: Coverage | None,
    settings: Settings,
) -> GapAnalysis:
    """Recommend a seeder for every uncovered empty table and order every seeder by its foreign keys."""
    graph = SchemaGraph(snapshot)
    gaps = uncovered_empty_tables(graph, scan, coverage)
    sources = [s for s in (scan.sources if scan else ()) if written_tables(s, graph)]
    revision_tables = frozenset(
        t for s in sources if s.kind is SourceKind.REVISION for t in written_tables(s, graph)
    )
    archetypes = {t: kinds.classify(graph, t, settings.tenant_columns, revision_tables) for t in gaps}
    convention = detect_convention(scan)
    domains = group_domains(gaps, graph, settings.tenant_columns)
    drafts = draft_recommendations(domains, graph, archetypes, scan, convention, settings.tenant_columns)
    recommendations = finish(drafts, graph, archetypes, scan, settings.tenant_columns)

    tenant = tuple(
        c
        for c in settings.tenant_columns
        if any(s.table.column(c) is not None for s in graph.tables.values())
    )
    guidance = implementation_guidance(scan, convention, tenant)

    def new_command(seeder: str) -> str:
        return command_like(convention.pattern, convention.folder, seeder, guidance.purge_flag)

    example = next((r for r in recommendations if r.archetype not in (kinds.REFERENCE, kinds.EXTEND)), None)
    if example is not None:
        guidance = dataclasses.replace(guidance, run_command=new_command(example.seeder))

    jobs = _jobs(sources, recommendations, graph, scan, guidance.purge_flag, new_command)
    order = plan_order(jobs, graph.edges)
    steps = list(order.steps)
    migrations = [i for i, step in enumerate(steps) if (step.command or "").startswith("alembic upgrade ")]
    if migrations:  # the last migration step brings the schema to head before the scripts after it run
        steps[migrations[-1]] = dataclasses.replace(steps[migrations[-1]], command="alembic upgrade head")
    findings = tuple(_cycle_finding(c) for c in order.cycles)
    return GapAnalysis(
        recommendations=recommendations,
        guidance=guidance,
        execution_order=with_reasons(steps, graph),
        cycles=tuple(c.path for c in order.cycles if not c.between_seeders),
        findings=findings,
    )


_KIND_RANK = {SourceKind.REVISION: 0, SourceKind.SQL: 1, SourceKind.FIXTURE: 2, SourceKind.SCRIPT: 3}


def _jobs(
    sources: list[SeedSource],
    recommendations: tuple[Recommendation, ...],
    graph: SchemaGraph,
    scan: ScanResult | None,
    flag: str | None,
    new_command: Callable[[str], str],
) -> list[Job]:
    history = _revision_history(scan)
    data_revisions = {
        (s.revision.tree, s.revision.revision): s.path for s in sources if s.revision is not None
    }
    extended: dict[str, tuple[str, ...]] = {}
    for rec in recommendations:
        if rec.archetype == kinds.EXTEND:
            extended[rec.seeder] = extended.get(rec.seeder, ()) + rec.tables
    recorded = conventions(scan)
    jobs: list[Job] = []
    for source in sources:
        tables = written_tables(source, graph) + extended.pop(source.name, ())
        own_flag = None
        own = recorded.get(source.path)
        if flag and source.kind is SourceKind.SCRIPT and own is not None and flag in own.purge_flags:
            own_flag = flag
        runs_after: tuple[str, ...] = ()
        rank: tuple[int, ...] = (_KIND_RANK[source.kind],)
        if source.revision is not None:
            rev = (source.revision.tree, source.revision.revision)
            rank = (0, history.get(rev, len(history)))
            runs_after = tuple(
                data_revisions[a] for a in _ancestors(rev, scan) if a in data_revisions and a != rev
            )
        jobs.append(
            Job(
                source.path,
                tuple(dict.fromkeys(tables)),
                True,
                command_for(source, own_flag),
                rank,
                runs_after,
            )
        )
    existing_revisions = tuple(s.path for s in sources if s.kind is SourceKind.REVISION)
    for index, rec in enumerate(recommendations):
        if rec.archetype == kinds.EXTEND:
            continue
        if rec.archetype == kinds.REFERENCE:
            jobs.append(
                Job(
                    rec.seeder,
                    rec.tables,
                    False,
                    "alembic upgrade head",
                    (0, len(history) + index),
                    existing_revisions,
                )
            )
        else:
            jobs.append(Job(rec.seeder, rec.tables, False, new_command(rec.seeder), (4, index)))
    return jobs


_Rev = tuple[str | None, str]
"""A revision by its tree and id: ids are unique only within one tree."""


def _parents(scan: ScanResult) -> dict[_Rev, tuple[_Rev, ...]]:
    return {
        (s.revision.tree, s.revision.revision): tuple(
            (s.revision.tree, p) for p in s.revision.down_revision + s.revision.depends_on
        )
        for s in scan.sources
        if s.revision
    }


def _revision_history(scan: ScanResult | None) -> dict[_Rev, int]:
    """Position of every revision in a topological order of its Alembic history (oldest first)."""
    if scan is None:
        return {}
    parents = _parents(scan)
    position: dict[_Rev, int] = {}

    def visit(rev: _Rev, trail: frozenset[_Rev]) -> None:
        if rev in position or rev in trail:
            return
        for parent in parents.get(rev, ()):
            visit(parent, trail | {rev})
        position[rev] = len(position)

    for rev in sorted(parents, key=lambda r: (r[0] or "", r[1])):
        visit(rev, frozenset())
    return position


def _ancestors(rev: _Rev, scan: ScanResult | None) -> set[_Rev]:
    if scan is None:
        return set()
    parents = _parents(scan)
    seen: set[_Rev] = set()
    stack = list(parents.get(rev, ()))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(parents.get(current, ()))
    return seen


def _cycle_finding(cycle: Cycle) -> Finding:
    ring = " -> ".join(code(name) for name in (*cycle.path, cycle.path[0]))
    if cycle.between_seeders:
        first = cycle.broken.split(" -> ")[0]
        return Finding(
            kind="seeder-cycle",
            message=(
                f"seeders depend on each other ({ring}): {code(first)} has to run first "
                "without its prerequisite; split one of them or let it create the rows it needs"
            ),
            severity=Severity.WARNING,
            source=cycle.broken.split(" -> ")[0],
        )
    return Finding(
        kind="fk-cycle",
        message=(
            f"required foreign keys form a cycle ({ring}); break it at {code(cycle.broken)} "
            "(make that constraint DEFERRABLE, or the column nullable and fill it in a second pass)"
        ),
        severity=Severity.WARNING,
        table=cycle.path[0],
    )
