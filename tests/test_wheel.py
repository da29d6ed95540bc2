"""A plain (non-editable) wheel works on its own: templates, seeders and the demo example travel inside it.

Builds the wheel, installs it into a fresh virtual environment (its dependencies come from the package index,
nothing from this checkout or its environment), and runs ``dbaudit demo`` from a folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXPECTED = json.loads(
    (PROJECT_ROOT / "examples" / "migration_planner" / "EXPECTED.json").read_text(encoding="utf-8")
)

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL"}}
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv with only the built wheel (and its dependencies) installed."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, PROJECT_ROOT, cwd=work)
    (wheel,) = dist.glob("dbaudit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for bundled in ("report_templates/audit.md.j2", "examples/migration_planner/EXPECTED.json"):
        assert f"dbaudit/_bundled/{bundled}" in names

    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=work)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel, cwd=work)
    return bin_dir


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    proc = run(installed / "python", "-c", "import dbaudit, sys; print(dbaudit.__file__)", cwd=tmp_path)
    location = Path(proc.stdout.strip()).resolve()
    assert PROJECT_ROOT not in location.parents
    assert "site-packages" in location.parts


def test_dbaudit_demo_from_the_wheel_gives_every_table_its_status(installed: Path, tmp_path: Path) -> None:
    proc = run(installed / "dbaudit", "demo", "--format", "json", cwd=tmp_path)
    audit = json.loads(proc.stdout)
    statuses = {state["table"]["name"]: state["status"] for state in audit["database"]["tables"]}
    assert statuses == EXPECTED["tables"]
    covered = sorted(audit["coverage"]["covered"])
    assert covered == EXPECTED["coverage"]["covered"]
    assert list(tmp_path.iterdir()) == []


def test_dbaudit_demo_markdown_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    proc = run(installed / "dbaudit", "demo", cwd=tmp_path)
    report = proc.stdout
    assert "Table Population Status" in report
    for table in EXPECTED["tables"]:
        assert table in report
    assert "init_db.py" in report


def test_the_installed_package_is_typed(installed: Path, tmp_path: Path) -> None:
    """``py.typed`` travels in the wheel, so type checkers of projects that use dbaudit read its hints."""
    code = "import importlib.resources as r; print(r.files('dbaudit').joinpath('py.typed').is_file())"
    proc = run(installed / "python", "-c", code, cwd=tmp_path)
    assert proc.stdout.strip() == "True"
