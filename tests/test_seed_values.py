"""Values by type and by name, limits respected, with the database enforcing every constraint."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from dbaudit.seed.constraints import Ordering, parse_checks
from tests.seed_support import purge_all, rows_of, seed, settings_for

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def test_check_constraints_of_common_shapes_become_rules() -> None:
    rules = parse_checks(
        [
            ("c1", "status IN ('new', 'done')"),
            ("c2", "(qty)::integer BETWEEN 5 AND 9"),
            ("c3", "length(code) >= 3 AND length(code) <= 5"),
            ("c4", "code LIKE 'AB%'"),
            ("c5", "(price >= (0)::numeric)"),
            ("c6", "starts_on < ends_on"),
            ("c7", "(kind)::text = ANY ((ARRAY['x'::character varying, 'y'::character varying])::text[])"),
            ("c8", "lvl = 1 OR lvl = 2"),
            ("c9", "some_function(qty) > 2"),
            ("c10", "qty <> 7"),
        ],
        "postgresql",
        {"status", "qty", "code", "price", "starts_on", "ends_on", "kind", "lvl"},
    )
    assert rules.columns["status"].choices == ["new", "done"]
    assert (rules.columns["qty"].low, rules.columns["qty"].high) == (5, 9)
    assert 7 in rules.columns["qty"].excluded
    assert (rules.columns["code"].min_length, rules.columns["code"].max_length) == (3, 5)
    assert rules.columns["code"].like == "AB%"
    assert rules.columns["price"].low == 0
    assert Ordering("starts_on", "ends_on", strict=True) in rules.orderings
    assert rules.columns["kind"].choices == ["x", "y"]
    assert rules.columns["lvl"].choices == [1, 2]
    assert rules.unparsed == ["c9"]


PG_TYPES = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN percent AS integer CHECK (VALUE >= 0 AND VALUE <= 100);
CREATE TABLE everything (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    doc jsonb NOT NULL,
    meta json,
    tags text[] NOT NULL,
    scores integer[],
    feeling mood NOT NULL,
    share percent NOT NULL,
    ip inet NOT NULL,
    net cidr,
    mac macaddr,
    wait interval NOT NULL,
    price numeric(5, 2) NOT NULL CHECK (price >= 0),
    code varchar(6) NOT NULL CHECK (code LIKE 'AB%'),
    name varchar(10) NOT NULL,
    happened timestamptz NOT NULL,
    day date,
    at_time time,
    blob bytea NOT NULL,
    words tsvector,
    flag boolean NOT NULL,
    big bigint NOT NULL,
    small smallint NOT NULL,
    ratio real,
    dbl double precision,
    email text UNIQUE,
    status text NOT NULL CHECK (status IN ('open', 'closed')),
    qty integer NOT NULL CHECK (qty BETWEEN 5 AND 9),
    size integer NOT NULL CHECK (size > 10 AND size <= 12),
    nick text NOT NULL CHECK (length(nick) >= 3 AND length(nick) <= 5),
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    ident integer GENERATED ALWAYS AS IDENTITY,
    doubled numeric GENERATED ALWAYS AS (price * 2) STORED,
    CHECK (starts_on < ends_on)
);
CREATE UNIQUE INDEX everything_name_flagged ON everything (name) WHERE flag;
CREATE TABLE pair (left_id uuid NOT NULL REFERENCES everything (id), pos int NOT NULL, note text,
                   PRIMARY KEY (left_id, pos));
"""


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_types_and_constraints(pg_schema: TestDatabase, tmp_path: Path) -> None:
    pg_schema.execute(PG_TYPES)
    settings = settings_for(pg_schema, tmp_path)
    report = seed(settings, missing=True, rows=120, seed=5, rows_per_table={"pair": 60})
    assert {r.table: r.inserted for r in report.results} == {"everything": 120, "pair": 60}
    rows = [
        dict(zip(_columns(pg_schema, "everything"), r, strict=True))
        for r in rows_of(pg_schema.engine, "everything")
    ]
    for row in rows:
        assert 5 <= row["qty"] <= 9 and row["size"] in (11, 12)
        assert row["status"] in ("open", "closed") and row["feeling"] in ("sad", "ok", "happy")
        assert 0 <= row["share"] <= 100
        assert row["code"].startswith("AB") and len(row["code"]) <= 6
        assert 3 <= len(row["nick"]) <= 5 and len(row["name"]) <= 10
        assert row["created_at"] <= row["updated_at"] and row["starts_on"] < row["ends_on"]
        assert isinstance(row["price"], decimal.Decimal) and row["price"] < 1000
        assert row["happened"].tzinfo is not None
        assert isinstance(row["tags"], list) and isinstance(row["doc"], dict)
        assert row["email"] is None or "@" in row["email"]
    emails = [r["email"] for r in rows if r["email"]]
    assert len(emails) == len(set(emails))
    purge_all(settings)
    assert pg_schema.scalar("SELECT count(*) FROM everything") == 0


