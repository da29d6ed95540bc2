"""The CI gate end to end: a fresh audit of a real SQLite database and the project, against git history.

HEAD is the working tree of the story in :mod:`tests.git_history` (seed_orders.sql added, seed_legacy.sql
removed) over a database where ``orders`` is empty and ``payments`` is new.  The baseline is the audit
committed at ``c2``, or the seed sources of ``c1`` scanned from git objects.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from dbaudit.cli import main
from dbaudit.diff import load_audit
from tests.git_history import History, build_history, git, snapshot_of


@pytest.fixture(autouse=True)
def _outside_github(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "DBAUDIT_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> tuple[History, str]:
    history = build_history(tmp_path)
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as conn:
        conn.executescript(
            """
            CREATE TABLE alembic_version (version_num TEXT PRIMARY KEY);
            CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE orders (id INTEGER PRIMARY KEY);
            CREATE TABLE invoices (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders (id));
            CREATE TABLE legacy_tags (id INTEGER PRIMARY KEY, label TEXT);
            CREATE TABLE payments (id INTEGER PRIMARY KEY);
            INSERT INTO alembic_version VALUES ('a1');
            INSERT INTO users VALUES (1, 'Ada');
            INSERT INTO legacy_tags VALUES (1, 'old');
            """
        )
    conn.close()
    return history, f"sqlite:///{database}"


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def diff_json(project: tuple[History, str], ref: str, capsys: pytest.CaptureFixture[str], *gates: str):
    history, url = project
    argv = ["diff", "--base-ref", ref, "--url", url, "--project", str(history.project), "--format", "json"]
    code, out, err = run_cli([*argv, *gates], capsys)
    assert out, err
    return code, json.loads(out)


@pytest.mark.slow
def test_scan_of_a_ref_without_a_saved_audit(
    project: tuple[History, str], capsys: pytest.CaptureFixture[str]
) -> None:
    history, _ = project
    code, document = diff_json(project, history.c1, capsys)
    assert code == 0
    diff = document["diff"]
    assert diff["base_label"] == f"seed sources of {history.c1} ({history.c1[:12]})"
    assert diff["head_label"] == f"the working tree ({history.c3[:12]})"
    # the same tables on both sides (the ref is measured against today's table list): 2/5 -> 3/5
    assert (diff["before"]["covered"], diff["before"]["tables"]) == (2, 5)
    assert (diff["after"]["covered"], diff["after"]["tables"]) == (3, 5)
    assert diff["newly_covered"] == ["invoices", "orders"]
    assert diff["newly_uncovered"] == ["legacy_tags"]
    assert [s["path"] for s in diff["sources_added"]] == ["db/seed_orders.sql"]
    assert [s["path"] for s in diff["sources_removed"]] == ["db/seed_legacy.sql"]
    assert diff["sources_changed"] == []
    assert diff["newly_empty"] == [] and diff["new_tables"] == []
    assert {(f["kind"], f["table"]) for f in diff["new_findings"]} >= {
        ("seeded-but-empty", "orders"),
        ("seeded-but-empty", "invoices"),
    }

    assert diff_json(project, history.c1, capsys, "--fail-on", "new-uncovered")[0] == 1
    assert diff_json(project, history.c1, capsys, "--fail-on", "stale")[0] == 1
    assert diff_json(project, history.c1, capsys, "--fail-on", "newly-empty")[0] == 0
    assert diff_json(project, history.c1, capsys, "--fail-under", "90")[0] == 1  # under 90%, though up


@pytest.mark.slow
def test_the_ref_itself_has_no_changes(
    project: tuple[History, str], capsys: pytest.CaptureFixture[str]
) -> None:
    history, _ = project
    code, document = diff_json(project, history.c3, capsys, "--fail-on", "newly-empty,new-uncovered")
    assert code == 0
    diff = document["diff"]
    assert diff["before"] == diff["after"]
    assert diff["sources_added"] == diff["sources_removed"] == diff["sources_changed"] == []


def test_a_dropping_change_fails(project: tuple[History, str], capsys: pytest.CaptureFixture[str]) -> None:
    history, _ = project
    (history.project / "db/seed_orders.sql").unlink()  # an uncommitted change drops the orders seed
    code, document = diff_json(project, history.c3, capsys)
    assert code == 1
    assert document["gates"][0]["message"] == "coverage dropped: 60.0% -> 20.0%"
    assert document["diff"]["newly_uncovered"] == ["invoices", "orders"]
    assert document["diff"]["head_label"].endswith(", with uncommitted changes)")


def test_committed_audit_against_a_fresh_audit(
    project: tuple[History, str], capsys: pytest.CaptureFixture[str]
) -> None:
    history, _ = project
    code, document = diff_json(project, history.c2, capsys, "--fail-on", "newly-empty")
    assert code == 1
    diff = document["diff"]
    assert diff["base_label"] == f"backend/AUDIT.json at {history.c2}"
    assert diff["newly_empty"] == ["orders"]
    assert diff["new_tables"] == ["payments"] and diff["new_uncovered_tables"] == ["payments"]


@pytest.mark.slow
def test_nothing_in_the_checkout_changes(
    project: tuple[History, str], capsys: pytest.CaptureFixture[str]
) -> None:
    history, _ = project
    (history.project / "db/seed_users.sql").write_text("INSERT INTO users (id) VALUES (2);\n")
    (history.project / "db/seed_wip.sql").write_text("INSERT INTO payments (id) VALUES (1);\n")
    git(history.repo, "add", "backend/db/seed_wip.sql")
    status = git(history.repo, "status", "--porcelain", "--untracked-files=all")
    files = snapshot_of(history.repo)
    for ref in (history.c1, history.c2, history.c3):
        diff_json(project, ref, capsys)
        assert snapshot_of(history.repo) == files, ref
    assert git(history.repo, "status", "--porcelain", "--untracked-files=all") == status


@pytest.mark.slow
def test_check_on_a_fresh_audit(project: tuple[History, str], capsys: pytest.CaptureFixture[str]) -> None:
    history, url = project
    base = ["check", "--url", url, "--project", str(history.project)]
    assert run_cli([*base, "--fail-under", "60"], capsys)[0] == 0
    code, out, _ = run_cli([*base, "--fail-under", "61"], capsys)
    assert code == 1 and "coverage 60.0% (3/5 tables) is under 61%" in out


@pytest.mark.slow
def test_report_with_a_baseline_has_section_5(
    project: tuple[History, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history, url = project
    baseline = tmp_path / "baseline.json"
    baseline.write_text(git(history.repo, "show", f"{history.c2}:backend/AUDIT.json"))
    code, out, err = run_cli(
        ["report", "--url", url, "--project", str(history.project), "--baseline", str(baseline)], capsys
    )
    assert code == 0, err
    assert "## 5. Changes since the previous audit" in out
    assert "| `seed_orders.sql` | `db/` | orders, invoices | orders, invoices |" in out
    assert f"| Code | commit `{history.c3[:12]}` on `main` |" in out
    code, out, _ = run_cli(
        [
            "report",
            "--url",
            url,
            "--project",
            str(history.project),
            "--baseline",
            str(baseline),
            "--format",
            "json",
        ],
        capsys,
    )
    saved = load_audit(out)
    assert saved.changes is not None and saved.changes.new_sources == ("db/seed_orders.sql",)
    assert saved.git is not None and saved.git.commit == history.c3 and saved.git.dirty is False
