"""Keys that do not round-trip between Python and the server: the ledger must record them as the server stores
them, so purge finds every mock row again.  After seed and purge each table is back to its checksum, and purge
never reports a row "already gone" that is still there.

* ``CHAR(n)`` primary key (the server pads or strips the value);
* a ``REAL``/``FLOAT`` column in a composite primary key (single precision: the generated double is rounded);
* MariaDB ``TINYINT(1)`` (reflected as boolean, stored as an integer) in a composite primary key;
* a keyless table with NULLs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.safety.purge_support import Dbaudit, assert_checksum, assert_seeded, checksum, new_rows
from tests.safety.runner import Run

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _single_float(db: TestDatabase) -> str:
    return "FLOAT" if db.dialect == "mysql" else "REAL"


SHAPES: dict[str, tuple[str, str]] = {
    "char_key": ("codes", "CREATE TABLE codes (code CHAR(12) PRIMARY KEY, label VARCHAR(20) NOT NULL)"),
    "float_in_composite_key": (
        "measures",
        "CREATE TABLE measures (sensor INTEGER NOT NULL, reading {float} NOT NULL, note VARCHAR(20),"
        " PRIMARY KEY (sensor, reading))",
    ),
    "keyless_with_nulls": (
        "readings",
        "CREATE TABLE readings (a INTEGER NULL, b VARCHAR(10) NULL, c INTEGER NULL)",
    ),
}


def _gone_counts(value: Any) -> list[int]:
    """Every number under a key that says "gone" in the purge's JSON report, wherever it is nested."""
    found: list[int] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "gone" in str(key).lower() and isinstance(item, int) and not isinstance(item, bool):
                found.append(item)
            else:
                found.extend(_gone_counts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_gone_counts(item))
    return found


def _seed_purge_and_compare(db: TestDatabase, cli: Dbaudit, table: str, real_rows: list[str]) -> None:
    for statement in real_rows:
        db.execute(statement)
    before = checksum(db)
    assert_seeded(cli.seed("--tables", table, "--rows", "12", "--seed", "9"), table)
    added = new_rows(db, before)
    assert len(added.get(f"{db.schema or 'main'}.{table}", [])) == 12, added
    purge: Run = cli.purge("--format", "json")
    assert_checksum(db, before, f"purge left mock rows of {table} behind (or took real ones)", run=purge)
    assert purge.code == 0, purge.describe()
    gone = sum(_gone_counts(json.loads(purge.stdout)))
    assert gone == 0, f"purge reported {gone} rows already gone; none was\n{purge.describe()}"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_keys_that_do_not_round_trip_are_purged_exactly(
    any_database: TestDatabase, shape: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    table, ddl = SHAPES[shape]
    db.execute(ddl.format(float=_single_float(db)))
    real = {
        "codes": ["INSERT INTO codes (code, label) VALUES ('REAL1', 'real')"],
        "measures": ["INSERT INTO measures (sensor, reading, note) VALUES (1, 0.5, 'real')"],
        "readings": [
            "INSERT INTO readings (a, b, c) VALUES (NULL, NULL, NULL)",
            "INSERT INTO readings (a, b, c) VALUES (1, NULL, 3)",
        ],
    }[table]
    _seed_purge_and_compare(db, Dbaudit(db, tmp_path / "project", capfd), table, real)


@pytest.mark.mysql
def test_mariadb_tinyint1_in_a_composite_key_is_purged_exactly(
    mysql_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = mysql_database
    db.execute(
        "CREATE TABLE toggles (id INTEGER NOT NULL, enabled TINYINT(1) NOT NULL, label VARCHAR(20),"
        " PRIMARY KEY (id, enabled))"
    )
    real = ["INSERT INTO toggles (id, enabled, label) VALUES (1, 1, 'real')"]
    _seed_purge_and_compare(db, Dbaudit(db, tmp_path / "project", capfd), "toggles", real)
