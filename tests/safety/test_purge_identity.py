"""The table or row the ledger names is no longer the one the seed wrote: purge must keep it.

* A ledger-only table (only integer columns: no column can carry a mark) dropped and re-created by "a
  migration" whose real rows reuse the mock ids, even with the very same values: purge keeps them (exit 1, the
  reason says re-created) and keeps their ledger entries.
* SQLite: the application deletes the mock row with the highest rowid and inserts a real row, which reuses
  that rowid: purge keeps the real row (exit 1) and, once the application deleted it, forgets the entry.
* A table renamed since the seed: refused for that table (exit 1) and kept; renamed back, purge finishes.
* The mark column dropped by a migration after the application adopted a mock row (cleared its mark): purge
  must not delete the adopted row (exit 1, the reason says the mark column is gone), nor the table's others.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.safety.purge_support import (
    Dbaudit,
    assert_checksum,
    assert_seeded,
    boolean,
    checksum,
    first_value,
    new_rows,
    row_values,
)

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

COUNTERS = "CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"


def _counters_and_labels(db: TestDatabase, cli: Dbaudit) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Create and seed ``counters`` (ledger only) and ``labels`` (marked); returns the pre-seed checksum and
    the mock rows of ``counters``."""
    db.execute(COUNTERS)
    db.execute("CREATE TABLE labels (id INTEGER PRIMARY KEY, title VARCHAR(40) NOT NULL)")
    before = checksum(db)
    assert_seeded(cli.seed("--rows", "3", "--seed", "2"), "counters", "labels")
    mock = new_rows(db, before)
    schema = db.schema or "main"
    assert len(mock.get(f"{schema}.counters", [])) == 3, mock
    assert len(mock.get(f"{schema}.labels", [])) == 3, mock
    return before, mock[f"{schema}.counters"]


def test_table_recreated_with_rows_reusing_mock_ids_is_kept(
    server_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = server_database
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before, mock = _counters_and_labels(db, cli)
    # A migration drops and re-creates counters and loads real rows that are, value for value, the mock rows.
    db.execute("DROP TABLE counters")
    db.execute(COUNTERS)
    for row in mock:
        values = row_values(row)
        db.execute("INSERT INTO counters (id, n) VALUES (:id, :n)", id=values[0], n=values[1])
    migrated = checksum(db)
    counters = f"{db.schema}.counters"
    expected = {**before, counters: migrated[counters]}

    purge = cli.purge()
    assert_checksum(db, expected, "purge deleted rows of a table re-created since the seed", run=purge)
    assert purge.code == 1, purge.describe()
    said = (purge.stdout + purge.stderr).lower().replace("-", "")
    assert "counters" in said and "recreated" in said, f"the reason should say re-created\n{purge.describe()}"
    assert "counters" in cli.ledger_listing(), "the ledger forgot the re-created table's entries"

    again = cli.purge()
    assert again.code == 1, again.describe()
    assert_checksum(db, expected, "a second purge must keep the re-created table too", run=again)


def test_sqlite_rowid_reused_by_a_real_row_is_kept(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = sqlite_database
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before, mock = _counters_and_labels(db, cli)
    highest = max(first_value(row) for row in mock)
    db.execute("DELETE FROM counters WHERE id = :id", id=highest)
    db.execute("INSERT INTO counters (n) VALUES (-424242)")
    assert db.scalar("SELECT id FROM counters WHERE n = -424242") == highest, "SQLite did not reuse the rowid"
    real = f"{(highest, -424242)!r}"
    expected = {**before, "main.counters": (real,)}

    purge = cli.purge()
    assert_checksum(
        db,
        expected,
        "purge must delete the mock rows and keep the real row that reuses a mock rowid",
        run=purge,
    )
    assert purge.code == 1, purge.describe()
    assert "counters" in purge.stdout, purge.describe()

    # The application deletes its row: the entry's row is really gone, purge forgets it.
    db.execute("DELETE FROM counters WHERE id = :id", id=highest)
    again = cli.purge()
    assert again.code == 0, again.describe()
    assert_checksum(db, before, "once the real row is gone, purge restores the pre-seed state", run=again)


def test_renamed_table_is_refused_and_kept_until_renamed_back(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before, mock = _counters_and_labels(db, cli)
    schema = db.schema or "main"
    db.execute("ALTER TABLE counters RENAME TO counters_renamed")
    expected = {k: v for k, v in before.items() if k != f"{schema}.counters"}
    expected[f"{schema}.counters_renamed"] = tuple(sorted(mock))

    purge = cli.purge()
    assert_checksum(db, expected, "purge must purge labels and keep the renamed table's rows", run=purge)
    assert purge.code == 1, (
        f"purge should refuse the renamed table (exit 1) and keep its ledger entries\n{purge.describe()}"
    )
    assert "counters" in purge.stdout, purge.describe()
    assert "counters" in cli.ledger_listing(), "the ledger forgot the renamed table's entries"

    db.execute("ALTER TABLE counters_renamed RENAME TO counters")
    again = cli.purge()
    assert again.code == 0, again.describe()
    assert_checksum(db, before, "renamed back, purge restores the pre-seed state", run=again)


def test_mark_column_dropped_after_adoption_keeps_the_table(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    db.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL,"
        f" is_mock BOOLEAN NOT NULL DEFAULT {boolean(db, False)})"
    )
    db.execute("CREATE TABLE labels (id INTEGER PRIMARY KEY, title VARCHAR(40) NOT NULL)")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    seeded = cli.seed("--rows", "4", "--seed", "4")
    assert_seeded(seeded, "items", "labels")
    assert "is_mock" in seeded.stdout, f"items should be marked through is_mock\n{seeded.describe()}"
    items = f"{db.schema or 'main'}.items"
    adopted = first_value(new_rows(db, before)[items][0])
    db.execute(f"UPDATE items SET is_mock = {boolean(db, False)} WHERE id = :id", id=adopted)
    db.execute("ALTER TABLE items DROP COLUMN is_mock")
    migrated = checksum(db)
    expected = {**before, items: migrated[items]}

    purge = cli.purge()
    assert_checksum(db, expected, "purge deleted rows of a table whose mark column is gone", run=purge)
    assert purge.code == 1, purge.describe()
    said = purge.stdout.lower()
    assert "items" in said and "is_mock" in said, (
        f"the reason should name the mark column\n{purge.describe()}"
    )
    assert any(word in said for word in ("gone", "dropped", "missing", "removed", "no longer")), (
        f"the reason should say the mark column is gone\n{purge.describe()}"
    )
    again = cli.purge()
    assert again.code == 1, f"the ledger should still hold items' entries\n{again.describe()}"
    assert_checksum(db, expected, "a second purge must keep items too", run=again)
