"""Section 5 of the report, "Changes since the previous audit", shaped for ``md/changes.md.j2``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbaudit.model import Audit, SeedSource

if TYPE_CHECKING:
    from dbaudit.render.options import RenderOptions


def _figures(value: float, covered: int, tables: int) -> str:
    if not tables:
        return "n/a"
    return f"{value:.1f}% ({covered}/{tables} tables)"


def changes_context(audit: Audit, options: RenderOptions | None = None) -> dict[str, Any] | None:
    """The data of section 5, or ``None`` (section left out) when the audit was built without a baseline."""
    change = audit.changes
    if change is None:
        return None
    sources: dict[str, SeedSource] = {s.path: s for s in audit.scan.sources} if audit.scan is not None else {}
    newly_covered = set(change.newly_covered)
    new_sources = []
    for path in change.new_sources:
        source = sources.get(path)
        tables = source.tables if source is not None else ()
        folder, _, name = path.rpartition("/")
        new_sources.append(
            {
                "script": name,
                "location": f"{folder}/" if folder else "",
                "tables": ", ".join(tables) or "-",
                "now_covers": ", ".join(t for t in tables if t in newly_covered) or "-",
            }
        )
    return {
        "baseline": change.baseline_label or "the previous audit",
        "before": _figures(change.before_percent, change.before_covered, change.before_tables),
        "after": _figures(change.after_percent, change.after_covered, change.after_tables),
        "delta": f"{change.after_percent - change.before_percent:+.1f} pp"
        if change.before_tables and change.after_tables
        else "n/a",
        "new_sources": new_sources,
        "removed_sources": list(change.removed_sources),
        "newly_covered": list(change.newly_covered),
        "newly_uncovered": list(change.newly_uncovered),
        "newly_empty": list(change.newly_empty),
    }
