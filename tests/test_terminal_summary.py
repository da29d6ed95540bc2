"""On a terminal, ``report``, ``demo`` and ``render`` print a compact summary; redirected, the Markdown audit
(issue 18, point 1).  Run under a pseudo-terminal, as a person runs them."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path

import click
import pytest

from dbaudit.model import Finding, Recommendation, Severity
from dbaudit.render import render_json
from dbaudit.render.terminal import display_width, render_summary
from tests.golden_support import GOLDEN
from tests.pty_support import run_in_terminal
from tests.sample_audit import sample_audit

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "AUDIT.json"
    path.write_text(render_json(sample_audit()), encoding="utf-8")
    return path


def lines_of(text: str) -> list[str]:
    return click.unstyle(text).splitlines()


def test_the_summary_fits_the_terminal_and_shows_coverage_first(saved: Path, tmp_path: Path) -> None:
    run = run_in_terminal(["render", str(saved)], cwd=tmp_path, columns=100, stderr_tty=False)
    assert run.code == 0, run.stderr
    lines = lines_of(run.terminal)
    assert max(display_width(line) for line in lines) <= 100
    coverage = next(i for i, line in enumerate(lines) if line.startswith("Seeding coverage: "))
    assert coverage < 15
    assert "33.3%" in lines[coverage] and lines[coverage + 1].startswith("[█")
    assert any(line.startswith("Gaps: ") for line in lines)
    assert any(line.startswith("Findings: ") for line in lines)
    assert lines[-1].startswith("Full report: dbaudit render AUDIT.json -o AUDIT.md")
    assert "--format md|html|json" in lines[-1]
    assert "# Database Table Population" not in run.terminal
    assert ANSI.search(run.terminal), "colour on a terminal by default"


@pytest.mark.parametrize("columns", [200, 60])
def test_the_summary_never_passes_100_columns_nor_the_terminal(
    saved: Path, tmp_path: Path, columns: int
) -> None:
    run = run_in_terminal(["render", str(saved)], cwd=tmp_path, columns=columns, stderr_tty=False)
    assert run.code == 0
    assert max(display_width(line) for line in lines_of(run.terminal)) <= min(columns, 100)


def test_no_color_and_the_color_option(saved: Path, tmp_path: Path) -> None:
    plain = run_in_terminal(["render", str(saved)], cwd=tmp_path, env={"NO_COLOR": "1"}, stderr_tty=False)
    assert plain.code == 0 and "Seeding coverage: " in plain.terminal
    assert "\x1b[" not in plain.terminal
    never = run_in_terminal(["render", str(saved), "--color", "never"], cwd=tmp_path, stderr_tty=False)
    assert "\x1b[" not in never.terminal
    assert click.unstyle(never.terminal) == plain.terminal
    forced = run_in_terminal(
        ["render", str(saved), "--color", "always"], cwd=tmp_path, env={"NO_COLOR": "1"}, stderr_tty=False
    )
    assert ANSI.search(forced.terminal)


def test_redirected_output_is_the_markdown_audit_byte_for_byte(saved: Path, tmp_path: Path) -> None:
    """stdout a pipe (``> AUDIT.md``), even with stderr a terminal: the audit exactly as before."""
    run = run_in_terminal(["render", str(saved)], cwd=tmp_path, stdout_tty=False)
    assert run.code == 0
    assert run.stdout == (GOLDEN / "sample_audit.md").read_text(encoding="utf-8")
    # and on a terminal, --format or -o - asks for the document itself
    for args in (["--format", "md"], ["-o", "-"]):
        shown = run_in_terminal(["render", str(saved), *args], cwd=tmp_path, stderr_tty=False)
        assert shown.terminal == run.stdout


@pytest.mark.slow
def test_render_reads_a_saved_audit_in_each_format(saved: Path, tmp_path: Path) -> None:
    from dbaudit.render import render

    for fmt in ("md", "html", "json"):
        out = tmp_path / f"audit.{fmt}"
        run = run_in_terminal(["render", str(saved), "--format", fmt, "-o", str(out)], cwd=tmp_path)
        assert run.code == 0
        assert out.read_text(encoding="utf-8") == render(sample_audit(), fmt)
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    run = run_in_terminal(["render", str(bad)], cwd=tmp_path, stdout_tty=False, stderr_tty=False)
    assert run.code == 2 and run.stderr.startswith("dbaudit: error:") and "Traceback" not in run.stderr


def test_long_names_and_many_gaps_are_cut_to_the_width() -> None:
    audit = sample_audit()
    long_tables = tuple(f"table_with_a_really_long_name_{i:03d}_{'x' * 40}" for i in range(12))
    audit = dataclasses.replace(
        audit,
        recommendations=tuple(
            Recommendation(tables=long_tables[i : i + 3], seeder=f"seed_{'y' * 50}_{i}.py", text="")
            for i in range(12)
        ),
        findings=(
            Finding("unknown-table", "bad \x1b[31m\nname", Severity.ERROR),
            *(Finding("stale-reference", "a message " * 40, Severity.WARNING) for _ in range(9)),
        ),
    )
    for width in (100, 80, 40):
        text = render_summary(audit, width=width, color=True)
        assert max(display_width(line) for line in lines_of(text)) <= width
        # a name's control characters are escaped, never sent to the terminal
        assert "\x1b[31m\n" not in text
        if width >= 80:
            plain = click.unstyle(text)
            assert "bad \\x1b[31m⏎name" in plain
            assert "… and 4 more seeders in the full report" in plain
            assert "… and 2 more findings in the full report" in plain


@pytest.mark.slow
def test_report_on_a_terminal_prints_the_summary(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO users (name) VALUES ('a')")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    (tmp_path / "seed.py").write_text("db.execute(\"INSERT INTO users (name) VALUES ('b')\")\n")
    url = f"sqlite:///{database}"
    run = run_in_terminal(["report", "--url", url], cwd=tmp_path, stderr_tty=False)
    assert run.code == 0, run.stderr
    lines = lines_of(run.terminal)
    assert "2 tables: 1 populated, 1 empty, 0 system meta, 0 unreadable" in lines
    assert any(line.startswith("Seeding coverage: 50.0% (1 of 2") for line in lines[:15])
    assert "URL from --url option" in lines[0]
    assert lines[-1].startswith("Full report: dbaudit report -o AUDIT.md")
    piped = run_in_terminal(["report", "--url", url], cwd=tmp_path, stdout_tty=False, stderr_tty=False)
    assert piped.stdout.startswith("# Database Table Population & Seeding Audit\n")
    # an option that shapes the document asks for it, on a terminal too
    only = run_in_terminal(["report", "--url", url, "--only", "empty"], cwd=tmp_path, stderr_tty=False)
    assert only.code == 0, only.stderr
    assert "# Database Table Population & Seeding Audit" in only.terminal
    assert "Seeding coverage: " not in only.terminal


@pytest.mark.slow
def test_the_demo_on_a_terminal_prints_the_summary(tmp_path: Path) -> None:
    run = run_in_terminal(["demo"], cwd=tmp_path, stderr_tty=False)
    assert run.code == 0, run.stderr
    lines = lines_of(run.terminal)
    assert max(display_width(line) for line in lines) <= 100
    assert any(line.startswith("Seeding coverage: 29.5% (13 of 44") for line in lines[:15])
    assert lines[-1].startswith("Full report: dbaudit demo -o AUDIT.md")
