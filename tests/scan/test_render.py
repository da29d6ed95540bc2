"""``dbaudit scan`` output, golden: Markdown and JSON of a hand-built scan (DBAUDIT_UPDATE_GOLDEN=1)."""

from __future__ import annotations

from dataclasses import replace

from dbaudit.model import Diagnostic, Finding, ScanResult, Severity, SourceLocation, TableDeclaration
from dbaudit.render.scan import render_scan
from tests.golden_support import check_golden
from tests.sample_audit import sample_audit


def sample_scan() -> ScanResult:
    """The sample audit's scan, with a declaration, a finding and a diagnostic besides its two sources."""
    scan = sample_audit().scan
    assert scan is not None
    return replace(
        scan,
        declarations=(
            TableDeclaration("users", "User", location=SourceLocation("backend/app/models.py", 12)),
            TableDeclaration("assets", "Asset", "migration"),
        ),
        findings=(
            Finding(
                "duplicate-declaration",
                "`users` is declared twice (`User`, `LegacyUser`)",
                Severity.INFO,
                table="users",
                location=SourceLocation("backend/app/models.py", 12),
            ),
        ),
        diagnostics=(
            Diagnostic("syntax error: invalid syntax", SourceLocation("backend/app/scripts/broken.py", 3)),
            Diagnostic("binary content (NUL byte); skipped"),
        ),
    )


def test_scan_markdown_golden() -> None:
    check_golden("sample_scan.md", render_scan(sample_scan(), "md"))


def test_scan_json_golden() -> None:
    check_golden("sample_scan.json", render_scan(sample_scan(), "json"))
