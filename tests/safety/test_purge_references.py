"""References from outside the seeded schema: a PostgreSQL table in another schema, or a MariaDB table in
another database, pointing at a mock table.  Purge checks every foreign key of the whole database (server),
whatever its ``ON DELETE`` action, so the real row there survives and purge exits 2 naming its table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.safety.purge_support import (
    Dbaudit,
    assert_checksum,
    assert_seeded,
    checksum,
    first_value,
    new_rows,
    quote,
)
from tests.safety.runner import assert_clean_failure

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


@pytest.mark.parametrize("action", ["CASCADE", "SET NULL"])
def test_reference_from_outside_the_seeded_schema_blocks_purge(
    database_and_other: tuple[TestDatabase, str],
    action: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    db, other = database_and_other
    assert db.schema is not None
    db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    links = quote(db, other, "outside_links")
    db.execute(
        f"CREATE TABLE {links} (id INTEGER PRIMARY KEY, account_id INTEGER NULL, note VARCHAR(40),"
        f" FOREIGN KEY (account_id) REFERENCES {quote(db, db.schema, 'accounts')} (id) ON DELETE {action})"
    )
    db.execute(f"INSERT INTO {links} (id, account_id, note) VALUES (1, NULL, 'real, unattached')")
    cli = Dbaudit(db, tmp_path / "project", capfd)
    before = checksum(db, other)
    assert_seeded(cli.seed("--rows", "3"), "accounts")
    mock = new_rows(db, before, other)[f"{db.schema}.accounts"]
    assert len(mock) == 3, mock
    # The application, in the other schema/database, points a real row at a mock account.
    db.execute(
        f"INSERT INTO {links} (id, account_id, note) VALUES (2, :a, 'real, attached')", a=first_value(mock[0])
    )
    during = checksum(db, other)

    purge = cli.purge()
    assert_checksum(
        db, during, f"a real row in {other} referencing a mock row ({action}) was touched", other, run=purge
    )
    line = assert_clean_failure(purge)
    assert "outside_links" in line, f"the refusal should name the referencing table: {line}"

    db.execute(f"DELETE FROM {links} WHERE id = 2")
    again = cli.purge()
    assert again.code == 0, again.describe()
    assert_checksum(
        db, before, "once the real row is gone, purge restores the pre-seed state", other, run=again
    )
