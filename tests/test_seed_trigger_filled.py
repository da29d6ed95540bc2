"""A target table that another target's INSERT trigger fills (one ``balance`` row per ``signup``).

Seeding ``balance`` first (its name sorts first, no foreign key orders it) and then ``signup`` made the
trigger collide with the seeded balances, and ``signup`` failed as "rejected by the server".  The trigger's
target now comes after its source: with ``--allow-trigger-inserts`` the trigger fills it (its rows recorded in
the ledger and purged with the rest) and it is not seeded again; without, the source is skipped with the
reason code ``trigger-side-effects`` and the other table is seeded on its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.safety.purge_support import after_insert_trigger, assert_checksum, checksum, serial_id
from tests.safety.runner import run_cli

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _signup_balance(db: TestDatabase, balance_key: str = "serial") -> None:
    """``balance_key``: ``serial`` (numbered by the database) or ``plain`` (an integer key the trigger sets,
    like sakila's ``film_text.film_id``: no auto-numbered key tells the trigger's rows apart)."""
    key = serial_id(db) if balance_key == "serial" else "id INTEGER NOT NULL PRIMARY KEY"
    db.execute(f"CREATE TABLE signup ({serial_id(db)}, email VARCHAR(80) NOT NULL)")
    db.execute(f"CREATE TABLE balance ({key}, amount INTEGER NOT NULL)")
    db.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    after_insert_trigger(
        db, "signup_balance", "signup", "INSERT INTO balance (id, amount) VALUES (NEW.id, 0)"
    )


def _seed(
    db: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    run = run_cli(
        ["seed", "--missing", "--yes", "--rows", "3", "--format", "json", "--url", db.url,
         "--project", str(tmp_path), *extra],
        capfd,
    )  # fmt: skip
    assert run.code in (0, 1), run.describe()
    return run.code, json.loads(run.stdout)


def _count(db: TestDatabase, table: str) -> int:
    return int(db.scalar(f"SELECT count(*) FROM {table}") or 0)  # type: ignore[call-overload]


@pytest.mark.slow
@pytest.mark.parametrize("balance_key", ["serial", "plain"])
def test_the_trigger_fills_its_target_and_purge_removes_it(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str], balance_key: str
) -> None:
    db = any_database
    _signup_balance(db, balance_key)
    before = checksum(db)
    code, report = _seed(db, tmp_path, capfd, "--allow-trigger-inserts")
    assert code == 0, report["plan"]["skipped"]
    results = {r["table"].rsplit(".", 1)[-1]: r for r in report["results"]}
    assert results["signup"]["inserted"] == 3
    assert results["balance"]["seeder"] == "trigger" and results["balance"]["inserted"] == 3, results
    assert "signup" in results["balance"]["note"]
    assert _count(db, "balance") == 3, "the trigger's rows only: balance is not seeded a second time"
    assert db.scalar("SELECT count(*) FROM balance b JOIN signup s ON s.id = b.id") == 3

    purge = run_cli(["purge", "--yes", "--url", db.url, "--project", str(tmp_path)], capfd)
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "purge removes the trigger's rows with the seeded ones", run=purge)


@pytest.mark.slow
def test_without_allow_the_source_is_skipped_with_its_reason_code(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The negative case: the trigger may not write, so its table is skipped (not reported as a collision),
    and the table it would fill is seeded on its own."""
    db = any_database
    _signup_balance(db)
    code, report = _seed(db, tmp_path, capfd)
    assert code == 1
    skipped = {s["table"].rsplit(".", 1)[-1]: s for s in report["plan"]["skipped"]}
    assert set(skipped) == {"signup"}, skipped
    assert skipped["signup"]["code"] == "trigger-side-effects", skipped
    assert "balance" in skipped["signup"]["reason"]
    assert _count(db, "signup") == 0 and _count(db, "balance") == 3 and _count(db, "plain") == 3


def test_a_trigger_may_not_write_into_an_excluded_table(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """``--exclude`` is absolute, for triggers too: even with --allow-trigger-inserts."""
    db = sqlite_database
    _signup_balance(db)
    code, report = _seed(db, tmp_path, capfd, "--allow-trigger-inserts", "--exclude", "balance")
    assert code == 1
    skipped = {s["table"]: s for s in report["plan"]["skipped"]}
    assert skipped["signup"]["code"] == "trigger-side-effects" and "excluded" in skipped["signup"]["reason"]
    assert _count(db, "balance") == 0 and _count(db, "signup") == 0 and _count(db, "plain") == 3


def test_the_tables_a_trigger_inserts_into_are_read_from_its_text() -> None:
    from dbaudit.dialects.base import Dialect

    class Bodies(Dialect):
        def insert_trigger_bodies(self, conn: Any, tables: Any) -> list[tuple[str, str]]:
            return [
                ("a", "BEGIN INSERT INTO balance (id) VALUES (NEW.id); END"),
                ("b", 'INSERT OR IGNORE INTO "Audit Log" VALUES (1); REPLACE INTO `shop`.`stock` VALUES (2)'),
                ("c", "-- INSERT INTO commented_out\nUPDATE x SET y = 1 /* INSERT INTO nor_this */"),
                ("d", "BEGIN\n  insert into sales . ledger (n) select 1;\nEND"),
            ]

    found = Bodies().insert_trigger_targets(None, [])  # type: ignore[arg-type]
    assert found == {
        "a": {(None, "balance")},
        "b": {(None, "Audit Log"), ("shop", "stock")},
        "d": {("sales", "ledger")},
    }
