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