def _columns(db: TestDatabase, table: str) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(text(f"SELECT * FROM {table} LIMIT 0")).keys())


@pytest.mark.slow
@pytest.mark.postgres
def test_column_dbaudit_cannot_fill_makes_only_its_table_unseedable(
    pg_schema: TestDatabase, tmp_path: Path
) -> None:
    pg_schema.execute(
        "CREATE TYPE pair_t AS (a int, b int);"
        "CREATE TABLE odd (id serial PRIMARY KEY, value pair_t NOT NULL);"
        "CREATE TABLE plain (id serial PRIMARY KEY, name text NOT NULL)"
    )
    report = seed(settings_for(pg_schema, tmp_path), missing=True, rows=3)
    assert [r.table for r in report.results] == ["plain"]
    (skipped,) = report.plan.skipped
    assert skipped.table == "odd" and "value" in skipped.reason and "cannot generate" in skipped.reason


@pytest.mark.slow
@pytest.mark.mysql
def test_mysql_types_and_constraints(mysql_database: TestDatabase, tmp_path: Path) -> None:
    mysql_database.execute(
        "CREATE TABLE gadget (id INT AUTO_INCREMENT PRIMARY KEY, kind ENUM('a','b','c') NOT NULL,"
        " features SET('x','y','z') NOT NULL, active TINYINT(1) NOT NULL, doc JSON NOT NULL,"
        " made YEAR NOT NULL, price DECIMAL(6,2) NOT NULL, sku VARCHAR(8) NOT NULL UNIQUE,"
        " seen DATETIME NOT NULL, at_time TIME, data BLOB, amount INT UNSIGNED NOT NULL,"
        " level INT NOT NULL CHECK (level BETWEEN 1 AND 3), created_at DATETIME, updated_at DATETIME)"
    )
    settings = settings_for(mysql_database, tmp_path)
    report = seed(settings, missing=True, rows=80, seed=2)
    assert report.total_rows == 80
    with mysql_database.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, features, active, level, sku FROM gadget")).all()
    assert {r.kind for r in rows} <= {"a", "b", "c"} and all(r.active in (0, 1) for r in rows)
    assert all(set(r.features.split(",")) <= {"x", "y", "z"} for r in rows)
    assert all(1 <= r.level <= 3 and len(r.sku) <= 8 for r in rows)
    purge_all(settings)
    assert mysql_database.scalar("SELECT count(*) FROM gadget") == 0


def test_sqlite_affinities(sqlite_database: TestDatabase, tmp_path: Path) -> None:
    sqlite_database.execute(
        "CREATE TABLE loose (id INTEGER PRIMARY KEY, anything, odd FOOBAR NOT NULL,"
        " short VARCHAR(5) NOT NULL,"
        " ratio DOUBLE, money NUMERIC(6, 2), flag BOOLEAN NOT NULL, happened DATETIME NOT NULL, raw BLOB,"
        " email TEXT UNIQUE NOT NULL)"
    )
    settings = settings_for(sqlite_database, tmp_path)
    report = seed(settings, missing=True, rows=30, seed=9)
    assert report.total_rows == 30
    rows = rows_of(sqlite_database.engine, "loose")
    assert all(len(r[3]) <= 5 for r in rows)
    assert len({r[9] for r in rows}) == 30
    purge_all(settings)


@pytest.mark.slow
def test_names_give_realistic_values(sqlite_database: TestDatabase, tmp_path: Path) -> None:
    sqlite_database.execute(
        "CREATE TABLE person (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,"
        " email TEXT NOT NULL, phone TEXT, city TEXT, country TEXT, website TEXT, description TEXT,"
        " status TEXT, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, is_mock BOOLEAN DEFAULT 0)"
    )
    seed(settings_for(sqlite_database, tmp_path), missing=True, rows=25, seed=4)
    with sqlite_database.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM person")).mappings().all()
    for row in rows:
        assert row["first_name"][0].isupper() and " " not in row["first_name"]
        assert "@example." in row["email"]
        assert row["website"] is None or row["website"].startswith("https://")
        assert row["is_mock"] == 1
        created = dt.datetime.fromisoformat(row["created_at"])
        assert created <= dt.datetime.fromisoformat(row["updated_at"])
