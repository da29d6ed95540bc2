"""Real sample schemas: seed fills every table with the database enforcing every constraint, and purge returns
the database to exactly its earlier state; with real data, only the emptied tables are filled."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from tests.conftest import corpus_file
from tests.seed_support import counts, fingerprint, load_sql, purge_all, seed, settings_for

# slow: loads the Chinook and Pagila corpora into every database
pytestmark = pytest.mark.slow

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

CHINOOK_SCHEMA = {
    "sqlite": "chinook_sqlite_schema.sql",
    "postgresql": "chinook_postgresql_schema.sql",
    "mysql": "chinook_mysql_schema.sql",
}
CHINOOK_FULL = {
    "sqlite": "full_Chinook_Sqlite.sql",
    "postgresql": "full_Chinook_PostgreSql.sql",
    "mysql": "full_Chinook_MySql.sql",
}


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def chinook_db(request: pytest.FixtureRequest) -> TestDatabase:
    fixture = {"sqlite": "sqlite_database", "postgresql": "pg_database", "mysql": "mysql_database"}
    return request.getfixturevalue(fixture[request.param])  # type: ignore[no-any-return]


def _fill_and_restore(db: TestDatabase, tmp_path: Path, rows: int = 15) -> None:
    settings = settings_for(db, tmp_path / "project")
    before = fingerprint(db.engine)
    assert all(value.endswith(":0") for value in before.values()), "the schema should load empty"
    report = seed(settings, missing=True, rows=rows, seed=3)
    after = counts(db.engine)
    empty = sorted(name for name, count in after.items() if count == 0 and not name.startswith("dbaudit_"))
    assert not empty, f"seed --missing left tables empty: {empty}"
    assert report.total_rows > 0 and report.undo_command
    again = seed(settings, missing=True, rows=rows, seed=3)
    assert again.results == (), "seed --missing is idempotent: a second run finds nothing to do"
    purge_all(settings)
    assert fingerprint(db.engine) == before, "purge must return the database to its exact earlier state"


@pytest.mark.postgres
@pytest.mark.parametrize("version", ["pagila-schema-v3.1.0.sql", "pagila-schema-0.10.1-initial-export.sql"])
def test_pagila_seed_fills_every_table_and_purge_restores_it(
    pg_database: TestDatabase, tmp_path: Path, version: str
) -> None:
    load_sql(pg_database, corpus_file("pagila", version))
    _fill_and_restore(pg_database, tmp_path)


@pytest.mark.postgres
def test_pagila_cycle_store_staff_is_inserted_in_one_statement(
    pg_database: TestDatabase, tmp_path: Path
) -> None:
    load_sql(pg_database, corpus_file("pagila", "pagila-schema-0.10.1-initial-export.sql"))
    report = seed(settings_for(pg_database, tmp_path), missing=True, rows=5, seed=1)
    (cycle,) = report.plan.cycles
    assert set(cycle.tables) == {"staff", "store"} and cycle.method == "one-statement"
    # Every store's manager is a staff member of the run, and every staff member works in a store.
    orphans = pg_database.scalar(
        "SELECT count(*) FROM store s LEFT JOIN staff m ON m.staff_id = s.manager_staff_id"
        " WHERE m.staff_id IS NULL"
    )
    assert orphans == 0


def test_chinook_empty_seed_fills_every_table_and_purge_restores_it(
    chinook_db: TestDatabase, tmp_path: Path
) -> None:
    load_sql(chinook_db, corpus_file("chinook", CHINOOK_SCHEMA[chinook_db.dialect]))
    _fill_and_restore(chinook_db, tmp_path)


def _names(db: TestDatabase) -> dict[str, str]:
    if db.dialect == "postgresql":
        return {"track": "track", "invoice_line": "invoice_line", "playlist_track": "playlist_track"}
    return {"track": "Track", "invoice_line": "InvoiceLine", "playlist_track": "PlaylistTrack"}


def test_chinook_with_data_fills_exactly_the_emptied_tables(chinook_db: TestDatabase, tmp_path: Path) -> None:
    db = chinook_db
    load_sql(db, corpus_file("chinook", CHINOOK_FULL[db.dialect]))
    names = _names(db)
    quote = db.engine.dialect.identifier_preparer.quote
    for table in (names["invoice_line"], names["playlist_track"], names["track"]):
        db.execute(f"DELETE FROM {quote(table)}")
    before = fingerprint(db.engine)
    settings = settings_for(db, tmp_path / "project")

    report = seed(settings, missing=True, rows=40, seed=11)
    filled = {r.table.split(".")[-1] for r in report.results}
    assert filled == set(names.values()), report
    during = fingerprint(db.engine)
    for table, digest in before.items():
        if table not in filled:
            assert during[table] == digest, f"seeding changed the real rows of {table}"
    track = next(r for r in report.results if r.table.split(".")[-1] == names["track"])
    assert {"album", "genre", "mediatype"} <= {p.lower().replace("_", "") for p in track.parents_reused}
    album = quote("album" if db.dialect == "postgresql" else "Album")
    album_id = quote("album_id" if db.dialect == "postgresql" else "AlbumId")
    with db.engine.connect() as conn:
        real_albums = {r[0] for r in conn.execute(text(f"SELECT {album_id} FROM {album}"))}
        used = {r[0] for r in conn.execute(text(f"SELECT {album_id} FROM {quote(names['track'])}"))} - {None}
    assert used and used <= real_albums, "new tracks must point at real albums"

    purge_all(settings)
    assert fingerprint(db.engine) == before, "purge must remove exactly the mock rows"
