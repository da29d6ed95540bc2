"""Reflection on a real MariaDB/MySQL server: statuses, count methods, catalog details, a limited user."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from dbaudit.config import Settings
from dbaudit.model import (
    CountMethod,
    TableKind,
    TableStatus,
)
from dbaudit.reflect import connect, dialect_for, reflect_database
from tests.conftest import TestDatabase as Database
from tests.conftest import unique_name
from tests.reflect_support import reflect, report_json, states, status_and_method

pytestmark = pytest.mark.mysql

SCHEMA_DDL = [
    """CREATE TABLE customers (
        id INT AUTO_INCREMENT PRIMARY KEY,
        email VARCHAR(120) NOT NULL,
        name VARCHAR(40) NOT NULL DEFAULT 'anonymous',
        name_upper VARCHAR(40) AS (upper(name)) STORED,
        UNIQUE KEY customers_email (email),
        CONSTRAINT customers_email_has_at CHECK (email LIKE '%@%')
    ) ENGINE=InnoDB""",
    """CREATE TABLE orders (
        id INT NOT NULL, tenant INT NOT NULL, customer_id INT,
        PRIMARY KEY (id, tenant),
        CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
    ) ENGINE=InnoDB""",
    """CREATE TABLE order_lines (
        order_id INT NOT NULL, tenant INT NOT NULL, line INT NOT NULL,
        PRIMARY KEY (order_id, tenant, line),
        CONSTRAINT order_lines_order FOREIGN KEY (order_id, tenant) REFERENCES orders (id, tenant)
    ) ENGINE=InnoDB""",
    "CREATE TABLE empty_things (id INT PRIMARY KEY) ENGINE=InnoDB",
    "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
    "CREATE TABLE `MixedCase` (id INT PRIMARY KEY)",
    "CREATE TABLE `odd ``name`` here` (id INT PRIMARY KEY)",
    "CREATE TABLE secret (id INT PRIMARY KEY)",
    "CREATE TABLE readings (id INT PRIMARY KEY) ENGINE=InnoDB",
    "CREATE VIEW customer_names AS SELECT name FROM customers",
    "INSERT INTO customers (email, name) VALUES ('a@example.com', 'Ada'), ('b@example.com', 'Bob')",
    "INSERT INTO orders VALUES (1, 1, 1)",
    "INSERT INTO order_lines VALUES (1, 1, 1), (1, 1, 2)",
    "INSERT INTO alembic_version VALUES ('abc123')",
    "INSERT INTO `MixedCase` VALUES (1), (2), (3)",
    "INSERT INTO secret VALUES (42)",
    "INSERT INTO readings SELECT seq FROM seq_1_to_500",
    "ANALYZE TABLE readings",
]

EXPECTED_STATUS = {
    "customers": TableStatus.POPULATED,
    "orders": TableStatus.POPULATED,
    "order_lines": TableStatus.POPULATED,
    "empty_things": TableStatus.EMPTY,
    "alembic_version": TableStatus.SYSTEM,
    "MixedCase": TableStatus.POPULATED,
    "odd `name` here": TableStatus.EMPTY,
    "secret": TableStatus.POPULATED,
    "readings": TableStatus.POPULATED,
}


@pytest.fixture
def shop(mysql_database: Database) -> Database:
    with mysql_database.engine.begin() as conn:
        for statement in SCHEMA_DDL:
            conn.exec_driver_sql(statement.replace("%", "%%"))
    return mysql_database


def test_every_table_gets_its_status_and_count_method(shop: Database) -> None:
    snapshot = reflect(shop.url)
    found = states(snapshot)
    assert snapshot.dialect == "mariadb"
    assert "MariaDB" in snapshot.server_version
    assert snapshot.schemas == (shop.schema,)
    assert {name: s.status for name, s in found.items()} == EXPECTED_STATUS
    assert (found["customers"].count.method, found["customers"].count.value) == (CountMethod.EXACT, 2)
    assert (found["MixedCase"].count.method, found["MixedCase"].count.value) == (CountMethod.EXACT, 3)
    assert (found["empty_things"].count.method, found["empty_things"].count.value) == (CountMethod.PROBE, 0)
    assert found["alembic_version"].count.value == 1
    assert found["readings"].count.value == 500


@pytest.mark.slow
def test_report_json_gives_every_status_and_count_method(shop: Database, tmp_path: Path) -> None:
    document = report_json(shop.url, tmp_path)
    assert document["database"]["dialect"] == "mariadb"
    probed = {"empty_things", "odd `name` here"}
    expected = {
        name: (status.value, "probe" if name in probed else "exact")
        for name, status in EXPECTED_STATUS.items()
    }
    assert status_and_method(document) == expected


@pytest.mark.slow
def test_estimates_come_from_information_schema(shop: Database) -> None:
    found = states(reflect(shop.url, exact_threshold=100))
    readings = found["readings"].count
    assert readings.method is CountMethod.ESTIMATE and readings.populated is True
    assert 250 <= readings.value <= 1000  # InnoDB samples
    # No table is called empty from an estimate.
    assert found["empty_things"].count.method is CountMethod.PROBE
    exact = states(reflect(shop.url, exact_threshold=100, exact=True))
    assert (exact["readings"].count.method, exact["readings"].count.value) == (CountMethod.EXACT, 500)
    probes = states(reflect(shop.url, counts=False))
    assert {s.count.method for s in probes.values()} == {CountMethod.PROBE}


@pytest.mark.slow
def test_views_are_listed_apart(shop: Database) -> None:
    snapshot = reflect(shop.url)
    assert [(v.name, v.kind) for v in snapshot.views] == [("customer_names", TableKind.VIEW)]
    assert "customer_names" not in states(snapshot)


def test_catalog_details(shop: Database) -> None:
    found = states(reflect(shop.url))
    customers = found["customers"].table
    assert customers.column("id").identity and not customers.column("email").identity
    assert customers.column("name").default == "'anonymous'"
    assert "name" in (customers.column("name_upper").computed or "")  # MariaDB spells upper() ucase()
    assert customers.column("email").type.startswith("VARCHAR(120)")
    assert [u.columns for u in customers.unique_constraints] == [("email",)]
    assert [c.name for c in customers.check_constraints] == ["customers_email_has_at"]
    (to_customer,) = found["orders"].table.foreign_keys
    assert (to_customer.referred_table, to_customer.ondelete) == ("customers", "CASCADE")
    (composite,) = found["order_lines"].table.foreign_keys
    assert (composite.columns, composite.referred_columns) == (("order_id", "tenant"), ("id", "tenant"))
    assert found["orders"].table.primary_key == ("id", "tenant")


def test_include_and_exclude(shop: Database) -> None:
    assert set(states(reflect(shop.url, include=("order*",), exclude=("*lines",)))) == {"orders"}


@pytest.fixture
def limited_user(shop: Database, mysql_admin: Engine) -> Iterator[str]:
    """A user who may read every table but ``secret`` (it can see ``secret``, holding INSERT on it)."""
    user = unique_name("u")[:32]
    password = "limited-pass-1"
    db = shop.schema
    with mysql_admin.connect() as conn:
        conn.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"))
        for name in EXPECTED_STATUS:
            privilege = "INSERT" if name == "secret" else "SELECT"
            quoted = name.replace("`", "``")
            conn.execute(text(f"GRANT {privilege} ON `{db}`.`{quoted}` TO '{user}'@'%'"))
        conn.execute(text(f"GRANT SELECT ON `{db}`.customer_names TO '{user}'@'%'"))
    try:
        yield make_url(shop.url).set(username=user, password=password).render_as_string(hide_password=False)
    finally:
        with mysql_admin.connect() as conn:
            conn.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))


@pytest.mark.slow
def test_a_table_the_user_may_not_read_is_unreadable(limited_user: str) -> None:
    found = states(reflect(limited_user))
    assert found["secret"].status is TableStatus.UNREADABLE
    assert found["secret"].reason == "permission denied"
    assert {name: s.status for name, s in found.items()} == dict(
        EXPECTED_STATUS, secret=TableStatus.UNREADABLE
    )
    assert found["customers"].count.value == 2


def test_the_report_transaction_is_read_only(shop: Database) -> None:
    engine = connect(Settings(url=shop.url))
    try:
        with engine.connect() as conn:
            dialect_for(engine.dialect.name).begin_read_only(conn)
            with pytest.raises(Exception, match="READ ONLY"):
                conn.execute(text("INSERT INTO empty_things VALUES (1)"))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_probe_that_runs_out_of_time_marks_only_that_table_unreadable(shop: Database) -> None:
    locker = create_engine(shop.url)
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with locker.connect() as conn:
            conn.execute(text("LOCK TABLES empty_things WRITE"))
            locked.set()
            release.wait(30)
            conn.execute(text("UNLOCK TABLES"))

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        found = states(reflect(shop.url, count_timeout=0.5, include=("empty_things", "customers")))
    finally:
        release.set()
        holder.join()
        locker.dispose()
    assert found["empty_things"].status is TableStatus.UNREADABLE
    assert found["empty_things"].reason == "probe timed out after 0.5 s"
    assert found["customers"].count.value == 2


def test_a_callers_engine_gets_its_connection_back_unchanged(shop: Database) -> None:
    # reflect_database may run on the caller's engine: the time budget must not stay on its pooled connection.
    snapshot = reflect_database(Settings(url=shop.url, count_timeout=0.75), shop.engine)
    assert states(snapshot)["customers"].count.value == 2
    with shop.engine.connect() as conn:
        session, default = conn.execute(
            text("SELECT @@SESSION.max_statement_time, @@GLOBAL.max_statement_time")
        ).one()
        assert session == default
        conn.execute(text("INSERT INTO empty_things VALUES (7)"))  # no read-only transaction left behind
        conn.rollback()
