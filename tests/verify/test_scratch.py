"""Scratch databases on real servers: made, counted around a step, dropped (also when the run fails), kept
only when asked; PostgreSQL's statistics show rows updated and deleted, which counts cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dbaudit.verify.accounting import Accountant, deltas
from dbaudit.verify.scratch import ScratchServer, scratch_database, scratch_server

SYSTEM = ("alembic_version", "dbaudit_*")


def as_step(url: str, *statements: str) -> None:
    """Statements run the way a step runs them: a session of its own, ended afterwards."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


@pytest.fixture(params=["postgresql", "mysql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> ScratchServer:
    database = request.getfixturevalue(
        {"postgresql": "pg_database", "mysql": "mysql_database"}[request.param]
    )
    return scratch_server(database.url, None, tmp_path)


def test_a_step_is_counted_and_the_database_dropped(server: ScratchServer) -> None:
    with scratch_database(server) as db:
        assert db.name.startswith("scratch_dbaudit_") and server.exists(db)
        url = db.url_for_steps(None)
        as_step(
            url,
            "CREATE TABLE tags (id INTEGER PRIMARY KEY, name VARCHAR(20))",
            "CREATE TABLE alembic_version (v VARCHAR(20))",
        )
        accountant = Accountant(db.url, SYSTEM)
        before = accountant.figures()
        as_step(
            url,
            "INSERT INTO tags (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')",
            "INSERT INTO alembic_version (v) VALUES ('x')",
            "UPDATE tags SET name = 'z' WHERE id = 1",
            "DELETE FROM tags WHERE id = 2",
        )
        after = accountant.figures()
        (delta,) = deltas(before, after)  # alembic_version is system meta: not counted
        assert (delta.table, delta.before, delta.after, delta.added) == ("tags", 0, 2, 2)
        if db.dialect == "postgresql":
            assert (delta.inserted, delta.updated, delta.deleted) == (3, 1, 1)
        else:
            assert (delta.inserted, delta.updated, delta.deleted) == (None, None, None)
    assert not server.exists(db)


def test_the_database_is_dropped_when_the_run_fails_and_kept_when_asked(server: ScratchServer) -> None:
    with pytest.raises(KeyboardInterrupt), scratch_database(server) as db:
        raise KeyboardInterrupt
    assert not server.exists(db)
    with scratch_database(server, keep=True) as kept:
        pass
    try:
        assert server.exists(kept)
    finally:
        server.drop(kept)
    assert not server.exists(kept)


def test_a_step_still_connected_does_not_stop_the_drop(server: ScratchServer) -> None:
    with scratch_database(server) as db:
        engine = create_engine(db.url_for_steps(None))
        conn = engine.connect()
        conn.execute(text("CREATE TABLE t (id INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))  # an open transaction, as a stopped step leaves it
    assert not server.exists(db)
    conn.invalidate()
    engine.dispose()
