"""``dbaudit demo`` end to end, and the bundled example on every database.

The example's ``EXPECTED.json`` is the ground truth: which tables its seed scripts and Alembic revisions
write, and the status and row count of every table after the demo.  The demo runs once per module as a real
``python -m dbaudit demo --format json`` process into a kept folder, so the tests can also look at the
database it built.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from dbaudit.cli import main
from dbaudit.demo import BACKEND, DATABASE_FILE, EXAMPLE, SEED_MODULES, run_seed_script, upgrade_database
from dbaudit.errors import DbauditError
from dbaudit.model import Audit, TableStatus
from dbaudit.resources import examples_dir

# slow: runs `dbaudit demo`, which builds and seeds the example application
pytestmark = pytest.mark.slow

EXAMPLE_ROOT = examples_dir() / EXAMPLE
EXPECTED: dict[str, Any] = json.loads((EXAMPLE_ROOT / "EXPECTED.json").read_text(encoding="utf-8"))


class DemoRun:
    def __init__(self, folder: Path, stdout: str, stderr: str) -> None:
        self.folder = folder
        self.stdout = stdout
        self.stderr = stderr
        self.audit = Audit.from_dict(json.loads(stdout))

    @property
    def database(self) -> Path:
        return self.folder / BACKEND / DATABASE_FILE


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    folder = tmp_path_factory.mktemp("demo") / "planner"
    proc = subprocess.run(
        [sys.executable, "-m", "dbaudit", "demo", "--format", "json", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return DemoRun(folder, proc.stdout, proc.stderr)


def test_every_table_has_the_expected_status(demo: DemoRun) -> None:
    assert demo.audit.database is not None
    statuses = {state.table.name: state.status.value for state in demo.audit.database.tables}
    assert statuses == EXPECTED["tables"]


def test_row_counts_are_the_seeded_ones(demo: DemoRun) -> None:
    assert demo.audit.database is not None
    for state in demo.audit.database.tables:
        expected = EXPECTED["row_counts"].get(state.table.name, 0)
        assert state.count is not None, state.table.name
        assert state.count.populated is (expected > 0), state.table.name
        if state.count.value is not None:
            assert state.count.value == expected, state.table.name


def test_the_built_database_holds_exactly_the_expected_rows(demo: DemoRun) -> None:
    """Checked with sqlite3 itself, independently of dbaudit's reflection."""
    with sqlite3.connect(demo.database) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    assert set(counts) == set(EXPECTED["tables"])
    assert {name: n for name, n in counts.items() if n} == EXPECTED["row_counts"]
    assert sorted(name for name, n in counts.items() if not n) == EXPECTED["empty"]


def test_stdout_carries_only_the_report_and_stderr_the_progress(demo: DemoRun) -> None:
    assert json.loads(demo.stdout)["schema_version"]
    for module in SEED_MODULES:
        assert f"python -m {module}" in demo.stderr
    assert "Traceback" not in demo.stderr


def test_the_scan_finds_what_each_source_writes(demo: DemoRun) -> None:
    assert demo.audit.scan is not None
    found = {source.path: source for source in demo.audit.scan.sources}
    for path, expected in EXPECTED["sources"].items():
        writes = expected["writes"]
        if not writes:
            assert path not in found or not found[path].writes, path
            continue
        assert path in found, path
        assert set(found[path].tables) == set(writes), path
        conditional = {w.table for w in found[path].writes if w.conditional}
        assert conditional == {t for t, w in writes.items() if w["conditional"]}, path
    seeding = {path for path, source in found.items() if source.writes}
    assert seeding == {path for path, expected in EXPECTED["sources"].items() if expected["writes"]}


