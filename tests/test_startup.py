"""Start-up budget: commands that need no database import no database library.

What a process imports is part of every benchmark (SQLAlchemy alone costs about a third of a second), so the
commands that never talk to a database must not pay for it.  Checked with ``python -X importtime``, which
lists every module the process really imported.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

DATABASE_LIBRARIES = ("sqlalchemy", "psycopg2", "pymysql")


def imported_modules(*args: str, cwd: Path) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dbaudit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "dbaudit.cli" in modules  # the listing is really there
    return modules


def database_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in DATABASE_LIBRARIES)


def test_help_imports_no_database_library(tmp_path: Path) -> None:
    assert database_modules(imported_modules("--help", cwd=tmp_path)) == []


@pytest.mark.slow
def test_scan_imports_no_database_library(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'app'\n", encoding="utf-8")
    (project / "scripts" / "seed_users.py").write_text(
        "from sqlalchemy import text\n\n\ndef main(conn):\n"
        "    conn.execute(text(\"INSERT INTO users (name) VALUES ('a')\"))\n\n\nmain(None)\n",
        encoding="utf-8",
    )
    modules = imported_modules("scan", str(project), cwd=tmp_path)
    assert "dbaudit.scan" in modules
    assert database_modules(modules) == []


@pytest.mark.slow
def test_report_does_import_the_driver_it_uses(tmp_path: Path) -> None:
    """The check above can fail: a command that does talk to a database shows up in the same listing."""
    database = tmp_path / "app.db"
    sqlite3.connect(database).execute("CREATE TABLE users (id INTEGER PRIMARY KEY)").connection.close()
    url = f"sqlite:///{database}"
    modules = imported_modules("report", "--url", url, "--no-scan", cwd=PROJECT_ROOT)
    assert "sqlalchemy" in modules
