"""Names are inert in every output: a table or file name is printed as data, never as markup or shell.

The names (:data:`tests.safety.hostile.INERT_TABLES` and the file names of :mod:`tests.safety.inert`) hold
newlines with three backticks and ``<img onerror>``, ``$(touch X)``, ``; rm -rf``, backticks, ``|``,
``<script>``, Markdown punctuation, entities, quotes, a carriage return and 300 characters.  Each output is
read back as its reader reads it: Markdown with markdown-it-py (CommonMark and GFM tables), HTML with
:mod:`html.parser`, the execution order's shell block with ``bash`` (syntax check, then a run with stub
programs that record their argv).  The model-built tests need no database; the last test does it all end
to end on SQLite with a scanned project whose files carry the names.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from dbaudit.audit import join_audit
from dbaudit.config import Settings
from dbaudit.diff import coverage_change, diff_audits
from dbaudit.diff.gates import GatePolicy, check_coverage, evaluate_gates
from dbaudit.model import (
    Audit,
    BlockingReference,
    Column,
    CountMethod,
    CycleBreak,
    DatabaseSnapshot,
    ForeignKey,
    GitInfo,
    PurgeReport,
    PurgeResult,
    RowCount,
    SeedPlan,
    SeedReport,
    SkippedTable,
    Table,
    TablePlan,
    TableResult,
    TableState,
    TableStatus,
    View,
)
from dbaudit.render import render
from dbaudit.render.diff import render_check, render_diff_markdown
from dbaudit.render.filters import code, md_cell, md_text
from dbaudit.render.github import error_annotation, publish
from dbaudit.render.scan import render_scan
from dbaudit.render.seed_text import render_plan, render_purge_report, render_seed_report
from dbaudit.scan import MemoryTree, scan_tree
from tests.safety.hostile import (
    BACKTICKS,
    CARRIAGE,
    ENTITY,
    FENCE_BREAK,
    FIXTURE_TABLE,
    INERT_TABLES,
    LONG_NAME,
    PIPES,
    PUNCTUATION,
    QUOTES,
    SCRIPT_TAG,
    SEMICOLON,
    SUBSHELL,
)
from tests.safety.inert import (
    BASELINE_LABEL,
    BRANCH,
    FIXTURE_FILE,
    GHOST,
    PARTITION,
    POPULATED,
    REQUIRED_PARENTS,
    REVISION_ID,
    REVISION_MESSAGE,
    RUNNABLE_PATHS,
    SCHEMA_NAME,
    SCRIPT_IMG,
    SCRIPT_NEWLINE,
    SCRIPT_QUOTES,
    SCRIPT_SUBSHELL,
    SOURCE_PATHS,
    SQL_FILE,
    VIEW_NAME,
    check_html,
    check_markdown,
    check_shell_block,
    commented_out,
    create_sqlite_tables,
    gfm_cells,
    one_line,
    project_files,
    run_shell_block,
    write_project,
)
from tests.safety.runner import run_cli
from tests.sample_audit import sample_audit

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")
NOW = "2026-01-01T00:00:00+00:00"
REMOVED = "gone`|<img src=x onerror=alert(8)>"
HEAD_LABEL = "head\n```<img src=x onerror=alert(9)>"

#: Every file name of the project, as section 2 and the scan show it (the name apart from its folder).
FILE_NAMES = [path.rsplit("/", 1)[-1] for path in SOURCE_PATHS]
#: What the shell block must run, each argument whole.
EXPECTED_CALLS = {"python": list(RUNNABLE_PATHS), "alembic": [REVISION_ID]}


# ------------------------------------------------------------------------------------------------------------
# The model: hostile tables and a scanned hostile project, joined by the real analysis


def _table(name: str, partitions: tuple[str, ...] = ()) -> Table:
    columns = [Column("id", "INTEGER", nullable=False, identity=True), Column("name", "VARCHAR(40)")]
    foreign = []
    parent = REQUIRED_PARENTS.get(name)
    if parent is not None:
        columns.append(Column("parent_id", "INTEGER", nullable=False))
        foreign.append(ForeignKey(("parent_id",), parent, ("id",)))
    return Table(
        name, columns=tuple(columns), primary_key=("id",), foreign_keys=tuple(foreign), partitions=partitions
    )


def _state(name: str, extra: tuple[str, ...] = ()) -> TableState:
    if name == ENTITY:
        return TableState(_table(name), TableStatus.UNREADABLE, None, "permission denied <b>x</b>")
    if name in POPULATED or name in extra:
        return TableState(
            _table(name, (PARTITION,) if name == PIPES else ()),
            TableStatus.POPULATED,
            RowCount(CountMethod.EXACT, True, 2),
        )
    return TableState(_table(name), TableStatus.EMPTY, RowCount(CountMethod.EXACT, False, 0))


def _snapshot(names: tuple[str, ...], populated: tuple[str, ...] = ()) -> DatabaseSnapshot:
    return DatabaseSnapshot(
        dialect="sqlite",
        url="sqlite:///x`y|<b>z</b>.db",
        server_version="3",
        schemas=(SCHEMA_NAME,),
        tables=tuple(_state(n, populated) for n in names),
        views=(View(VIEW_NAME),),
    )


def model_audits(tmp_path: Path, leave_out: tuple[str, ...] = ()) -> tuple[Audit, Audit]:
    """(baseline, audit): the baseline has one more table, two tables still populated, and neither the SQL
    file nor the scripts with quotes and ``<img>`` in their names.

    ``leave_out``: project files to leave out of the scan (the tables they write are then uncovered).
    """
    project_settings = Settings(project_root=tmp_path)
    files = {path: content for path, content in project_files().items() if path not in leave_out}
    scan = scan_tree(MemoryTree(files), project_settings)
    earlier = {p: c for p, c in files.items() if p not in (SCRIPT_QUOTES, SCRIPT_IMG, SQL_FILE)}
    base = join_audit(
        _snapshot((*INERT_TABLES, REMOVED), populated=(SUBSHELL, QUOTES)),
        scan_tree(MemoryTree(earlier), project_settings),
        project_settings,
        now=NOW,
    )
    audit = join_audit(
        _snapshot(INERT_TABLES), scan, project_settings, now=NOW, git=GitInfo("0" * 40, True, BRANCH)
    )
    change = coverage_change(base, audit, baseline_label=BASELINE_LABEL)
    return base, dataclasses.replace(audit, changes=change)


REPORT_NAMES = [*INERT_TABLES, *FILE_NAMES, GHOST, SCHEMA_NAME, VIEW_NAME, PARTITION, BRANCH, BASELINE_LABEL]


def _shell_expectations(script: str) -> None:
    """The script with a newline in its file name cannot be one safe line: it is commented out, with why."""
    fragment = one_line(SCRIPT_NEWLINE)
    assert commented_out(script, fragment), script
    assert "line break" in script, "the commented-out command must say why"


# ------------------------------------------------------------------------------------------------------------
# The inline building blocks, on any text


#: Any text, with the characters that matter over-represented (other control characters are shown escaped).
_ANY_TEXT = st.text(
    st.one_of(
        st.sampled_from(list("\n\r\t `|<>&*_[]()\\#!~$;'\"")),
        st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    ),
    max_size=40,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT)
def test_any_text_stays_one_code_span_one_text_and_one_cell(value: str) -> None:
    """``code``, ``md_text`` and ``md_cell``: one code span, one piece of text, one table cell, showing the
    value exactly (line breaks as ``⏎``), on GitHub's table rules and markdown-it's alike."""
    shown = one_line(value)
    table = f"| a | b |\n|---|---|\n| {md_cell(value)} | {md_cell(code(value))} |\n"
    assert gfm_cells(table.splitlines()[2]) == 2, table
    tokens = MARKDOWN.parse(table)
    assert sum(t.type == "tr_open" for t in tokens) == 2, table
    if not value.strip():
        return  # blank: nothing to show, and Markdown trims it
    inline = MARKDOWN.parseInline(f"x {code(value)} y")[0].children or []
    assert [(t.type, t.content) for t in inline if t.type != "text"] == [("code_inline", shown)], code(value)
    text = MARKDOWN.parseInline(f"x {md_text(value)} y")[0].children or []
    assert [(t.type, t.content) for t in text] == [("text", f"x {shown} y")], md_text(value)
    cells = [t.children for t in tokens if t.type == "inline" and t.children is not None]
    assert [(t.type, t.content) for t in cells[2]] == [("text", shown.strip())], table


# ------------------------------------------------------------------------------------------------------------
# Each output, built from model objects


def test_report_markdown_keeps_names_inert_and_its_shell_block_runs_them_as_arguments(tmp_path: Path) -> None:
    _, audit = model_audits(tmp_path)
    markdown = render(audit, "md")
    parsed = check_markdown(markdown, REPORT_NAMES)
    script = parsed.shell_block()
    _shell_expectations(script)
    run = run_shell_block(script, tmp_path / "shell")
    check_shell_block(run, EXPECTED_CALLS)
    assert json.loads(render(audit, "json")) == audit.to_dict()
    assert Audit.from_dict(json.loads(render(audit, "json"))) == audit


def test_report_html_has_no_markup_from_names(tmp_path: Path) -> None:
    _, audit = model_audits(tmp_path)
    reference = render(sample_audit(), "html")
    check_html(render(audit, "html"), reference, [*INERT_TABLES, *FILE_NAMES, GHOST])


def test_scan_markdown_and_json_keep_file_names_inert(tmp_path: Path) -> None:
    scan = scan_tree(MemoryTree(project_files()), Settings(project_root=tmp_path))
    assert {s.path for s in scan.sources} >= set(SOURCE_PATHS)
    written = [n for n in (*INERT_TABLES, GHOST) if n not in (LONG_NAME, PIPES)]
    check_markdown(render_scan(scan, "md"), [*SOURCE_PATHS, *written, REVISION_ID, REVISION_MESSAGE])
    data = json.loads(render_scan(scan, "json"))
    assert {s["path"] for s in data["sources"]} >= set(SOURCE_PATHS)


def test_diff_markdown_step_summary_and_annotations_keep_names_inert(tmp_path: Path) -> None:
    base, audit = model_audits(tmp_path)
    diff = diff_audits(base, audit, base_label=BASELINE_LABEL, head_label=HEAD_LABEL)
    gates = evaluate_gates(
        diff, GatePolicy(fail_under=100, fail_on=("newly-empty", "new-uncovered", "stale"))
    )
    markdown = render_diff_markdown(diff, gates)
    names = [SUBSHELL, QUOTES, ENTITY, REMOVED, BASELINE_LABEL, HEAD_LABEL, SCRIPT_QUOTES, SQL_FILE, GHOST]
    check_markdown(markdown, names)

    summary = tmp_path / "summary.md"
    stream = io.StringIO()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    publish(markdown, diff.new_findings, env, stream, "sub`dir|$(touch PWNED)")
    check_markdown(summary.read_text(encoding="utf-8"), [REMOVED, SQL_FILE])
    lines = stream.getvalue().splitlines()
    located = [f for f in diff.new_findings if f.location is not None]
    assert len(lines) == len(located) and located, stream.getvalue()
    for line, finding in zip(lines, located, strict=True):
        assert line == error_annotation(finding, "sub`dir|$(touch PWNED)")
        assert line.startswith("::error file=") and line.count("::") == 2, line
        assert "\r" not in line


def test_check_markdown_keeps_names_inert(tmp_path: Path) -> None:
    _, audit = model_audits(tmp_path, leave_out=(SCRIPT_SUBSHELL, SCRIPT_NEWLINE))
    markdown = render_check(check_coverage(audit, 100), "md")
    check_markdown(markdown, [FENCE_BREAK, SUBSHELL, BACKTICKS, LONG_NAME])


def _seed_records() -> tuple[SeedPlan, SeedReport, PurgeReport, PurgeReport]:
    plans = tuple(
        TablePlan(
            name,
            3,
            "bundled:generic",
            f"MOCK: prefix in {QUOTES}",
            f"required parent of {SEMICOLON}",
            parents_reused=(PIPES,),
            parents_created=(SUBSHELL,),
            deferred=(f"{FENCE_BREAK}.parent_id",),
        )
        for name in INERT_TABLES
    )
    plan = SeedPlan(
        "sqlite",
        7,
        plans,
        skipped=(SkippedTable(SCRIPT_TAG, f"no seeder claims {PUNCTUATION}"),),
        cycles=(CycleBreak((FENCE_BREAK, CARRIAGE), "nullable", f"{BACKTICKS}.parent_id"),),
        warnings=(f"{FENCE_BREAK} has a CHECK dbaudit cannot read",),
    )
    results = tuple(
        TableResult(name, 3, "is_mock = TRUE", "bundled:generic", (PIPES,), (SUBSHELL,), f"note {CARRIAGE}")
        for name in INERT_TABLES
    )
    report = SeedReport("run1", plan, results, undo_command="dbaudit purge --run run1")
    purged = PurgeReport(tuple(PurgeResult(n, 3, 1, 0) for n in INERT_TABLES), runs=("run1",))
    blocked = PurgeReport(
        blocked=(BlockingReference(SEMICOLON, f"id=1 {FENCE_BREAK}", FIXTURE_TABLE, f"{ENTITY}.parent_id"),)
    )
    return plan, report, purged, blocked


def test_seed_and_purge_summaries_keep_names_inert() -> None:
    plan, report, purged, blocked = _seed_records()
    for text in (render_plan(plan), render_seed_report(report), render_purge_report(purged)):
        check_markdown(text, INERT_TABLES)
        assert "\r" not in text
    text = render_purge_report(blocked)
    check_markdown(text, [SEMICOLON, FENCE_BREAK, FIXTURE_TABLE])
    assert len(text.splitlines()) == 5, text


# ------------------------------------------------------------------------------------------------------------
# End to end: a SQLite database whose tables have the names, and a project whose files do


@pytest.mark.slow
def test_every_output_keeps_names_inert_end_to_end_on_sqlite(
    sqlite_database: TestDatabase,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_sqlite_tables(sqlite_database.engine)
    sqlite_database.engine.dispose()
    project = write_project(tmp_path / "project")
    db = ["--url", sqlite_database.url, "--project", str(project)]
    tables = list(INERT_TABLES)

    base = tmp_path / "base.json"
    saved = run_cli(["report", "--format", "json", "--no-scan", "-o", str(base), *db], capfd)
    assert saved.code == 0, saved.describe()

    markdown = run_cli(["report", "--format", "md", *db], capfd)
    assert markdown.code == 0, markdown.describe()
    parsed = check_markdown(markdown.stdout, [*tables, *FILE_NAMES, GHOST])
    script = parsed.shell_block()
    _shell_expectations(script)
    check_shell_block(run_shell_block(script, tmp_path / "shell"), EXPECTED_CALLS)

    html = run_cli(["report", "--format", "html", *db], capfd)
    assert html.code == 0, html.describe()
    check_html(html.stdout, render(sample_audit(), "html"), [*tables, *FILE_NAMES])

    report_json = run_cli(["report", "--format", "json", *db], capfd)
    assert report_json.code == 0, report_json.describe()
    data = json.loads(report_json.stdout)
    assert {s["table"]["name"] for s in data["database"]["tables"]} >= set(tables)
    assert {s["path"] for s in data["scan"]["sources"]} >= set(SOURCE_PATHS)

    scan_md = run_cli(["scan", "--format", "md", str(project)], capfd)
    assert scan_md.code == 0, scan_md.describe()
    check_markdown(scan_md.stdout, [*SOURCE_PATHS, FENCE_BREAK, SUBSHELL, GHOST, REVISION_ID])
    scan_json = run_cli(["scan", "--format", "json", str(project)], capfd)
    assert scan_json.code == 0, scan_json.describe()
    assert {s["path"] for s in json.loads(scan_json.stdout)["sources"]} >= {SQL_FILE, FIXTURE_FILE}

    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    diff = run_cli(["diff", str(base), "--format", "md", "--fail-on", "stale", *db], capfd)
    assert diff.code in (0, 1), diff.describe()
    check_markdown(diff.stdout, [*FILE_NAMES, GHOST])
    check_markdown(summary.read_text(encoding="utf-8"), [*FILE_NAMES, GHOST])
    annotations = [line for line in diff.stderr.splitlines() if line.startswith("::")]
    assert annotations, diff.describe()
    assert all(line.startswith("::error file=") and line.count("::") == 2 for line in annotations)

    # without the project, every table is without seed data
    empty_project = tmp_path / "empty"
    empty_project.mkdir()
    check = run_cli(
        [
            "check",
            "--fail-under",
            "100",
            "--format",
            "md",
            "--url",
            sqlite_database.url,
            "--project",
            str(empty_project),
        ],
        capfd,
    )
    assert check.code == 1, check.describe()
    check_markdown(check.stdout, [n for n in tables if n not in POPULATED])
    check_markdown(summary.read_text(encoding="utf-8"), [FENCE_BREAK, BACKTICKS, SCRIPT_TAG])
    monkeypatch.delenv("GITHUB_ACTIONS")

    seeded = run_cli(["seed", "--missing", "--yes", "--seed", "7", "-v", *db], capfd)
    assert seeded.code == 0, seeded.describe()
    filled = [n for n in tables if n not in POPULATED]
    check_markdown(seeded.stdout, filled)
    assert "\r" not in seeded.stdout
    purged = run_cli(["purge", "--yes", "-v", *db], capfd)
    assert purged.code == 0, purged.describe()
    check_markdown(purged.stdout, filled)
    assert "\r" not in purged.stdout
