"""Keyless tables (no primary or unique key, no mark column): purge removes at most as many rows of each value
as the seed inserted, so the table ends as a multiset exactly as before the seed.  JSON columns compare by
their text and NULLs equal NULLs for this purpose; such a table must neither fail the purge nor be skipped by
it while other tables go.  The JSON table here has no text column, so it has no mark either: the ledger is
all purge has to go on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from tests.safety.purge_support import (
    Dbaudit,
    assert_checksum,
    assert_seeded,
    checksum,
    new_rows,
)

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def test_keyless_link_table_keeps_real_rows_equal_to_mock_rows(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """One role and three permissions exist, so every seeded grant duplicates one of the three real grants."""
    db = any_database
    db.execute("CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL)")
    db.execute("CREATE TABLE perms (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL)")
    db.execute(
        "CREATE TABLE grants (role_id INTEGER NOT NULL, perm_id INTEGER NOT NULL,"
        " FOREIGN KEY (role_id) REFERENCES roles (id), FOREIGN KEY (perm_id) REFERENCES perms (id))"
    )
    db.execute("INSERT INTO roles (id, name) VALUES (1, 'admin')")
    db.execute("INSERT INTO perms (id, name) VALUES (1, 'read'), (2, 'write'), (3, 'delete')")
    db.execute("INSERT INTO grants (role_id, perm_id) VALUES (1, 1), (1, 2), (1, 3)")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    assert_seeded(cli.seed("--tables", "grants", "--rows", "6", "--seed", "5"), "grants")
    seeded = new_rows(db, before)
    grants = f"{db.schema or 'main'}.grants"
    assert len(seeded.get(grants, [])) == 6, seeded
    assert set(seeded) == {grants}, f"the seed reused the real roles and perms: {seeded}"

    purge = cli.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "the 3 real grants must survive purging 6 identical mock grants", run=purge)


def _json_type(db: TestDatabase) -> str:
    return "json" if db.dialect == "postgresql" else "JSON"


def test_keyless_table_with_json_and_nulls_is_purged_and_does_not_fail_the_others(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    db.execute(f"CREATE TABLE events (payload {_json_type(db)} NULL, amount INTEGER NULL, qty INTEGER NULL)")
    db.execute("INSERT INTO events (payload, amount, qty) VALUES ('{\"a\": 1}', 5, NULL)")
    db.execute("INSERT INTO events (payload, amount, qty) VALUES (NULL, NULL, NULL)")
    db.execute("CREATE TABLE shelves (id INTEGER PRIMARY KEY, label VARCHAR(20) NOT NULL)")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    assert_seeded(cli.seed("--tables", "events,shelves", "--rows", "25", "--seed", "11"), "events", "shelves")
    seeded = new_rows(db, before)
    schema = db.schema or "main"
    assert len(seeded.get(f"{schema}.events", [])) == 25, seeded
    assert seeded.get(f"{schema}.shelves"), seeded
    assert any("None" in row for row in seeded[f"{schema}.events"]), "no seeded event has a NULL"

    purge = cli.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "keyless JSON/NULL rows and the other table must all be purged", run=purge)


@pytest.mark.postgres
def test_keyless_rows_a_trigger_rewrites_are_never_left_unrecorded(
    pg_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A keyless table's rows are found again by their whole content to be recorded: a row stored otherwise
    than inserted (a trigger rewrote a value, a JSON column stored None as the JSON text null) cannot be, and
    would stay behind for good once the ledger is purged.  The table is rolled back and skipped instead."""
    db = pg_database
    db.execute("CREATE TABLE readings (sensor VARCHAR(20) NULL, level INTEGER NULL)")
    db.execute("INSERT INTO readings (sensor, level) VALUES ('real', 7)")
    db.execute(
        "CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN NEW.level := coalesce(NEW.level, 0) + 1000; RETURN NEW; END $$;"
        " CREATE TRIGGER bump BEFORE INSERT ON readings FOR EACH ROW EXECUTE FUNCTION bump()"
    )
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    run = cli.seed("--tables", "readings", "--rows", "5", "--allow-trigger-inserts")
    assert run.code == 1, run.describe()
    assert "readings" in run.stdout and "are not stored as they were inserted" in run.stdout, run.describe()
    assert_checksum(db, before, "a keyless table whose rows cannot be recorded is rolled back", run=run)
    purge = cli.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "nothing to purge, nothing lost", run=purge)


def test_unmarked_self_referencing_rows_released_by_purge_are_still_purged(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A table with no mark column is purged by the recorded text of every column; purge first sets its
    self-reference to NULL so the doomed rows let go of each other.  Those rows must still count as the rows
    the ledger recorded (they were left behind, and blocked the purge of their parents, before)."""
    db = any_database
    db.execute("CREATE TABLE plans (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)")
    db.execute(
        "CREATE TABLE nodes (id INTEGER PRIMARY KEY, plan_id INTEGER NOT NULL REFERENCES plans (id),"
        " parent_id INTEGER NULL REFERENCES nodes (id), weight INTEGER NOT NULL)"
    )
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    assert_seeded(cli.seed("--tables", "nodes", "--rows", "12", "--seed", "3"), "nodes", "plans")
    with db.engine.connect() as conn:
        linked = conn.execute(text("SELECT count(*) FROM nodes WHERE parent_id IS NOT NULL")).scalar()
    assert linked, "the seed should build a tree (some rows with a parent)"
    purge = cli.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "every seeded node and plan is purged, the tree included", run=purge)
