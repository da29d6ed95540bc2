"""Rendering: golden Markdown (regenerate with DBAUDIT_UPDATE_GOLDEN=1), JSON, templates, filters."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dbaudit.errors import ConfigError
from dbaudit.model import Audit
from dbaudit.render import RenderOptions, render
from tests.sample_audit import sample_audit

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with ``tests/golden/<name>``; DBAUDIT_UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("DBAUDIT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"golden file {name} missing: run with DBAUDIT_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs: DBAUDIT_UPDATE_GOLDEN=1 to accept"


def test_markdown_golden() -> None:
    check_golden("sample_audit.md", render(sample_audit(), "md"))


def test_markdown_only_empty_golden() -> None:
    check_golden("sample_audit_only_empty.md", render(sample_audit(), "md", RenderOptions(only="empty")))


def test_json_is_the_model_with_schema_version() -> None:
    audit = sample_audit()
    data = json.loads(render(audit, "json"))
    assert data["schema_version"] == "1.1"
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
