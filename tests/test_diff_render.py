"""The diff and check documents: golden Markdown (DBAUDIT_UPDATE_GOLDEN=1 rewrites it), escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbaudit.diff import GatePolicy, check_coverage, diff_audits, evaluate_gates
from dbaudit.errors import ConfigError
from dbaudit.model import Finding, SourceLocation
from dbaudit.render.diff import render_check, render_diff
from tests.diff_support import E, P, history_base, history_head, make_audit
from tests.golden_support import check_golden

ALL_GATES = GatePolicy(fail_under=80, fail_on=("newly-empty", "new-uncovered", "stale"))


def test_diff_markdown_golden() -> None:
    diff = diff_audits(history_base(), history_head(), base_label="AUDIT.json at main", head_label="the tree")
    check_golden("diff_story.md", render_diff(diff, evaluate_gates(diff, ALL_GATES), "md"))


def test_diff_markdown_of_a_drop_golden() -> None:
    diff = diff_audits(history_head(), history_base(), base_label="main", head_label="feature")
    check_golden("diff_drop.md", render_diff(diff, evaluate_gates(diff, GatePolicy()), "md"))


def test_check_markdown_golden() -> None:
    audit = history_head()
    check_golden("check_failed.md", render_check(check_coverage(audit, 80), "md"))


def test_cells_are_escaped() -> None:
    finding = Finding(
        "stale-reference",
        "writes `a|b`\nover two lines",
        table="a|b",
        source="seed|x.sql",
        location=SourceLocation("db/seed|x.sql", 3),
    )
    base = make_audit({"users": P}, {})
    head = make_audit({"users": P, "a|b": E}, {"db/seed|x.sql": ["users"]}, findings=[finding])
    diff = diff_audits(base, head, base_label="b", head_label="h")
    text = render_diff(diff, evaluate_gates(diff, GatePolicy()), "md")
    assert "| a\\|b | 🆕 new, no seed data |" in text
    assert "| `db/seed\\|x.sql` | added | users |" in text
    assert "| stale-reference | writes `a\\|b` over two lines | db/seed\\|x.sql:3 |" in text


def test_template_dir_overrides_the_diff(tmp_path: Path) -> None:
    (tmp_path / "diff.md.j2").write_text("{{ before }} -> {{ after }}: {{ 'ok' if passed else 'failed' }}\n")
    diff = diff_audits(history_base(), history_head())
    assert render_diff(diff, (), "md", tmp_path) == "50.0% (2/4) -> 60.0% (3/5): ok\n"
    (tmp_path / "diff.md.j2").write_text("{{ no_such_value }}\n")
    with pytest.raises(ConfigError, match=r"template diff\.md\.j2 failed"):
        render_diff(diff, (), "md", tmp_path)
