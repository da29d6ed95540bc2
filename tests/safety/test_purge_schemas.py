"""Where the ledger lives and what ``--schema`` / ``--tables`` select.

One ledger per database, in the connection's default schema, whatever ``--schema`` seed or purge get: so a
purge finds the seed's rows however the schema is (or is not) named, ``--tables s1.items`` means exactly that
table and nothing of the same name elsewhere, and a run that inserted nothing leaves no ``dbaudit_*`` table.
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
    dbaudit_tables,
    new_rows,
    quote,
)

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

ITEMS = "(id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)"


def test_seed_in_the_default_schema_then_purge_naming_it(
    server_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = server_database
    assert db.schema is not None
    db.execute(f"CREATE TABLE items {ITEMS}")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    assert_seeded(cli.seed("--rows", "3"), "items")
    assert new_rows(db, before), "the seed should have filled items"
    purge = cli.purge("--schema", db.schema)
    assert purge.code == 0, purge.describe()
    assert_checksum(
        db, before, "purge --schema <the default schema> after a seed without --schema", run=purge
    )
    assert not dbaudit_tables(db), "the emptied ledger should be gone"


def test_seed_naming_the_schema_then_purge_without_schema(
    server_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = server_database
    assert db.schema is not None
    db.execute(f"CREATE TABLE items {ITEMS}")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    assert_seeded(cli.seed("--rows", "3", "--schema", db.schema), "items")
    assert new_rows(db, before), "the seed should have filled items"
    purge = cli.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "purge without --schema after seed --schema <the default schema>", run=purge)
    assert not dbaudit_tables(db), "the emptied ledger should be gone"


def test_purge_tables_with_a_schema_leaves_the_same_name_in_another_schema_alone(
    database_and_other: tuple[TestDatabase, str], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db, other = database_and_other
    assert db.schema is not None
    db.execute(f"CREATE TABLE items {ITEMS}")
    db.execute(f"CREATE TABLE {quote(db, other, 'items')} {ITEMS}")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db, other)
    assert_seeded(cli.seed("--rows", "3", "--schema", db.schema, "--schema", other), "items")
    added = new_rows(db, before, other)
    assert set(added) == {f"{db.schema}.items", f"{other}.items"}, (
        f"both items tables should be seeded: {added}"
    )
    during = checksum(db, other)

    purge = cli.purge("--tables", f"{db.schema}.items")
    assert purge.code == 0, purge.describe()
    expected = {**before, f"{other}.items": during[f"{other}.items"]}
    assert_checksum(
        db, expected, f"purge --tables {db.schema}.items must purge exactly that table", other, run=purge
    )

    rest = cli.purge()
    assert rest.code == 0, rest.describe()
    assert_checksum(db, before, "a purge of everything the ledger holds", other, run=rest)
    assert not dbaudit_tables(db, other), "the emptied ledger should be gone"


def test_a_run_that_inserts_nothing_leaves_no_ledger_table(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    db.execute(f"CREATE TABLE items {ITEMS}")
    db.execute("INSERT INTO items (id, name) VALUES (1, 'real')")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    run = cli.seed("--rows", "3")
    assert run.code == 0, run.describe()
    assert_checksum(db, before, "seed --missing with no empty table changed rows", run=run)
    assert not dbaudit_tables(db), f"a run that inserted nothing left {dbaudit_tables(db)}\n{run.describe()}"
