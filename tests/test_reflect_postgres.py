"""Reflection on a real PostgreSQL server: statuses, count methods, catalog details, roles and partitions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from dbaudit.config import Settings
from dbaudit.errors import SchemaNotFound
from dbaudit.model import (
    CountMethod,
    TableKind,
    TableStatus,
)
from dbaudit.reflect import connect, dialect_for, reflect_database
from dbaudit.reflect.counts import Target, count_tables, probe_tables
from tests.conftest import PG_URL, _with_search_path, corpus_file, unique_name
from tests.conftest import TestDatabase as Database
from tests.reflect_support import reflect, report_json, states, status_and_method

# slow: builds a schema with 5,000,000 rows once for the module
pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BIG_ROWS = 5_000_000

SCHEMA_DDL = """
CREATE TABLE customers (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    name text NOT NULL DEFAULT 'anonymous',
    name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
    deleted_at timestamptz,
    CONSTRAINT customers_email_has_at CHECK (position('@' in email) > 0)
);
CREATE UNIQUE INDEX customers_live_email ON customers (email) WHERE deleted_at IS NULL;
CREATE TABLE orders (
    id serial,
    tenant integer NOT NULL,
    customer_id integer REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (id, tenant),
    CONSTRAINT orders_customer_tenant UNIQUE (customer_id, tenant)
);
CREATE TABLE order_lines (
    order_id integer NOT NULL,
    tenant integer NOT NULL,
    line integer NOT NULL,
    PRIMARY KEY (order_id, tenant, line),
    CONSTRAINT order_lines_order FOREIGN KEY (order_id, tenant) REFERENCES orders (id, tenant)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE empty_things (id integer PRIMARY KEY, label text);
CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
CREATE TABLE dbaudit_seed_log (id integer PRIMARY KEY);
CREATE TABLE events (id integer NOT NULL, happened date NOT NULL) PARTITION BY RANGE (happened);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE quiet_events (id integer NOT NULL, happened date NOT NULL) PARTITION BY RANGE (happened);
CREATE TABLE quiet_events_2024 PARTITION OF quiet_events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements (id integer, taken date);
CREATE TABLE measurements_2020 (CHECK (taken < '2021-01-01')) INHERITS (measurements);
CREATE TABLE "MixedCase" (id integer PRIMARY KEY);
CREATE TABLE "odd ""name"" here" (id integer PRIMARY KEY, "Weird Col" text);
CREATE TABLE secret (id integer PRIMARY KEY);
CREATE TABLE big (id integer);
CREATE VIEW customer_names AS SELECT name FROM customers;
CREATE MATERIALIZED VIEW order_count AS SELECT count(*) AS n FROM orders;

INSERT INTO customers (email, name) VALUES ('a@example.com', 'Ada'), ('b@example.com', 'Bob');
INSERT INTO orders (tenant, customer_id) VALUES (1, 1);
INSERT INTO order_lines VALUES (1, 1, 1), (1, 1, 2);
INSERT INTO alembic_version VALUES ('abc123');
INSERT INTO events VALUES (1, '2025-03-01');
INSERT INTO measurements_2020 VALUES (1, '2020-05-05');
INSERT INTO "MixedCase" VALUES (1), (2), (3);
INSERT INTO secret VALUES (42);
"""

EXPECTED_STATUS = {
    "customers": TableStatus.POPULATED,
    "orders": TableStatus.POPULATED,
    "order_lines": TableStatus.POPULATED,
    "empty_things": TableStatus.EMPTY,
    "alembic_version": TableStatus.SYSTEM,
    "dbaudit_seed_log": TableStatus.SYSTEM,
    "events": TableStatus.POPULATED,
    "quiet_events": TableStatus.EMPTY,
    "measurements": TableStatus.POPULATED,
    "MixedCase": TableStatus.POPULATED,
    'odd "name" here': TableStatus.EMPTY,
    "secret": TableStatus.POPULATED,
    "big": TableStatus.POPULATED,
}


@dataclass
class AuditedSchema:
    schema: str
    url: str


@pytest.fixture(scope="module")
def audited(pg_admin: Engine) -> Iterator[AuditedSchema]:
    """One schema with every kind of table, including 5M rows, built once for the module."""
    schema = unique_name("refl")
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(PG_URL, schema)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(SCHEMA_DDL)
            conn.execute(text("INSERT INTO big SELECT g FROM generate_series(1, :n) AS g"), {"n": BIG_ROWS})
        with engine.connect() as conn:
            conn.execute(text("COMMIT"))
            conn.exec_driver_sql("ANALYZE big")
        yield AuditedSchema(schema=schema, url=url)
    finally:
        engine.dispose()
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def test_every_table_gets_its_status_and_count_method(audited: AuditedSchema) -> None:
    snapshot = reflect(audited.url)
    found = states(snapshot)
    assert snapshot.dialect == "postgresql"
    assert snapshot.schemas == (audited.schema,)
    assert snapshot.server_version.startswith("15") or snapshot.server_version[:2].isdigit()
    assert {name: s.status for name, s in found.items()} == EXPECTED_STATUS
    # Empty verdicts rest on a probe; small populated tables are counted exactly.
    for name, state in found.items():
        assert state.count is not None, name
        if state.status is TableStatus.EMPTY:
            assert (state.count.method, state.count.populated, state.count.value) == (
                CountMethod.PROBE,
                False,
                0,
            )
    assert (found["customers"].count.method, found["customers"].count.value) == (CountMethod.EXACT, 2)
    assert (found["MixedCase"].count.method, found["MixedCase"].count.value) == (CountMethod.EXACT, 3)
    assert found["alembic_version"].count.value == 1
    assert found["alembic_version"].reason == "system table (alembic_version)"
    assert found["dbaudit_seed_log"].reason == "system table (dbaudit_*)"
    # The 5M-row table is not scanned by default: its count is the planner's estimate, its status a probe.
    big = found["big"].count
    assert big.method is CountMethod.ESTIMATE and big.populated is True
    assert abs(big.value - BIG_ROWS) < BIG_ROWS * 0.1


def test_report_json_gives_every_status_and_count_method(audited: AuditedSchema, tmp_path: Path) -> None:
    document = report_json(audited.url, tmp_path)
    assert document["schema_version"] and document["database"]["dialect"] == "postgresql"
    exact = {
        "customers",
        "orders",
        "order_lines",
        "alembic_version",
        "events",
        "measurements",
        "MixedCase",
        "secret",
    }
    expected = {
        name: (status.value, "estimate" if name == "big" else "exact" if name in exact else "probe")
        for name, status in EXPECTED_STATUS.items()
    }
    assert status_and_method(document) == expected
    forced = status_and_method(report_json(audited.url, tmp_path, "--exact"))
    assert forced["big"] == ("populated", "exact")
    probes = status_and_method(report_json(audited.url, tmp_path, "--no-counts"))
    assert {method for _status, method in probes.values()} == {"probe"}


def test_exact_counts_every_table_when_asked(audited: AuditedSchema) -> None:
    found = states(reflect(audited.url, exact=True))
    assert (found["big"].count.method, found["big"].count.value) == (CountMethod.EXACT, BIG_ROWS)
    assert (found["events"].count.method, found["events"].count.value) == (CountMethod.EXACT, 1)


def test_a_count_past_its_budget_falls_back_to_the_estimate(audited: AuditedSchema) -> None:
    # The threshold lets every table be counted, the budget does not let 5M rows be.
    found = states(reflect(audited.url, exact_threshold=10**9, count_timeout=0.05))
    big = found["big"].count
    assert (big.method, big.populated) == (CountMethod.ESTIMATE, True)
    assert abs(big.value - BIG_ROWS) < BIG_ROWS * 0.1
    assert (found["customers"].count.method, found["customers"].count.value) == (CountMethod.EXACT, 2)


def test_no_counts_only_probes(audited: AuditedSchema) -> None:
    found = states(reflect(audited.url, counts=False))
    assert {name: s.status for name, s in found.items()} == EXPECTED_STATUS
    for name, state in found.items():
        assert state.count.method is CountMethod.PROBE, name
        assert state.count.value == (None if state.count.populated else 0), name


def test_a_lower_threshold_turns_counts_into_estimates_only_where_one_is_known(
    audited: AuditedSchema,
) -> None:
    found = states(reflect(audited.url, exact_threshold=10))
    assert found["big"].count.method is CountMethod.ESTIMATE
    # Never analysed: no estimate, so the small table is still counted.
    assert found["customers"].count.method is CountMethod.EXACT


def test_partitions_and_inheritance_children_are_folded_into_their_parent(audited: AuditedSchema) -> None:
    snapshot = reflect(audited.url)
    found = states(snapshot)
    assert not {"events_2024", "events_2025", "quiet_events_2024", "measurements_2020"} & set(found)
    events = found["events"].table
    assert events.kind is TableKind.PARTITIONED
    assert events.partitions == ("events_2024", "events_2025")
    assert found["quiet_events"].table.partitions == ("quiet_events_2024",)
    measurements = found["measurements"].table
    assert (measurements.kind, measurements.partitions) == (TableKind.TABLE, ("measurements_2020",))
    assert found["measurements"].count.value == 1  # the row lives in the child


def test_views_are_listed_apart_and_never_counted(audited: AuditedSchema) -> None:
    snapshot = reflect(audited.url)
    assert [(v.name, v.kind) for v in snapshot.views] == [
        ("customer_names", TableKind.VIEW),
        ("order_count", TableKind.MATERIALIZED_VIEW),
    ]
    assert not {"customer_names", "order_count"} & set(states(snapshot))


def test_catalog_details(audited: AuditedSchema) -> None:
    found = states(reflect(audited.url))
    customers = found["customers"].table
    by_name = {c.name: c for c in customers.columns}
    assert [c.name for c in customers.columns] == ["id", "email", "name", "name_upper", "deleted_at"]
    assert by_name["id"].identity and not by_name["id"].nullable
    assert by_name["name"].default == "'anonymous'::text"
    assert by_name["name_upper"].computed == "upper(name)"
    assert by_name["deleted_at"].type == "TIMESTAMP WITH TIME ZONE"
    assert customers.primary_key == ("id",)
    assert [(u.columns, u.where) for u in customers.unique_constraints] == [
        (("email",), "(deleted_at IS NULL)")
    ]
    assert [c.name for c in customers.check_constraints] == ["customers_email_has_at"]

    orders = found["orders"].table
    assert orders.column("id").identity  # serial
    assert orders.primary_key == ("id", "tenant")
    assert [(u.name, u.columns) for u in orders.unique_constraints] == [
        ("orders_customer_tenant", ("customer_id", "tenant"))
    ]
    (to_customer,) = orders.foreign_keys
    assert (to_customer.referred_table, to_customer.ondelete, to_customer.referred_schema) == (
        "customers",
        "CASCADE",
        None,
    )

    (composite,) = found["order_lines"].table.foreign_keys
    assert composite.columns == ("order_id", "tenant")
    assert composite.referred_columns == ("id", "tenant")
    assert (composite.name, composite.ondelete, composite.deferrable) == (
        "order_lines_order",
        "CASCADE",
        True,
    )

    odd = found['odd "name" here'].table
    assert [c.name for c in odd.columns] == ["id", "Weird Col"]


def test_include_and_exclude_globs(audited: AuditedSchema) -> None:
    only_orders = states(reflect(audited.url, include=("order*",)))
    assert set(only_orders) == {"orders", "order_lines"}
    qualified = states(reflect(audited.url, include=(f"{audited.schema}.cust*",), exclude=("*lines",)))
    assert set(qualified) == {"customers"}
    everything_but = states(reflect(audited.url, exclude=("big", "events")))
    assert "big" not in everything_but and "events" not in everything_but and "customers" in everything_but


def test_schema_selection(audited: AuditedSchema) -> None:
    # Without search_path, the default schema is public; naming the schema reaches ours.
    named = reflect(PG_URL, schemas=(audited.schema,))
    assert named.schemas == (audited.schema,) and "customers" in states(named)
    assert all(s.table.schema == audited.schema for s in named.tables)
    with pytest.raises(SchemaNotFound, match="nope_not_here"):
        reflect_database(Settings(url=PG_URL, schemas=("nope_not_here",)))


def test_all_schemas_skips_the_system_ones(pg_database: Database) -> None:
    pg_database.execute(
        "CREATE SCHEMA sales; CREATE TABLE sales.deals (id int); CREATE TABLE public.notes (id int)"
    )
    pg_database.execute('CREATE SCHEMA "Audit Trail"; CREATE TABLE "Audit Trail".entries (id int)')
    pg_database.execute("INSERT INTO sales.deals VALUES (1)")
    snapshot = reflect(pg_database.url, all_schemas=True)
    assert snapshot.schemas == ("Audit Trail", "public", "sales")
    assert [(s.table.key, s.status) for s in snapshot.tables] == [
        ("Audit Trail.entries", TableStatus.EMPTY),
        ("public.notes", TableStatus.EMPTY),
        ("sales.deals", TableStatus.POPULATED),
    ]
    assert reflect(pg_database.url).schemas == ("public",)


def test_a_table_the_role_may_not_read_is_unreadable_and_the_rest_still_audited(
    audited: AuditedSchema, pg_admin: Engine
) -> None:
    role = unique_name("role")
    schema = audited.schema
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'REVOKE SELECT ON "{schema}".secret FROM "{role}"'))
    try:
        url = make_url(audited.url).set(username=role).render_as_string(hide_password=False)
        found = states(reflect(url))
        secret = found["secret"]
        assert secret.status is TableStatus.UNREADABLE
        assert secret.reason == "permission denied"
        assert secret.count is None
        expected = dict(EXPECTED_STATUS, secret=TableStatus.UNREADABLE)
        assert {name: s.status for name, s in found.items()} == expected
        assert found["customers"].count.value == 2
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


def test_a_probe_that_runs_out_of_time_marks_only_that_table_unreadable(audited: AuditedSchema) -> None:
    locker = create_engine(audited.url)
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with locker.begin() as conn:
            conn.execute(text("LOCK TABLE empty_things IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        found = states(
            reflect(audited.url, count_timeout=0.5, include=("empty_things", "customers", "orders"))
        )
    finally:
        release.set()
        holder.join()
        locker.dispose()
    assert found["empty_things"].status is TableStatus.UNREADABLE
    assert found["empty_things"].reason == "probe timed out after 0.5 s waiting for a lock"
    assert found["customers"].status is TableStatus.POPULATED
    assert found["orders"].count.value == 1


def test_an_autocommit_engine_of_the_caller_still_gets_one_read_only_transaction(
    audited: AuditedSchema,
) -> None:
    engine = create_engine(audited.url, isolation_level="AUTOCOMMIT")
    try:
        found = states(reflect_database(Settings(url=audited.url, include=("customers", "big")), engine))
        assert (found["customers"].count.value, found["big"].count.method) == (2, CountMethod.ESTIMATE)
        with engine.connect() as conn:  # the pooled connection is back in autocommit, writable
            assert conn.execute(text("SHOW transaction_read_only")).scalar() == "off"
    finally:
        engine.dispose()


def test_the_report_transaction_is_read_only(pg_schema: Database) -> None:
    pg_schema.execute("CREATE TABLE t (id integer)")
    engine = connect(Settings(url=pg_schema.url))
    try:
        with engine.connect() as conn:
            dialect_for(engine.dialect.name).begin_read_only(conn)
            with pytest.raises(Exception, match="read-only transaction"):
                conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()


def test_probes_and_counts_leave_no_table_locks_behind(audited: AuditedSchema) -> None:
    # PostgreSQL keeps a transaction's locks to its end; 10,000 probed tables would exhaust the lock table.
    engine = connect(Settings(url=audited.url))
    targets = [Target(name, audited.schema) for name in ("customers", "orders", "big", "MixedCase", "events")]
    try:
        with engine.connect() as conn:
            dialect = dialect_for(engine.dialect.name)
            dialect.begin_read_only(conn)
            assert probe_tables(conn, dialect, targets, 2.0) == [True] * len(targets)
            assert count_tables(conn, dialect, targets[:2], 2.0) == [2, 1]
            held = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE l.pid = pg_backend_pid() AND n.nspname = :schema"
                ),
                {"schema": audited.schema},
            ).scalar()
            assert held == 0
    finally:
        engine.dispose()


def test_pagila_inheritance_children_and_declarative_partitions(pg_database: Database) -> None:
    old = corpus_file("pagila", "pagila-schema-0.10.1-initial-export.sql").read_text(encoding="utf-8")
    with pg_database.engine.begin() as conn:
        conn.exec_driver_sql(old)
    snapshot = reflect(pg_database.url)
    found = states(snapshot)
    payment = found["payment"].table
    assert len(payment.partitions) == 6 and all(p.startswith("payment_p2007_") for p in payment.partitions)
    assert not any(name.startswith("payment_p") for name in found)
    assert {fk.referred_table for fk in found["store"].table.foreign_keys} >= {"staff"}
    assert {fk.referred_table for fk in found["staff"].table.foreign_keys} >= {"store"}
    assert all(s.status is TableStatus.EMPTY for s in snapshot.tables)
    assert snapshot.views
