"""Sections 3, 4 and 6 and the findings, rendered from hand-built audits."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbaudit.config import Settings
from dbaudit.gaps import analyse_gaps
from dbaudit.model import (
    Audit,
    Coverage,
    DatabaseSnapshot,
    Finding,
    ScanResult,
    SeedSource,
    Severity,
    SourceKind,
    SourceLocation,
    TableWrite,
)
from dbaudit.render import RenderOptions, render
from dbaudit.render.gaps_context import marker_phrase
from tests.gaps_support import migration_app_case, snapshot, state, table


@pytest.fixture
def migration_app(tmp_path: Path) -> tuple[DatabaseSnapshot, ScanResult, Settings]:
    return migration_app_case(tmp_path)


def audit_of(snap: DatabaseSnapshot, scan: ScanResult | None, conf: Settings, **extra: object) -> Audit:
    coverage = Coverage(covered=("client_accounts", "users", "engagements", "assets"), application_tables=23)
    gaps = analyse_gaps(snap, scan, coverage, conf)
    fields: dict[str, object] = {
        "generated_at": "2026-01-01T00:00:00+00:00",
        "tool_version": "0.1.0",
        "database": snap,
        "scan": scan,
        "coverage": coverage,
        "recommendations": gaps.recommendations,
        "guidance": gaps.guidance,
        "execution_order": gaps.execution_order,
        "cycles": gaps.cycles,
        "findings": gaps.findings,
    }
    fields.update(extra)
    return Audit(**fields)  # type: ignore[arg-type]


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_gap_section_lists_every_recommendation_and_the_guidance(migration_app) -> None:
    snap, scan, conf = migration_app
    audit = audit_of(snap, scan, conf)
    text = section(render(audit, "md"), "## 3. Gap Analysis & Recommended Seed Scripts")
    assert "| Table" in text and "| Recommendation" in text
    for rec in audit.recommendations:
        assert " / ".join(rec.tables) in text
    assert "`seed_migration.py` – generate sample" in text
    assert "**Implementation Guidance**" in text
    assert "1. Follow the existing `init_db.py` pattern (async SQLAlchemy session)" in text
    assert "with `is_mock = TRUE` and a `MOCK:` prefix to allow easy purge (`--force`)" in text
    assert "under `app/scripts/`" in text


def test_next_steps_put_reference_data_first_and_end_with_the_ci_gate(migration_app) -> None:
    snap, scan, conf = migration_app
    text = section(render(audit_of(snap, scan, conf), "md"), "## 4. Next Steps")
    lines = [line for line in text.splitlines() if line[:1].isdigit()]
    assert lines[0].startswith("1. **Prioritise reference data** (`sixr_questions`, `sixr_parameters`")
    assert "Extend `init_db.py` and build the remaining domain-specific seeders" in lines[1]
    assert "from 17% (4/23) to 100%" in lines[1]
    assert (
        lines[-1].startswith(f"{len(lines)}. Add a CI step")
        and "`dbaudit check --fail-under 17`" in lines[-1]
    )


def test_execution_order_section_uses_the_project_commands(migration_app) -> None:
    snap, scan, conf = migration_app
    text = section(render(audit_of(snap, scan, conf), "md"), "## 6. Running the Seeders: Execution Order")
    assert "```bash" in text
    init = text.index("docker exec backend python app/scripts/init_db.py --force")
    assert init < text.index("docker exec backend python app/scripts/seed_migration.py --force")
    assert "(to write)" in text
    assert "**Execution Order Rationale**" in text
    assert (
        "`seed_assessments.py` runs after `init_db.py` (writes `assets`), "
        "`seed_migration.py` (writes `migrations`)." in text
    )


def test_findings_are_grouped_by_kind_with_locations(migration_app) -> None:
    snap, scan, conf = migration_app
    scan = ScanResult(
        root=scan.root,
        sources=(
            *scan.sources,
            SeedSource(
                "app/scripts/seed_extra.py",
                SourceKind.SCRIPT,
                (TableWrite("assets", "orm-add", conditional=True, location=SourceLocation("app/x.py", 7)),),
            ),
        ),
    )
    findings = (
        Finding("seeded-but-empty", "`init_db.py` writes `tags` but it is empty", table="tags"),
        Finding(
            "stale-reference",
            "`old.py` writes `gone`, which the database does not have",
            source="old.py",
            location=SourceLocation("app/old.py", 3),
        ),
        Finding("unreadable", "table secret could not be read: permission denied", table="secret"),
        Finding("duplicate-declaration", "table `assets` is declared more than once", Severity.WARNING),
    )
    text = section(render(audit_of(snap, scan, conf, findings=findings), "md"), "## Findings")
    titles = [line for line in text.splitlines() if line.startswith("**")]
    assert titles == [
        "**Seeded but empty**",
        "**Sources writing tables the database does not have**",
        "**Conditional seeds**",
        "**Duplicate table declarations**",
        "**Unreadable tables**",
    ]
    assert "(`app/old.py:3`)" in text and "(`app/x.py:7`)" in text


def test_no_gaps_says_so_and_still_gates(tmp_path: Path) -> None:
    snap = snapshot(state(table("users"), 3))
    audit = audit_of(snap, None, Settings(project_root=tmp_path))
    text = render(audit, "md")
    assert "nothing to recommend" in text
    assert "`dbaudit check --fail-under" in section(text, "## 4. Next Steps")
    assert "## Findings" not in text


def test_cycle_is_rendered_with_the_key_to_break(tmp_path: Path) -> None:
    snap = snapshot(state(table("store", "staff")), state(table("staff", "store")))
    text = render(audit_of(snap, None, Settings(project_root=tmp_path)), "md")
    assert "**Foreign-key cycles**" in section(text, "## Findings")
    assert "**Cycles**" in section(text, "## 6.")
    assert "break it at `staff.store_id -> store`" in text


def test_marker_phrase() -> None:
    assert marker_phrase("is_mock = TRUE + MOCK: prefix") == "`is_mock = TRUE` and a `MOCK:` prefix"
    assert marker_phrase("MOCK: prefix") == "a `MOCK:` prefix"
    assert marker_phrase(None) is None


def test_json_round_trip_keeps_the_analysis(migration_app) -> None:
    snap, scan, conf = migration_app
    audit = audit_of(snap, scan, conf)
    assert Audit.from_dict(audit.to_dict()) == audit
    assert render(Audit.from_dict(audit.to_dict()), "md", RenderOptions()) == render(audit, "md")
