"""Locks: one run lock per database, and a bounded wait for row locks.

* Two concurrent seeds with different ``--schema`` lists on one database: the second waits up to the lock
  timeout, then exits 2 naming the lock.  The first is held mid-run by the application:
  a row lock on a parent row its insert needs, taken on a second connection.
* Purge waiting on a row lock another transaction holds ends with exit 2 within ``--lock-timeout``, naming
  what it waited for, having deleted nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.safety.purge_support import (
    Dbaudit,
    assert_checksum,
    assert_option_known,
    assert_seeded,
    checksum,
    first_value,
    held_transaction,
    new_rows,
    quote,
    wait_until_blocking,
    write_config,
)
from tests.safety.runner import assert_clean_failure, finish

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


@pytest.mark.slow
def test_a_second_seed_on_other_schemas_waits_for_the_run_lock_then_refuses(
    database_and_other: tuple[TestDatabase, str], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db, other = database_and_other
    assert db.schema is not None
    db.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    db.execute("INSERT INTO parents (id, name) VALUES (1, 'real parent')")
    db.execute(
        "CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL, note VARCHAR(40),"
        " FOREIGN KEY (parent_id) REFERENCES parents (id))"
    )
    db.execute(
        f"CREATE TABLE {quote(db, other, 'things')} (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)"
    )
    first = Dbaudit(db, tmp_path / "first", capfd)
    second = Dbaudit(db, tmp_path / "second", capfd)
    if "--lock-timeout" in first.run("purge", "--help").stdout:
        # The first seed must outwait the second: it gives up on the row lock only after two minutes.
        write_config(first.project, lock_timeout=120)
        write_config(second.project, lock_timeout=2)
    before = checksum(db, other)

    lock_parent: list[tuple[str, dict[str, object]]] = [
        (f"SELECT id FROM {quote(db, db.schema, 'parents')} WHERE id = 1 FOR UPDATE", {})
    ]
    args = ("seed", "--yes", "-v", "--missing", "--rows", "2", "--schema", db.schema)
    with held_transaction(db.url, lock_parent, hold=90.0) as held:
        process = first.start(*args)
        try:
            wait_until_blocking(db.engine, held, "the first seed to wait on the parent row", process=process)
            run = second.seed("--rows", "2", "--schema", other)
            after_second = checksum(db, other)
        finally:
            held.release()
            first_run = finish(process, args)
    assert after_second == before, (
        f"the second seed wrote while the first held the run lock\n{run.describe()}"
    )
    line = assert_clean_failure(run)
    assert "lock" in line.lower(), f"the refusal should name the lock it waited for: {line}"
    assert_seeded(first_run, "children")

    purge = first.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "purge after the first seed", other, run=purge)


@pytest.mark.slow
def test_purge_waiting_on_a_row_lock_gives_up_at_the_lock_timeout(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    db.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    assert_seeded(cli.seed("--rows", "3"), "parents")
    during = checksum(db)
    parent = first_value(new_rows(db, before)[f"{db.schema or 'main'}.parents"][0])
    if db.dialect == "sqlite":
        hold = [("UPDATE parents SET name = name WHERE id = :p", {"p": parent})]  # the database's write lock
    else:
        hold = [("SELECT id FROM parents WHERE id = :p FOR UPDATE", {"p": parent})]

    with held_transaction(db.url, hold, hold=60.0, commit=False):
        purge = cli.purge("--lock-timeout", "2")
    assert_option_known(purge, "--lock-timeout")
    assert_checksum(db, during, "a purge that timed out must delete nothing", run=purge)
    line = assert_clean_failure(purge).lower()
    assert "lock" in line or "busy" in line, f"the error should say it waited for a lock: {line}"
    if db.dialect != "sqlite":
        assert "parents" in line, f"the error should name the table whose rows it waited for: {line}"

    again = cli.purge("--lock-timeout", "2")
    assert again.code == 0, again.describe()
    assert_checksum(db, before, "once the lock is released, purge restores the pre-seed state", run=again)
