"""``dbaudit diff --base-ref``: the baseline from git history, the working tree and index left alone."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from dbaudit.cli import main
from dbaudit.model import to_dict
from tests.diff_support import history_head, save
from tests.git_history import History, build_history, git, snapshot_of


@pytest.fixture(autouse=True)
def _outside_github(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "DBAUDIT_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def history(tmp_path: Path) -> History:
    return build_history(tmp_path)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def _dirty_the_checkout(history: History) -> None:
    """A working tree in the middle of a change: staged, modified and untracked files."""
    (history.project / "db/seed_users.sql").write_text("INSERT INTO users (id) VALUES (2);\n")
    (history.project / "db/seed_wip.sql").write_text("INSERT INTO payments (id) VALUES (1);\n")
    git(history.repo, "add", "backend/db/seed_wip.sql")
    (history.repo / "scratch.txt").write_text("untracked\n")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], 0),
        (["--fail-under", "80"], 1),  # under 80%, as check would say
        (["--fail-under", "60"], 0),
        (["--fail-on", "newly-empty"], 1),
        (["--fail-on", "new-uncovered"], 1),
        (["--fail-on", "stale"], 1),
    ],
)
def test_base_ref_with_a_committed_audit(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: int
) -> None:
    head = save(history_head(), tmp_path / "head.json")
    argv = [
        "diff",
        "--base-ref",
        history.c2,
        str(head),
        "--project",
        str(history.project),
        "--format",
        "json",
    ]
    code, out, err = run_cli([*argv, *args], capsys)
    assert code == expected, err
    diff = json.loads(out)["diff"]
    assert diff["base_label"] == f"backend/AUDIT.json at {history.c2}"
    assert (diff["before"]["percent"], diff["after"]["percent"]) == (50.0, 60.0)
    assert [s["path"] for s in diff["sources_added"]] == ["db/seed_orders.sql"]
    assert [s["path"] for s in diff["sources_removed"]] == ["db/seed_legacy.sql"]
    assert diff["newly_empty"] == ["orders"]
    assert diff["new_uncovered_tables"] == ["payments"]


def test_the_same_delta_as_from_saved_files(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = save(history_head(), tmp_path / "head.json")
    base = tmp_path / "base.json"
    base.write_text(git(history.repo, "show", f"{history.c2}:backend/AUDIT.json"))
    _, from_files, _ = run_cli(["diff", str(base), str(head), "--format", "json"], capsys)
    _, from_git, _ = run_cli(
        ["diff", "--base-ref", history.c2, str(head), "--project", str(history.project), "--format", "json"],
        capsys,
    )
    files_doc, git_doc = json.loads(from_files), json.loads(from_git)
    for doc in (files_doc, git_doc):
        del doc["diff"]["base_label"]
    assert files_doc == git_doc


@pytest.mark.slow
def test_baseline_path_option(history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (history.project / "audits").mkdir()
    save(history_head(), history.project / "audits" / "main.json")
    git(history.repo, "add", "backend/audits/main.json")
    git(history.repo, "commit", "-q", "-m", "audit in its own folder")
    head = save(history_head(), tmp_path / "head.json")
    code, out, _ = run_cli(
        [
            "diff",
            "--base-ref",
            "HEAD",
            str(head),
            "--baseline-path",
            "audits/main.json",
            "--project",
            str(history.project),
        ],
        capsys,
    )
    assert code == 0
    assert "No change in seeding coverage, tables or seed sources." in out


def test_a_future_major_at_the_ref_is_exit_2(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = to_dict(history_head())
    data["schema_version"] = "2.0"
    data["tool_version"] = "2.0.1"
    (history.project / "AUDIT.json").write_text(json.dumps(data))
    git(history.repo, "add", "backend/AUDIT.json")
    git(history.repo, "commit", "-q", "-m", "audit from the future")
    head = save(history_head(), tmp_path / "head.json")
    code, out, err = run_cli(
        ["diff", "--base-ref", "HEAD", str(head), "--project", str(history.project)], capsys
    )
    assert code == 2 and out == ""
    assert "backend/AUDIT.json at HEAD uses audit schema 2.0, written by dbaudit 2.0.1" in err


def test_unknown_ref_and_no_repository_are_exit_2(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = save(history_head(), tmp_path / "head.json")
    code, _, err = run_cli(
        ["diff", "--base-ref", "origin/main", str(head), "--project", str(history.project)], capsys
    )
    assert code == 2 and "'origin/main' does not name a commit" in err and "fetch-depth: 0" in err
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, _, err = run_cli(["diff", "--base-ref", "HEAD", str(head), "--project", str(elsewhere)], capsys)
    assert code == 2 and "not inside a git repository" in err


@pytest.mark.slow
def test_working_tree_and_index_are_unchanged(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dirty_the_checkout(history)
    head = save(history_head(), tmp_path / "head.json")
    status_before = git(history.repo, "status", "--porcelain", "--untracked-files=all")
    staged_before = git(history.repo, "diff", "--cached", "--name-status")
    files_before = snapshot_of(history.repo)
    assert "A  backend/db/seed_wip.sql" in status_before and " M backend/db/seed_users.sql" in status_before

    for ref in (history.c2, history.c1):  # the committed audit, then a scan of the ref's git objects
        argv = ["diff", "--base-ref", ref, str(head), "--project", str(history.project), "--no-fail-on-drop"]
        code, out, err = run_cli(argv, capsys)
        assert code == 0 and "## dbaudit: seeding coverage" in out, err
        assert snapshot_of(history.repo) == files_before, ref

    assert git(history.repo, "status", "--porcelain", "--untracked-files=all") == status_before
    assert git(history.repo, "diff", "--cached", "--name-status") == staged_before
    assert git(history.repo, "rev-parse", "HEAD").strip() == history.c3


def test_a_wrong_ref_fails_before_auditing(history: History, capsys: pytest.CaptureFixture[str]) -> None:
    # no database is configured: were the fresh audit run first, the error would be about the URL
    code, out, err = run_cli(["diff", "--base-ref", "no-such-ref", "--project", str(history.project)], capsys)
    assert code == 2 and out == ""
    assert "git ref 'no-such-ref' does not name a commit" in err


def test_scanning_a_ref_needs_a_table_list(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = save(replace(history_head(), database=None), tmp_path / "head.json")
    code, out, err = run_cli(
        ["diff", "--base-ref", history.c1, str(head), "--project", str(history.project)], capsys
    )
    assert code == 2 and out == ""
    assert f"{history.c1} has no saved audit, and scanning it needs the current table list" in err
