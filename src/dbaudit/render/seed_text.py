"""The plain-text summaries of a seed plan, a seed run and a purge, as the CLI prints them (and their JSON).

They are GitHub-flavoured Markdown tables and lists (people paste them into pull requests), printed to a
terminal: every name goes through :func:`dbaudit.markdown.cell` or :func:`dbaudit.markdown.text`, so a table
named ``x\\n| fake | row`` or ``<img onerror>`` neither adds a line nor a table cell, nor reaches a
Markdown reader as markup, and no control character reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from dbaudit.markdown import Markdown, cell, one_line, text

# The one import of the seeder's: its records move next to the model (issue 13, point 3); until then this
# is the import contract's one allowed exception (``render`` -> ``seed.records``, see pyproject.toml).
from dbaudit.model import PurgeReport, SeedPlan, SeedReport
from dbaudit.render.jsondoc import to_json


def render_seed_json(record: SeedPlan | SeedReport | PurgeReport) -> str:
    """The record as JSON (every field), for scripts and CI: keys sorted and names ASCII-escaped, as this
    document has always been written."""
    return to_json(record, sort_keys=True, ascii_only=True)


def _names(items: tuple[str, ...]) -> Markdown:
    return Markdown(", ".join(text(item) for item in items) if items else "-")


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A GitHub table; text cells as cells (never read as numbers: a table may be named ``1e5``)."""
    safe = [[value if isinstance(value, int) else cell(value) for value in row] for row in rows]
    text_columns = [i for i in range(len(headers)) if not all(isinstance(row[i], int) for row in rows)]
    return tabulate(safe, headers=list(headers), tablefmt="github", disable_numparse=text_columns)


def render_plan(plan: SeedPlan) -> str:
    lines = [f"Seed plan ({text(plan.dialect)}, seed {plan.seed}):", ""]
    if plan.tables:
        rows = [
            [i + 1, tp.table, tp.rows, tp.seeder, tp.marker, tp.reason, _names(tp.deferred)]
            for i, tp in enumerate(plan.tables)
        ]
        headers = ["#", "table", "rows", "seeder", "marker", "why", "set after cycle"]
        lines.append(_table(rows, headers))
    else:
        lines.append("Nothing to seed: every selected table already has rows.")
    lines.extend(_tail(plan))
    return "\n".join(lines) + "\n"


def _tail(plan: SeedPlan) -> list[str]:
    lines: list[str] = []
    if plan.cycles:
        lines += ["", "Foreign-key cycles:"]
        lines += [
            f"- {' <-> '.join(text(t) for t in c.tables)}: {text(c.method)} ({text(c.detail)})"
            for c in plan.cycles
        ]
    if plan.skipped:
        lines += ["", "Skipped:"]
        lines += [f"- {text(s.table)}: {text(s.reason)} [{s.code}]" for s in plan.skipped]
    if plan.warnings:
        lines += ["", "Warnings:"]
        lines += [f"- {text(w)}" for w in plan.warnings]
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


#: The line a compact summary ends its totals with.
EVERY_TABLE_HINT = "-v lists every table."


def render_seed_report(report: SeedReport, *, every_table: bool = False) -> str:
    """The summary of a seed run: the totals, the tables with a note, the skipped ones; ``every_table``
    (``-v``) lists every table seeded, as a run of 1,334 tables would otherwise print 1,334 rows."""
    title = "Dry run (rolled back, nothing committed)" if report.dry_run else "Seeded"
    lines = [f"{title}: run {text(report.run_id)}", ""]
    if report.purged_first:
        lines += [f"--force removed {report.purged_first} earlier mock rows first.", ""]
    shown = report.results if every_table else tuple(r for r in report.results if r.note)
    if report.results and not every_table:
        totals = f"{_plural(report.total_rows, 'row')} in {_plural(len(report.results), 'table')}"
        if report.plan.skipped:
            totals += f"; {_plural(len(report.plan.skipped), 'table')} skipped"
        lines.append(f"{totals}. {EVERY_TABLE_HINT}")
        if shown:
            lines += ["", "With a note:", ""]
    if shown:
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
            for r in shown
        ]
        headers = ["table", "rows inserted", "marker", "seeder", "parents reused", "parents created", "note"]
        lines.append(_table(rows, headers))
    if report.results and every_table:
        tables = len(report.results)
        lines += ["", f"{report.total_rows} rows in {tables} table{'s' if tables != 1 else ''}."]
    elif not report.results:
        lines.append("Nothing to seed: every selected table already has rows.")
    for result in report.results:
        if result.sample_rows:
            count = len(result.sample_rows)
            lines += ["", f"{text(result.table)}: {_plural(count, 'sample row')}", ""]
            lines.append(_table([list(r) for r in result.sample_rows], result.sample_columns))
    lines.extend(_tail(report.plan))
    if report.undo_command:
        lines += ["", f"Undo: {one_line(report.undo_command)}"]
    return "\n".join(lines) + "\n"


def render_purge_report(report: PurgeReport, *, every_table: bool = False) -> str:
    """The summary of a purge: the totals, the tables whose mock rows were not all deleted, the tables left
    alone; ``every_table`` (``-v``) lists every table."""
    if report.blocked:
        lines = [
            "Purge refused: real rows reference mock rows (deleting would cascade into them or fail):",
            "",
        ]
        lines += [
            f"- {text(b.table)} {text(b.key)} -> {text(b.references)} (via {text(b.via)})"
            for b in report.blocked
        ]
        lines += ["", "Nothing was deleted. Delete or re-point those rows first, or purge fewer tables."]
        return "\n".join(lines) + "\n"
    title = "Dry run (rolled back, nothing deleted)" if report.dry_run else "Purged"
    if not report.results and not report.refused:
        return f"{title}: no mock rows found.\n"
    runs = ", ".join(text(run) for run in report.runs) or "-"
    lines = [f"{title}: {report.total_deleted} mock rows (runs: {runs})"]
    partial = tuple(r for r in report.results if r.kept_unmarked or r.kept_changed or r.already_gone)
    if report.results and not every_table:
        complete = len(report.results) - len(partial)
        lines += [
            "",
            f"{_plural(len(report.results), 'table')}: every mock row deleted from {complete}"
            f"{', not from the ones below' if partial else ''}. {EVERY_TABLE_HINT}",
        ]
    shown = report.results if every_table else partial
    if shown:
        rows = [[r.table, r.deleted, r.kept_unmarked, r.kept_changed, r.already_gone] for r in shown]
        headers = ["table", "deleted", "kept (mark removed)", "kept (changed)", "already gone"]
        lines += ["", _table(rows, headers)]
    if report.refused:
        lines += ["", "Left alone, with their ledger entries (purge could not judge them safely):"]
        lines += [f"- {text(r.table)} ({r.rows} rows recorded): {text(r.reason)}" for r in report.refused]
    if any(r.kept_changed for r in report.results):
        lines += [
            "",
            "Rows counted as kept (changed) differ from what the seed wrote: a real row may have taken a "
            "mock row's key. They and their ledger entries stay; check them, then delete them by hand.",
        ]
    if report.ledger_dropped:
        lines += ["", "The ledger is empty and was dropped."]
    return "\n".join(lines) + "\n"
