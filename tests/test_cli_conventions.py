"""The habits users bring from pytest, coverage.py, sqlfluff and alembic work here too (issue 18, point 3)."""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dbaudit.cli import main
from tests.diff_support import history_base, history_head, save


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "DBAUDIT_URL", "DATABASE_URL", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the current one) with a small SQLite database: one populated table, one empty."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    with sqlite3.connect(root / "app.db") as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY)")
        db.execute("INSERT INTO users (name) VALUES ('a')")
    monkeypatch.chdir(root)
    return root


def url(project: Path) -> str:
    return f"sqlite:///{project / 'app.db'}"


def test_verbose_after_the_command_is_the_same_as_before_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = run_cli(["-vv", "report", "--url", url(project), "--no-scan", "--format", "json"], capsys)
    after = run_cli(["report", "--url", url(project), "--no-scan", "--format", "json", "-vv"], capsys)
    assert before[0] == after[0] == 0
    assert "No such option" not in after[2]
    # -vv is debug: more on stderr than the default run
    plain = run_cli(["report", "--url", url(project), "--no-scan", "--format", "json"], capsys)
    assert len(after[2].splitlines()) > len(plain[2].splitlines()) >= 1
    assert len(before[2].splitlines()) == len(after[2].splitlines())


def test_quiet_after_the_command_silences_stderr(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["report", "--url", url(project), "--no-scan", "--format", "json", "-q"], capsys)
    assert code == 0 and json.loads(out)["database"] is not None
    assert err == ""
    # and the next command line in the same process is not quiet any more
    assert run_cli(["report", "--url", url(project), "--no-scan", "--format", "json"], capsys)[2] != ""


def test_traceback_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = run_cli(["check", "--fail-under", "10", "--audit", str(bad)], capsys)
    assert code == 2 and "Traceback" not in err
    code, _, err = run_cli(["check", "--fail-under", "10", "--audit", str(bad), "--traceback"], capsys)
    assert code == 2 and "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("dbaudit: error:")


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_dash_capital_v_prints_the_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    from dbaudit import __version__

    code, out, _ = run_cli([flag], capsys)
    assert code == 0 and out == f"dbaudit, version {__version__}\n"


def test_output_dash_is_standard_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = save(history_head(), tmp_path / "head.json")
    code, out, _ = run_cli(["check", "--fail-under", "50", "--audit", str(head), "--format", "json"], capsys)
    dashed = run_cli(
        ["check", "--fail-under", "50", "--audit", str(head), "--format", "json", "-o", "-"], capsys
    )
    assert code == dashed[0] == 0
    assert dashed[1] == out and json.loads(out)["passed"] is True
    assert not (tmp_path / "-").exists() and not Path("-").exists()


