"""Purge is set-based: its work is a few statements per table, whatever the number of mock rows.

A purge that checked references chunk by chunk ran for over ten minutes on a million rows when the referencing
column had no index (a sequential scan of the referencing table per chunk).  Here the statements purge sends
are counted while it removes 300 and then 3,000 mock rows from a table that a table of real rows refers to
through an unindexed column: the count must not grow with the rows, and every real row must survive.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import event

from tests.seed_support import fingerprint, purge_all, seed, settings_for

# slow: seeds and purges thousands of rows to count statements
pytestmark = pytest.mark.slow

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _statements_of_purge(db: TestDatabase, tmp_path: Path, rows: int) -> int:
    db.execute(
        "CREATE TABLE account (id INTEGER PRIMARY KEY, name VARCHAR(60) NOT NULL, is_mock BOOLEAN NOT NULL"
        " DEFAULT FALSE)"
    )
    # The referencing column has no index: a check per row or per chunk would scan the table each time.
    db.execute(
        "CREATE TABLE event (id INTEGER PRIMARY KEY, account_id INTEGER NULL, note VARCHAR(40) NOT NULL,"
        " FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE CASCADE)"
    )
    for start in range(1, 2001, 500):
        values = ", ".join(f"({i}, NULL, 'real {i}')" for i in range(start, start + 500))
        db.execute(f"INSERT INTO event (id, account_id, note) VALUES {values}")
    settings = settings_for(db, tmp_path / str(rows))
    before = fingerprint(db.engine)
    seed(settings, tables=["account"], rows=rows, seed=1)
    sent: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        # The purge's own work: statements on the mock table, its referencing table or the ledger (the
        # driver's and SQLAlchemy's connection set-up and catalog caching are left out).
        if any(name in statement for name in ("account", "event", "dbaudit_ledger")):
            sent.append(statement)

    from sqlalchemy import engine as sa_engine

    event.listen(sa_engine.Engine, "before_cursor_execute", count)
    try:
        report = purge_all(settings)
    finally:
        event.remove(sa_engine.Engine, "before_cursor_execute", count)
    assert report.total_deleted == rows, report
    assert fingerprint(db.engine) == before, "purge must leave every real row and remove every mock row"
    db.execute("DROP TABLE event")
    db.execute("DROP TABLE account")
    return len(sent)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_purge_sends_as_many_statements_for_3000_rows_as_for_300(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    fixture = {"sqlite": "sqlite_database", "postgresql": "pg_schema", "mysql": "mysql_database"}[dialect]
    db: TestDatabase = request.getfixturevalue(fixture)
    small = _statements_of_purge(db, tmp_path, 300)
    large = _statements_of_purge(db, tmp_path, 3000)
    assert large == small, f"purge sent {small} statements for 300 rows but {large} for 3,000"
