"""``--format html``: the whole audit as one self-contained page (inline CSS and JavaScript, no network).

For people who would rather look than read: status colours, a coverage bar, and every table sortable by a
click on its header.  The data is shaped here, from the same section functions as the Markdown report: their
wording is :class:`~dbaudit.render.inline.Inline` content, whose HTML the template prints without parsing
Markdown.  ``report_templates/audit.html.j2`` lays it out with autoescaping on, so a hostile table name is
shown, never run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from dbaudit.model import TableStatus, natural_key
from dbaudit.render import gaps_context
from dbaudit.render.inline import prose_html
from dbaudit.render.seeder_run import seeder_run_context
from dbaudit.render.status import (
    format_count,
    header_context,
    is_shown,
)

if TYPE_CHECKING:
    from dbaudit.model import Audit
    from dbaudit.render.options import RenderOptions

#: Colour, not emoji, carries the status on the page (headless and older systems lack emoji fonts).
HTML_LABELS = {
    TableStatus.POPULATED: "Populated",
    TableStatus.EMPTY: "Empty",
    TableStatus.SYSTEM: "System meta",
    TableStatus.UNREADABLE: "Unreadable",
}


def status_rows(audit: Audit, options: RenderOptions) -> list[dict[str, Any]]:
    """One row per table (empty ones too: the page can sort and fold them itself)."""
    db = audit.database
    if db is None:
        return []
    covered = set(audit.coverage.covered) if audit.coverage else None
    writers: dict[str, list[str]] = {}
    for source in audit.scan.sources if audit.scan else ():
        for table in source.tables:
            writers.setdefault(table, []).append(source.name)
    rows = []
    for state in db.tables:
        if not is_shown(state, options, covered):
            continue
        name = db.name_of(state.ref)
        count = state.count
        sort = (
            count.value
            if count is not None and count.value is not None
            else (1 if count and count.populated else 0)
        )
        label = HTML_LABELS[state.status]
        if state.status is TableStatus.UNREADABLE and state.reason:
            label = f"{label} ({state.reason})"
        rows.append(
            {
                "name": name,
                "count": format_count(count),
                "sort": sort,
                "status": state.status.value,
                "label": label,
                "sources": ", ".join(dict.fromkeys(writers.get(state.table.name, ()))),
                "partitions": ", ".join(state.table.partitions),
            }
        )
    order = {"populated": 0, "unreadable": 1, "system": 2, "empty": 3}
    return sorted(rows, key=lambda r: (order[r["status"]], natural_key(r["name"])))


def html_context(audit: Audit, options: RenderOptions) -> dict[str, Any]:
    """Everything ``audit.html.j2`` shows, as plain data."""
    coverage = audit.coverage
    sources = [
        {"name": s.name, "folder": s.folder, "kind": s.kind.value, "tables": ", ".join(s.tables)}
        for s in (audit.scan.sources if audit.scan else ())
        if s.writes
    ]
    return {
        "header": header_context(audit),
        "status": status_rows(audit, options),
        "coverage": None
        if coverage is None
        else {
            "percent": round(coverage.percent, 1),
            "covered": len(coverage.covered),
            "total": coverage.application_tables,
        },
        "sources": sources,
        "gaps": gaps_context.gaps_context(audit, options),
        "next_steps": gaps_context.next_steps_context(audit, options),
        "order": gaps_context.order_context(audit, options),
        "findings": gaps_context.findings_context(audit, options),
        "changes": audit.changes,
        "seeder_run": seeder_run_context(audit, options),
        # The seeder-run section's wording is the report's inline Markdown: code spans and bold as HTML.
        "md": _prose,
    }


def _prose(source: object) -> Markup:
    return Markup(prose_html(str(source)))


def render_html(audit: Audit, options: RenderOptions) -> str:
    """The audit as one HTML page."""
    from dbaudit.render import render_template

    return render_template("audit.html.j2", audit, options, page=html_context(audit, options))
