"""Triggers on seeded tables: side effects on other tables are never left behind.

* An AFTER INSERT trigger that UPDATEs real rows of another table: the table is skipped with the reason
  ``trigger side effects`` (rolled back to its savepoint), the real rows are unchanged, always, even with
  ``--allow-trigger-inserts``.
* An AFTER INSERT trigger that INSERTs audit rows into another table: skipped the same way by default, no
  audit row left behind; with ``--allow-trigger-inserts`` the table is seeded, the audit rows are recorded
  and purge removes them with the rest (back to the checksum).
* A BEFORE INSERT trigger that rewrites the mark column: never orphaned rows, either skipped or purged fully.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.safety.purge_support import (
    Dbaudit,
    after_insert_trigger,
    assert_checksum,
    assert_option_known,
    assert_seeded,
    boolean,
    checksum,
    differences,
    new_rows,
    serial_id,
    skip_reason,
)
from tests.safety.runner import Run

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

SIDE_EFFECTS = "trigger side effects"


def _shop(db: TestDatabase) -> None:
    """``orders`` (empty) takes stock from real ``inventory`` rows; ``payments`` (empty) writes ``audit_log``
    (which has a real row, so no seed targets it); ``plain`` (empty) has no trigger."""
    db.execute("CREATE TABLE inventory (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL)")
    db.execute("INSERT INTO inventory (id, qty) VALUES (1, 100), (2, 50)")
    db.execute(f"CREATE TABLE audit_log ({serial_id(db)}, msg VARCHAR(80) NOT NULL)")
    db.execute("INSERT INTO audit_log (msg) VALUES ('real audit row')")
    db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item VARCHAR(40) NOT NULL)")
    db.execute("CREATE TABLE payments (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)")
    db.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    after_insert_trigger(db, "orders_take_stock", "orders", "UPDATE inventory SET qty = qty - 1 WHERE id = 1")
    after_insert_trigger(db, "payments_audit", "payments", "INSERT INTO audit_log (msg) VALUES ('payment')")


def _assert_skipped_for_side_effects(run: Run, table: str) -> None:
    reason = skip_reason(run, table)
    assert reason is not None and SIDE_EFFECTS in reason, (
        f"{table} should be skipped with the reason '{SIDE_EFFECTS}'\n{run.describe()}"
    )


def test_trigger_side_effects_skip_the_table_and_leave_nothing_behind(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _shop(db)
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    seeded = cli.seed("--rows", "3")
    schema = db.schema or "main"
    untouched = {k: v for k, v in before.items() if not k.endswith(".plain")}
    after = {k: v for k, v in checksum(db).items() if not k.endswith(".plain")}
    if after != untouched:
        pytest.fail(
            f"the seed left trigger side effects behind:\n{differences(after, untouched)}"
            f"\n{seeded.describe()}"
        )
    assert_seeded(seeded, "plain")
    assert new_rows(db, before).get(f"{schema}.plain"), "the table without a trigger should be seeded"
    _assert_skipped_for_side_effects(seeded, "orders")
    _assert_skipped_for_side_effects(seeded, "payments")

    purge = cli.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "purge after a seed with skipped trigger tables", run=purge)


def test_allow_trigger_inserts_lets_audit_rows_in_and_purges_them(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _shop(db)
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    seeded = cli.seed("--rows", "3", "--allow-trigger-inserts")
    assert_option_known(seeded, "--allow-trigger-inserts")
    schema = db.schema or "main"
    added = new_rows(db, before)
    assert added.get(f"{schema}.payments"), f"payments should be seeded\n{seeded.describe()}"
    assert len(added.get(f"{schema}.audit_log", [])) == len(added[f"{schema}.payments"]), (
        f"one audit row per payment\n{added}"
    )
    key = f"{schema}.inventory"
    assert checksum(db)[key] == before[key], f"the UPDATE trigger changed real rows\n{seeded.describe()}"
    _assert_skipped_for_side_effects(seeded, "orders")

    purge = cli.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "purge must remove the trigger's audit rows with the mock rows", run=purge)


def test_trigger_that_rewrites_the_mark_never_orphans_rows(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    false = boolean(db, False)
    db.execute(
        "CREATE TABLE flags (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL,"
        f" is_mock BOOLEAN NOT NULL DEFAULT {false})"
    )
    if db.dialect == "postgresql":
        db.execute(
            "CREATE FUNCTION flags_unmark() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN NEW.is_mock := FALSE; RETURN NEW; END $$"
        )
        db.execute(
            "CREATE TRIGGER flags_unmark BEFORE INSERT ON flags FOR EACH ROW EXECUTE FUNCTION flags_unmark()"
        )
    elif db.dialect == "mysql":
        db.execute("CREATE TRIGGER flags_unmark BEFORE INSERT ON flags FOR EACH ROW SET NEW.is_mock = 0")
    else:
        # SQLite cannot assign NEW: the same effect, the stored row without its mark, from an AFTER trigger.
        db.execute(
            "CREATE TRIGGER flags_unmark AFTER INSERT ON flags BEGIN"
            " UPDATE flags SET is_mock = 0 WHERE id = NEW.id; END"
        )
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    seeded = cli.seed("--rows", "3")
    assert seeded.code in (0, 1), seeded.describe()
    added = new_rows(db, before)
    if not added:
        _assert_skipped_for_side_effects(seeded, "flags")
    purge = cli.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "rows whose mark a trigger rewrote were left behind by purge", run=purge)


@pytest.mark.postgres
def test_a_trigger_on_a_partition_is_seen_from_its_partitioned_table(
    pg_schema: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Rows seeded into a partitioned table land in its partitions, whose own triggers then run: the table
    is watched like one with a trigger of its own."""
    db = pg_schema
    db.execute("CREATE TABLE inventory (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL)")
    db.execute("INSERT INTO inventory (id, qty) VALUES (1, 100)")
    db.execute(
        "CREATE TABLE reading (id INTEGER NOT NULL, taken DATE NOT NULL, PRIMARY KEY (id, taken))"
        " PARTITION BY RANGE (taken)"
    )
    db.execute(
        "CREATE TABLE reading_all PARTITION OF reading FOR VALUES FROM ('1900-01-01') TO ('2200-01-01')"
    )
    db.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    after_insert_trigger(db, "reading_takes_stock", "reading_all", "UPDATE inventory SET qty = qty - 1")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    seeded = cli.seed("--rows", "3")
    assert_seeded(seeded, "plain")
    _assert_skipped_for_side_effects(seeded, "reading")
    assert db.scalar("SELECT qty FROM inventory") == 100
    assert {k: v for k, v in checksum(db).items() if not k.endswith(".plain")} == {
        k: v for k, v in before.items() if not k.endswith(".plain")
    }
