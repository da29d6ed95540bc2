"""The seeder's quick path on PostgreSQL: tables without triggers or rules are written without a savepoint
each and their ledger rows many tables to a statement; a table that would have needed its savepoint starts the
whole run over, table by table, and the outcome is the careful run's (same rows kept, every mock row in the
ledger, purge leaves the database as it was)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from dbaudit.seed import batch, guard
from dbaudit.seed import ledger as ledger_mod
from tests.seed_support import fingerprint, purge_all, seed, settings_for

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

pytestmark = pytest.mark.postgres


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every statement any engine sends while the test runs."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _schema(db: TestDatabase, tables: int) -> None:
    """Parents and children of every key kind the ledger records: an integer key (ranges), a text key,
    a composite key, rows marked by a prefix and rows the ledger alone marks; one real row."""
    db.execute("CREATE TABLE team (id serial PRIMARY KEY, name text NOT NULL)")
    db.execute("INSERT INTO team (name) VALUES ('real team')")
    db.execute("CREATE TABLE country (code char(2) PRIMARY KEY, population int NOT NULL)")
    db.execute(
        "CREATE TABLE membership (team int NOT NULL REFERENCES team, country char(2) NOT NULL"
        " REFERENCES country, since date NOT NULL, PRIMARY KEY (team, country))"
    )
    for n in range(tables):
        db.execute(
            f"CREATE TABLE item_{n} (id bigserial PRIMARY KEY, team int NOT NULL REFERENCES team,"
            f" amount numeric(8, 2) NOT NULL, seen timestamptz NOT NULL)"
        )


def _ledger_counts(db: TestDatabase) -> tuple[int, int]:
    sets = db.scalar(f"SELECT count(*) FROM {ledger_mod.LEDGER_TABLES}")
    rows = db.scalar(f"SELECT sum(coalesce(key_hi - key_lo + 1, 1)) FROM {ledger_mod.LEDGER_TABLE}")
    return int(sets), int(rows)  # type: ignore[call-overload]


@pytest.mark.parametrize("copied", [False, True], ids=["inserted-with-ledger", "copied-then-recorded"])
def test_tables_without_triggers_take_no_savepoint_and_share_their_ledger_statements(
    pg_schema: TestDatabase,
    tmp_path: Path,
    statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
    copied: bool,
) -> None:
    """Small tables go in with their ledger rows, many to a statement; larger ones by COPY each, their
    ledger rows written together afterwards."""
    if copied:
        monkeypatch.setattr(guard, "BATCH_ROWS", 3)
    db = pg_schema
    _schema(db, 30)
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine, db.schema)
    statements.clear()
    report = seed(settings, missing=True, rows=4, seed=3)
    assert report.plan.skipped == ()
    filled = {r.table.split(".")[-1]: r.inserted for r in report.results}
    assert len(filled) == 32 and set(filled.values()) == {4}  # team holds a real row: not seeded
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
    ledger_writes = [s for s in statements if "INSERT INTO dbaudit_ledger" in s]
    together = [s for s in statements if "dbaudit_p31 AS" in s]  # the rows of 32 tables
    if copied:  # by COPY (the driver's, not a statement here); sets, key ranges, rows read back
        assert not together and len(ledger_writes) <= 3, ledger_writes
    else:  # one statement: every table's rows and ledger rows
        assert together == ledger_writes and len(together) == 1
    assert _ledger_counts(db) == (32, 32 * 4)
    purge_all(settings)
    assert fingerprint(db.engine, db.schema) == before


def test_a_row_refused_without_a_trigger_starts_the_run_over_table_by_table(
    pg_schema: TestDatabase, tmp_path: Path, statements: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A unique index on an expression the seeder cannot read lets one row in: the quick attempt's COPY
    fails, the attempt is rolled back whole, and the careful run keeps the one row the server accepts."""
    db = pg_schema
    _schema(db, 3)
    db.execute("CREATE UNIQUE INDEX one_item ON item_1 ((true))")
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine, db.schema)
    statements.clear()
    with caplog.at_level(logging.INFO, logger="dbaudit.seed"):
        report = seed(settings, missing=True, rows=4, seed=3)
    assert "starting over table by table: " in caplog.text and "one_item" in caplog.text, caplog.text
    by_name = {r.table.split(".")[-1]: r for r in report.results}
    assert by_name["item_1"].inserted == db.scalar("SELECT count(*) FROM item_1") == 1
    assert (by_name["item_1"].note or "").startswith("4 asked, 1 possible (the server rejected a row: ")
    assert {n: r.inserted for n, r in by_name.items() if n != "item_1"} == dict.fromkeys(
        ["country", "membership", "item_0", "item_2"], 4
    )
    assert [s for s in statements if "SAVEPOINT" in s.upper()]  # the careful run
    assert _ledger_counts(db) == (5, 4 * 4 + 1)  # nothing of the first attempt is left in the ledger
    purge_all(settings)
    assert fingerprint(db.engine, db.schema) == before


