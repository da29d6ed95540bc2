"""Each CHECK form the seeder understands: parsed and judged in Python, then ``seed --missing --yes`` fills a
real table of the right dialect with that CHECK (the server enforcing it), and an unsatisfiable variant of
the same form is reported with its reason instead of being retried."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dbaudit.seed.constraints import parse_checks
from dbaudit.seed.predicates import UNSURE, passes
from tests.safety.runner import run_cli

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

FIXTURE = {"postgresql": "pg_database", "mysql": "mysql_database", "sqlite": "sqlite_database"}


# ------------------------------------------------------------------------------------------------------------
# Parsing and judging in Python


@dataclass(frozen=True)
class Judged:
    dialect: str
    text: str
    good: dict[str, Any]
    bad: dict[str, Any]
    alternatives: int = 1


TODAY = dt.date.today()
JUDGED = {
    "cast-and-negative": Judged(
        "postgresql", "((x >= '-5'::integer) AND (x <= '-1'::integer))", {"x": -3}, {"x": 0}
    ),
    "between": Judged("mysql", "`b` between -5 and 5", {"b": 5}, {"b": 6}),
    "function-in-any": Judged(
        "postgresql",
        "(upper((persontype)::text) = ANY (ARRAY['SC'::text, 'VC'::text]))",
        {"persontype": "sc"},
        {"persontype": "xx"},
    ),
    "function-in-list": Judged(
        "mysql", "lcase(trim(`code`)) in ('ab','cd')", {"code": " AB "}, {"code": "ef"}
    ),
    "length": Judged("sqlite", "length(nick) BETWEEN 3 AND 5", {"nick": "abcd"}, {"nick": "ab"}),
    "like-or-like": Judged("sqlite", "k LIKE 'a%' OR k LIKE 'b_'", {"k": "bz"}, {"k": "bzz"}, alternatives=2),
    "glob": Judged("sqlite", "c GLOB '[0-9][0-9]-*'", {"c": "12-x"}, {"c": "1a-x"}),
    "regex": Judged(
        "postgresql",
        "(isrc ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$'::text)",
        {"isrc": "GBAYE0601498"},
        {"isrc": "gbaye0601498"},
    ),
    "regexp": Judged("mysql", "`s` regexp '^[a-z]{3,8}$'", {"s": "abc"}, {"s": "ab1"}),
    "null-escape": Judged(
        "postgresql",
        "((shipdate >= orderdate) OR (shipdate IS NULL))",
        {"shipdate": None, "orderdate": TODAY},
        {"shipdate": TODAY - dt.timedelta(days=1), "orderdate": TODAY},
        alternatives=2,
    ),
    "conditional": Judged(
        "postgresql",
        "(((a IS NULL) AND (b = 0) AND (c = 1)) OR ((a IS NOT NULL) AND (b >= 1)))",
        {"a": None, "b": 0, "c": 1},
        {"a": None, "b": 1, "c": 1},
        alternatives=2,
    ),
    "column-pair": Judged("postgresql", "(src < dst)", {"src": 1, "dst": 2}, {"src": 2, "dst": 2}),
    "now-interval": Judged(
        "postgresql",
        "(birthdate <= (now() - '18 years'::interval))",
        {"birthdate": dt.date(1990, 1, 1)},
        {"birthdate": TODAY},
    ),
    "exactly-one": Judged(
        "postgresql",
        "(num_nonnulls(a, b, c) = 1)",
        {"a": 1, "b": None, "c": None},
        {"a": 1, "b": 2, "c": None},
        alternatives=3,
    ),
    "xor-parents": Judged(
        "postgresql",
        "((plan_id IS NOT NULL) <> (subscription_id IS NOT NULL))",
        {"plan_id": 1, "subscription_id": None},
        {"plan_id": None, "subscription_id": None},
        alternatives=2,
    ),
    "jsonb-typeof": Judged(
        "postgresql", "(jsonb_typeof(value) = 'object'::text)", {"value": {"a": 1}}, {"value": [1]}
    ),
    "array-length": Judged(
        "postgresql", "(array_length(tags, 1) >= 2)", {"tags": ["a", "b"]}, {"tags": ["a"]}
    ),
    "not-in-all": Judged("postgresql", "(type <> ALL (ARRAY[2, 5, 6]))", {"type": 3}, {"type": 5}),
    "boolean-is-false": Judged(
        "postgresql",
        "(((locale IS NULL) AND (primary_for_locale IS FALSE)) OR (locale IS NOT NULL))",
        {"locale": None, "primary_for_locale": False},
        {"locale": None, "primary_for_locale": True},
        alternatives=2,
    ),
}


@pytest.mark.parametrize("form", sorted(JUDGED))
def test_each_form_is_understood_and_judged(form: str) -> None:
    case = JUDGED[form]
    columns = set(case.good) | set(case.bad)
    rules = parse_checks([("c", case.text)], case.dialect, columns)
    (check,) = rules.checks
    assert rules.unparsed == [] and check.exact, f"{case.text!r} is not fully understood"
    assert check.alternatives is not None and len(check.alternatives) == case.alternatives
    assert passes(check.predicate, case.good) is True
    assert passes(check.predicate, case.bad) is False


def test_a_function_of_the_schema_is_left_to_the_server() -> None:
    rules = parse_checks(
        [("ws", "musicbrainz.controlled_for_whitespace((name)::text)")], "postgresql", {"name"}
    )
    (check,) = rules.checks
    assert rules.unparsed == ["ws"] and not check.exact
    assert passes(check.predicate, {"name": "x"}) is UNSURE


# ------------------------------------------------------------------------------------------------------------
# Seeding real tables


@dataclass(frozen=True)
class Form:
    dialect: str
    ddl: tuple[str, ...]
    unsatisfiable: tuple[str, ...]
    table: str = "t"
    at_least: int = 20
    """Rows expected of the 20 asked (fewer where the database judges candidates and some are dropped)."""
    reason: str = "unsatisfiable CHECK"


PARENTS_PG = (
    "CREATE TABLE node (id serial PRIMARY KEY, label text NOT NULL)",
    "CREATE TABLE plan (id serial PRIMARY KEY, name text NOT NULL)",
    "CREATE TABLE subscription (id serial PRIMARY KEY, name text NOT NULL)",
)

FORMS = {
    "cast-and-negative": Form(
        "postgresql",
        ("CREATE TABLE t (id serial PRIMARY KEY, x integer NOT NULL CHECK (x >= -5 AND x <= -1))",),
        ("CREATE TABLE t (id serial PRIMARY KEY, x integer NOT NULL CHECK (x > 5 AND x < 3))",),
    ),
    "between": Form(
        "mysql",
        ("CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, b int NOT NULL CHECK (b BETWEEN -5 AND 5))",),
        ("CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, b int NOT NULL CHECK (b BETWEEN 5 AND 3))",),
    ),
    "function-in-any": Form(
        "postgresql",
        (
            "CREATE TABLE t (id serial PRIMARY KEY, persontype varchar(2) NOT NULL"
            " CHECK (upper(persontype::text) = ANY (ARRAY['SC', 'VC', 'IN'])))",
        ),
        (
            "CREATE TABLE t (id serial PRIMARY KEY, persontype varchar(2) NOT NULL"
            " CHECK (upper(persontype::text) = ANY (ARRAY['sc', 'vc'])))",
        ),
    ),
    "function-in-list": Form(
        "mysql",
        (
            "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, code varchar(5) NOT NULL"
            " CHECK (lower(trim(code)) IN ('ab', 'cd')))",
        ),
        (
            "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, code varchar(5) NOT NULL"
            " CHECK (char_length(code) > 3 AND lower(code) IN ('ab', 'cd')))",
        ),
    ),
    "length": Form(
        "sqlite",
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, nick TEXT NOT NULL CHECK (length(nick) BETWEEN 3 AND 5))",),
        (
            "CREATE TABLE t (id INTEGER PRIMARY KEY, nick TEXT NOT NULL"
            " CHECK (length(nick) > 5 AND length(nick) < 3))",
        ),
    ),
    "like-or-like": Form(
        "sqlite",
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL CHECK (k LIKE 'a%' OR k LIKE 'b_'))",),
        (
            "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL"
            " CHECK ((k LIKE 'a%' OR k LIKE 'b_') AND length(k) > 9 AND length(k) < 2))",
        ),
    ),
    "glob": Form(
        "sqlite",
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, c TEXT NOT NULL CHECK (c GLOB '[0-9][0-9]-*'))",),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, c TEXT NOT NULL CHECK (c GLOB '[0-9]*' AND c IS NULL))",),
    ),
    "regex": Form(
        "postgresql",
        (
            "CREATE TABLE t (id serial PRIMARY KEY,"
            " isrc char(12) NOT NULL CHECK (isrc ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$'))",
        ),
        (
            "CREATE TABLE t (id serial PRIMARY KEY,"
            " code varchar(12) NOT NULL CHECK (code ~ '^[a-z]+$' AND code ~ '^[0-9]+$'))",
        ),
    ),
    "regexp": Form(
        "mysql",
        (
            "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY,"
            " s varchar(20) NOT NULL CHECK (s REGEXP '^[a-z]{3,8}$'))",
        ),
        (
            "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY,"
            " s varchar(20) NOT NULL CHECK (s REGEXP '^[a-z]+$' AND s REGEXP '^[0-9]+$'))",
        ),
    ),
    "null-escape": Form(
        "postgresql",
        (
            "CREATE TABLE t (id serial PRIMARY KEY, orderdate date NOT NULL, shipdate date,"
            " CHECK (shipdate >= orderdate OR shipdate IS NULL))",
        ),
        (
            "CREATE TABLE t (id serial PRIMARY KEY, orderdate date NOT NULL, shipdate date NOT NULL,"
            " CHECK ((shipdate >= orderdate OR shipdate IS NULL) AND shipdate IS NULL))",
        ),
    ),
    "conditional": Form(
        "postgresql",
        (
            "CREATE TABLE t (id serial PRIMARY KEY, a text, b int NOT NULL, c int NOT NULL,"
            " CHECK ((a IS NULL AND b = 0 AND c = 1) OR (a IS NOT NULL AND b >= 1)))",
        ),
        (
            "CREATE TABLE t (id serial PRIMARY KEY, a text, b int NOT NULL, c int NOT NULL,"
            " CHECK ((a IS NULL AND b = 0 AND c = 1) OR (a IS NOT NULL AND b >= 1)), CHECK (b < 0))",
        ),
    ),
    "column-pair-on-foreign-keys": Form(
        "postgresql",
        (
            *PARENTS_PG,
            "CREATE TABLE t (id serial PRIMARY KEY, src int NOT NULL REFERENCES node,"
            " dst int NOT NULL REFERENCES node, CHECK (src < dst), CHECK (src <> dst))",
        ),
        (
            *PARENTS_PG,
            "CREATE TABLE t (id serial PRIMARY KEY, src int NOT NULL REFERENCES node,"
            " dst int NOT NULL REFERENCES node, CONSTRAINT forward CHECK (src < dst),"
            " CONSTRAINT backward CHECK (src > dst))",
        ),
    ),
    "now-interval": Form(
        "postgresql",
        (
            "CREATE TABLE t (id serial PRIMARY KEY,"
            " birthdate date NOT NULL CHECK (birthdate <= now() - '18 years'::interval),"
            " starts timestamptz NOT NULL CHECK (starts >= CURRENT_TIMESTAMP + interval '1 day'))",
        ),
        (
            "CREATE TABLE t (id serial PRIMARY KEY, birthdate date NOT NULL"
            " CHECK (birthdate <= now() - '18 years'::interval AND birthdate >= CURRENT_DATE))",
        ),
    ),
    "exactly-one": Form(
        "postgresql",
        ("CREATE TABLE t (id serial PRIMARY KEY, a int, b text, c date, CHECK (num_nonnulls(a, b, c) = 1))",),
        (
            "CREATE TABLE t (id serial PRIMARY KEY, a int NOT NULL, b text NOT NULL,"
            " CHECK (num_nonnulls(a, b) = 1))",
        ),
    ),
    "xor-parents": Form(
        "postgresql",
        (
            *PARENTS_PG,
            "CREATE TABLE t (id serial PRIMARY KEY, plan_id int REFERENCES plan,"
            " subscription_id int REFERENCES subscription,"
            " CHECK ((plan_id IS NOT NULL) <> (subscription_id IS NOT NULL)))",
        ),
        (
            *PARENTS_PG,
            "CREATE TABLE t (id serial PRIMARY KEY, plan_id int NOT NULL REFERENCES plan,"
            " subscription_id int NOT NULL REFERENCES subscription,"
            " CHECK ((plan_id IS NOT NULL) <> (subscription_id IS NOT NULL)))",
        ),
    ),
    "jsonb-typeof": Form(
        "postgresql",
        (
            "CREATE TABLE t (id serial PRIMARY KEY,"
            " value jsonb NOT NULL CHECK (jsonb_typeof(value) = 'object'),"
            " tags jsonb CHECK (jsonb_typeof(tags) = 'array'))",
        ),
        (
            "CREATE TABLE t (id serial PRIMARY KEY, value jsonb NOT NULL"
            " CHECK (jsonb_typeof(value) = 'object' AND jsonb_typeof(value) = 'array'))",
        ),
    ),
    "array-length": Form(
        "postgresql",
        (
            "CREATE TABLE t (id serial PRIMARY KEY, tags text[] NOT NULL"
            " CHECK (array_length(tags, 1) >= 2 AND cardinality(tags) <= 4))",
        ),
        (
            "CREATE TABLE t (id serial PRIMARY KEY, tags text[] NOT NULL"
            " CHECK (cardinality(tags) > 5 AND cardinality(tags) < 2))",
        ),
    ),
    "domain": Form(
        "postgresql",
        (
            "CREATE DOMAIN account_number AS varchar(15) CHECK (VALUE ~ '^[0-9]{4,15}$')",
            "CREATE DOMAIN percent AS numeric(5, 2) NOT NULL CHECK (VALUE BETWEEN 0 AND 100)",
            "CREATE TABLE t (id serial PRIMARY KEY, account account_number NOT NULL, share percent)",
        ),
        (
            "CREATE DOMAIN impossible AS integer CHECK (VALUE > 5 AND VALUE < 3)",
            "CREATE TABLE t (id serial PRIMARY KEY, x impossible NOT NULL)",
        ),
    ),
    "server-judged-postgres": Form(
        "postgresql",
        (
            "CREATE FUNCTION is_even(integer) RETURNS boolean IMMUTABLE LANGUAGE sql AS 'SELECT $1 % 2 = 0'",
            "CREATE TABLE t (id serial PRIMARY KEY, n integer NOT NULL CHECK (is_even(n)))",
        ),
        (
            "CREATE FUNCTION is_even(integer) RETURNS boolean IMMUTABLE LANGUAGE sql AS 'SELECT $1 % 2 = 0'",
            "CREATE TABLE t (id serial PRIMARY KEY, n integer NOT NULL"
            " CHECK (is_even(n) AND NOT is_even(n)))",
        ),
        at_least=15,
    ),
    "server-judged-sqlite": Form(
        "sqlite",
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL CHECK (n % 2 = 0))",),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL CHECK (n % 2 = 0 AND n % 2 = 1))",),
        at_least=15,
    ),
    "server-judged-mariadb": Form(
        "mysql",
        ("CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, n int NOT NULL CHECK (n % 2 = 0))",),
        (
            "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, n int NOT NULL"
            " CHECK (n % 2 = 0 AND n % 2 = 1))",
        ),
        at_least=15,
    ),
    "exclusion": Form(
        "postgresql",
        (
            "CREATE TABLE t (id serial PRIMARY KEY, during tsrange NOT NULL,"
            " EXCLUDE USING gist (during WITH &&))",
        ),
        (
            "CREATE TABLE t (id serial PRIMARY KEY, lo int NOT NULL, hi int NOT NULL,"
            " EXCLUDE USING gist (int4range(lo, hi) WITH &&))",
        ),
        reason="exclusion constraint",
    ),
}


def _database(request: pytest.FixtureRequest, dialect: str) -> TestDatabase:
    return request.getfixturevalue(FIXTURE[dialect])  # type: ignore[no-any-return]


def _seed(db: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> Any:
    args = ["seed", "--missing", "--yes", "--rows", "20", "--project", str(tmp_path), "--url", db.url]
    return run_cli(args, capfd)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_seed_fills_a_table_with_each_check_form(
    form: str, request: pytest.FixtureRequest, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    case = FORMS[form]
    db = _database(request, case.dialect)
    for statement in case.ddl:
        db.execute(statement)
    run = _seed(db, tmp_path, capfd)
    assert run.code == 0, run.describe()
    count = db.scalar(f"SELECT count(*) FROM {case.table}")
    assert isinstance(count, int) and case.at_least <= count <= 20, run.describe()


@pytest.mark.parametrize("form", sorted(FORMS))
def test_an_unsatisfiable_check_of_each_form_is_reported_not_retried(
    form: str, request: pytest.FixtureRequest, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    case = FORMS[form]
    db = _database(request, case.dialect)
    for statement in case.unsatisfiable:
        db.execute(statement)
    run = _seed(db, tmp_path, capfd)
    assert run.code != 2, run.describe()
    assert case.reason in run.stdout + run.stderr, run.describe()
    assert db.scalar(f"SELECT count(*) FROM {case.table}") == 0
