"""Values with meaning: kinds within the column's rules, columns that belong together, the marker in free text
only, values stable per column, new rows within the span of the existing data."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from dbaudit.seed.constraints import ColumnRule
from dbaudit.seed.kinds import _misfits, column_values, fits
from dbaudit.seed.pairs import apply_pairs, find_pairs, find_sums
from dbaudit.seed.semantics import classify_column
from dbaudit.seed.values import ColumnSpec, GenContext, pools_for
from tests.seed_support import seed, settings_for

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _ctx(table: str = "t") -> GenContext:
    return GenContext(random.Random(1), pools_for(1), table)


def test_check_constraints_win_over_meaning() -> None:
    # progress_percentage means 0-100, but the CHECK says at most 40: every value keeps the CHECK.
    rule = ColumnRule(low=decimal.Decimal(0), high=decimal.Decimal(40))
    spec = ColumnSpec("progress_percentage", "decimal", precision=5, scale=2, rule=rule)
    values = column_values(spec, 300, _ctx(), 1)
    assert all(0 <= v <= 40 for v in values)
    # An email column too short for an email: the type's length wins.
    short = ColumnSpec("email", "str", length=6)
    assert all(len(v) <= 6 for v in column_values(short, 50, _ctx(), 1))


def test_kinds_give_values_of_their_kind() -> None:
    ctx = _ctx()
    emails = column_values(ColumnSpec("email", "str"), 100, ctx, 1)
    assert all(e.split("@")[1] in ("example.com", "example.org", "example.net") for e in emails)
    ips = column_values(ColumnSpec("ip_address", "str"), 50, ctx, 1)
    assert all(ip.count(".") == 3 and all(0 <= int(p) <= 255 for p in ip.split(".")) for ip in ips)
    percents = column_values(ColumnSpec("progress_percentage", "decimal", precision=8, scale=2), 200, ctx, 1)
    assert all(0 <= p <= 100 for p in percents)
    months = column_values(ColumnSpec("expmonth", "int"), 100, ctx, 1)
    assert all(1 <= m <= 12 for m in months)
    years = column_values(ColumnSpec("release_year", "str", length=4), 100, ctx, 1)
    assert all(1970 <= int(y) <= 2024 for y in years)
    currencies = column_values(ColumnSpec("currency", "str", length=3), 50, ctx, 1)
    assert all(len(c) == 3 and c.isupper() for c in currencies)


def test_ordered_pairs_and_sums_by_name() -> None:
    specs = {
        "minqty": ColumnSpec("minqty", "int"),
        "maxqty": ColumnSpec("maxqty", "int"),
        "effective_from": ColumnSpec("effective_from", "datetime"),
        "effective_to": ColumnSpec("effective_to", "datetime"),
        "birth_date": ColumnSpec("birth_date", "date"),
        "hire_date": ColumnSpec("hire_date", "date"),
        "input_tokens": ColumnSpec("input_tokens", "int"),
        "output_tokens": ColumnSpec("output_tokens", "int"),
        "total_tokens": ColumnSpec("total_tokens", "int"),
    }
    pairs = {(p.earlier, p.later) for p in find_pairs(specs, set())}
    assert {("minqty", "maxqty"), ("effective_from", "effective_to"), ("birth_date", "hire_date")} <= pairs
    assert find_sums(specs, set()) == [("total_tokens", ("input_tokens", "output_tokens"))]
    day = dt.datetime(2024, 5, 1)
    data = {
        "minqty": [17, 3],
        "maxqty": [8, 9],
        "effective_from": [day, day],
        "effective_to": [day - dt.timedelta(days=3), day + dt.timedelta(days=2)],
        "birth_date": [dt.date(2022, 8, 26), dt.date(1980, 1, 1)],
        "hire_date": [dt.date(2023, 1, 1), dt.date(2010, 1, 1)],
        "input_tokens": [10, 5],
        "output_tokens": [7, 1],
        "total_tokens": [999, 1],
    }
    apply_pairs(specs, data, random.Random(3), set())
    assert data["minqty"] == [8, 3] and data["maxqty"] == [17, 9]
    assert all(a <= b for a, b in zip(data["effective_from"], data["effective_to"], strict=True))
    for born, hired in zip(data["birth_date"], data["hire_date"], strict=True):
        assert (hired - born).days >= 18 * 365
    assert data["total_tokens"] == [17, 6]


def test_the_marker_goes_only_into_free_text(sqlite_database: TestDatabase, tmp_path: Path) -> None:
    sqlite_database.execute(
        "CREATE TABLE account (id INTEGER PRIMARY KEY, email TEXT NOT NULL, phone TEXT, website TEXT,"
        " currency TEXT, country_code TEXT, sku TEXT, postal_code TEXT, access_level TEXT, notes TEXT)"
    )
    sqlite_database.execute(
        "CREATE TABLE wallet (id INTEGER PRIMARY KEY, email TEXT NOT NULL, currency TEXT, phone TEXT)"
    )
    report = seed(settings_for(sqlite_database, tmp_path), missing=True, rows=30, seed=2)
    markers = {r.table: (r.marker) for r in report.plan.tables}
    assert "notes" in markers["account"] and "ledger" in markers["wallet"]
    with sqlite_database.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM account")).mappings().all()
        wallet = conn.execute(text("SELECT * FROM wallet")).mappings().all()
    for row in [*rows, *wallet]:
        for column, value in row.items():
            if isinstance(value, str) and column != "notes":
                assert "MOCK:" not in value, (column, value)
    assert all(r["notes"].startswith("MOCK:") for r in rows)


def _seeded(tmp_path: Path, name: str, ddl: str, rows: int = 20) -> list[tuple[object, ...]]:
    path = tmp_path / name
    connection = sqlite3.connect(path)
    connection.executescript(ddl)
    connection.close()
    from sqlalchemy import create_engine

    from tests.conftest import TestDatabase as Database

    engine = create_engine(f"sqlite:///{path}")
    db = Database(url=f"sqlite:///{path}", engine=engine, schema=None, dialect="sqlite")
    seed(settings_for(db, tmp_path / f"{name}-project"), missing=True, rows=rows, seed=5)
    with engine.connect() as conn:
        statement = text("SELECT email, price, created_at FROM product ORDER BY id")
        found = [tuple(r) for r in conn.execute(statement)]
    engine.dispose()
    return found


def test_values_are_stable_per_column(tmp_path: Path) -> None:
    columns = "email TEXT, price NUMERIC(6, 2), created_at DATETIME"
    first = _seeded(tmp_path, "a.db", f"CREATE TABLE product (id INTEGER PRIMARY KEY, {columns});")
    # A column before them, one after them and another table beside them: their values stay as they were.
    second = _seeded(
        tmp_path,
        "b.db",
        f"CREATE TABLE product (id INTEGER PRIMARY KEY, colour TEXT, {columns}, weight REAL);"
        "CREATE TABLE other (id INTEGER PRIMARY KEY, note TEXT);",
    )
    assert first == second
    # More rows: the first ones stay as they were (NULLs included).
    more = _seeded(tmp_path, "c.db", f"CREATE TABLE product (id INTEGER PRIMARY KEY, {columns});", rows=35)
    assert more[:20] == first and None in {v for row in more for v in row}


@pytest.mark.slow
@pytest.mark.postgres
def test_new_rows_follow_the_planner_statistics(pg_schema: TestDatabase, tmp_path: Path) -> None:
    pg_schema.execute(
        "CREATE TABLE rental (id serial PRIMARY KEY, rented_at timestamptz NOT NULL, amount numeric(5,2),"
        " status text);"
        "INSERT INTO rental (rented_at, amount, status)"
        " SELECT timestamptz '2005-05-24' + i * interval '1 hour', (i % 12) + 0.99,"
        " CASE WHEN i % 3 = 0 THEN 'late' ELSE 'returned' END FROM generate_series(1, 2000) i;"
        "ANALYZE rental"
    )
    seed(settings_for(pg_schema, tmp_path), tables=["rental"], rows=50, seed=4)
    with pg_schema.engine.connect() as conn:
        new = conn.execute(text("SELECT rented_at, amount, status FROM rental WHERE id > 2000")).all()
    assert len(new) == 50
    low, high = (
        dt.datetime(2005, 5, 24, tzinfo=dt.timezone.utc),
        dt.datetime(2005, 8, 17, tzinfo=dt.timezone.utc),
    )
    assert all(low <= r.rented_at <= high for r in new)
    assert all(r.amount is None or r.amount <= decimal.Decimal("11.99") for r in new)
    assert {r.status for r in new} <= {"late", "returned", None}


def test_classifier_ignores_what_it_cannot_know() -> None:
    assert classify_column("frobnicator", "widget", "str").kind == "unknown"
    assert classify_column("frobnicator", "widget", "int").kind == "unknown"


@pytest.mark.slow
def test_dry_run_shows_sample_rows_and_writes_nothing(sqlite_database: TestDatabase, tmp_path: Path) -> None:
    sqlite_database.execute(
        "CREATE TABLE employee (id INTEGER PRIMARY KEY, email TEXT NOT NULL, birth_date DATE, notes TEXT)"
    )
    common = ["--url", sqlite_database.url, "--project", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k not in ("DBAUDIT_URL", "DATABASE_URL")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbaudit",
            "seed",
            "--missing",
            "--dry-run",
            "--show",
            "4",
            "--rows",
            "9",
            *common,
        ],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "employee: 4 sample rows" in run.stdout
    shown = [line for line in run.stdout.splitlines() if "@example." in line]
    assert len(shown) == 4 and all("MOCK:" in line for line in shown)
    assert sqlite_database.scalar("SELECT count(*) FROM employee") == 0
    bad = subprocess.run(
        [sys.executable, "-m", "dbaudit", "seed", "--dry-run", "--show", "-1", *common],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@given(
    values=st.lists(st.one_of(st.text(max_size=12), st.none(), st.integers()), max_size=30),
    length=st.one_of(st.none(), st.integers(min_value=1, max_value=10)),
    rule_max=st.one_of(st.none(), st.integers(min_value=1, max_value=10)),
    rule_min=st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
)
def test_text_misfits_found_in_bulk_are_the_ones_fits_rejects(
    values: list[object], length: int | None, rule_max: int | None, rule_min: int | None
) -> None:
    """The bulk length check of a million-row seed gives the verdicts of :func:`fits`, value by value."""
    spec = ColumnSpec("name", "str", length=length, rule=ColumnRule(max_length=rule_max, min_length=rule_min))
    assert _misfits(list(values), spec) == [i for i, v in enumerate(values) if not fits(v, spec)]


@given(
    values=st.lists(
        st.one_of(
            st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9),
            st.integers(min_value=-(2**40), max_value=2**40),
            st.booleans(),
            st.text(max_size=4),
            st.none(),
        ),
        max_size=30,
    ),
    kind=st.sampled_from(["decimal", "int"]),
    precision=st.integers(min_value=1, max_value=12),
    scale=st.integers(min_value=0, max_value=4),
    bits=st.sampled_from([16, 32, 64]),
    unsigned=st.booleans(),
)
def test_number_misfits_found_in_bulk_are_the_ones_fits_rejects(
    values: list[object], kind: str, precision: int, scale: int, bits: int, unsigned: bool
) -> None:
    """A number column whose only limit is its type's range: the bound is computed once for the column,
    with the verdicts of :func:`fits`, value by value (booleans, text and NULLs among the numbers too)."""
    spec = ColumnSpec(
        "amount", kind, precision=precision, scale=min(scale, precision), int_bits=bits, unsigned=unsigned
    )
    assert _misfits(list(values), spec) == [i for i, v in enumerate(values) if not fits(v, spec)]