@pytest.mark.parametrize("copied", [False, True], ids=["inserted-with-ledger", "copied-then-recorded"])
def test_rows_not_found_again_as_inserted_start_the_run_over(
    pg_schema: TestDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    statements: list[str],
    copied: bool,
) -> None:
    """When the ledger finds fewer rows than the quick attempt wrote (what a rewriting trigger would cause),
    the attempt goes back whole: no row of it is left, the careful run records every row once."""
    db = pg_schema
    _schema(db, 3)
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine, db.schema)
    calls = []
    if copied:
        monkeypatch.setattr(guard, "BATCH_ROWS", 3)
        real = ledger_mod.LedgerWriter.record_sets

        def short_once(self: ledger_mod.LedgerWriter, pending: Any) -> list[tuple[int, int]]:
            recorded = real(self, pending)
            calls.append(len(pending))
            return [(set_id, found - (len(calls) == 1)) for set_id, found in recorded]

        monkeypatch.setattr(ledger_mod.LedgerWriter, "record_sets", short_once)
    else:
        real_batch = batch.write_batch

        def short_batch(*args: Any) -> list[tuple[int, int, int]]:
            written = real_batch(*args)
            calls.append(len(written))
            return [(set_id, inserted, found - (len(calls) == 1)) for set_id, inserted, found in written]

        monkeypatch.setattr(batch, "write_batch", short_batch)
    statements.clear()
    report = seed(settings, missing=True, rows=4, seed=3)
    assert len(calls) == 1  # the careful run records table by table, inside each table's savepoint
    assert [s for s in statements if "SAVEPOINT" in s.upper()]
    assert {r.inserted for r in report.results} == {4} and len(report.results) == 5
    for table in ("country", "membership", "item_0", "item_1", "item_2"):
        assert db.scalar(f"SELECT count(*) FROM {table}") == 4
    assert _ledger_counts(db) == (5, 20)
    purge_all(settings)
    assert fingerprint(db.engine, db.schema) == before


@pytest.mark.mysql
def test_a_dry_run_that_starts_over_on_mariadb_keeps_its_temporary_ledger_and_writes_nothing(
    mysql_database: TestDatabase, tmp_path: Path
) -> None:
    """MariaDB makes a dry run's ledger a temporary table, which a rollback does not drop: the careful
    run after a refused row goes on with it (creating it again would fail), and nothing is left."""
    db = mysql_database
    db.execute("CREATE TABLE note (id int AUTO_INCREMENT PRIMARY KEY, body varchar(40) NOT NULL)")
    db.execute(
        "CREATE TABLE vote (id int AUTO_INCREMENT PRIMARY KEY, score int NOT NULL,"
        " one tinyint AS (1) PERSISTENT, UNIQUE KEY one_vote (one))"
    )
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine)
    report = seed(settings, missing=True, rows=3, seed=1, dry_run=True)
    by_name = {r.table.split(".")[-1]: r.inserted for r in report.results}
    assert by_name == {"note": 3, "vote": 1}
    assert fingerprint(db.engine) == before
