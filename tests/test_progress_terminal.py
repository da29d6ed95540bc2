"""Progress with counts on standard error when it is a terminal; nothing when it is not, nor with -q
(issue 18, point 2).  Run under a pseudo-terminal; ``DBAUDIT_PROGRESS_DELAY=0`` shows every stage, however
short, so no test depends on how long a stage takes."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.pty_support import run_in_terminal

pytestmark = pytest.mark.slow

NOW = {"DBAUDIT_PROGRESS_DELAY": "0"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    with sqlite3.connect(tmp_path / "app.db") as db:
        for i in range(12):
            db.execute(f"CREATE TABLE t_{i} (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
        db.execute("INSERT INTO t_0 (label) VALUES ('real')")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    (tmp_path / "seed.py").write_text("db.execute(\"INSERT INTO t_1 (label) VALUES ('b')\")\n")
    return tmp_path


def url(project: Path) -> str:
    return f"sqlite:///{project / 'app.db'}"


def test_report_shows_tables_and_files_then_clears(project: Path) -> None:
    run = run_in_terminal(
        ["report", "--url", url(project), "--format", "json"], cwd=project, env=NOW, stdout_tty=False
    )
    assert run.code == 0
    shown = r"Reflecting the database and counting rows: (12/12 tables probed|1/1 tables counted)"
    assert re.search(shown, run.terminal)  # the 12 tables probed, then the one populated counted
    assert re.search(r"Scanning seed scripts and migrations: [1-9]\d* files scanned", run.terminal)
    assert "\r\x1b[K" in run.terminal  # each line is cleared: the log lines and the report stay clean
    assert run.stdout.startswith("{")  # stdout, a pipe, carries the document alone


def test_seed_and_purge_show_rows_and_a_rate(project: Path) -> None:
    common = ["--url", url(project), "--yes"]
    seeded = run_in_terminal(
        ["seed", "--missing", "--rows", "5", *common], cwd=project, env=NOW, stdout_tty=False
    )
    assert seeded.code == 0, seeded.terminal
    assert re.search(r"Seeding: 55 rows inserted · [\d,]+ rows/s · ", seeded.terminal)
    purged = run_in_terminal(["purge", *common], cwd=project, env=NOW, stdout_tty=False)
    assert purged.code == 0, purged.terminal
    assert re.search(r"Purging: 55 rows deleted · [\d,]+ rows/s · ", purged.terminal)


def test_quiet_and_redirected_runs_show_no_progress(project: Path) -> None:
    quiet = run_in_terminal(
        ["report", "--url", url(project), "--format", "json", "-q"], cwd=project, env=NOW, stdout_tty=False
    )
    assert quiet.code == 0 and quiet.terminal == ""
    piped = run_in_terminal(
        ["report", "--url", url(project), "--format", "json"],
        cwd=project,
        env=NOW,
        stdout_tty=False,
        stderr_tty=False,
    )
    assert piped.code == 0
    assert "\r" not in piped.stderr and "Reflecting" not in piped.stderr
    assert "reflected 12 tables" in piped.stderr  # the log lines stay
    seeded = run_in_terminal(
        ["seed", "--missing", "--rows", "5", "--url", url(project), "--yes"],
        cwd=project,
        env=NOW,
        stdout_tty=False,
        stderr_tty=False,
    )
    assert seeded.code == 0 and "Seeding:" not in seeded.stderr
