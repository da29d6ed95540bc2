"""The audit: reflect the database, scan the code, join them, and add the analysis.

:func:`build_audit` is what ``dbaudit report`` runs.  It never writes to the database (reflection runs in a
read-only transaction) and never runs the project's code (the scan is static).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import replace

from dbaudit import __version__
from dbaudit.config import Settings, url_origin
from dbaudit.markdown import code, text
from dbaudit.model import (
    Audit,
    DatabaseSnapshot,
    Finding,
    GitInfo,
    ScanResult,
    SeederRun,
    Severity,
    TableStatus,
)
from dbaudit.progress import stage

log = logging.getLogger("dbaudit.audit")


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def unreadable_findings(snapshot: DatabaseSnapshot) -> tuple[Finding, ...]:
    return tuple(
        Finding(
            kind="unreadable",
            message=(
                f"table {code(state.table.key)} could not be read: {text(state.reason or 'unknown reason')}"
            ),
            severity=Severity.WARNING,
            table=state.table.key,
        )
        for state in snapshot.tables
        if state.status is TableStatus.UNREADABLE
    )


def join_audit(
    snapshot: DatabaseSnapshot,
    scan_result: ScanResult | None,
    settings: Settings,
    *,
    now: str | None = None,
    git: GitInfo | None = None,
) -> Audit:
    """Join a reflected database and a scan into an audit: coverage, findings, gaps and execution order.

    Needs neither a database nor a file system, so the analysis can run on hand-built model objects.
    """
    from dbaudit.coverage import compute_coverage
    from dbaudit.gaps import analyse_gaps

    coverage = None
    findings = list(unreadable_findings(snapshot))
    if scan_result is not None:
        coverage, coverage_findings = compute_coverage(snapshot, scan_result, settings)
        findings.extend(scan_result.findings)
        findings.extend(coverage_findings)
    with stage("Analysing the gaps"):
        gaps = analyse_gaps(snapshot, scan_result, coverage, settings)
    findings.extend(gaps.findings)
    return Audit(
        generated_at=now or utc_now(),
        tool_version=__version__,
        database=snapshot,
        scan=scan_result,
        coverage=coverage,
        recommendations=gaps.recommendations,
        guidance=gaps.guidance,
        execution_order=gaps.execution_order,
        cycles=gaps.cycles,
        findings=tuple(findings),
        git=git,
    )


def build_audit(
    settings: Settings,
    *,
    scan: bool = True,
    baseline: Audit | None = None,
    baseline_label: str | None = None,
    now: str | None = None,
    seeder_run: SeederRun | None = None,
    scanned: Callable[[], ScanResult] | None = None,
) -> Audit:
    """Audit the configured database and project.

    ``scan=False`` skips the static scan (sections 2-6 then rest on the database alone).  ``baseline`` is an
    earlier audit (:func:`dbaudit.audit_file.load_audit` reads a saved one): the result then carries the
    changes since it (section 5), the baseline named ``baseline_label``.  ``seeder_run`` is a saved
    ``dbaudit verify`` run (:func:`dbaudit.verify.load_run` reads one), included as the "Seeder run" section.
    ``scanned`` gives the scan's result when the caller had it made elsewhere (the command line scans in a
    helper process while the database is read); by default the project is scanned here.
    """
    from dbaudit.compare import coverage_change
    from dbaudit.gitrepo import git_info
    from dbaudit.reflect import reflect_database

    with stage("Reflecting the database and counting rows"):
        snapshot = replace(reflect_database(settings), url_source=url_origin(settings))
    log.info("reflected %d tables, %d views from %s", len(snapshot.tables), len(snapshot.views), snapshot.url)
    scan_result = None
    if scan:
        with stage("Scanning seed scripts and migrations"):
            if scanned is None:
                from dbaudit.scan import scan_sources  # imports the scanner: only where it runs

                scanned = functools.partial(scan_sources, settings.project_root, settings)
            scan_result = scanned()
        log.info("scanned %d files, %d seed sources", scan_result.files_scanned, len(scan_result.sources))
    audit = join_audit(snapshot, scan_result, settings, now=now, git=git_info(settings.project_root))
    if baseline is not None:
        audit = replace(audit, changes=coverage_change(baseline, audit, baseline_label=baseline_label))
    if seeder_run is not None:
        audit = replace(audit, seeder_run=seeder_run)
    return audit
