"""Rules the seeder cannot read, kept by the server: rows it refuses are left out, parents made fresh for a
table whose every row it refused; foreign-key columns under a column-pair CHECK; array values in unique keys;
the shadow tables of SQLite's full-text index never written directly."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.seed_support import fingerprint, purge_all, seed, settings_for

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _script(db: TestDatabase, sql: str) -> None:
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.executescript(sql)  # type: ignore[union-attr]
    finally:
        raw.close()


def test_rows_a_trigger_refuses_are_left_out_and_the_others_kept(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    _script(
        db,
        """
        CREATE TABLE ticket (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        CREATE TRIGGER even_refused BEFORE INSERT ON ticket FOR EACH ROW
          BEGIN SELECT RAISE(ABORT, 'even tickets are refused') WHERE NEW.id % 2 = 0; END;
        """,
    )
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine)
    report = seed(settings, missing=True, rows=6, seed=2)
    (result,) = report.results
    assert result.inserted == db.scalar("SELECT count(*) FROM ticket") == 3
    assert result.note is not None
    assert result.note.startswith("6 asked, 3 possible (the server rejected a row: ")
    assert "even tickets are refused" in result.note
    assert db.scalar("SELECT count(*) FROM ticket WHERE id % 2 = 0") == 0
    purge_all(settings)
    assert fingerprint(db.engine) == before


def test_a_table_whose_every_row_is_refused_is_skipped_with_the_servers_message(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    _script(
        db,
        """
        CREATE TABLE ticket (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        CREATE TRIGGER all_refused BEFORE INSERT ON ticket FOR EACH ROW
          BEGIN SELECT RAISE(ABORT, 'tickets are closed'); END;
        CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
        """,
    )
    report = seed(settings_for(db, tmp_path / "project"), missing=True, rows=3, seed=2)
    assert [r.table for r in report.results] == ["note"]
    (skipped,) = report.plan.skipped
    assert skipped.table == "ticket" and skipped.code == "rejected-by-server"
    assert "tickets are closed" in skipped.reason
    assert db.scalar("SELECT count(*) FROM ticket") == 0


def test_parents_made_fresh_when_a_cross_table_trigger_refuses_every_row(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    """Every item is some note's item, and a trigger keeps noted items out of collections: the run makes
    fresh items for the collection rows, records them in the ledger, and purge removes them again."""
    db = sqlite_database
    _script(
        db,
        """
        PRAGMA foreign_keys = ON;
        CREATE TABLE item (item_id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        CREATE TABLE note (item_id INTEGER PRIMARY KEY REFERENCES item, body TEXT NOT NULL);
        CREATE TABLE shelf_item (
          shelf_item_id INTEGER PRIMARY KEY,
          item_id INTEGER NOT NULL REFERENCES item,
          position INTEGER NOT NULL
        );
        CREATE TRIGGER no_notes_on_shelves BEFORE INSERT ON shelf_item FOR EACH ROW
          BEGIN SELECT RAISE(ABORT, 'a note cannot be shelved')
            WHERE NEW.item_id IN (SELECT item_id FROM note);
          END;
        """,
    )
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine)
    report = seed(settings, missing=True, rows=3, seed=4)
    assert report.plan.skipped == ()
    filled = {r.table: r.inserted for r in report.results}
    assert filled["shelf_item"] > 0
    assert filled["item"] == db.scalar("SELECT count(*) FROM item") == 6, "three items, three fresh ones"
    assert db.scalar("SELECT count(*) FROM shelf_item WHERE item_id IN (SELECT item_id FROM note)") == 0
    purge_all(settings)
    assert fingerprint(db.engine) == before


def test_a_fresh_parent_copies_the_key_a_denormalised_column_must_agree_with(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    """``event.room_id`` has no foreign key; a child pointing at a room and an event must name the event's
    room (a trigger says so).  Fresh events take their room from the rooms, and each child row its event's."""
    db = sqlite_database
    _script(
        db,
        """
        PRAGMA foreign_keys = ON;
        CREATE TABLE room (room_id TEXT PRIMARY KEY);
        CREATE TABLE event (event_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, body TEXT);
        CREATE TABLE pinned (
          room_id TEXT NOT NULL REFERENCES room(room_id),
          event_id TEXT NOT NULL REFERENCES event(event_id),
          UNIQUE (event_id)
        );
        CREATE TRIGGER pinned_room BEFORE INSERT ON pinned FOR EACH ROW
          BEGIN SELECT RAISE(ABORT, 'wrong room') WHERE EXISTS (
            SELECT 1 FROM event WHERE event.event_id = NEW.event_id AND event.room_id != NEW.room_id);
          END;
        """,
    )
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine)
    report = seed(settings, missing=True, rows=3, seed=4)
    assert report.plan.skipped == ()
    assert db.scalar("SELECT count(*) FROM pinned") > 0
    mismatched = "SELECT count(*) FROM pinned p JOIN event e USING (event_id) WHERE e.room_id != p.room_id"
    assert db.scalar(mismatched) == 0
    purge_all(settings)
    assert fingerprint(db.engine) == before


def test_association_keys_under_a_column_pair_check_stay_parent_keys(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    _script(
        db,
        """
        PRAGMA foreign_keys = ON;
        CREATE TABLE tag (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE tag_relation (
          tag1 INTEGER NOT NULL REFERENCES tag(id),
          tag2 INTEGER NOT NULL REFERENCES tag(id),
          weight INTEGER NOT NULL,
          PRIMARY KEY (tag1, tag2),
          CHECK (tag1 < tag2)
        );
        """,
    )
    report = seed(settings_for(db, tmp_path / "project"), missing=True, rows=5, seed=6)
    assert report.plan.skipped == ()
    assert db.scalar("SELECT count(*) FROM tag_relation") > 0
    assert db.scalar("SELECT count(*) FROM tag_relation WHERE tag1 >= tag2") == 0
    orphans = (
        "SELECT count(*) FROM tag_relation"
        " WHERE tag1 NOT IN (SELECT id FROM tag) OR tag2 NOT IN (SELECT id FROM tag)"
    )
    assert db.scalar(orphans) == 0


@pytest.mark.postgres
def test_a_unique_key_over_an_array_column(pg_schema: TestDatabase, tmp_path: Path) -> None:
    db = pg_schema
    db.execute("CREATE TABLE disc (id serial PRIMARY KEY, title text NOT NULL)")
    db.execute(
        "CREATE TABLE toc (id serial PRIMARY KEY, disc int NOT NULL REFERENCES disc,"
        " track_count int NOT NULL, offsets integer[] NOT NULL)"
    )
    db.execute("CREATE UNIQUE INDEX toc_key ON toc (track_count, offsets)")
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine, db.schema)
    report = seed(settings, missing=True, rows=4, seed=1)
    assert report.plan.skipped == ()
    assert {r.table.split(".")[-1] for r in report.results} == {"disc", "toc"}
    purge_all(settings)
    assert fingerprint(db.engine, db.schema) == before


def test_the_shadow_tables_of_a_full_text_index_are_never_written(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    _script(db, "CREATE VIRTUAL TABLE doc USING fts4(title, body);")
    report = seed(settings_for(db, tmp_path / "project"), missing=True, rows=3, seed=1)
    assert [r.table for r in report.results] == ["doc"]
    assert db.scalar("SELECT count(*) FROM doc WHERE doc MATCH 'MOCK*'") is not None
    db.execute("INSERT INTO doc(doc) VALUES ('integrity-check')")  # raises when the index is corrupt
    assert db.scalar("SELECT count(*) FROM doc_docsize") == 3


def _stat(db: TestDatabase) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM doc_stat")]


def test_purge_takes_out_the_row_of_totals_fts4_wrote_for_the_mock_rows(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    """FTS4 keeps a row of totals in ``doc_stat`` from the first insert on, all zero once the last document
    is gone: the run wrote it, so purge takes it out and every table is as it was."""
    db = sqlite_database
    _script(db, "CREATE VIRTUAL TABLE doc USING fts4(title, body);")
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine, None)
    seed(settings, missing=True, rows=3, seed=1)
    assert len(_stat(db)) == 1
    purge_all(settings)
    assert _stat(db) == []
    assert fingerprint(db.engine, None) == before


def test_the_row_of_totals_stays_while_real_documents_count_in_it(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    _script(db, "CREATE VIRTUAL TABLE doc USING fts4(title, body);")
    settings = settings_for(db, tmp_path / "project")
    seed(settings, missing=True, rows=3, seed=1)
    db.execute("INSERT INTO doc (title, body) VALUES ('real', 'a real document')")  # after the seed
    purge_all(settings)
    assert db.scalar("SELECT count(*) FROM doc") == 1 and len(_stat(db)) == 1
    db.execute("INSERT INTO doc(doc) VALUES ('integrity-check')")  # the index is whole
    # nothing of the run is left to purge: the ledger is gone
    assert db.scalar("SELECT count(*) FROM sqlite_master WHERE name LIKE 'dbaudit%'") == 0


def test_a_row_of_totals_that_was_there_before_the_seed_is_never_taken_out(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    _script(db, "CREATE VIRTUAL TABLE doc USING fts4(title, body);")
    db.execute("INSERT INTO doc (title, body) VALUES ('gone', 'deleted by the application')")
    db.execute("DELETE FROM doc")  # the application's own zero totals row stays
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine, None)
    seed(settings, missing=True, rows=3, seed=1)
    purge_all(settings)
    assert len(_stat(db)) == 1
    assert fingerprint(db.engine, None) == before


@pytest.mark.postgres
def test_a_pattern_on_a_blank_padded_char_column(pg_schema: TestDatabase, tmp_path: Path) -> None:
    """PostgreSQL matches a CHAR(15) with its trailing blanks: a pattern ending in ``$`` needs 15 of them."""
    db = pg_schema
    db.execute(
        "CREATE TABLE work_code (id serial PRIMARY KEY,"
        r" iswc CHARACTER(15) NOT NULL CHECK (iswc ~ E'^T-?\\d{3}.?\\d{3}.?\\d{3}[-.]?\\d$'))"
    )
    report = seed(settings_for(db, tmp_path / "project"), missing=True, rows=10, seed=3)
    (result,) = report.results
    assert result.inserted == 10 and result.note is None
    assert db.scalar("SELECT min(length(iswc::text)) FROM work_code") == 15


@pytest.mark.postgres
def test_a_deferred_constraint_trigger_skips_its_table_not_the_run(
    pg_schema: TestDatabase, tmp_path: Path
) -> None:
    """A check an application defers to the commit runs when each table is inserted, inside its savepoint."""
    db = pg_schema
    db.execute("CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL)")
    db.execute("CREATE TABLE vote (id serial PRIMARY KEY, score int NOT NULL)")
    db.execute(
        "CREATE FUNCTION refuse_vote() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'votes are closed'; END $$"
    )
    db.execute(
        "CREATE CONSTRAINT TRIGGER vote_closed AFTER INSERT ON vote DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION refuse_vote()"
    )
    report = seed(settings_for(db, tmp_path / "project"), missing=True, rows=3, seed=1)
    assert [r.table.split(".")[-1] for r in report.results] == ["note"]
    (skipped,) = report.plan.skipped
    assert skipped.code == "rejected-by-server" and "votes are closed" in skipped.reason
    assert db.scalar("SELECT count(*) FROM note") == 3 and db.scalar("SELECT count(*) FROM vote") == 0


@pytest.mark.postgres
def test_every_range_partition_gets_a_row(pg_schema: TestDatabase, tmp_path: Path) -> None:
    db = pg_schema
    db.execute("CREATE TABLE reading (id serial, taken date NOT NULL) PARTITION BY RANGE (taken)")
    for year in range(2020, 2025):
        db.execute(
            f"CREATE TABLE reading_{year} PARTITION OF reading"
            f" FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')"
        )
    seed(settings_for(db, tmp_path / "project"), missing=True, rows=2, seed=1)
    for year in range(2020, 2025):
        assert db.scalar(f"SELECT count(*) FROM reading_{year}") == 1
