"""Section 5 of the report, "Changes since the previous audit", from a baseline and the current audit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dbaudit.diff import coverage_change, load_audit
from dbaudit.render import render
from dbaudit.render.changes import changes_context
from tests.diff_support import history_base, history_head, save


def _with_changes() -> object:
    head = history_head()
    return replace(head, changes=coverage_change(history_base(), head, baseline_label="AUDIT.json"))


def test_the_section_in_the_markdown_report() -> None:
    text = render(_with_changes(), "md")
    section = text.split("## 5. Changes since the previous audit\n", 1)[1].split("\n---\n", 1)[0]
    assert section.strip().splitlines() == [
        "Compared with `AUDIT.json`: coverage 50.0% (2/4 tables) → 60.0% (3/5 tables) (+10.0 pp).",
        "",
        "| Script / Migration | Location | Tables Populated | Newly Covered |",
        "|--------------------|----------|------------------|---------------|",
        "| `seed_orders.sql` | `db/` | orders, invoices | orders, invoices |",
        "",
        "**Removed sources:** `db/seed_legacy.sql`",
        "",
        "**Newly covered:** invoices, orders",
        "",
        "**No longer covered:** legacy_tags, payments",
        "",
        "**Populated before, empty now:** orders",
    ]


def test_no_baseline_no_section() -> None:
    assert changes_context(history_head()) is None
    assert "Changes since the previous audit" not in render(history_head(), "md")


def test_no_new_sources() -> None:
    head = history_head()
    audit = replace(head, changes=coverage_change(head, head))
    data = changes_context(audit)
    assert data is not None and data["new_sources"] == [] and data["delta"] == "+0.0 pp"
    assert "No new seed scripts or data revisions since then." in render(audit, "md")


def test_the_changes_survive_the_json_round_trip(tmp_path: Path) -> None:
    audit = _with_changes()
    assert load_audit(save(audit, tmp_path / "AUDIT.json")) == audit


def test_a_baseline_without_coverage_shows_n_a() -> None:
    head = history_head()
    audit = replace(head, changes=coverage_change(replace(history_base(), coverage=None), head))
    assert audit.changes is not None and audit.changes.before_percent == 0.0
    data = changes_context(audit)
    assert data is not None and (data["before"], data["after"], data["delta"]) == (
        "n/a",
        "60.0% (3/5 tables)",
        "n/a",
    )
