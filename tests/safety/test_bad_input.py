"""Bad input is exit 2 with one line: SQLite URLs to missing files, unresolvable git refs, nested JSON
baselines and row counts out of range.  Nothing is created, nothing is written, no "internal error"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dbaudit.errors import SeedError
from dbaudit.seed import PlanRequest
from dbaudit.urls import parse_url, sqlite_file
from tests.diff_support import history_head, save
from tests.git_history import git
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


@pytest.mark.slow
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


# --------------------------------------------------------------------------------------------------------
# Git refs that name no commit


@pytest.fixture
def one_commit(isolated: Path) -> Path:
    git(isolated, "init", "-q", "-b", "main")
    git(isolated, "add", "pyproject.toml")
    git(isolated, "commit", "-q", "-m", "first")
    return isolated


@pytest.mark.slow
@pytest.mark.parametrize(
    "ref",
    [
        "HEAD@{100}",  # past the end of a short reflog: GitPython raised IndexError
        "@{-3}",  # no third previous checkout: IndexError
        "main@{99}",
        "HEAD:pyproject.toml",  # a file, not a commit: KeyError
        "HEAD^{tree}",
        "HEAD~5",
        "no-such-branch",
        "-x",  # would be an option of git
        "--output=/tmp/x",
        "HEAD\x00",
        "",
    ],
)
def test_a_ref_that_names_no_commit_is_exit_2(
    ref: str, one_commit: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    run = run_cli(["diff", "--base-ref", ref, "--project", str(one_commit)], capfd)
    line = assert_clean_failure(run)
    assert f"git ref {ref!r} does not name a commit" in line, line
    assert "internal error" not in line


@pytest.mark.slow
def test_every_spelling_git_accepts_resolves(one_commit: Path, capfd: pytest.CaptureFixture[str]) -> None:
    head = save(history_head(), one_commit.parent / "head.json")
    for ref in ("HEAD@{0}", "main@{0}", "HEAD^{commit}", "main"):
        run = run_cli(["diff", "--base-ref", ref, str(head), "--project", str(one_commit)], capfd)
        # the ref resolves; the commit has no saved audit, so the baseline is a scan of its files
        assert run.code in (0, 1), run.describe()
        assert "does not name a commit" not in run.stderr, ref


# --------------------------------------------------------------------------------------------------------
# A baseline nested beyond any audit's depth


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_a_deeply_nested_baseline_is_exit_2(
    depth: int, isolated: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    deep = isolated.parent / "deep.json"
    deep.write_text("[" * depth + "]" * depth)
    nested_field = isolated.parent / "nested_field.json"
    nested_field.write_text('{"generated_at": "", "findings": ' + "[" * depth + "]" * depth + "}")
    database = isolated / "app.db"
    sqlite3.connect(database).close()
    for path in (deep, nested_field):
        for args in (
            ["diff", str(path), str(path)],
            ["check", "--fail-under", "10", "--audit", str(path)],
            ["report", "--no-scan", "--baseline", str(path), "--url", "sqlite:///app.db"],
        ):
            run = run_cli(args, capfd)
            line = assert_clean_failure(run)
            assert "internal error" not in line and "Recursion" not in line, line
            assert path.name in line, line
            assert run.stdout == "", "nothing is printed on a failure"


# --------------------------------------------------------------------------------------------------------
# Row counts


@pytest.mark.slow
@pytest.mark.parametrize(
    "rows",
    ["1e20", "-1", "0", "tags=0", "99999999999999999999999", "10000000000", "1000001", "9" * 5000, "2.5", ""],
)
def test_a_row_count_out_of_range_is_exit_2_and_writes_nothing(
    rows: str, isolated: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    database = isolated / "app.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
    run = run_cli(["seed", "--missing", "--yes", f"--rows={rows}", "--url", "sqlite:///app.db"], capfd)
    if rows == "":
        assert run.code == 0, run.describe()  # an empty --rows is no --rows: the default count
        return
    line = assert_clean_failure(run)
    assert line.startswith("dbaudit: error: --rows "), line
    assert len(line) < 250, "the value is shortened, not echoed whole"
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM tags").fetchone() == (0,)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"tags"}, "no bookkeeping table for a refused run"


@pytest.mark.parametrize("request_args", [{"rows": 0}, {"rows": 10**12}, {"rows_per_table": {"tags": -3}}])
def test_the_library_refuses_the_same_row_counts(request_args: dict[str, object]) -> None:
    with pytest.raises(SeedError, match="between 1 and 1,000,000"):
        PlanRequest(missing=True, **request_args)  # type: ignore[arg-type]
