"""CHECK bounds with negative numbers and casts, as each engine stores them, parsed and then seeded."""

from __future__ import annotations

import decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dbaudit.seed.constraints import parse_checks
from tests.safety.runner import run_cli
from tests.seed_support import rows_of

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

COLUMNS = {"x", "price", "r", "t"}


def bounds(dialect: str, text: str, column: str = "x") -> tuple[object, bool, object, bool]:
    rules = parse_checks([("c", text)], dialect, COLUMNS)
    assert rules.unparsed == [], f"{text!r} was not understood"
    rule = rules.columns[column]
    return rule.low, rule.low_inclusive, rule.high, rule.high_inclusive


@pytest.mark.parametrize(
    ("dialect", "text", "column", "expected"),
    [
        # PostgreSQL's own spelling of CHECK (x >= -5 AND x <= -1) and of numeric bounds
        ("postgresql", "((x >= '-5'::integer) AND (x <= '-1'::integer))", "x", (-5, True, -1, True)),
        ("postgresql", "(x >= '-5'::smallint)", "x", (-5, True, None, True)),
        ("postgresql", "(x > '-9000000000'::bigint)", "x", (-9000000000, False, None, True)),
        ("postgresql", "(price > (0)::numeric)", "price", (0, False, None, True)),
        ("postgresql", "(price >= ('-1.5'::numeric))", "price", (decimal.Decimal("-1.5"), True, None, True)),
        (
            "postgresql",
            "(r < ('-0.5'::numeric)::double precision)",
            "r",
            (None, True, decimal.Decimal("-0.5"), False),
        ),
        ("postgresql", "((0)::numeric < price)", "price", (0, False, None, True)),
        ("postgresql", "('-5'::integer <= x)", "x", (-5, True, None, True)),
        ("postgresql", "(x BETWEEN '-5'::integer AND '-2'::integer)", "x", (-5, True, -2, True)),
        ("postgresql", "((x)::numeric >= - 5)", "x", (-5, True, None, True)),
        ("postgresql", "(x >= CAST('-5' AS integer))", "x", (-5, True, None, True)),
        # MariaDB / MySQL
        ("mysql", "`x` >= -5 and `x` <= -(1)", "x", (-5, True, -1, True)),
        (
            "mysql",
            "`price` > cast(-2.5 as decimal(10,2))",
            "price",
            (decimal.Decimal("-2.5"), False, None, True),
        ),
        ("mysql", "`x` >= cast('-5' as signed)", "x", (-5, True, None, True)),
        # SQLite keeps the text as written
        ("sqlite", "x >= -5 AND x <= CAST(-1 AS INTEGER)", "x", (-5, True, -1, True)),
        ("sqlite", "x > (-(5))", "x", (-5, False, None, True)),
        ("sqlite", "r < CAST('-0.5' AS REAL)", "r", (None, True, decimal.Decimal("-0.5"), False)),
    ],
)
def test_negative_and_cast_bounds_are_numbers(
    dialect: str, text: str, column: str, expected: tuple[object, ...]
) -> None:
    assert bounds(dialect, text, column) == expected
    low, _, high, _ = bounds(dialect, text, column)
    assert all(v is None or isinstance(v, (int, decimal.Decimal)) for v in (low, high))


def test_negative_and_cast_choices_are_numbers() -> None:
    rules = parse_checks(
        [
            ("a", "(x = ANY (ARRAY['-1'::integer, 0, '2'::integer]))"),
            ("b", "(t <> '-3'::integer)"),
            ("c", "(price IN (('-1.5')::numeric, (2)::numeric))"),
        ],
        "postgresql",
        COLUMNS,
    )
    assert rules.unparsed == []
    assert rules.columns["x"].choices == [-1, 0, 2]
    assert rules.columns["t"].excluded == {-3}
    assert rules.columns["price"].choices == [decimal.Decimal("-1.5"), 2]


@pytest.mark.parametrize(
    "text",
    [
        "(price > 'NaN'::numeric)",  # no order to generate values in
        "(price > '$1.00'::money)",
        "(x > -('abc'::text))",  # a minus sign before a string is not a number
        "(x > 0x10)",
    ],
)
def test_what_is_not_a_number_stays_unparsed(text: str) -> None:
    rules = parse_checks([("odd", text)], "postgresql", COLUMNS)
    assert rules.unparsed == ["odd"]


NEGATIVE_TABLE = """
CREATE TABLE readings (
    id serial PRIMARY KEY,
    x integer NOT NULL CHECK (x >= -5 AND x <= -1),
    t smallint NOT NULL CHECK (t BETWEEN -3 AND -2),
    price numeric(10, 2) NOT NULL CHECK (price > 0),
    r real NOT NULL CHECK (r < -0.5 AND r > -100),
    big bigint NOT NULL CHECK (big >= -9000000000 AND big < -8000000000)
)
"""


@pytest.mark.slow
@pytest.mark.postgres
def test_seed_fills_a_postgres_table_with_negative_and_cast_bounds(
    pg_schema: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    pg_schema.execute(NEGATIVE_TABLE)
    stored = pg_schema.scalar(
        "SELECT string_agg(pg_get_constraintdef(oid), ' ') FROM pg_constraint WHERE contype = 'c' "
        "AND conrelid = 'readings'::regclass"
    )
    assert "'-5'::integer" in str(stored) and "(0)::numeric" in str(stored), stored
    run = run_cli(
        ["seed", "--missing", "--yes", "--rows", "30", "--project", str(tmp_path), "--url", pg_schema.url],
        capfd,
    )
    assert run.code == 0, run.describe()
    rows = rows_of(pg_schema.engine, "readings")
    assert len(rows) == 30
    for _, x, t, price, r, big in rows:
        assert -5 <= x <= -1 and -3 <= t <= -2 and price > 0 and -100 < r < -0.5
        assert -9000000000 <= big < -8000000000


@pytest.mark.slow
@pytest.mark.mysql
def test_seed_fills_a_mariadb_table_with_negative_bounds(
    mysql_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    mysql_database.execute(
        "CREATE TABLE readings (id int AUTO_INCREMENT PRIMARY KEY,"
        " x int NOT NULL CHECK (x >= -5 AND x <= -1),"
        " price decimal(10, 2) NOT NULL CHECK (price > CAST(-2 AS DECIMAL(10, 2)) AND price < 0))"
    )
    run = run_cli(
        [
            "seed",
            "--missing",
            "--yes",
            "--rows",
            "20",
            "--project",
            str(tmp_path),
            "--url",
            mysql_database.url,
        ],
        capfd,
    )
    assert run.code == 0, run.describe()
    rows = rows_of(mysql_database.engine, "readings")
    assert len(rows) == 20
    assert all(-5 <= x <= -1 and -2 < price < 0 for _, x, price in rows)
