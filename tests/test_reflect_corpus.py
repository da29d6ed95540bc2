"""Reflection of real sample databases: Chinook with its data on three dialects, Pagila 3.1 on PostgreSQL."""

from __future__ import annotations

import re

import pytest

from dbaudit.config import Settings
from dbaudit.model import CountMethod, DatabaseSnapshot, TableKind, TableStatus
from dbaudit.reflect import reflect_database
from tests.conftest import TestDatabase as Database
from tests.conftest import corpus_file

# slow: loads the Chinook and Pagila corpora
pytestmark = pytest.mark.slow

#: Chinook 1.4.5: rows per table (lower-cased names; the dialect scripts spell them differently).
CHINOOK_ROWS = {
    "album": 347,
    "artist": 275,
    "customer": 59,
    "employee": 8,
    "genre": 25,
    "invoice": 412,
    "invoice_line": 2240,
    "media_type": 5,
    "playlist": 18,
    "playlist_track": 8715,
    "track": 3503,
}

#: Lines that create or switch databases: the tests load into a database or schema of their own.
DATABASE_LINES = re.compile(r"^(DROP DATABASE|CREATE DATABASE|USE |\\c ).*$", re.MULTILINE)


def chinook_script(name: str) -> str:
    return DATABASE_LINES.sub("", corpus_file("chinook", name).read_text(encoding="utf-8"))


def normalised(name: str) -> str:
    """``InvoiceLine`` and ``invoice_line`` -> ``invoice_line``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def assert_chinook(snapshot: DatabaseSnapshot) -> None:
    found = {normalised(s.table.name): s for s in snapshot.tables}
    assert set(found) == set(CHINOOK_ROWS)
    for name, rows in CHINOOK_ROWS.items():
        state = found[name]
        assert state.status is TableStatus.POPULATED, name
        assert (state.count.method, state.count.value) == (CountMethod.EXACT, rows), name
    employee = found["employee"].table
    (reports_to,) = [fk for fk in employee.foreign_keys if normalised(fk.referred_table) == "employee"]
    assert len(reports_to.columns) == 1  # the self-reference
    assert len(found["playlist_track"].table.primary_key) == 2  # the composite key


def test_chinook_on_sqlite(sqlite_database: Database) -> None:
    raw = sqlite_database.engine.raw_connection()
    try:
        raw.driver_connection.executescript(chinook_script("full_Chinook_Sqlite.sql"))  # type: ignore[union-attr]
    finally:
        raw.close()
    assert_chinook(reflect_database(Settings(url=sqlite_database.url)))


@pytest.mark.postgres
def test_chinook_on_postgresql(pg_schema: Database) -> None:
    with pg_schema.engine.begin() as conn:
        conn.exec_driver_sql(chinook_script("full_Chinook_PostgreSql.sql").replace("%", "%%"))
    assert_chinook(reflect_database(Settings(url=pg_schema.url)))


@pytest.mark.mysql
def test_chinook_on_mariadb(mysql_database: Database) -> None:
    raw = mysql_database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        script = re.sub(r"/\*.*?\*/", "", chinook_script("full_Chinook_MySql.sql"), flags=re.DOTALL)
        for statement in script.split(";\n"):
            if statement.strip():
                cursor.execute(statement)
        raw.commit()
    finally:
        raw.close()
    assert_chinook(reflect_database(Settings(url=mysql_database.url)))


@pytest.mark.postgres
def test_pagila_declarative_partitions_views_and_types(pg_database: Database) -> None:
    with pg_database.engine.begin() as conn:
        conn.exec_driver_sql(corpus_file("pagila", "pagila-schema-v3.1.0.sql").read_text(encoding="utf-8"))
    snapshot = reflect_database(Settings(url=pg_database.url))
    found = {s.table.name: s for s in snapshot.tables}
    payment = found["payment"].table
    assert payment.kind is TableKind.PARTITIONED
    assert len(payment.partitions) == 7
    assert not any(name.startswith("payment_p") for name in found)
    assert len(found) == 15
    assert all(s.status is TableStatus.EMPTY for s in snapshot.tables)
    kinds = {v.name: v.kind for v in snapshot.views}
    assert kinds["rental_by_category"] is TableKind.MATERIALIZED_VIEW
    assert kinds["film_list"] is TableKind.VIEW
    film = found["film"].table
    assert film.column("rating").type == "mpaa_rating"
    assert film.column("film_id").identity
    assert {fk.referred_table for fk in film.foreign_keys} == {"language"}
