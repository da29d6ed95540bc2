"""Seeding safety: purge never takes a real row with it, and a protected environment refuses to be written.

* A real row that references a mock row (through ``ON DELETE CASCADE``, so a careless purge would delete the
  real row too) makes ``purge`` refuse, name the referencing table, and change nothing.
* ``[tool.dbaudit] protected = true``, or the database-side marker table ``dbaudit_protected``, makes ``seed``
  and ``purge`` refuse with exit 2 and a clear message, before anything is written.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from tests.safety.runner import assert_clean_failure, run_cli

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _create(db: TestDatabase) -> None:
    parent_id = (
        "id INTEGER PRIMARY KEY" if db.dialect == "sqlite" else "id INTEGER PRIMARY KEY AUTO_INCREMENT"
    )
    if db.dialect == "postgresql":
        parent_id = "id SERIAL PRIMARY KEY"
    db.execute(f"CREATE TABLE parents ({parent_id}, name VARCHAR(40) NOT NULL)")
    db.execute(
        "CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NULL, note VARCHAR(40),"
        " FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE)"
    )
    db.execute("INSERT INTO children (id, parent_id, note) VALUES (1, NULL, 'real, unattached')")


def _rows(db: TestDatabase, table: str) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {table}")))


@pytest.mark.slow
def test_purge_refuses_while_real_rows_reference_mock_rows(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _create(db)
    common = ["--url", db.url, "--project", str(tmp_path)]
    seeded = run_cli(["seed", "--missing", "--yes", "--rows", "3", "--seed", "1", *common], capfd)
    assert seeded.code == 0, seeded.describe()
    mock_parents = _rows(db, "parents")
    assert mock_parents, "seed --missing should have filled the empty parents table"
    # The application now adds a real row pointing at a mock parent.
    db.execute(
        "INSERT INTO children (id, parent_id, note) VALUES (2, :p, 'real, attached')", p=mock_parents[0][0]
    )
    children = _rows(db, "children")

    purge = run_cli(["purge", "--yes", *common], capfd)
    line = assert_clean_failure(purge)
    assert "children" in line, f"the refusal should name the referencing table: {line}"
    assert _rows(db, "parents") == mock_parents, "a refused purge must not delete anything"
    assert _rows(db, "children") == children

    # Once the real row lets go of the mock row, purge goes through and leaves the real rows alone.
    db.execute("UPDATE children SET parent_id = NULL WHERE id = 2")
    purge = run_cli(["purge", "--yes", *common], capfd)
    assert purge.code == 0, purge.describe()
    assert _rows(db, "parents") == []
    assert [r[0] for r in _rows(db, "children")] == [1, 2]


def test_seed_and_purge_without_yes_and_without_a_terminal_refuse(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = sqlite_database
    _create(db)
    common = ["--url", db.url, "--project", str(tmp_path)]
    line = assert_clean_failure(run_cli(["seed", "--missing", *common], capfd))
    assert "--yes" in line, line
    assert _rows(db, "parents") == []
    assert run_cli(["seed", "--missing", "--yes", "--rows", "2", *common], capfd).code == 0
    seeded = _rows(db, "parents")
    line = assert_clean_failure(run_cli(["purge", *common], capfd))
    assert "--yes" in line, line
    assert _rows(db, "parents") == seeded, "purge without --yes deleted rows"


def _protect_by_config(project: Path, db: TestDatabase) -> None:
    (project / "pyproject.toml").write_text("[tool.dbaudit]\nprotected = true\n", encoding="utf-8")


def _protect_in_database(project: Path, db: TestDatabase) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "app"\n', encoding="utf-8")
    db.execute("CREATE TABLE dbaudit_protected (reason VARCHAR(200))")
    db.execute("INSERT INTO dbaudit_protected (reason) VALUES ('production copy')")


@pytest.mark.slow
@pytest.mark.parametrize("protect", [_protect_by_config, _protect_in_database], ids=["config", "database"])
def test_protected_environment_refuses_seed_and_purge(
    any_database: TestDatabase, protect: object, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _create(db)
    project = tmp_path / "project"
    project.mkdir()
    # A mock row from before the environment was protected: purge must refuse to remove it as well.
    common = ["--url", db.url, "--project", str(project)]
    assert run_cli(["seed", "--missing", "--yes", "--rows", "2", *common], capfd).code == 0
    before = {t: _rows(db, t) for t in ("parents", "children")}
    protect(project, db)  # type: ignore[operator]
    db.execute("DELETE FROM children WHERE id = 1")
    before["children"] = _rows(db, "children")

    for args in (
        ["seed", "--missing", "--yes"],
        ["seed", "--tables", "children", "--yes"],
        ["purge", "--yes"],
    ):
        run = run_cli([*args, *common], capfd)
        line = assert_clean_failure(run)
        assert "protected" in line.lower(), line
        assert {t: _rows(db, t) for t in before} == before, f"{' '.join(args)} wrote to a protected database"


# ------------------------------------------------------------------------------------------------------------
# The seeder's no-loss property test runs at scale in CI


PROPERTY_TESTS = (
    "test_seed_then_purge_keeps_existing_rows_sqlite",
    "test_seed_then_purge_keeps_existing_rows_postgresql",
    "test_seed_then_purge_keeps_existing_rows_mysql",
)


def _load_as_ci(monkeypatch: pytest.MonkeyPatch) -> object:
    """The seeder's property-test module, imported afresh under CI's environment."""
    import importlib.util

    monkeypatch.setenv("DBAUDIT_REQUIRE_SERVERS", "1")
    monkeypatch.delenv("DBAUDIT_PROPERTY_EXAMPLES", raising=False)
    path = Path(__file__).resolve().parents[1] / "test_seed_property.py"
    assert path.is_file(), "the seeder's no-loss property test moved"
    spec = importlib.util.spec_from_file_location("_seed_property_as_ci", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_no_loss_property_runs_at_least_200_examples_in_ci_on_every_dialect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = _load_as_ci(monkeypatch)
    for name in PROPERTY_TESTS:
        test = getattr(module, name, None)
        assert test is not None, f"{name} is gone from tests/test_seed_property.py"
        chosen = getattr(test, "_hypothesis_internal_use_settings", None)
        assert chosen is not None, f"{name} is not a hypothesis test"
        assert chosen.max_examples >= 200, f"{name} runs only {chosen.max_examples} examples in CI"
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert "DBAUDIT_REQUIRE_SERVERS=1" in ci
    for value in re.findall(r"DBAUDIT_PROPERTY_EXAMPLES=\D*(\d+)", ci):
        assert int(value) >= 200, f".ci/run lowers the property examples to {value}"


@pytest.mark.slow
def test_purge_touches_only_rows_the_ledger_lists_that_still_carry_their_mark(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Look-alikes stay: a real row the application marked ``is_mock`` itself, a real row whose text starts
    with ``MOCK:``, and a mock row the application adopted (it cleared the mark) all survive the purge."""
    db = any_database
    false, true = ("0", "1") if db.dialect != "postgresql" else ("FALSE", "TRUE")
    db.execute(
        "CREATE TABLE flagged (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, is_mock BOOLEAN NOT NULL)"
    )
    db.execute("CREATE TABLE labelled (id INTEGER PRIMARY KEY, title VARCHAR(60) NOT NULL)")
    common = ["--url", db.url, "--project", str(tmp_path)]
    seeded = run_cli(["seed", "--missing", "--yes", "--rows", "4", "--seed", "3", *common], capfd)
    assert seeded.code == 0, seeded.describe()
    mock_flagged = _rows(db, "flagged")
    mock_labelled = _rows(db, "labelled")
    assert len(mock_flagged) == 4 and len(mock_labelled) == 4, seeded.describe()
    # The application's own rows, made to look like mock rows, and one mock row it adopted.
    db.execute(f"INSERT INTO flagged (id, name, is_mock) VALUES (1000, 'app demo row', {true})")
    db.execute("INSERT INTO labelled (id, title) VALUES (1000, 'MOCK: written by the application')")
    adopted = mock_flagged[0][0]
    db.execute(f"UPDATE flagged SET is_mock = {false} WHERE id = :id", id=adopted)

    purged = run_cli(["purge", "--yes", *common], capfd)
    assert purged.code == 0, purged.describe()
    assert [r[0] for r in _rows(db, "flagged")] == sorted([adopted, 1000])
    assert [r[0] for r in _rows(db, "labelled")] == [1000]
