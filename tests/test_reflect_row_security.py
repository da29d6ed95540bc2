"""Row-level security on a real PostgreSQL server: a table whose rows a policy hides from the report's role is
🔒 Unreadable with the reason, never Empty or Populated and never given a count.

Each test creates real login roles (the test server trusts local connections, so no password) and drops them
afterwards.  PostgreSQL applies the policies of the table a query names, whoever that table's partitions or
children are, so the parent's own setting decides for the whole tree it stands for.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from dbaudit.model import CountMethod, RowCount, TableStatus
from tests.conftest import TestDatabase as Database
from tests.conftest import unique_name
from tests.reflect_support import reflect, report_json, report_text, states

pytestmark = pytest.mark.postgres

TENANT_ROWS = 500


def hidden_reason(role: str) -> str:
    return (
        f"row-level security hides rows from role {role}: counts would be wrong (report as a BYPASSRLS role)"
    )


def failing_reason(role: str) -> str:
    return (
        f"row-level security applies to role {role} and row_security is off, so reading fails "
        "(report as a BYPASSRLS role)"
    )


@pytest.fixture
def roles(pg_schema: Database, pg_admin: Engine) -> Iterator[dict[str, str]]:
    """Login roles ``tenant``, ``owner`` and ``member`` (a member of ``owner``), each allowed to use the test
    schema; dropped afterwards with everything they own or were granted."""
    names = {kind: unique_name(kind[:4]) for kind in ("tenant", "owner", "member")}
    with pg_admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
            conn.execute(text(f'GRANT USAGE ON SCHEMA "{pg_schema.schema}" TO "{name}"'))
        conn.execute(text(f'GRANT "{names["owner"]}" TO "{names["member"]}"'))
    try:
        yield names
    finally:
        with pg_admin.connect() as conn:
            for name in names.values():
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                    {"r": name},
                )
                conn.execute(text(f'REASSIGN OWNED BY "{name}" TO CURRENT_USER'))
                conn.execute(text(f'DROP OWNED BY "{name}"'))
            for name in names.values():
                conn.execute(text(f'DROP ROLE "{name}"'))


def as_role(db: Database, role: str, *settings: str) -> str:
    """The test schema's URL for ``role``, with extra ``-c name=value`` server settings."""
    url = make_url(db.url)
    options = " ".join([str(url.query["options"]), *(f"-c{s}" for s in settings)])
    url = url.set(username=role).update_query_dict({"options": options})
    return url.render_as_string(hide_password=False)


def tenant_table(db: Database, name: str) -> None:
    """``name`` with row-level security on, a policy that shows only tenant ``a``'s rows, and 500 rows of
    tenant ``b``."""
    db.execute(
        f"CREATE TABLE {name} (id integer PRIMARY KEY, tenant text NOT NULL);"
        f"INSERT INTO {name} SELECT g, 'b' FROM generate_series(1, {TENANT_ROWS}) AS g;"
        f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;"
        f"CREATE POLICY only_tenant_a ON {name} FOR SELECT USING (tenant = 'a')"
    )


def grant_select(db: Database, *roles: str) -> None:
    for role in roles:
        db.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{db.schema}" TO "{role}"')


@pytest.mark.slow
def test_a_table_whose_rows_a_policy_hides_is_unreadable_not_empty(
    pg_schema: Database, roles: dict[str, str], tmp_path: Path
) -> None:
    tenant_table(pg_schema, "invoices")
    pg_schema.execute(
        "CREATE TABLE plain (id integer PRIMARY KEY); INSERT INTO plain VALUES (1), (2), (3);"
        "CREATE TABLE plain_empty (id integer PRIMARY KEY)"
    )
    grant_select(pg_schema, roles["tenant"])
    url = as_role(pg_schema, roles["tenant"])

    document = report_json(url, tmp_path)
    found = {state["table"]["name"]: state for state in document["database"]["tables"]}
    assert found["invoices"]["status"] == "unreadable"
    assert found["invoices"]["reason"] == hidden_reason(roles["tenant"])
    assert found["invoices"]["count"] is None
    # Tables without row-level security are audited as before.
    assert (found["plain"]["status"], found["plain"]["count"]["value"]) == ("populated", 3)
    assert found["plain_empty"]["status"] == "empty"

    markdown = report_text(url, tmp_path)
    assert f"🔒 Unreadable ({hidden_reason(roles['tenant'])})" in markdown

    # The superuser the fixture connects as bypasses the policy: all 500 rows, counted.
    superuser = states(reflect(pg_schema.url))["invoices"]
    assert superuser.status is TableStatus.POPULATED
    assert superuser.count == RowCount(CountMethod.EXACT, populated=True, value=TENANT_ROWS)


