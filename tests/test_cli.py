"""The command-line shell: entry points, exit codes, one-line errors, no heavy imports for --help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dbaudit.cli import main


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbaudit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_python_dash_m_runs_the_cli() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("dbaudit, version ")


def test_help_lists_the_report_command_and_imports_no_database_library() -> None:
    code = (
        "import sys\n"
        "from dbaudit.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'sqlalchemy' not in sys.modules, 'help imported sqlalchemy'\n"
        "assert 'sqlglot' not in sys.modules, 'help imported sqlglot'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "report" in result.stdout


def test_a_usage_error_exits_2_with_one_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--no-such-option"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "No such option" in err and "Traceback" not in err


@pytest.mark.slow
def test_report_without_any_url_says_how_to_give_one(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    result = subprocess.run(
        [sys.executable, "-m", "dbaudit", "report", "--no-scan"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbaudit: error:"), result.stderr
    assert "DBAUDIT_URL" in lines[0] or "--url" in lines[0]
