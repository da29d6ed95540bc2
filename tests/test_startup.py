"""Start-up budget: commands that need no database import no database library.

What a process imports is part of every benchmark (SQLAlchemy alone costs about a third of a second), so the
commands that never talk to a database must not pay for it.  A scan imports ``alembic`` (and with it
SQLAlchemy) only when the project has an Alembic configuration to read with Alembic's ``Config``.  Checked
with ``python -X importtime``, which lists every module the process really imported.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

DATABASE_LIBRARIES = ("sqlalchemy", "psycopg2", "pymysql")


def importtime(*argv: str, cwd: Path) -> set[str]:
    """Every module ``python -X importtime ARGV`` imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


def imported_modules(*args: str, cwd: Path) -> set[str]:
    modules = importtime("-m", "dbaudit", *args, cwd=cwd)
    assert "dbaudit.cli" in modules  # the listing is really there
    return modules


def database_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in DATABASE_LIBRARIES)


def test_help_imports_no_database_library(tmp_path: Path) -> None:
    assert database_modules(imported_modules("--help", cwd=tmp_path)) == []


def plain_project(root: Path) -> Path:
    """A project with no Alembic configuration (Alembic only named as a dependency) and one seed script."""
    (root / "scripts").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'app'\ndependencies = ['alembic', 'sqlalchemy']\n", encoding="utf-8"
    )
    (root / "scripts" / "seed_users.py").write_text(
        "from sqlalchemy import text\n\n\ndef main(conn):\n"
        "    conn.execute(text(\"INSERT INTO users (name) VALUES ('a')\"))\n\n\nmain(None)\n",
        encoding="utf-8",
    )
    return root


@pytest.mark.slow
def test_scan_imports_no_database_library(tmp_path: Path) -> None:
    modules = imported_modules("scan", str(plain_project(tmp_path / "project")), cwd=tmp_path)
    assert "dbaudit.scan.migrations" in modules
    assert database_modules(modules) == []
    assert "alembic" not in modules


@pytest.mark.slow
def test_scan_of_revisions_without_an_alembic_configuration_imports_no_alembic(tmp_path: Path) -> None:
    """Folders laid out like Alembic's (``env.py`` beside ``versions/``) are found without Alembic."""
    project = plain_project(tmp_path / "project")
    (project / "db" / "versions").mkdir(parents=True)
    (project / "db" / "env.py").write_text("from alembic import context\n", encoding="utf-8")
    (project / "db" / "versions" / "a1_roles.py").write_text(REVISION, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "dbaudit", "scan", str(project), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    assert "db/versions/a1_roles.py" in result.stdout
    modules = imported_modules("scan", str(project), cwd=tmp_path)
    assert database_modules(modules) == []
    assert "alembic" not in modules


REVISION = (
    'from alembic import op\nrevision = "a1"\ndown_revision = None\n\n\n'
    'def upgrade():\n    op.execute("INSERT INTO roles (id) VALUES (1)")\n'
)


def module_names(project: Path) -> set[str]:
    """Every name under which a Python file of ``project`` could be imported, whatever ``sys.path`` holds."""
    names: set[str] = set()
    for path in project.rglob("*.py"):
        parts = path.relative_to(project).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.update(".".join(parts[i:]) for i in range(len(parts)))
    return names


@pytest.mark.slow
def test_scan_of_an_alembic_project_imports_alembic_and_nothing_of_the_project(tmp_path: Path) -> None:
    """Alembic's configuration is read with Alembic's ``Config`` (which imports SQLAlchemy); the project's
    package named by ``script_location``, its ``env.py`` and its revisions are never imported, and nothing
    beyond what ``import alembic.config`` itself imports comes in."""
    project = tmp_path / "project"
    marker = tmp_path / "imported"
    plant = f"import pathlib\npathlib.Path({str(marker)!r}).write_text(__name__)\n"
    versions = project / "shopapp" / "migrations" / "versions"
    versions.mkdir(parents=True)
    for package in (project / "shopapp", project / "shopapp" / "migrations"):
        (package / "__init__.py").write_text(plant, encoding="utf-8")
    (project / "shopapp" / "migrations" / "env.py").write_text(plant, encoding="utf-8")
    (versions / "a1_roles.py").write_text(plant + REVISION, encoding="utf-8")
    (project / "alembic.ini").write_text(
        "[alembic]\nscript_location = shopapp:migrations\npath_separator = os\n", encoding="utf-8"
    )
    (project / "pyproject.toml").write_text(
        '[tool.alembic]\nscript_location = "shopapp:migrations"\n', encoding="utf-8"
    )
    (project / "backup.dump").write_text("COPY roles (id) FROM stdin;\n1\n\\.\n", encoding="utf-8")

    modules = imported_modules("scan", str(project), cwd=tmp_path)
    assert "alembic.config" in modules
    assert not marker.exists(), f"the project's code ran: {marker.read_text()}"
    assert not modules & module_names(project), sorted(modules & module_names(project))

    plain = imported_modules("scan", str(plain_project(tmp_path / "plain")), cwd=tmp_path)
    alembic = importtime("-c", "import alembic.config", cwd=tmp_path)
    extra = {m.split(".")[0] for m in modules - plain - alembic}
    assert extra <= {"dbaudit", *sys.stdlib_module_names}, sorted(extra)


@pytest.mark.slow
def test_report_does_import_the_driver_it_uses(tmp_path: Path) -> None:
    """The check above can fail: a command that does talk to a database shows up in the same listing."""
    database = tmp_path / "app.db"
    sqlite3.connect(database).execute("CREATE TABLE users (id INTEGER PRIMARY KEY)").connection.close()
    url = f"sqlite:///{database}"
    modules = imported_modules("report", "--url", url, "--no-scan", cwd=PROJECT_ROOT)
    assert "sqlalchemy" in modules
