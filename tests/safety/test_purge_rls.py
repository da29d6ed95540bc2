"""PostgreSQL row-level security: a role that sees only some rows must not purge, report or seed as if the
rows it cannot see did not exist.

The role is an ordinary login role made by the test (local connections are trusted); the tables belong to the
superuser, so the policies apply to the role.  Checksums are read as the superuser, who sees every row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import Engine

from tests.safety.purge_support import (
    Dbaudit,
    assert_checksum,
    assert_seeded,
    checksum,
    first_value,
    new_rows,
    pg_login_role,
    skip_reason,
)
from tests.safety.runner import assert_clean_failure

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

pytestmark = pytest.mark.postgres


@pytest.fixture
def tenant_role(pg_schema: TestDatabase, pg_admin: Engine) -> Iterator[str]:
    """A role allowed to read and write the test schema's tables, which row-level security limits to the rows
    of tenant ``a`` wherever a policy applies."""
    with pg_login_role(pg_admin) as role:
        pg_schema.execute(f'GRANT USAGE, CREATE ON SCHEMA "{pg_schema.schema}" TO "{role}"')
        yield role


def _grant_all(db: TestDatabase, role: str) -> None:
    db.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{db.schema}" TO "{role}"')
    db.execute(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{db.schema}" TO "{role}"')


def _tenant_policy(db: TestDatabase, table: str, role: str) -> None:
    db.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    db.execute(f"CREATE POLICY only_tenant_a ON {table} TO \"{role}\" USING (tenant = 'a')")


def _says_row_level_security(text: str) -> bool:
    lowered = text.lower().replace("-", " ")
    return "row level security" in lowered or "rls" in lowered.split()


def test_purge_as_a_role_that_rls_blinds_never_cascades_into_hidden_rows(
    pg_schema: TestDatabase, tenant_role: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = pg_schema
    db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    db.execute(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, tenant VARCHAR(10) NOT NULL, account_id INTEGER NULL"
        " REFERENCES accounts (id) ON DELETE CASCADE, body VARCHAR(40))"
    )
    db.execute("INSERT INTO notes VALUES (1, 'a', NULL, 'tenant a'), (2, 'b', NULL, 'tenant b')")
    _tenant_policy(db, "notes", tenant_role)
    _grant_all(db, tenant_role)
    admin = Dbaudit(db, tmp_path / "admin", capfd)
    role = admin.as_user(tenant_role)
    before = checksum(db)
    assert_seeded(role.seed("--tables", "accounts", "--rows", "3"), "accounts")
    mock = new_rows(db, before)[f"{db.schema}.accounts"]
    assert len(mock) == 3, mock
    # Tenant b's application points a note at a mock account: the role cannot see that note.
    db.execute("INSERT INTO notes VALUES (3, 'b', :a, 'tenant b, attached')", a=first_value(mock[0]))
    during = checksum(db)

    purge = role.purge()
    assert_checksum(db, during, "purge as a role blinded by row-level security changed rows", run=purge)
    assert purge.code in (1, 2), purge.describe()
    assert _says_row_level_security(purge.stdout + purge.stderr), (
        f"the reason should mention row-level security\n{purge.describe()}"
    )

    # The superuser sees everything: it refuses for the note, and purges once the note is gone.
    line = assert_clean_failure(admin.purge())
    assert "notes" in line, line
    db.execute("DELETE FROM notes WHERE id = 3")
    again = admin.purge()
    assert again.code == 0, again.describe()
    assert_checksum(
        db, before, "after the hidden note was removed, purge restores the pre-seed state", run=again
    )


def _hidden_table(db: TestDatabase, role: str) -> None:
    """``ledgers_b``: 500 rows of tenant b, none visible to ``role``; ``visible_empty``: really empty."""
    db.execute("CREATE TABLE ledgers_b (id INTEGER PRIMARY KEY, tenant VARCHAR(10) NOT NULL, amount INTEGER)")
    db.execute("INSERT INTO ledgers_b SELECT g, 'b', g * 3 FROM generate_series(1, 500) AS g")
    db.execute("CREATE TABLE visible_empty (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    _tenant_policy(db, "ledgers_b", role)
    _grant_all(db, role)


def test_report_as_an_rls_blinded_role_does_not_call_a_full_table_empty(
    pg_schema: TestDatabase, tenant_role: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = pg_schema
    _hidden_table(db, tenant_role)
    role = Dbaudit(db, tmp_path / "admin", capfd).as_user(tenant_role)
    run = role.run("report", "--format", "json", "--no-scan")
    assert run.code in (0, 1), run.describe()
    tables = {t["table"]["name"]: t for t in json.loads(run.stdout)["database"]["tables"]}
    assert tables["visible_empty"]["status"] == "empty", tables["visible_empty"]
    hidden = tables["ledgers_b"]
    assert hidden["status"] != "empty", (
        f"ledgers_b holds 500 rows the role cannot see; the report calls it empty: {hidden}"
    )


def test_seed_missing_as_an_rls_blinded_role_leaves_the_hidden_table_alone(
    pg_schema: TestDatabase, tenant_role: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = pg_schema
    _hidden_table(db, tenant_role)
    admin = Dbaudit(db, tmp_path / "admin", capfd)
    role = admin.as_user(tenant_role)
    before = checksum(db)
    seeded = role.seed("--rows", "3")
    targeted = [
        line
        for line in (seeded.stdout + seeded.stderr).splitlines()
        if "ledgers_b" in line and not (skip_reason(seeded, "ledgers_b") and line.lstrip().startswith("-"))
    ]
    assert not targeted, f"seed --missing targeted ledgers_b (500 rows RLS hides)\n{seeded.describe()}"
    key = f"{db.schema}.ledgers_b"
    assert checksum(db)[key] == before[key], (
        f"seed --missing wrote into the table RLS hides\n{seeded.describe()}"
    )
    assert_seeded(seeded, "visible_empty")
    purge = admin.purge()
    assert purge.code == 0, purge.describe()
    assert_checksum(db, before, "purge after the seed", run=purge)
