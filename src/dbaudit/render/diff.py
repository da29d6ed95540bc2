"""``dbaudit diff`` and ``dbaudit check``: the delta as a pull-request comment (Markdown, through
``report_templates/diff.md.j2``) or JSON; one audit's gate (``check.md.j2``) or JSON.

The data is shaped here from the model's records (:class:`~dbaudit.model.AuditDiff`,
:class:`~dbaudit.model.CoverageCheck`, :class:`~dbaudit.model.GateResult`); the templates only lay it out,
with the report's Jinja2 environment and filters (``md_cell`` escapes table cells, ``code`` makes inline
code).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbaudit.markdown import Markdown, fence, one_line, prose, texts
from dbaudit.model import AuditDiff, CoverageCheck, CoverageFigures, GateResult, Outcome, any_failed, to_dict
from dbaudit.render.jsondoc import to_json
from dbaudit.render.templates import run_template

DIFF_TEMPLATE = "diff.md.j2"

_OUTCOME_ICONS = {Outcome.PASSED: "✅", Outcome.FAILED: "❌", Outcome.SKIPPED: "⏭️"}


def format_figures(figures: CoverageFigures | None) -> str:
    if figures is None:
        return "n/a"
    return f"{figures.percent:.1f}% ({figures.covered}/{figures.tables})"


def format_delta(diff: AuditDiff) -> str:
    delta = diff.coverage_delta
    if delta is None:
        return "n/a"
    if diff.coverage_improved:
        return f"+{delta:.1f} pp"
    if diff.coverage_dropped:
        return f"{delta:.1f} pp"
    return "±0.0 pp"


def diff_context(diff: AuditDiff, gates: tuple[GateResult, ...]) -> dict[str, Any]:
    """Everything ``diff.md.j2`` prints, already worded and sorted."""
    tables: list[dict[str, str]] = []
    for names, change in (
        (diff.newly_covered, "✅ newly covered"),
        (diff.newly_uncovered, "❌ no longer covered"),
        (diff.new_uncovered_tables, "🆕 new, no seed data"),
        (diff.newly_empty, "⚠️ populated -> empty"),
        (diff.removed_tables, "🗑️ removed from the database"),
    ):
        tables.extend({"table": name, "change": change} for name in names)
    sources = [
        {"path": s.path, "change": s.change, "tables": ", ".join(s.tables) or "-"}
        for s in (*diff.sources_added, *diff.sources_removed, *diff.sources_changed)
    ]
    findings = [
        {
            "kind": f.kind,
            "message": prose(f.message),
            "location": str(f.location) if f.location is not None else "-",
        }
        for f in diff.new_findings
    ]
    failed = any_failed(gates)
    return {
        "passed": not failed,
        "status": "❌ gate failed" if failed else "✅ passed",
        "base": diff.base_label,
        "head": diff.head_label,
        "before": format_figures(diff.before),
        "after": format_figures(diff.after),
        "delta": format_delta(diff),
        "gates": _gate_rows(gates),
        "tables": tables,
        "sources": sources,
        "findings": findings,
        "resolved_findings": len(diff.resolved_findings),
        "unchanged": diff.is_empty,
    }


def render_diff_markdown(
    diff: AuditDiff, gates: tuple[GateResult, ...], template_dir: Path | None = None
) -> str:
    """The Markdown delta for a pull-request comment or a job summary."""
    return run_template(DIFF_TEMPLATE, diff_context(diff, gates), template_dir)


def _gate_json(gate: GateResult) -> dict[str, Any]:
    return {
        "gate": gate.gate,
        "outcome": gate.outcome.value,
        "message": gate.message,
        "items": list(gate.items),
    }


def render_diff_json(diff: AuditDiff, gates: tuple[GateResult, ...]) -> str:
    """The diff and the gates as one JSON document."""
    document = {
        "passed": not any_failed(gates),
        "gates": [_gate_json(g) for g in gates],
        "diff": diff.to_dict(),
    }
    return to_json(document)


def render_diff(
    diff: AuditDiff, gates: tuple[GateResult, ...], fmt: str, template_dir: Path | None = None
) -> str:
    if fmt == "json":
        return render_diff_json(diff, gates)
    return render_diff_markdown(diff, gates, template_dir)


CHECK_TEMPLATE = "check.md.j2"


def _gate_rows(gates: tuple[GateResult, ...]) -> list[dict[str, str]]:
    return [
        {
            "name": g.gate,
            "icon": _OUTCOME_ICONS[g.outcome],
            "outcome": g.outcome.value,
            "message": g.message,
            "names": _gate_items(g),
        }
        for g in gates
    ]


def _gate_items(gate: GateResult) -> Markdown:
    """The tables a gate names, as text; the stale gate names findings, whose messages are Markdown."""
    if gate.gate == "stale":
        return Markdown(", ".join(prose(item) for item in gate.items))
    return texts(gate.items)


def check_context(check: CoverageCheck) -> dict[str, Any]:
    """Everything ``check.md.j2`` prints."""
    failed = any_failed(check.gates)
    return {
        "passed": not failed,
        "status": "❌ gate failed" if failed else "✅ passed",
        "coverage": format_figures(check.coverage),
        "audit": check.label,
        "gates": _gate_rows(check.gates),
        "uncovered": list(check.uncovered),
        # one name a line, so a line break in a name cannot pass for two tables
        "uncovered_block": fence("".join(f"{one_line(name)}\n" for name in check.uncovered)),
    }


def render_check(check: CoverageCheck, fmt: str, template_dir: Path | None = None) -> str:
    """The result of ``dbaudit check`` as Markdown or JSON."""
    if fmt == "json":
        current = check.coverage
        document = {
            "passed": not any_failed(check.gates),
            "gates": [_gate_json(g) for g in check.gates],
            "coverage": None if current is None else to_dict(current),
            "uncovered": list(check.uncovered),
        }
        return to_json(document)
    return run_template(CHECK_TEMPLATE, check_context(check), template_dir)
