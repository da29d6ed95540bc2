"""Reflection on SQLite: statuses, count methods, catalog details, the progress-handler time budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from dbaudit.config import Settings
from dbaudit.model import (
    CountMethod,
    TableKind,
    TableStatus,
)
from dbaudit.reflect import connect, dialect_for
from dbaudit.reflect.counts import Failure, Target, count_tables
from tests.conftest import TestDatabase as Database
from tests.reflect_support import reflect, report_json, states, status_and_method

SCHEMA_DDL = [
    """CREATE TABLE customers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL CHECK (email LIKE '%@%'),
        name TEXT NOT NULL DEFAULT 'anonymous',
        name_upper TEXT GENERATED ALWAYS AS (upper(name)) STORED,
        deleted_at TEXT
    )""",
    "CREATE UNIQUE INDEX customers_live_email ON customers (email) WHERE deleted_at IS NULL",
    """CREATE TABLE orders (
        id INTEGER NOT NULL, tenant INTEGER NOT NULL,
        customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
        PRIMARY KEY (id, tenant), UNIQUE (customer_id, tenant)
    )""",
    """CREATE TABLE order_lines (
        order_id INTEGER NOT NULL, tenant INTEGER NOT NULL, line INTEGER NOT NULL,
        PRIMARY KEY (order_id, tenant, line),
        FOREIGN KEY (order_id, tenant) REFERENCES orders (id, tenant) DEFERRABLE INITIALLY DEFERRED
    )""",
    "CREATE TABLE empty_things (id INTEGER PRIMARY KEY, label TEXT)",
    "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
    'CREATE TABLE "MixedCase" (id INTEGER PRIMARY KEY)',
    'CREATE TABLE "odd ""name"" here" (id INTEGER PRIMARY KEY)',
    "CREATE TABLE readings (id INTEGER PRIMARY KEY, value REAL)",
    "CREATE VIEW customer_names AS SELECT name FROM customers",
    "INSERT INTO customers (email, name) VALUES ('a@example.com', 'Ada'), ('b@example.com', 'Bob')",
    "INSERT INTO orders VALUES (1, 1, 1)",
    "INSERT INTO order_lines VALUES (1, 1, 1), (1, 1, 2)",
    "INSERT INTO alembic_version VALUES ('abc123')",
    'INSERT INTO "MixedCase" VALUES (1), (2), (3)',
    """INSERT INTO readings (value)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n""",
]

EXPECTED_STATUS = {
    "customers": TableStatus.POPULATED,
    "orders": TableStatus.POPULATED,
    "order_lines": TableStatus.POPULATED,
    "empty_things": TableStatus.EMPTY,
    "alembic_version": TableStatus.SYSTEM,
    "sqlite_sequence": TableStatus.SYSTEM,
    "MixedCase": TableStatus.POPULATED,
    'odd "name" here': TableStatus.EMPTY,
    "readings": TableStatus.POPULATED,
}


@pytest.fixture
def shop(sqlite_database: Database) -> Database:
    with sqlite_database.engine.begin() as conn:
        for statement in SCHEMA_DDL:
            conn.exec_driver_sql(statement)
    return sqlite_database


@pytest.mark.slow
def test_every_table_gets_its_status_and_count_method(shop: Database) -> None:
    snapshot = reflect(shop.url)
    found = states(snapshot)
    assert (snapshot.dialect, snapshot.schemas) == ("sqlite", ("main",))
    assert snapshot.server_version.startswith("3.")
    assert {name: s.status for name, s in found.items()} == EXPECTED_STATUS
    assert all(s.table.schema is None for s in snapshot.tables)
    assert (found["customers"].count.method, found["customers"].count.value) == (CountMethod.EXACT, 2)
    assert (found["readings"].count.method, found["readings"].count.value) == (CountMethod.EXACT, 20000)
    assert (found["empty_things"].count.method, found["empty_things"].count.value) == (CountMethod.PROBE, 0)
    assert found["sqlite_sequence"].reason == "system table (sqlite_sequence)"
    # SQLite keeps no row estimates: even past the threshold the count is exact (within its budget).
    assert states(reflect(shop.url, exact_threshold=10))["readings"].count.method is CountMethod.EXACT
    probes = states(reflect(shop.url, counts=False))
    assert {s.count.method for s in probes.values()} == {CountMethod.PROBE}
    assert probes["readings"].count.value is None and probes["readings"].count.populated is True


@pytest.mark.slow
def test_report_json_gives_every_status_and_count_method(shop: Database, tmp_path: Path) -> None:
    document = report_json(shop.url, tmp_path)
    probed = {"empty_things", 'odd "name" here'}
    expected = {
        name: (status.value, "probe" if name in probed else "exact")
        for name, status in EXPECTED_STATUS.items()
    }
    assert status_and_method(document) == expected
    assert [view["name"] for view in document["database"]["views"]] == ["customer_names"]


def test_views_are_listed_apart(shop: Database) -> None:
    snapshot = reflect(shop.url)
    assert [(v.name, v.schema, v.kind) for v in snapshot.views] == [("customer_names", None, TableKind.VIEW)]


def test_catalog_details(shop: Database) -> None:
    found = states(reflect(shop.url))
    customers = found["customers"].table
    assert customers.column("id").identity and not customers.column("email").identity
    assert customers.column("name").default == "'anonymous'"
    assert customers.column("name_upper").computed == "upper(name)"
    assert [(u.columns, u.where) for u in customers.unique_constraints] == [
        (("email",), "deleted_at IS NULL")
    ]
    assert [c.sqltext for c in customers.check_constraints] == ["email LIKE '%@%'"]
    orders = found["orders"].table
    assert orders.primary_key == ("id", "tenant")
    assert not orders.column("id").identity  # part of a composite key: not the rowid
    assert [u.columns for u in orders.unique_constraints] == [("customer_id", "tenant")]
    assert [(fk.referred_table, fk.ondelete) for fk in orders.foreign_keys] == [("customers", "CASCADE")]
    (composite,) = found["order_lines"].table.foreign_keys
    assert (composite.columns, composite.referred_columns, composite.deferrable) == (
        ("order_id", "tenant"),
        ("id", "tenant"),
        True,
    )


def test_include_and_exclude(shop: Database) -> None:
    assert set(states(reflect(shop.url, include=("order*",), exclude=("*lines",)))) == {"orders"}
    assert set(states(reflect(shop.url, include=("main.Mixed*",)))) == {"MixedCase"}


def test_a_statement_past_its_budget_is_interrupted_and_isolated(shop: Database) -> None:
    # SQLite has no statement timeout; the dialect's progress handler interrupts past the deadline.
    slow = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n")
    engine = connect(Settings(url=shop.url))
    try:
        with engine.connect() as conn:
            dialect = dialect_for(engine.dialect.name)
            with pytest.raises(DBAPIError) as caught, dialect.time_budget(conn, 0.05):
                conn.execute(slow)
            assert dialect.is_timeout(caught.value)
            assert dialect.explain_failure(caught.value, 0.05) == "timed out after 0.05 s"
            # The handler is gone afterwards and the connection still works.
            assert count_tables(conn, dialect, [Target("readings"), Target("MixedCase")], 1.0) == [20000, 3]
            assert count_tables(conn, dialect, [Target("no_such_table")], 1.0)[0] == Failure(
                "no such table: no_such_table"
            )
    finally:
        engine.dispose()


def test_the_report_connection_is_read_only_and_left_writable(shop: Database) -> None:
    engine = connect(Settings(url=shop.url))
    try:
        with engine.connect() as conn:
            dialect = dialect_for(engine.dialect.name)
            dialect.begin_read_only(conn)
            with pytest.raises(Exception, match="readonly"):
                conn.execute(text("INSERT INTO empty_things VALUES (1, 'x')"))
            dialect.end_read_only(conn)
            conn.execute(text("INSERT INTO empty_things VALUES (1, 'x')"))
            conn.rollback()
    finally:
        engine.dispose()
    reflect(shop.url)
    assert shop.scalar("SELECT count(*) FROM empty_things") == 0
