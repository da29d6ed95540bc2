"""Section 1 (table population status) and the report header, shaped for the templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dbaudit.markdown import Markdown, code, fence, one_line, text
from dbaudit.model import (
    CountMethod,
    RowCount,
    TableRef,
    TableState,
    TableStatus,
    natural_key,
    natural_sorted,
)

if TYPE_CHECKING:
    from dbaudit.model import Audit
    from dbaudit.render.options import RenderOptions

STATUS_LABELS = {
    TableStatus.POPULATED: Markdown("✅ Populated"),
    TableStatus.EMPTY: Markdown("❌ _Empty_"),
    TableStatus.SYSTEM: Markdown("⚙️ System meta"),
    TableStatus.UNREADABLE: Markdown("🔒 Unreadable"),
}


def format_count(count: RowCount | None) -> str:
    """``1,234`` for an exact count, ``~1,234`` for an estimate, ``≥ 1`` when only a probe ran."""
    if count is None:
        return "—"
    if count.value is not None:
        prefix = "~" if count.method is CountMethod.ESTIMATE else ""
        return f"{prefix}{count.value:,}"
    if count.populated is None:
        return "?"
    return "≥ 1" if count.populated else "0"


@dataclass(frozen=True)
class Totals:
    tables: int
    populated: int
    empty: int
    system: int
    unreadable: int
    views: int
    partitions: int

    @property
    def application(self) -> int:
        return self.tables - self.system


def totals(audit: Audit) -> Totals:
    db = audit.database
    states = db.tables if db else ()
    by_status = {s: sum(1 for t in states if t.status is s) for s in TableStatus}
    return Totals(
        tables=len(states),
        populated=by_status[TableStatus.POPULATED],
        empty=by_status[TableStatus.EMPTY],
        system=by_status[TableStatus.SYSTEM],
        unreadable=by_status[TableStatus.UNREADABLE],
        views=len(db.views) if db else 0,
        partitions=sum(len(t.table.partitions) for t in states),
    )


def header_context(audit: Audit) -> dict[str, Any]:
    db = audit.database
    git = audit.git
    commit = None
    if git is not None:
        commit = git.commit[:12]
    return {
        "date": audit.generated_at[:10],
        "generated_at": audit.generated_at,
        "tool_version": audit.tool_version,
        "url": db.url if db else None,
        "url_source": db.url_source if db else None,
        "dialect": db.dialect if db else None,
        "server_version": db.server_version if db else None,
        "schemas": list(db.schemas) if db else [],
        "commit": commit,
        "dirty": bool(git and git.dirty),
        "branch": git.branch if git else None,
        "totals": totals(audit),
    }


def is_shown(state: TableState, options: RenderOptions, covered: set[str] | None) -> bool:
    """Whether section 1 (and the HTML status table) lists ``state`` under ``--only`` / ``--min-rows``."""
    if options.only == "empty" and state.status is not TableStatus.EMPTY:
        return False
    if options.only == "populated" and state.status is not TableStatus.POPULATED:
        return False
    if options.only == "uncovered":
        if state.status is TableStatus.SYSTEM:
            return False
        if covered is not None and (state.table.name in covered or state.table.key in covered):
            return False
    if options.min_rows is not None:
        count = state.count
        if count is None or state.status is not TableStatus.POPULATED:
            return options.min_rows <= 0
        if count.value is None:
            return options.min_rows <= 1
        return count.value >= options.min_rows
    return True


def status_context(audit: Audit, options: RenderOptions) -> dict[str, Any] | None:
    """Rows of section 1: populated, system meta and unreadable tables one by one, empty ones folded."""
    db = audit.database
    if db is None:
        return None
    covered = set(audit.coverage.covered) if audit.coverage else None
    shown = [s for s in db.tables if is_shown(s, options, covered)]
    order = {TableStatus.POPULATED: 0, TableStatus.UNREADABLE: 1, TableStatus.SYSTEM: 2}
    listed = sorted(
        (s for s in shown if s.status is not TableStatus.EMPTY),
        key=lambda s: (order[s.status], natural_key(db.name_of(s.ref))),
    )
    rows: list[list[str]] = []
    for state in listed:
        label = STATUS_LABELS[state.status]
        if state.status is TableStatus.UNREADABLE and state.reason:
            label = Markdown(f"{label} ({text(state.reason)})")
        rows.append([db.name_of(state.ref), Markdown(format_count(state.count)), label])
    empty = natural_sorted(db.name_of(s.ref) for s in shown if s.status is TableStatus.EMPTY)
    if empty:
        word = "All remaining" if rows else "All"
        noun = "table" if len(empty) == 1 else "tables"
        rows.append([Markdown(f"**{word} {len(empty)} {noun}**"), "0", STATUS_LABELS[TableStatus.EMPTY]])
    partitioned = [
        {"name": db.name_of(s.ref), "partitions": list(s.table.partitions)}
        for s in shown
        if s.table.partitions
    ]
    schemas = ", ".join(code(name) for name in db.schemas)
    return {
        "schema_label": Markdown(("schema = " if len(db.schemas) == 1 else "schemas = ") + schemas),
        "rows": rows,
        "empty": empty,
        # one name a line, so a line break in a name cannot pass for two tables
        "empty_block": fence("".join(f"{one_line(name)}\n" for name in empty)),
        "partitioned": partitioned,
        "views": natural_sorted(db.name_of(TableRef(v.schema, v.name)) for v in db.views),
        "has_estimates": any(
            s.count is not None and s.count.method is CountMethod.ESTIMATE and s.count.value is not None
            for s in shown
        ),
        "has_probes": any(s.count is not None and s.count.value is None and s.count.populated for s in shown),
        "filtered": options.only is not None or options.min_rows is not None,
    }
