"""Compare two audits: what a change did to seeding coverage, the tables and the seed sources.

:func:`diff_audits` is pure: two :class:`~dbaudit.model.Audit` records in, one
:class:`~dbaudit.model.AuditDiff` out, no database and no files, so a saved baseline and a fresh audit diff
the same way as two saved ones.  It serves ``dbaudit diff`` and section 5 of the report
(:func:`coverage_change`), so it sits beside the audit, below both.
"""

from __future__ import annotations

from collections.abc import Iterable

from dbaudit.model import (
    Audit,
    AuditDiff,
    CoverageChange,
    CoverageFigures,
    Finding,
    SeedSource,
    SourceChange,
    TableState,
    TableStatus,
    natural_sorted,
)


def diff_audits(
    base: Audit, head: Audit, *, base_label: str | None = None, head_label: str | None = None
) -> AuditDiff:
    """Compare ``head`` with the baseline ``base``.

    Tables are named as the coverage names them; findings are matched on kind, table and source (their
    message and location may differ between runs).
    """
    base_covered = covered_tables(base)
    head_covered = covered_tables(head)
    keys = uses_keys(head, base)
    base_tables = application_tables(base, keys)
    head_tables = application_tables(head, keys)
    base_sources = _sources(base)
    head_sources = _sources(head)

    new_tables = _sorted(t for t in head_tables if base.database is not None and t not in base_tables)
    removed_tables = _sorted(t for t in base_tables if head.database is not None and t not in head_tables)
    still_there = head_tables if head.database is not None else head_covered | base_covered

    base_keys = {_finding_key(f): f for f in all_findings(base)}
    head_keys = {_finding_key(f): f for f in all_findings(head)}

    return AuditDiff(
        base_label=base_label or audit_label(base),
        head_label=head_label or audit_label(head),
        before=figures(base),
        after=figures(head),
        newly_covered=_sorted(head_covered - base_covered) if base.coverage and head.coverage else (),
        newly_uncovered=_sorted((base_covered - head_covered) & still_there) if head.coverage else (),
        sources_added=tuple(
            SourceChange(path, "added", tables_after=head_sources[path].tables)
            for path in sorted(head_sources.keys() - base_sources.keys())
        )
        if base.scan is not None
        else (),
        sources_removed=tuple(
            SourceChange(path, "removed", tables_before=base_sources[path].tables)
            for path in sorted(base_sources.keys() - head_sources.keys())
        )
        if head.scan is not None
        else (),
        sources_changed=tuple(
            SourceChange(path, "changed", base_sources[path].tables, head_sources[path].tables)
            for path in sorted(base_sources.keys() & head_sources.keys())
            if _source_changed(base_sources[path], head_sources[path])
        ),
        newly_empty=_newly_empty(base, head, keys),
        new_tables=new_tables,
        new_uncovered_tables=tuple(t for t in new_tables if t not in head_covered) if head.coverage else (),
        removed_tables=removed_tables,
        new_findings=tuple(head_keys[k] for k in sorted(head_keys.keys() - base_keys.keys())),
        resolved_findings=tuple(base_keys[k] for k in sorted(base_keys.keys() - head_keys.keys())),
    )


def coverage_change(base: Audit, head: Audit, *, baseline_label: str | None = None) -> CoverageChange:
    """Section 5 of the report, "Changes since the previous audit", from a baseline and the current audit."""
    diff = diff_audits(base, head, base_label=baseline_label)
    # an audit without coverage (run without a scan) counts as 0 of 0 tables, which section 5 shows as n/a
    before = diff.before or CoverageFigures(0, 0)
    after = diff.after or CoverageFigures(0, 0)
    return CoverageChange(
        before_percent=round(before.percent, 2) if diff.before else 0.0,
        after_percent=round(after.percent, 2) if diff.after else 0.0,
        before_covered=before.covered,
        after_covered=after.covered,
        before_tables=before.tables,
        after_tables=after.tables,
        new_sources=tuple(s.path for s in diff.sources_added),
        removed_sources=tuple(s.path for s in diff.sources_removed),
        newly_covered=diff.newly_covered,
        newly_uncovered=diff.newly_uncovered + diff.new_uncovered_tables,
        newly_empty=diff.newly_empty,
        baseline_label=diff.base_label,
    )


# ------------------------------------------------------------------------------------------------------------
# What an audit says, in the terms of the diff


def audit_label(audit: Audit) -> str:
    """A short name for an audit in messages: its commit when known, else when it was generated."""
    if audit.git is not None:
        return f"{audit.git.commit[:12]}{' (dirty)' if audit.git.dirty else ''}"
    return audit.generated_at or "an undated audit"


def figures(audit: Audit) -> CoverageFigures | None:
    if audit.coverage is None:
        return None
    coverage = audit.coverage
    return CoverageFigures(len(coverage.covered), coverage.application_tables, _sorted(coverage.covered))


def covered_tables(audit: Audit) -> frozenset[str]:
    return frozenset(audit.coverage.covered) if audit.coverage is not None else frozenset()


def uses_keys(*audits: Audit) -> bool:
    """Whether tables are named ``schema.name`` (the rule of :meth:`DatabaseSnapshot.name_of`, for both)."""
    return any(a.database is not None and a.database.qualifies_names for a in audits)


def table_name(state: TableState, keys: bool) -> str:
    return state.ref.key if keys else state.ref.name


def application_states(audit: Audit) -> tuple[TableState, ...]:
    """The tables coverage is measured over: not system meta, not partitions (they count as their parent)."""
    if audit.database is None:
        return ()
    return tuple(s for s in audit.database.tables if s.is_application)


def application_tables(audit: Audit, keys: bool | None = None) -> frozenset[str]:
    keys = uses_keys(audit) if keys is None else keys
    return frozenset(table_name(s, keys) for s in application_states(audit))


def uncovered_tables(audit: Audit) -> tuple[str, ...]:
    """Application tables no source seeds."""
    return _sorted(application_tables(audit) - covered_tables(audit))


def all_findings(audit: Audit) -> tuple[Finding, ...]:
    """The audit's findings and the scanner's, each once."""
    seen: dict[tuple[str, str, str], Finding] = {}
    scan_findings = audit.scan.findings if audit.scan is not None else ()
    for finding in (*audit.findings, *scan_findings):
        seen.setdefault(_finding_key(finding), finding)
    return tuple(seen.values())


def _finding_key(finding: Finding) -> tuple[str, str, str]:
    return (finding.kind, finding.table or "", finding.source or "")


def _sources(audit: Audit) -> dict[str, SeedSource]:
    return {s.path: s for s in audit.scan.sources} if audit.scan is not None else {}


def _source_changed(before: SeedSource, after: SeedSource) -> bool:
    if before.digest and after.digest:
        return before.digest != after.digest
    return set(before.writes) != set(after.writes)


def _newly_empty(base: Audit, head: Audit, keys: bool) -> tuple[str, ...]:
    if base.database is None or head.database is None:
        return ()
    populated = {table_name(s, keys) for s in application_states(base) if s.status is TableStatus.POPULATED}
    return _sorted(
        table_name(s, keys)
        for s in application_states(head)
        if s.status is TableStatus.EMPTY and table_name(s, keys) in populated
    )


def _sorted(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(natural_sorted(set(names)))
