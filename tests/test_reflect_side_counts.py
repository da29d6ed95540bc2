"""PostgreSQL: the counts run on a second connection reading the report's snapshot while the catalog is read.

The second connection must give exactly what the report's own connection gives (the same snapshot, read-only,
the same statuses), see nothing committed after the snapshot was taken, and give way to counting on the
report's connection wherever the snapshot cannot be shared.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from dbaudit.config import Settings
from dbaudit.dialects.postgresql import PostgresDialect
from dbaudit.errors import DbauditError
from dbaudit.model import CountMethod, DatabaseSnapshot, TableStatus
from dbaudit.reflect import reflect_database, side_counts
from dbaudit.reflect import snapshot as reflection
from tests.conftest import TestDatabase as Database

pytestmark = pytest.mark.postgres

DDL = """
CREATE TABLE parents (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE children (id integer PRIMARY KEY, parent_id integer REFERENCES parents (id));
CREATE TABLE empty_one (id integer PRIMARY KEY);
CREATE TABLE arrives_later (id integer PRIMARY KEY);
CREATE TABLE hidden_rows (id integer PRIMARY KEY, owner text);
CREATE TABLE events (id integer NOT NULL, day date NOT NULL) PARTITION BY RANGE (day);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 30) g;
INSERT INTO children SELECT g, 1 + g % 30 FROM generate_series(1, 50) g;
INSERT INTO events VALUES (1, '2026-03-01');
"""


@pytest.fixture
def db(pg_schema: Database) -> Database:
    for statement in DDL.strip().split(";\n"):
        pg_schema.execute(statement)
    return pg_schema


def _settings(db: Database, **more: Any) -> Settings:
    return Settings(url=db.url, schemas=(db.schema or "",)).replace(**more)


def _facts(snapshot: DatabaseSnapshot) -> dict[str, tuple[TableStatus, Any, Any]]:
    return {
        s.table.name: (s.status, s.count.method if s.count else None, s.count.value if s.count else None)
        for s in snapshot.tables
    }


@pytest.fixture
def counted_aside(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every second connection's transaction, as the server describes it when the counting starts."""
    seen: list[dict[str, Any]] = []
    listing = side_counts.audited_table_names

    def recorded(conn: Connection, *args: Any, **kwargs: Any) -> Any:
        row = conn.execute(
            text(
                "SELECT current_setting('transaction_read_only'), current_setting('transaction_isolation'),"
                " pg_current_snapshot()::text, pg_backend_pid()"
            )
        ).one()
        seen.append({"read_only": row[0], "isolation": row[1], "snapshot": row[2], "pid": row[3]})
        return listing(conn, *args, **kwargs)

    monkeypatch.setattr(side_counts, "audited_table_names", recorded)
    yield seen


