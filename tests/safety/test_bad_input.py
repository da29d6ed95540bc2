"""Bad input is exit 2 with one line: SQLite URLs to missing files.  Nothing is created, nothing is
written, no "internal error"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dbaudit.urls import parse_url, sqlite_file
from tests.diff_support import history_head, save
from tests.safety.runner import assert_clean_failure, run_cli

# --------------------------------------------------------------------------------------------------------
# A SQLite URL naming a file that does not exist


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder as the working directory, with no database URL from the environment."""
    for name in ("DBAUDIT_URL", "DATABASE_URL", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    monkeypatch.chdir(project)
    return project


COMMANDS = {
    "report": ["report", "--no-scan"],
    "check": ["check", "--fail-under", "50"],
    "diff": ["diff", "BASE"],
    "seed": ["seed", "--missing", "--yes"],
    "seed-dry-run": ["seed", "--missing", "--dry-run"],
    "purge": ["purge", "--yes"],
    "purge-dry-run": ["purge", "--dry-run"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("spelling", ["relative", "absolute", "uri"])
def test_a_sqlite_url_to_a_missing_file_is_refused_and_creates_nothing(
    command: str, spelling: str, isolated: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    base = save(history_head(), isolated.parent / "base.json")
    url, shown = {
        "relative": ("sqlite:///no/such/typo.db", "no/such/typo.db"),
        "absolute": (f"sqlite:///{isolated / 'typo.db'}", str(isolated / "typo.db")),
        "uri": ("sqlite:///file:typo.db?uri=true", "typo.db"),
    }[spelling]
    before = sorted(p.name for p in isolated.rglob("*"))
    args = [str(base) if a == "BASE" else a for a in COMMANDS[command]]
    line = assert_clean_failure(run_cli([*args, "--url", url], capfd))
    assert line == (
        f"dbaudit: error: no SQLite database at {shown} "
        "(check the path in the URL (sqlite:///relative.db or sqlite:////absolute/path.db))"
    )
    assert sorted(p.name for p in isolated.rglob("*")) == before, "a file or folder was created"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_urls_stay_allowed(
    url: str, isolated: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    for args in (["report", "--no-scan"], ["seed", "--missing", "--yes"], ["purge", "--yes"]):
        run = run_cli([*args, "--url", url], capfd)
        assert run.code == 0, run.describe()
    assert sorted(p.name for p in isolated.iterdir()) == ["pyproject.toml"]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///app.db", "app.db"),
        ("sqlite:////srv/app.db", "/srv/app.db"),
        ("sqlite:///file:app.db", "file:app.db"),  # without uri=true a plain file name
        ("sqlite:///file:app.db?uri=true", "app.db"),
        ("sqlite:///file:app%20v2.db?uri=true&mode=ro", "app v2.db"),
        ("sqlite:///file:///srv/app.db?uri=true", "/srv/app.db"),
        ("sqlite:///file://localhost/srv/app.db?uri=true", "/srv/app.db"),
        ("sqlite:///file:scratch?mode=memory&uri=true", None),
        ("sqlite:///file:scratch?mode=memory&cache=shared&uri=true", None),
    ],
)
def test_the_file_a_sqlite_url_opens(url: str, path: str | None) -> None:
    assert sqlite_file(parse_url(url)) == path


def test_an_existing_sqlite_file_is_still_seeded(isolated: Path, capfd: pytest.CaptureFixture[str]) -> None:
    database = isolated / "app.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
    run = run_cli(["seed", "--missing", "--yes", "--rows", "3", "--url", "sqlite:///app.db"], capfd)
    assert run.code == 0, run.describe()
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM tags").fetchone() == (3,)
