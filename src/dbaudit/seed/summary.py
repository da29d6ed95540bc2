"""Plain-text summaries of a seed plan, a seed run and a purge, as the CLI prints them."""

from __future__ import annotations

import json

from tabulate import tabulate

from dbaudit.model import to_dict
from dbaudit.seed.records import PurgeReport, SeedPlan, SeedReport


def as_json(report: SeedReport | PurgeReport | SeedPlan) -> str:
    """The record as JSON (every field), for scripts and CI."""
    return json.dumps(to_dict(report), indent=2, sort_keys=True) + "\n"


def _names(items: tuple[str, ...]) -> str:
    return ", ".join(items) if items else "-"


def render_plan(plan: SeedPlan) -> str:
    lines = [f"Seed plan ({plan.dialect}, seed {plan.seed}):", ""]
    if plan.tables:
        rows = [
            [i + 1, tp.table, tp.rows, tp.seeder, tp.marker, tp.reason, _names(tp.deferred)]
            for i, tp in enumerate(plan.tables)
        ]
        headers = ["#", "table", "rows", "seeder", "marker", "why", "set after cycle"]
        lines.append(tabulate(rows, headers=headers, tablefmt="github"))
    else:
        lines.append("Nothing to seed: every selected table already has rows.")
    lines.extend(_tail(plan))
    return "\n".join(lines) + "\n"


def _tail(plan: SeedPlan) -> list[str]:
    lines: list[str] = []
    if plan.cycles:
        lines += ["", "Foreign-key cycles:"]
        lines += [f"- {' <-> '.join(c.tables)}: {c.method} ({c.detail})" for c in plan.cycles]
    if plan.skipped:
        lines += ["", "Skipped:"]
        lines += [f"- {s.table}: {s.reason}" for s in plan.skipped]
    if plan.warnings:
        lines += ["", "Warnings:"]
        lines += [f"- {w}" for w in plan.warnings]
    return lines


def render_seed_report(report: SeedReport) -> str:
    title = "Dry run (rolled back, nothing committed)" if report.dry_run else "Seeded"
    lines = [f"{title}: run {report.run_id}", ""]
    if report.purged_first:
        lines += [f"--force removed {report.purged_first} earlier mock rows first.", ""]
    if report.results:
        rows = [
            [
                r.table,
                r.inserted,
                r.marker,
                r.seeder,
                _names(r.parents_reused),
                _names(r.parents_created),
                r.note or "",
            ]
            for r in report.results
        ]
        headers = ["table", "rows inserted", "marker", "seeder", "parents reused", "parents created", "note"]
        lines.append(tabulate(rows, headers=headers, tablefmt="github"))
        tables = len(report.results)
        lines += ["", f"{report.total_rows} rows in {tables} table{'s' if tables != 1 else ''}."]
    else:
        lines.append("Nothing to seed: every selected table already has rows.")
    lines.extend(_tail(report.plan))
    if report.undo_command:
        lines += ["", f"Undo: {report.undo_command}"]
    return "\n".join(lines) + "\n"


def render_purge_report(report: PurgeReport) -> str:
    if report.blocked:
        lines = [
            "Purge refused: real rows reference mock rows (deleting would cascade into them or fail):",
            "",
        ]
        lines += [f"- {b.table} {b.key} -> {b.references} (via {b.via})" for b in report.blocked]
        lines += ["", "Nothing was deleted. Delete or re-point those rows first, or purge fewer tables."]
        return "\n".join(lines) + "\n"
    title = "Dry run (rolled back, nothing deleted)" if report.dry_run else "Purged"
    if not report.results and not report.refused:
        return f"{title}: no mock rows found.\n"
    lines = [f"{title}: {report.total_deleted} mock rows (runs: {', '.join(report.runs) or '-'})"]
    if report.results:
        rows = [[r.table, r.deleted, r.kept_unmarked, r.kept_changed, r.already_gone] for r in report.results]
        headers = ["table", "deleted", "kept (mark removed)", "kept (changed)", "already gone"]
        lines += ["", tabulate(rows, headers=headers, tablefmt="github")]
    if report.refused:
        lines += ["", "Left alone, with their ledger entries (purge could not judge them safely):"]
        lines += [f"- {r.table} ({r.rows} rows recorded): {r.reason}" for r in report.refused]
    if any(r.kept_changed for r in report.results):
        lines += [
            "",
            "Rows marked kept (changed) differ from what the seed wrote: a real row may have taken a mock "
            "row's key. They and their ledger entries stay; check them, then delete them by hand.",
        ]
    if report.ledger_dropped:
        lines += ["", "The ledger is empty and was dropped."]
    return "\n".join(lines) + "\n"
