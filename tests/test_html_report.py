"""``--format html``: one self-contained page, checked as text and in a real headless Chromium.

The browser tests need Debian's ``chromium`` (``.ci/run`` installs it) and skip where none is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dbaudit.config import Settings
from dbaudit.gaps import analyse_gaps
from dbaudit.model import Audit, Coverage, DatabaseSnapshot, Finding, ScanResult, SourceLocation
from dbaudit.render import RenderOptions, render
from tests.conftest import TestDatabase as Database
from tests.gaps_support import migration_app_case, snapshot, state, table
from tests.golden_support import check_golden

BROWSER = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
)
needs_browser = pytest.mark.skipif(
    BROWSER is None, reason="no headless Chromium installed (apt-get install chromium)"
)


@pytest.fixture
def migration_app(tmp_path: Path) -> tuple[DatabaseSnapshot, ScanResult, Settings]:
    return migration_app_case(tmp_path)


def audit_of(snap: DatabaseSnapshot, scan: ScanResult | None, conf: Settings) -> Audit:
    coverage = Coverage(covered=("client_accounts", "users", "engagements", "assets"), application_tables=23)
    gaps = analyse_gaps(snap, scan, coverage, conf)
    finding = Finding("stale-reference", "`old.py` writes `gone`", location=SourceLocation("app/old.py", 3))
    return Audit(
        generated_at="2026-01-01T00:00:00+00:00",
        tool_version="0.1.0",
        database=snap,
        scan=scan,
        coverage=coverage,
        recommendations=gaps.recommendations,
        guidance=gaps.guidance,
        execution_order=gaps.execution_order,
        cycles=gaps.cycles,
        findings=(*gaps.findings, finding),
    )


def status_names(html: str) -> list[str]:
    body = html[html.index('id="status-table"') :]
    body = body[: body.index("</table>")]
    return re.findall(r"<tr class=\"\w+\"><td><code>([^<]+)</code>", body)


# ------------------------------------------------------------------------------------------------------------
# the page as text


def test_page_is_self_contained(migration_app) -> None:
    html = render(audit_of(*migration_app), "html")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html and "<script>" in html
    assert not re.search(r"<link\b|<script\s+src|<img\b|@import|url\(", html)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_page_golden(migration_app) -> None:
    """The page of the migration app (gaps, guidance, order, findings), golden (DBAUDIT_UPDATE_GOLDEN=1)."""
    check_golden("migration_app.html", render(audit_of(*migration_app), "html"))


def test_page_has_status_colours_coverage_bar_and_every_section(migration_app) -> None:
    audit = audit_of(*migration_app)
    html = render(audit, "html")
    assert '<tr class="populated">' in html and '<tr class="empty">' in html and '<tr class="system">' in html
    assert 'id="coverage-bar"' in html and 'style="width: 17.4%"' in html
    for heading in (
        "1. Table Population Status",
        "3. Gap Analysis",
        "4. Next Steps",
        "6. Running the Seeders",
    ):
        assert heading in html
    assert html.count('class="sortable"') == 4
    assert "<code>seed_migration.py</code> – generate sample" in html
    assert '<span class="sev warning">warning</span>' in html and "<code>app/old.py:3</code>" in html
    assert set(status_names(html)) >= {"assets", "wave_plans", "alembic_version"}


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    name = '<img src=x onerror="alert(1)">'
    snap = snapshot(state(table(name)), state(table("users"), 2))
    html = render(audit_of(snap, None, Settings(project_root=tmp_path)), "html")
    assert name not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_filters_apply_to_the_status_table(migration_app) -> None:
    audit = audit_of(*migration_app)
    empty = status_names(render(audit, "html", RenderOptions(only="empty")))
    assert "wave_plans" in empty and "assets" not in empty
    big = status_names(render(audit, "html", RenderOptions(min_rows=3)))
    assert sorted(big) == ["assets", "users"]


# ------------------------------------------------------------------------------------------------------------
# the page in a real browser


def run_browser(
    tmp_path: Path, page: Path, *args: str, fragment: str = ""
) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
        page.as_uri() + fragment,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def console_messages(stderr: str) -> list[str]:
    """What the page logged to the console, uncaught errors included (Chromium logs them as CONSOLE)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.mark.slow
@needs_browser
def test_console_check_catches_a_broken_page(tmp_path: Path) -> None:
    """The harness itself: a page with a script error is caught, so a clean run below means something."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>notDefined();</script>", encoding="utf-8")
    result = run_browser(tmp_path, page, "--dump-dom")
    assert any("notDefined" in line for line in console_messages(result.stderr))


@pytest.mark.slow
@needs_browser
def test_page_runs_without_console_errors_and_sorts(migration_app, tmp_path: Path) -> None:
    page = tmp_path / "audit.html"
    page.write_text(render(audit_of(*migration_app), "html"), encoding="utf-8")
    result = run_browser(tmp_path, page, "--dump-dom", fragment="#sort=status-table:1:desc")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_messages(result.stderr) == []
    dom = result.stdout
    assert 'data-ready="1"' in dom  # the script ran to its end
    assert 'aria-sort="descending"' in dom
    sorted_names = [n for n in re.findall(r"<tr class=\"\w+\"><td><code>([^<]+)</code>", dom)][:3]
    assert sorted_names[:2] == ["assets", "users"]  # 6 rows, then 3: sorted by the browser, by row count


@pytest.mark.slow
@needs_browser
def test_screenshot_shows_the_status_table(migration_app, tmp_path: Path) -> None:
    from PIL import Image

    page = tmp_path / "audit.html"
    page.write_text(render(audit_of(*migration_app), "html"), encoding="utf-8")
    shot = tmp_path / "audit.png"
    result = run_browser(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,1400")
    assert shot.is_file(), result.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1280, 1400)
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, lines and badges: not a blank page
    present = {c for _, c in colours}
    # the status table's badges: green "Populated" and red "Empty" backgrounds, and the coverage bar's green
    assert (0xDA, 0xFB, 0xE1) in present
    assert (0xFF, 0xEB, 0xE9) in present
    assert (0x1A, 0x7F, 0x37) in present


@pytest.mark.slow
def test_report_command_writes_the_html_page(sqlite_database: Database, tmp_path: Path) -> None:
    import sys

    sqlite_database.execute("CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT)")
    sqlite_database.execute(
        "CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id))"
    )
    sqlite_database.execute("INSERT INTO teams (name) VALUES ('a')")
    out = tmp_path / "audit.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbaudit",
            "report",
            "--url",
            sqlite_database.url,
            "--no-scan",
            "--project",
            str(tmp_path),
            "--format",
            "html",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert status_names(html) == ["teams", "members"]
    assert "<code>seed_members.py</code>" in html
