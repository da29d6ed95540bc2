"""A ledger edited by hand, or written by an earlier version, is refused with one clear line, never an
internal error, and nothing is deleted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.safety.runner import assert_clean_failure, run_cli
from tests.seed_support import fingerprint

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


@pytest.mark.parametrize(
    "corruption",
    [
        "UPDATE dbaudit_ledger_tables SET key_columns = '{not json'",
        "UPDATE dbaudit_ledger_tables SET marker = '[1, 2]'",
        "UPDATE dbaudit_ledger_tables SET key_kind = 'banana'",
    ],
    ids=["key-columns-not-json", "marker-not-an-object", "unknown-key-kind"],
)
def test_a_malformed_ledger_row_is_one_clear_line(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str], corruption: str
) -> None:
    db = sqlite_database
    db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    common = ["--url", db.url, "--project", str(tmp_path)]
    assert run_cli(["seed", "--missing", "--yes", "--rows", "3", *common], capfd).code == 0
    db.execute(corruption)
    before = fingerprint(db.engine)
    line = assert_clean_failure(run_cli(["purge", "--yes", *common], capfd))
    assert "ledger" in line and "internal error" not in line, line
    assert fingerprint(db.engine) == before, "a refused purge deletes nothing"


def test_a_ledger_of_an_earlier_version_is_refused_with_what_to_do(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = sqlite_database
    db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    db.execute("INSERT INTO item (id, name) VALUES (1, 'real')")
    db.execute(
        "CREATE TABLE dbaudit_ledger (id INTEGER PRIMARY KEY, run_id VARCHAR(40), table_schema VARCHAR(255),"
        " table_name VARCHAR(255), row_key TEXT, marker VARCHAR(300), created_at VARCHAR(32))"
    )
    db.execute(
        "INSERT INTO dbaudit_ledger (run_id, table_name, row_key, marker, created_at)"
        " VALUES ('r', 'item', '{\"id\": 1}', '{\"kind\": \"ledger\"}', 'now')"
    )
    before = fingerprint(db.engine)
    line = assert_clean_failure(
        run_cli(["purge", "--yes", "--url", db.url, "--project", str(tmp_path)], capfd)
    )
    assert "earlier dbaudit" in line, line
    assert fingerprint(db.engine) == before
