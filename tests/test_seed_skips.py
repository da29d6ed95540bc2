"""A table that cannot be filled never aborts the run: it is rolled back to its savepoint with the tables
that need it, listed with a reason code and the database's own message, and the rest commits.

Exit codes: 0 every target table filled, 1 some skipped, 2 the run could not start; ``--strict`` keeps the
old all-or-nothing (exit 2, nothing committed).  ``--dry-run`` shows the same skips.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.safety.runner import assert_clean_failure, run_cli
from tests.seed_support import fingerprint

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _refusing_trigger(db: TestDatabase) -> None:
    """``street`` refuses every row (a rule the seeder cannot know), ``house`` needs a street, ``city`` and
    ``shop`` are fine."""
    db.execute("CREATE TABLE city (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    db.execute(
        "CREATE TABLE street (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL,"
        " city_id INTEGER NOT NULL REFERENCES city (id))"
    )
    db.execute(
        "CREATE TABLE house (id INTEGER PRIMARY KEY, num INTEGER NOT NULL,"
        " street_id INTEGER NOT NULL REFERENCES street (id))"
    )
    db.execute("CREATE TABLE shop (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    if db.dialect == "sqlite":
        db.execute(
            "CREATE TRIGGER no_streets BEFORE INSERT ON street"
            " BEGIN SELECT RAISE(ABORT, 'streets are closed'); END"
        )
    elif db.dialect == "postgresql":
        db.execute(
            "CREATE FUNCTION no_streets() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'streets are closed'; END $$"
        )
        db.execute(
            "CREATE TRIGGER no_streets BEFORE INSERT ON street FOR EACH ROW EXECUTE FUNCTION no_streets()"
        )
    else:
        db.execute(
            "CREATE TRIGGER no_streets BEFORE INSERT ON street FOR EACH ROW"
            " SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'streets are closed'"
        )


def _count(db: TestDatabase, table: str) -> int:
    return int(db.scalar(f"SELECT count(*) FROM {table}") or 0)  # type: ignore[call-overload]


def test_a_failing_table_is_skipped_with_its_dependants_and_the_rest_commits(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _refusing_trigger(db)
    common = ["--url", db.url, "--project", str(tmp_path)]
    run = run_cli(["seed", "--missing", "--yes", "--rows", "3", "--format", "json", *common], capfd)
    assert run.code == 1, run.describe()
    report = json.loads(run.stdout)
    skipped = {s["table"].rsplit(".", 1)[-1]: s for s in report["plan"]["skipped"]}
    assert set(skipped) == {"street", "house"}, skipped
    assert skipped["street"]["code"] == "rejected-by-server"
    assert "streets are closed" in skipped["street"]["reason"]
    assert skipped["house"]["code"] == "parent-skipped"
    assert _count(db, "city") == 3 and _count(db, "shop") == 3, "the other tables commit"
    assert _count(db, "street") == 0 and _count(db, "house") == 0

    text_run = run_cli(["seed", "--missing", "--yes", "--rows", "3", *common], capfd)
    assert text_run.code == 1 and "[rejected-by-server]" in text_run.stdout, text_run.describe()

    purge = run_cli(["purge", "--yes", *common], capfd)
    assert purge.code == 0, purge.describe()


def test_dry_run_shows_the_same_skips_and_writes_nothing(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = sqlite_database
    _refusing_trigger(db)
    before = fingerprint(db.engine)
    common = ["--url", db.url, "--project", str(tmp_path)]
    run = run_cli(["seed", "--missing", "--dry-run", "--rows", "3", "--format", "json", *common], capfd)
    assert run.code == 1, run.describe()
    skipped = {s["table"]: s["code"] for s in json.loads(run.stdout)["plan"]["skipped"]}
    assert skipped == {"street": "rejected-by-server", "house": "parent-skipped"}
    assert fingerprint(db.engine) == before


def test_strict_keeps_all_or_nothing(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _refusing_trigger(db)
    before = fingerprint(db.engine)
    common = ["--url", db.url, "--project", str(tmp_path)]
    line = assert_clean_failure(
        run_cli(["seed", "--missing", "--yes", "--strict", "--rows", "3", *common], capfd)
    )
    assert "street" in line and "streets are closed" in line and "nothing was committed" in line, line
    assert fingerprint(db.engine) == before


def test_exit_codes(sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    db = sqlite_database
    db.execute("CREATE TABLE shop (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    common = ["--url", db.url, "--project", str(tmp_path)]
    assert run_cli(["seed", "--missing", "--yes", "--rows", "2", *common], capfd).code == 0
    assert run_cli(["seed", "--missing", "--yes", *common], capfd).code == 0, (
        "nothing left to fill is success"
    )
    missing = ["--url", f"sqlite:///{tmp_path / 'nope.db'}", "--project", str(tmp_path)]
    assert_clean_failure(run_cli(["seed", "--missing", "--yes", *missing], capfd))