@pytest.mark.slow
def test_the_owner_reads_past_the_policy_until_it_is_forced_then_only_bypassrls_does(
    pg_schema: Database, roles: dict[str, str], pg_admin: Engine
) -> None:
    tenant_table(pg_schema, "invoices")
    pg_schema.execute(f'ALTER TABLE invoices OWNER TO "{roles["owner"]}"')
    owner, member = as_role(pg_schema, roles["owner"]), as_role(pg_schema, roles["member"])
    full = RowCount(CountMethod.EXACT, populated=True, value=TENANT_ROWS)

    # The owner, and a member of the owning role, are not subject to the table's own policies.
    for url in (owner, member):
        state = states(reflect(url))["invoices"]
        assert (state.status, state.count) == (TableStatus.POPULATED, full)

    pg_schema.execute("ALTER TABLE invoices FORCE ROW LEVEL SECURITY")
    for role in ("owner", "member"):
        state = states(reflect(as_role(pg_schema, roles[role])))["invoices"]
        assert (state.status, state.reason, state.count) == (
            TableStatus.UNREADABLE,
            hidden_reason(roles[role]),
            None,
        )
    assert states(reflect(pg_schema.url))["invoices"].count == full  # a superuser always bypasses

    with pg_admin.connect() as conn:
        conn.execute(text(f'ALTER ROLE "{roles["owner"]}" BYPASSRLS'))
    state = states(reflect(owner))["invoices"]
    assert (state.status, state.count) == (TableStatus.POPULATED, full)
    # BYPASSRLS is the role's own attribute: its members do not inherit it.
    assert states(reflect(member))["invoices"].status is TableStatus.UNREADABLE


def test_with_row_security_off_a_policed_table_is_unreadable_for_that_reason(
    pg_schema: Database, roles: dict[str, str]
) -> None:
    # row_security = off makes a query the policy would filter fail instead: still no count.
    tenant_table(pg_schema, "invoices")
    pg_schema.execute("CREATE TABLE plain (id integer PRIMARY KEY); INSERT INTO plain VALUES (1)")
    grant_select(pg_schema, roles["tenant"])
    found = states(reflect(as_role(pg_schema, roles["tenant"], "row_security=off")))
    assert found["invoices"].status is TableStatus.UNREADABLE
    assert found["invoices"].reason == failing_reason(roles["tenant"])
    assert found["plain"].count == RowCount(CountMethod.EXACT, populated=True, value=1)


def test_a_policed_parent_is_unreadable_for_its_whole_tree_and_only_its_own_policy_counts(
    pg_schema: Database, roles: dict[str, str]
) -> None:
    pg_schema.execute(
        # A partitioned parent with row-level security: its partitions' rows are hidden through it.
        "CREATE TABLE ledger (id integer NOT NULL, tenant text NOT NULL) PARTITION BY LIST (tenant);"
        "CREATE TABLE ledger_a PARTITION OF ledger FOR VALUES IN ('a');"
        "CREATE TABLE ledger_b PARTITION OF ledger FOR VALUES IN ('b');"
        f"INSERT INTO ledger SELECT g, 'b' FROM generate_series(1, {TENANT_ROWS}) AS g;"
        "ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY only_tenant_a ON ledger FOR SELECT USING (tenant = 'a');"
        # The same through inheritance.
        "CREATE TABLE notes (id integer NOT NULL, tenant text NOT NULL);"
        "CREATE TABLE notes_2024 () INHERITS (notes);"
        "INSERT INTO notes_2024 VALUES (1, 'b'), (2, 'b');"
        "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY only_tenant_a ON notes FOR SELECT USING (tenant = 'a');"
        # A plain parent over a policed partition: read through the parent, no policy applies.
        "CREATE TABLE events (id integer NOT NULL, tenant text NOT NULL) PARTITION BY LIST (tenant);"
        "CREATE TABLE events_b PARTITION OF events FOR VALUES IN ('b');"
        "INSERT INTO events VALUES (1, 'b'), (2, 'b'), (3, 'b');"
        "ALTER TABLE events_b ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY only_tenant_a ON events_b FOR SELECT USING (tenant = 'a')"
    )
    grant_select(pg_schema, roles["tenant"])
    found = states(reflect(as_role(pg_schema, roles["tenant"])))
    assert set(found) == {"ledger", "notes", "events"}  # partitions and children folded under their parent
    for parent, children in (("ledger", ("ledger_a", "ledger_b")), ("notes", ("notes_2024",))):
        state = found[parent]
        assert state.table.partitions == children
        assert (state.status, state.reason, state.count) == (
            TableStatus.UNREADABLE,
            hidden_reason(roles["tenant"]),
            None,
        )
    assert found["events"].count == RowCount(CountMethod.EXACT, populated=True, value=3)