def _main_snapshot(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """The report's own connection's snapshot and backend, recorded as it reads the catalog."""
    seen: list[tuple[str, int]] = []
    read = reflection.read_schema

    def recorded(conn: Connection, *args: Any, **kwargs: Any) -> Any:
        row = conn.execute(text("SELECT pg_current_snapshot()::text, pg_backend_pid()")).one()
        seen.append((row[0], row[1]))
        return read(conn, *args, **kwargs)

    monkeypatch.setattr(reflection, "read_schema", recorded)
    return seen


def test_a_second_read_only_connection_counts_in_the_very_snapshot_of_the_report(
    db: Database, monkeypatch: pytest.MonkeyPatch, counted_aside: list[dict[str, Any]]
) -> None:
    main = _main_snapshot(monkeypatch)
    shared = reflect_database(_settings(db))
    assert len(counted_aside) == 1, "the counts ran on a second connection"
    aside = counted_aside[0]
    assert aside["read_only"] == "on" and aside["isolation"] == "repeatable read"
    assert [(aside["snapshot"])] == [snap for snap, _pid in main]
    assert aside["pid"] != main[0][1], "another backend"
    # the same facts as counting on the report's own connection
    monkeypatch.setattr(PostgresDialect, "export_snapshot", lambda self, conn: None)
    alone = reflect_database(_settings(db))
    assert len(counted_aside) == 1, "no second connection without a shared snapshot"
    assert shared.tables == alone.tables
    facts = _facts(shared)
    assert facts["parents"] == (TableStatus.POPULATED, CountMethod.EXACT, 30)
    assert facts["children"] == (TableStatus.POPULATED, CountMethod.EXACT, 50)
    assert facts["empty_one"][0] is TableStatus.EMPTY
    assert facts["events"] == (TableStatus.POPULATED, CountMethod.EXACT, 1)
    assert "events_2026" not in facts  # folded into its parent, on both connections
    for more in ({"counts": False}, {"exact": True}, {"exclude": ("child*",)}):
        monkeypatch.undo()
        assert reflect_database(_settings(db, **more)).tables == _alone(db, monkeypatch, **more).tables


def _alone(db: Database, monkeypatch: pytest.MonkeyPatch, **more: Any) -> DatabaseSnapshot:
    with monkeypatch.context() as patch:
        patch.setattr(PostgresDialect, "export_snapshot", lambda self, conn: None)
        return reflect_database(_settings(db, **more))


def test_rows_committed_after_the_snapshot_are_not_counted_on_the_second_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another session commits rows into an empty table between the report's snapshot and the counts: the
    table is still Empty, as the report's catalog read saw it (a fresh transaction would count them)."""
    export = PostgresDialect.export_snapshot
    committed: list[int] = []

    def export_then_another_session_commits(self: PostgresDialect, conn: Connection) -> str | None:
        snapshot = export(self, conn)
        with db.engine.begin() as other:  # a real second session, committed before the counts start
            other.execute(text("INSERT INTO arrives_later SELECT generate_series(1, 5)"))
        committed.append(1)
        return snapshot

    monkeypatch.setattr(PostgresDialect, "export_snapshot", export_then_another_session_commits)
    facts = _facts(reflect_database(_settings(db)))
    assert committed
    assert facts["arrives_later"][0] is TableStatus.EMPTY
    assert db.scalar("SELECT count(*) FROM arrives_later") == 5  # they are there for a later report
    monkeypatch.undo()
    assert _facts(reflect_database(_settings(db)))["arrives_later"][:2] == (
        TableStatus.POPULATED,
        CountMethod.EXACT,
    )


def test_a_snapshot_that_cannot_be_shared_leaves_the_counts_to_the_report_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    expected = _alone(db, monkeypatch).tables
    # an id the server does not know: SET TRANSACTION SNAPSHOT fails on the second connection
    monkeypatch.setattr(PostgresDialect, "export_snapshot", lambda self, conn: "00000000-00000000-1")
    with caplog.at_level(logging.INFO, logger="dbaudit.reflect"):
        snapshot = reflect_database(_settings(db))
    assert snapshot.tables == expected
    assert "the snapshot is not shared" in caplog.text
    assert not [t for t in threading.enumerate() if t.name == "dbaudit-counts"]


def test_a_failed_catalog_read_stops_the_second_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()
    measure = reflection.measure_tables

    outcome: list[str] = []

    def slow_measure(conn: Connection, *args: Any, **kwargs: Any) -> Any:
        started.set()
        try:
            conn.execute(text("SELECT pg_sleep(30)"))  # cancelled by the report, long before 30 s
        except OperationalError as exc:
            outcome.append(str(exc.orig))
            raise
        outcome.append("not cancelled")
        return measure(conn, *args, **kwargs)

    def failing_read(*args: Any, **kwargs: Any) -> Any:
        started.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not db.scalar(sleeping):
            time.sleep(0.01)  # the statement on the server, not just sent: a cancel before it would be lost
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    sleeping = (
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'"
    )
    monkeypatch.setattr(reflection, "measure_tables", slow_measure)
    monkeypatch.setattr(reflection, "read_schema", failing_read)
    with pytest.raises(DbauditError, match="reading the catalog"):
        reflect_database(_settings(db))
    assert started.is_set()
    assert len(outcome) == 1 and "canceling statement due to user request" in outcome[0], outcome
    assert not [t for t in threading.enumerate() if t.name == "dbaudit-counts"]
    assert db.scalar(sleeping) == 0
