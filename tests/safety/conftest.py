"""Fixtures of the safety tests on top of ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


@pytest.fixture(params=["postgresql", "mysql"])
def server_database(request: pytest.FixtureRequest) -> TestDatabase:
    """The same test on PostgreSQL (a schema of its own) and MariaDB (a database of its own)."""
    fixture = {"postgresql": "pg_schema", "mysql": "mysql_database"}
    return request.getfixturevalue(fixture[request.param])  # type: ignore[no-any-return]


@pytest.fixture(params=["postgresql", "mysql"])
def database_and_other(request: pytest.FixtureRequest) -> Iterator[tuple[TestDatabase, str]]:
    """The test's database and one more schema (PostgreSQL) or database (MariaDB) on the same server, dropped
    afterwards: the place a reference or a second seed comes from."""
    from tests.safety.purge_support import extra_mysql_database, extra_pg_schema

    db: TestDatabase
    place: AbstractContextManager[str]
    if request.param == "postgresql":
        db = request.getfixturevalue("pg_schema")
        place = extra_pg_schema(request.getfixturevalue("pg_admin"))
    else:
        db = request.getfixturevalue("mysql_database")
        place = extra_mysql_database(request.getfixturevalue("mysql_admin"))
    with place as other:
        yield db, other
