"""The diff as a pull-request comment (Markdown, through ``report_templates/diff.md.j2``) or as JSON.

The data is shaped here; the template only lays it out, with the report's Jinja2 environment and filters
(``md_cell`` escapes table cells, ``code`` makes inline code).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from dbaudit.diff.compare import AuditDiff, CoverageFigures
from dbaudit.diff.gates import GateResult, Outcome, any_failed
from dbaudit.errors import ConfigError

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
            "message": f.message,
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
        "gates": [
            {
                "name": g.gate,
                "icon": _OUTCOME_ICONS[g.outcome],
                "outcome": g.outcome.value,
                "message": g.message,
                "items": ", ".join(g.items),
            }
            for g in gates
        ],
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
    from dbaudit.render import environment

    try:
        return environment(template_dir).get_template(DIFF_TEMPLATE).render(**diff_context(diff, gates))
    except TemplateError as exc:
        raise ConfigError(
            f"template {DIFF_TEMPLATE} failed: {exc}",
            "fix the template, or drop --template-dir to use the bundled ones",
        ) from exc


def render_diff_json(diff: AuditDiff, gates: tuple[GateResult, ...]) -> str:
    """The diff and the gates as one JSON document."""
    document = {
        "passed": not any_failed(gates),
        "gates": [
            {"gate": g.gate, "outcome": g.outcome.value, "message": g.message, "items": list(g.items)}
            for g in gates
        ],
        "diff": diff.to_dict(),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_diff(
    diff: AuditDiff, gates: tuple[GateResult, ...], fmt: str, template_dir: Path | None = None
) -> str:
    if fmt == "json":
        return render_diff_json(diff, gates)
    return render_diff_markdown(diff, gates, template_dir)
