"""The layers hold: `lint-imports` keeps the import contracts of `[tool.importlinter]` in pyproject.toml.

The second test breaks two contracts in a copy of the package, to show the contracts catch what they name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over ``project``'s ``src/dbaudit``, with ``project``'s configuration."""
    script = Path(sys.executable).with_name("lint-imports")
    command = (
        [str(script)]
        if script.is_file()
        else [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
        ]
    )
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(
        [*command, "--no-cache"], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_import_contracts_hold() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.slow
def test_the_contracts_catch_a_renderer_reading_the_scanner_and_a_cycle(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    package = tmp_path / "src" / "dbaudit"
    with (package / "render" / "options.py").open("a", encoding="utf-8") as fh:
        fh.write("\nimport dbaudit.scan.tree  # noqa\n")
    with (package / "compare.py").open("a", encoding="utf-8") as fh:
        fh.write("\nimport dbaudit.audit  # noqa\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "render reads the model: it never imports a stage or an analysis BROKEN" in done.stdout
    assert "No import cycles, between packages or between the modules of one BROKEN" in done.stdout
    assert "2 broken" in done.stdout
