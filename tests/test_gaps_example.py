"""The gap analysis on the example application (built and seeded on SQLite by ``dbaudit demo``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbaudit.demo import run_demo
from dbaudit.gaps import uncovered_empty_tables
from dbaudit.gaps.graph import SchemaGraph
from dbaudit.model import Audit, Recommendation
from dbaudit.render import render

# slow: builds and seeds the example application once for the module
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    return run_demo(tmp_path_factory.mktemp("example") / "app")


def by_table(audit: Audit) -> dict[str, Recommendation]:
    return {t: r for r in audit.recommendations for t in r.tables}


def test_every_uncovered_empty_table_in_exactly_one_recommendation(example: Audit) -> None:
    assert example.database is not None
    gaps = uncovered_empty_tables(SchemaGraph(example.database), example.scan, example.coverage)
    listed = [t for r in example.recommendations for t in r.tables]
    assert len(gaps) > 20
    assert sorted(listed) == sorted(gaps)


def test_domains_archetypes_and_prerequisites(example: Audit) -> None:
    recs = by_table(example)
    assert (
        recs["sixr_questions"] is recs["sixr_parameters"] and recs["sixr_questions"].archetype == "reference"
    )
    assert recs["role_permissions"].archetype == "reference"
    assert recs["sixr_analyses"] is recs["sixr_iterations"] and recs["sixr_analyses"].seeder == "seed_sixr.py"
    imports = recs["data_imports"]
    assert {"raw_import_records", "import_field_mappings", "mapping_learning_patterns"} <= set(imports.tables)
    assert recs["access_audit_log"] is recs["enhanced_access_audit_log"]
    assert recs["access_audit_log"].archetype == "log"
    assert (
        recs["asset_dependencies"].archetype == "extend" and recs["asset_dependencies"].seeder == "init_db.py"
    )
    assert recs["soft_deleted_items"].archetype == "soft-delete"
    assert recs["wave_plans"].requires == ("migrations",)
    assert recs["wave_plans"].provided_by == (recs["migrations"].seeder,)
    assert "Requires at least one row in `migrations`" in recs["wave_plans"].text
    assert recs["wave_plans"].tenant_scoped and "Scope rows to an existing tenant" in recs["wave_plans"].text
    assert all(
        r.folder == "backend/app/scripts/" for r in example.recommendations if r.archetype != "reference"
    )


def test_guidance_follows_the_example_seed_scripts(example: Audit) -> None:
    guidance = example.guidance
    assert guidance is not None
    assert guidance.session_style == "sync SQLAlchemy session"
    assert guidance.mock_marker is not None and "is_mock = TRUE" in guidance.mock_marker
    assert guidance.purge_flag == "--force"
    assert guidance.seed_folder == "backend/app/scripts/"
    assert guidance.tenant_columns == ("client_account_id", "engagement_id")


def test_execution_order_on_the_example(example: Audit) -> None:
    assert example.database is not None
    graph = SchemaGraph(example.database)
    steps = example.execution_order
    position = {s.seeder: i for i, s in enumerate(steps)}
    writers: dict[str, list[str]] = {}
    for step in steps:
        for table in step.tables:
            writers.setdefault(table, []).append(step.seeder)
    for step in steps:
        for table in step.tables:
            for parent in graph.parents(table, required_only=True):
                if parent in step.tables or parent not in writers:
                    continue
                assert any(position[w] < position[step.seeder] for w in writers[parent]), (
                    step.seeder,
                    parent,
                )
    commands = [s.command for s in steps]
    assert "python -m app.scripts.init_db" in commands  # the project's own way of running it
    assert [c for c in commands if c and c.startswith("alembic")][-1] == "alembic upgrade head"
    assert example.cycles == ()


def test_markdown_reads_as_the_whole_audit(example: Audit) -> None:
    text = render(example, "md")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert [h.split(".")[0] for h in headings if h[3].isdigit()] == ["## 1", "## 2", "## 3", "## 4", "## 6"]
    assert "## Findings" in text
    assert "**Implementation Guidance**" in text and "**Execution Order Rationale**" in text


def test_html_renders_the_example(example: Audit, tmp_path: Path) -> None:
    html = render(example, "html")
    assert html.count('<tr class="') >= 44
    assert "Gap Analysis" in html and "Execution Order" in html


def test_gap_sections_golden(example: Audit) -> None:
    """Sections 3, 4, 6 and the findings of the example, golden (DBAUDIT_UPDATE_GOLDEN=1 rewrites it)."""
    from tests.golden_support import check_golden

    text = render(example, "md")
    start = text.index("## 3. Gap Analysis")
    end = text.index("_This audit was generated")
    check_golden("example_gaps.md", text[start:end])


def test_html_gap_sections_golden(example: Audit) -> None:
    """Sections 3 to 6 and the findings of the example's HTML page, golden (DBAUDIT_UPDATE_GOLDEN=1)."""
    from tests.golden_support import check_golden

    html = render(example, "html")
    start = html.index('<h2 id="gaps">')
    end = html.index('<p class="muted">Generated by dbaudit')
    check_golden("example_gaps.html", html[start:end])
