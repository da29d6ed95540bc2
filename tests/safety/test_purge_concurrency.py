"""Purge racing the application: a real child row inserted concurrently, referencing a mock row through
``ON DELETE CASCADE``, is never deleted by purge's cascade.

Either the child committed before purge checked the references (purge refuses, exit 2, naming the table) or
purge locked the mock rows first and the application's insert fails its foreign key once purge commits.  Each
test then removes the cause and purges again: the database must be back to its checksum from before the seed.
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
    first_value,
    held_transaction,
    insert_loop,
    new_rows,
    rows_of,
)
from tests.safety.runner import assert_clean_failure

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

CHILD_INSERT = "INSERT INTO children (id, parent_id, note) VALUES (:id, :parent, 'real, concurrent')"


def create_parents_and_children(db: TestDatabase) -> None:
    """``parents`` (empty: the seed fills it) and ``children`` (one real row, so the seed leaves it alone),
    ``children.parent_id`` referencing ``parents`` with ``ON DELETE CASCADE``."""
    db.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    db.execute(
        "CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NULL, note VARCHAR(40),"
        " FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE)"
    )
    db.execute("INSERT INTO children (id, parent_id, note) VALUES (1, NULL, 'real, unattached')")


def seed_parents(db: TestDatabase, cli: Dbaudit) -> list[object]:
    """Seed the empty ``parents``; returns the mock parents' ids."""
    before = checksum(db)
    assert_seeded(cli.seed("--rows", "3", "--seed", "7"), "parents")
    mock = new_rows(db, before).get(f"{db.schema or 'main'}.parents", [])
    assert len(mock) == 3, f"the seed should have filled parents: {mock}"
    return [first_value(row) for row in mock]


@pytest.mark.slow
def test_child_committed_while_purge_waits_survives(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """(a) The application's transaction inserts the child and holds ~3 s before committing; purge starts
    meanwhile.  Purge must wait for it and then refuse; a cascade must never take the committed child."""
    db = any_database
    create_parents_and_children(db)
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    parent = seed_parents(db, cli)[0]

    statements = [(CHILD_INSERT, {"id": 2, "parent": parent})]
    with held_transaction(db.url, statements, hold=3.0) as held:
        purge = cli.purge()
    assert held.committed, f"the application's insert should have committed: {held.error}"
    children = {row[0]: row for row in rows_of(db, "children")}
    assert 2 in children, (
        "purge's cascade deleted a real child row the application committed during the purge\n"
        + purge.describe()
    )
    line = assert_clean_failure(purge)
    assert "children" in line, f"the refusal should name the referencing table: {line}"
    assert children[2][1] == parent

    # The cause removed (the application lets go of the mock parent), purge restores the pre-seed state.
    db.execute("DELETE FROM children WHERE id = 2")
    again = cli.purge()
    assert again.code == 0, again.describe()
    assert_checksum(db, before, "after the refusal and a second purge", run=again)


def _refused_for_the_children(line: str) -> bool:
    """A refusal because of the application's child rows, or, on SQLite, because its steady inserts held the
    database's one write lock longer than the lock timeout (a loaded machine): purge waited, then gave up."""
    return "children" in line or "waiting for the write lock of this SQLite database" in line


@pytest.mark.slow
def test_steady_inserts_during_purge_never_cascade(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """(b) The application inserts a child of a mock parent, commits, deletes it, commits, over and over while
    purge runs (up to five attempts).  A child it committed must never vanish under it; purge either refuses
    or wins, after which the application's inserts fail their foreign key."""
    db = any_database
    create_parents_and_children(db)
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db)
    parents = seed_parents(db, cli)
    during = checksum(db)

    attempts = []
    with insert_loop(db.url, "children", CHILD_INSERT, parents[0]) as loop:
        for _ in range(5):
            purge = cli.purge()
            attempts.append(purge)
            if purge.code != 2:
                break
        inserted_while_purging = loop.inserted
    described = "\n".join(a.describe() for a in attempts)
    assert not loop.vanished, (
        f"a cascade deleted {len(loop.vanished)} real child row(s) the application had committed "
        f"(ids {loop.vanished[:5]})\n{described}"
    )
    assert inserted_while_purging > 0
    for purge in attempts[:-1]:
        line = assert_clean_failure(purge)
        assert _refused_for_the_children(line), line
    final = attempts[-1]
    if final.code == 0:
        # Purge won: every later insert of the application failed its foreign key, nothing cascaded.
        assert_checksum(db, before, "purge exited 0 while the application kept inserting", run=final)
        return
    line = assert_clean_failure(final)
    assert _refused_for_the_children(line), line
    assert_checksum(db, during, "a refused purge must change nothing", run=final)
    again = cli.purge()
    assert again.code == 0, again.describe()
    assert_checksum(db, before, "once the application stopped, purge restores the pre-seed state", run=again)
