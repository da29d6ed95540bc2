"""A foreign-key cycle with no nullable key on MariaDB/MySQL (pagila's store <-> staff, NOT NULL both ways).

MariaDB can neither defer a foreign key nor check a cycle at the end of one statement: the cycle is written
inside its savepoint with the session's ``foreign_key_checks`` off, switched back on straight after (also on
error), and every foreign key of the written rows is verified by a query before the savepoint is kept.  A row
pointing nowhere rolls the whole cycle back and skips it (``foreign-key-violation``); the rest commits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from dbaudit.dialects.mysql import MySQLDialect
from tests.safety.runner import run_cli
from tests.seed_support import fingerprint, purge_all, seed, settings_for

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

pytestmark = [pytest.mark.mysql, pytest.mark.slow]


def _store_staff(db: TestDatabase) -> None:
    db.execute("CREATE TABLE address (address_id INT AUTO_INCREMENT PRIMARY KEY, line VARCHAR(50) NOT NULL)")
    db.execute(
        "CREATE TABLE store (store_id INT AUTO_INCREMENT PRIMARY KEY, manager_staff_id INT NOT NULL,"
        " address_id INT NOT NULL, UNIQUE KEY (manager_staff_id),"
        " FOREIGN KEY (address_id) REFERENCES address (address_id))"
    )
    db.execute(
        "CREATE TABLE staff (staff_id INT AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(45) NOT NULL,"
        " store_id INT NOT NULL, FOREIGN KEY (store_id) REFERENCES store (store_id))"
    )
    db.execute(
        "ALTER TABLE store ADD CONSTRAINT fk_store_staff FOREIGN KEY (manager_staff_id)"
        " REFERENCES staff (staff_id)"
    )
    db.execute(
        "CREATE TABLE rental (rental_id INT AUTO_INCREMENT PRIMARY KEY, staff_id INT NOT NULL,"
        " FOREIGN KEY (staff_id) REFERENCES staff (staff_id))"
    )
    db.execute("CREATE TABLE note (note_id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(50) NOT NULL)")


def _orphans(db: TestDatabase) -> int:
    return int(
        db.scalar(  # type: ignore[call-overload]
            "SELECT (SELECT count(*) FROM store s LEFT JOIN staff m ON m.staff_id = s.manager_staff_id"
            " WHERE m.staff_id IS NULL) + (SELECT count(*) FROM staff f LEFT JOIN store s"
            " ON s.store_id = f.store_id WHERE s.store_id IS NULL)"
        )
        or 0
    )


def test_the_cycle_is_written_unchecked_verified_and_purged(
    mysql_database: TestDatabase, tmp_path: Path
) -> None:
    db = mysql_database
    _store_staff(db)
    before = fingerprint(db.engine)
    settings = settings_for(db, tmp_path)
    report = seed(settings, missing=True, rows=4, seed=3)
    (cycle,) = report.plan.cycles
    assert set(cycle.tables) == {"store", "staff"}
    assert cycle.method == "unchecked", "the cycle is no longer planned as unbreakable"
    assert not report.plan.skipped, report.plan.skipped
    filled = {r.table.rsplit(".", 1)[-1]: r.inserted for r in report.results}
    assert filled == {"address": 4, "store": 4, "staff": 4, "rental": 4, "note": 4}, filled
    assert _orphans(db) == 0, "every store's manager and every staff member's store exist"
    purge_all(settings)
    assert fingerprint(db.engine) == before, "purge deletes the cycle and restores the exact rows"


def test_a_row_pointing_nowhere_rolls_the_cycle_back_and_is_reported(
    mysql_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The negative case: a trigger moves each staff member to a store that does not exist.  With the
    checks off the server would take it; the verification query finds it before the commit."""
    db = mysql_database
    _store_staff(db)
    db.execute(
        "CREATE TRIGGER lost_staff BEFORE INSERT ON staff FOR EACH ROW"
        " SET NEW.store_id = NEW.store_id + 100000"
    )
    run = run_cli(
        ["seed", "--missing", "--yes", "--rows", "3", "--format", "json", "--url", db.url,
         "--project", str(tmp_path)],
        capfd,
    )  # fmt: skip
    assert run.code == 1, run.describe()
    skipped = {s["table"].rsplit(".", 1)[-1]: s for s in json.loads(run.stdout)["plan"]["skipped"]}
    assert set(skipped) == {"store", "staff", "rental"}, skipped
    codes = sorted(s["code"] for s in skipped.values())
    assert codes == ["foreign-key-violation", "parent-skipped", "parent-skipped"], skipped
    violation = next(s for s in skipped.values() if s["code"] == "foreign-key-violation")
    assert "refer to no row of store" in violation["reason"], violation
    for table in ("store", "staff", "rental"):
        assert db.scalar(f"SELECT count(*) FROM {table}") == 0, f"{table} rolled back"
    assert db.scalar("SELECT count(*) FROM address") == 3 and db.scalar("SELECT count(*) FROM note") == 3


def test_foreign_key_checks_come_back_on_even_on_error(mysql_database: TestDatabase) -> None:
    dialect = MySQLDialect()
    with mysql_database.engine.connect() as conn:
        with pytest.raises(RuntimeError), dialect.foreign_key_checks_off(conn):
            assert conn.execute(text("SELECT @@session.foreign_key_checks")).scalar() == 0
            raise RuntimeError("boom")
        assert conn.execute(text("SELECT @@session.foreign_key_checks")).scalar() == 1


def test_purge_checks_the_keys_into_the_cycle_after_deleting_it_unchecked(
    mysql_database: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind purge's reference check: with that check made blind (a fault injected), a real row pointing at
    a mock staff member is still found after the cycle's unchecked delete, and nothing is deleted."""
    import importlib

    from dbaudit.errors import SeedError

    purge_module = importlib.import_module("dbaudit.seed.purge")  # the package exports a function "purge"

    db = mysql_database
    _store_staff(db)
    settings = settings_for(db, tmp_path)
    seed(settings, missing=True, rows=2, seed=3)
    db.execute("INSERT INTO rental (staff_id) SELECT min(staff_id) FROM staff")
    before = fingerprint(db.engine, skip=("dbaudit_ledger",))
    monkeypatch.setattr(purge_module, "_blocking", lambda *args, **kwargs: [])
    with pytest.raises(SeedError, match=r"would leave .*rental refer to no row of staff"):
        purge_all(settings)
    assert fingerprint(db.engine, skip=("dbaudit_ledger",)) == before, "nothing deleted"
    assert _orphans(db) == 0