def test_gate_settings_come_from_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = save(history_base(), tmp_path / "base.json")  # 50%
    head = save(history_head(), tmp_path / "head.json")  # 60%, orders newly empty
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    (root / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    code, _, err = run_cli(["check", "--audit", str(head)], capsys)
    assert code == 2 and "fail_under" in err and "--fail-under" in err

    (root / "pyproject.toml").write_text("[project]\nname = 'app'\n[tool.dbaudit]\nfail_under = 70\n")
    assert run_cli(["check", "--audit", str(head)], capsys)[0] == 1
    assert run_cli(["check", "--audit", str(head), "--fail-under", "60"], capsys)[0] == 0  # option wins
    assert run_cli(["diff", str(base), str(head)], capsys)[0] == 1  # the same threshold gates diff

    (root / "pyproject.toml").write_text("[tool.dbaudit]\nfail-on = ['newly-empty']\n")
    code, out, _ = run_cli(["diff", str(base), str(head), "--format", "json"], capsys)
    assert code == 1
    assert [g["gate"] for g in json.loads(out)["gates"]] == ["drop", "newly-empty"]

    (root / "pyproject.toml").write_text("[tool.dbaudit]\nfail_on_drop = false\n")
    code, out, _ = run_cli(["diff", str(head), str(base), "--format", "json"], capsys)  # 60% -> 50%
    assert code == 0 and json.loads(out)["gates"] == []
    assert run_cli(["diff", str(head), str(base), "--fail-on-drop"], capsys)[0] == 1

    (root / "pyproject.toml").write_text("[tool.dbaudit]\nfail_under = 150\n")
    code, _, err = run_cli(["check", "--audit", str(head)], capsys)
    assert code == 2 and "fail_under" in err and "Traceback" not in err


def test_fail_under_means_the_same_in_check_and_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = save(history_base(), tmp_path / "base.json")  # 50%
    head = save(history_head(), tmp_path / "head.json")  # 60%: up, and under 80
    for threshold, expected in (("80", 1), ("60", 0)):
        checked = run_cli(["check", "--audit", str(head), "--fail-under", threshold], capsys)[0]
        diffed = run_cli(["diff", str(base), str(head), "--fail-under", threshold], capsys)[0]
        assert checked == diffed == expected, threshold
    helps = []
    for command in ("check", "diff"):
        out = run_cli([command, "--help"], capsys)[1]
        text = " ".join(out.split())
        start = text.index("--fail-under PCT")
        helps.append(text[start : text.index(".", start)])
    assert helps[0] == helps[1]
    assert "under PCT percent" in helps[0]


def test_shell_completion_script(tmp_path: Path) -> None:
    env = {**os.environ, "_DBAUDIT_COMPLETE": "bash_source"}
    result = subprocess.run(
        [sys.executable, "-m", "dbaudit"], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "_dbaudit_completion" in result.stdout and "complete " in result.stdout
    env = {**os.environ, "_DBAUDIT_COMPLETE": "bash_complete", "COMP_WORDS": "dbaudit rep", "COMP_CWORD": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "dbaudit"], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert "plain,report" in result.stdout.splitlines()


def test_table_names_sort_naturally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dbaudit.model import natural_sorted

    assert natural_sorted(["t_1002", "t_102", "t_2", "T_3", "t_10a", "t_10"]) == [
        "T_3",
        "t_2",
        "t_10",
        "t_10a",
        "t_102",
        "t_1002",
    ]
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as db:
        for name in ("t_1002", "t_102", "t_2"):
            db.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)")
            db.execute(f"INSERT INTO {name} VALUES (1)")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    code, out, _ = run_cli(["report", "--url", f"sqlite:///{database}", "--project", str(tmp_path)], capsys)
    assert code == 0
    positions = [out.index(f"| {name} ") for name in ("t_2", "t_102", "t_1002")]
    assert positions == sorted(positions)
    code, out, _ = run_cli(
        ["report", "--url", f"sqlite:///{database}", "--project", str(tmp_path), "--format", "json"], capsys
    )
    names = [state["table"]["name"] for state in json.loads(out)["database"]["tables"]]
    assert names == ["t_2", "t_102", "t_1002"]


COVERAGE_SHAPE = {"covered_tables", "covered_count", "tables", "percent"}


def test_every_json_document_has_one_coverage_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = save(history_base(), tmp_path / "base.json")
    head = save(history_head(), tmp_path / "head.json")  # 3 of 5 covered
    audit = json.loads(head.read_text())
    checked = json.loads(
        run_cli(["check", "--fail-under", "0", "--audit", str(head), "--format", "json"], capsys)[1]
    )
    diffed = json.loads(run_cli(["diff", str(base), str(head), "--format", "json"], capsys)[1])
    shapes = [audit["coverage"], checked["coverage"], diffed["diff"]["after"]]
    for shape in shapes:
        assert {key: shape[key] for key in COVERAGE_SHAPE} == {
            "covered_tables": ["invoices", "orders", "users"],
            "covered_count": 3,
            "tables": 5,
            "percent": 60.0,
        }
    # the older fields stay, for readers of schema 1.1
    assert audit["coverage"]["covered"] == ["invoices", "orders", "users"]
    assert audit["coverage"]["application_tables"] == 5
    assert audit["schema_version"] == "1.2"


def test_the_report_header_says_where_the_url_came_from(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_url = f"sqlite:///{project / 'app.db'}"

    def header() -> str:
        code, out, _ = run_cli(["report", "--no-scan", "-o", "-"], capsys)
        assert code == 0
        return next(line for line in out.splitlines() if line.startswith("| Database |"))

    (project / "alembic.ini").write_text(f"[alembic]\nsqlalchemy.url = {secret_url}\n")
    assert header().endswith("; URL from alembic.ini |")
    (project / "pyproject.toml").write_text(f"[tool.dbaudit]\nurl = '{secret_url}'\n")
    assert header().endswith("; URL from pyproject.toml \\[tool.dbaudit\\] |")  # Markdown-escaped
    monkeypatch.setenv("DATABASE_URL", secret_url)
    assert header().endswith("; URL from environment variable DATABASE_URL |")
    out = run_cli(["report", "--no-scan", "--url", secret_url], capsys)[1]
    assert "; URL from --url option |" in out
    _, out, _ = run_cli(["report", "--no-scan", "--url", secret_url, "--format", "json"], capsys)
    assert json.loads(out)["database"]["url_source"] == "--url option"


def test_the_url_source_never_shows_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from dbaudit.config import load_settings, url_origin

    env = {"DATABASE_URL": "postgresql://app:s3cret@db/app"}
    settings = load_settings({}, environ=env)
    assert url_origin(settings) == "environment variable DATABASE_URL"
    settings = load_settings({"url": "postgresql://app:s3cret@db/app"}, environ={})
    assert "s3cret" not in str(url_origin(settings))


def test_seed_and_purge_summaries_are_totals_unless_verbose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as db:
        for name in ("t_10", "t_2", "t_1"):
            db.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    common = ["--url", f"sqlite:///{database}", "--project", str(tmp_path), "--yes"]
    code, out, _ = run_cli(["seed", "--missing", "--rows", "2", *common], capsys)
    assert code == 0, out
    assert "6 rows in 3 tables. -v lists every table." in out
    assert "| t_" not in out
    code, out, _ = run_cli(["purge", *common], capsys)
    assert code == 0
    assert "3 tables: every mock row deleted from 3. -v lists every table." in out
    assert "| t_" not in out

    code, out, _ = run_cli(["seed", "--missing", "--rows", "2", *common, "-v"], capsys)
    assert code == 0
    assert all(f"| {name} " in out for name in ("t_1", "t_2", "t_10"))  # in insertion order
    assert "6 rows in 3 tables." in out and "-v lists" not in out
    code, out, _ = run_cli(["purge", *common, "-v"], capsys)
    assert code == 0
    positions = [out.index(f"| {name} ") for name in ("t_1", "t_2", "t_10")]
    assert positions == sorted(positions)


def test_the_readme_first_use_block_runs(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each command of the README's "First use on your own project", on a SQLite database."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## First use on your own project\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    assert commands[0].startswith("export DBAUDIT_URL=")
    monkeypatch.setenv("DBAUDIT_URL", url(project))  # this SQLite file stands for the example's server
    for command in commands[1:]:
        code, _, err = run_cli(shlex.split(command)[1:], capsys)
        assert code in (0, 1), f"{command}: {err}"
    assert (project / "AUDIT.md").read_text().startswith("# Database Table Population & Seeding Audit")
    assert "URL from environment variable DBAUDIT_URL" in (project / "AUDIT.md").read_text()
    assert json.loads((project / "AUDIT.json").read_text())["database"]["url_source"] == (
        "environment variable DBAUDIT_URL"
    )
