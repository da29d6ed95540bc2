"""Fixtures of the safety tests on top of ``tests/conftest.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


@pytest.fixture(params=["postgresql", "mysql"])
def server_database(request: pytest.FixtureRequest) -> TestDatabase:
    """The same test on PostgreSQL (a schema of its own) and MariaDB (a database of its own)."""
    fixture = {"postgresql": "pg_schema", "mysql": "mysql_database"}
    return request.getfixturevalue(fixture[request.param])  # type: ignore[no-any-return]