def test_the_scan_reads_the_revision_history(demo: DemoRun) -> None:
    assert demo.audit.scan is not None
    revisions = {s.revision.revision: s for s in demo.audit.scan.sources if s.revision is not None}
    for expected in EXPECTED["revisions"]:
        if expected["is_data"]:
            source = revisions[expected["revision"]]
            assert source.path == expected["path"]
            assert source.revision is not None and source.revision.is_data
            assert source.revision.message == expected["message"]
        else:
            source_or_none = revisions.get(expected["revision"])
            assert source_or_none is None or not source_or_none.writes, expected["revision"]
    assert list(demo.audit.scan.revision_heads) == EXPECTED["revision_heads"]


def test_coverage_counts_the_seeded_tables(demo: DemoRun) -> None:
    coverage = demo.audit.coverage
    assert coverage is not None
    assert sorted(coverage.covered) == EXPECTED["coverage"]["covered"]
    assert coverage.application_tables == EXPECTED["coverage"]["application_tables"]
    assert coverage.outside == ()


def test_every_empty_table_is_a_gap_or_covered(demo: DemoRun) -> None:
    """No seed source covers an empty table, so each one gets exactly one recommendation."""
    recommended = [table for rec in demo.audit.recommendations for table in rec.tables]
    assert sorted(recommended) == EXPECTED["empty"]


def test_markdown_demo_in_a_temporary_folder_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["demo"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert list(tmp_path.iterdir()) == []
    for table, status in EXPECTED["tables"].items():
        if status == TableStatus.EMPTY.value:
            assert table in out


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "is not empty" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_a_failing_seed_script_reports_its_last_error_line(tmp_path: Path) -> None:
    package = tmp_path / "broken"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "seed.py").write_text(
        "import sys\nprint('seeding', file=sys.stderr)\nraise SystemExit('database is locked')\n",
        encoding="utf-8",
    )
    with pytest.raises(DbauditError, match=r"broken\.seed failed \(exit 1\): database is locked"):
        run_seed_script(tmp_path, "broken.seed", f"sqlite:///{tmp_path / 'x.db'}")


def test_a_failing_revision_is_one_error_and_leaves_no_import_behind(tmp_path: Path) -> None:
    backend = copy_backend(tmp_path)
    broken = next((backend / "alembic" / "versions").glob("f4a6b2c81d09_*.py"))
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("UPDATE user_roles", "UPDATE no_such_table"),
        encoding="utf-8",
    )
    path_before = list(sys.path)
    with pytest.raises(DbauditError, match="building the example database with Alembic failed"):
        upgrade_database(backend, f"sqlite:///{backend / DATABASE_FILE}")
    assert sys.path == path_before
    assert not [name for name in sys.modules if name == "app" or name.startswith("app.")]


def copy_backend(tmp_path: Path) -> Path:
    target = tmp_path / EXAMPLE
    shutil.copytree(EXAMPLE_ROOT, target, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return target / BACKEND


@pytest.mark.slow
def test_the_example_builds_seeds_and_purges_on_every_database(any_database: Any, tmp_path: Path) -> None:
    """Alembic upgrade head, the demo's seed scripts, then the purge script: SQLite, PostgreSQL, MariaDB."""
    backend = copy_backend(tmp_path)
    upgrade_database(backend, any_database.url)
    for module in SEED_MODULES:
        run_seed_script(backend, module, any_database.url)
    assert table_counts(any_database.url) == {
        **dict.fromkeys(EXPECTED["tables"], 0),
        **EXPECTED["row_counts"],
    }

    run_seed_script(backend, "app.scripts.seed_cleanup", any_database.url)
    kept = {name: n for name, n in table_counts(any_database.url).items() if n}
    # What remains is what the data revisions wrote and the shared tag catalogue (not mock).
    assert kept == {"alembic_version": 1, "users": 1, "user_roles": 6, "user_profiles": 1, "tags": 21}


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            quote = conn.dialect.identifier_preparer.quote
            return {
                name: conn.execute(text(f"SELECT COUNT(*) FROM {quote(name)}")).scalar_one() for name in names
            }
    finally:
        engine.dispose()
