"""Rendering: golden Markdown (regenerate with DBAUDIT_UPDATE_GOLDEN=1), JSON, templates, filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbaudit.errors import ConfigError
from dbaudit.model import Audit
from dbaudit.render import RenderOptions, render
from tests.golden_support import check_golden
from tests.sample_audit import sample_audit


def test_markdown_golden() -> None:
    check_golden("sample_audit.md", render(sample_audit(), "md"))


def test_markdown_only_empty_golden() -> None:
    check_golden("sample_audit_only_empty.md", render(sample_audit(), "md", RenderOptions(only="empty")))


def test_html_golden() -> None:
    check_golden("sample_audit.html", render(sample_audit(), "html"))


def test_json_is_the_model_with_schema_version() -> None:
    audit = sample_audit()
    data = json.loads(render(audit, "json"))
    assert data["schema_version"] == "1.2"
    assert Audit.from_dict(data) == audit


def test_status_section_folds_empty_tables_and_marks_estimates() -> None:
    text = render(sample_audit(), "md")
    assert "## 1. Table Population Status (schema = `migration`)" in text
    assert "**All remaining 5 tables**" in text
    assert "~5,200,000" in text
    assert "🔒 Unreadable (permission denied)" in text
    assert "`events`: events_2025, events_2026" in text
    assert "postgresql://app:***@db.internal:5432/migration_db" in text


def test_min_rows_filter_keeps_large_tables_only() -> None:
    text = render(sample_audit(), "md", RenderOptions(min_rows=2))
    section1 = text.split("## 1.", 1)[1].split("\n---\n", 1)[0]
    assert "| assets" in section1 and "| users" in section1
    assert "client_accounts" not in section1 and "Empty table list" not in section1


def test_template_dir_overrides_one_section(tmp_path: Path) -> None:
    (tmp_path / "md").mkdir()
    (tmp_path / "md" / "status.md.j2").write_text("custom status: {{ section.data.rows | length }} rows\n")
    text = render(sample_audit(), "md", RenderOptions(template_dir=tmp_path))
    assert "custom status: 6 rows" in text
    assert "## 1. Table Population Status" in text


def test_a_template_using_an_unknown_field_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "md").mkdir()
    (tmp_path / "md" / "status.md.j2").write_text("{{ section.data.no_such_field }}\n")
    with pytest.raises(ConfigError, match="template"):
        render(sample_audit(), "md", RenderOptions(template_dir=tmp_path))


def test_inline_content_is_one_source_for_markdown_and_html() -> None:
    from dbaudit.render.inline import Code, Inline, Name, Prose, Strong

    line = Inline(
        "Run ", Code("a`b"), " then ", Strong(("now",)), " on ", Name("x<y*"), ": ", Prose("`t` **ok**")
    )
    assert line == "Run ``a`b`` then **now** on x&lt;y\\*: `t` **ok**"
    assert line.__html__() == (
        "Run <code>a`b</code> then <strong>now</strong> on x&lt;y*: <code>t</code> <strong>ok</strong>"
    )
