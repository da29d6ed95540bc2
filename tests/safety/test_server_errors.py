"""A failing server statement is named as what it is: a timeout says it timed out (what dbaudit was doing,
and the setting to raise), a privilege says permission denied, a session the server ended says lost.

The errors are real ones from the real servers: a statement that waits on another session's lock past the
URL's ``statement_timeout`` / ``lock_timeout``, ``pg_sleep`` / ``SLEEP`` past the session's limit, a backend
that terminates itself, a role without privileges.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError

from dbaudit.dialects.engine import connection_failed, statement_failed
from dbaudit.errors import DbauditError
from tests.conftest import unique_name
from tests.safety.runner import assert_clean_failure, run_cli

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def failure(url: URL, *statements: str) -> DBAPIError:
    """The error ``statements``, run in turn on a connection of its own, end with.

    The engine is the call's own and disposed: a session setting (a time limit, a role) never reaches a
    pooled connection another test uses."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as info:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    return info.value


def assert_not_misnamed(error: DbauditError) -> None:
    message = str(error).lower()
    assert "cannot connect" not in message and "cannot reach" not in message, message
    assert "internal error" not in message


# --------------------------------------------------------------------------------------------------------
# End to end: the catalog read of `report` waits on a lock past the URL's time limit


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("option", "setting"), [("statement_timeout", "statement_timeout"), ("lock_timeout", "lock_timeout")]
)
def test_a_catalog_read_past_the_urls_time_limit_says_it_timed_out(
    option: str,
    setting: str,
    pg_database: TestDatabase,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    pg_database.execute("CREATE TABLE held (id int PRIMARY KEY, qty int CHECK (qty > 0))")
    # pg_get_constraintdef() locks the table: with another session holding it, the catalog read waits
    # until the URL's limit ends it.
    url = make_url(pg_database.url).update_query_dict({"options": f"-c{option}=1000"})
    holder = pg_database.engine.connect()
    try:
        holder.execute(text("LOCK TABLE held IN ACCESS EXCLUSIVE MODE"))
        run = run_cli(
            [
                "report",
                "--no-scan",
                "--project",
                str(tmp_path),
                "--url",
                url.render_as_string(hide_password=False),
            ],
            capfd,
        )
    finally:
        holder.rollback()
        holder.close()
    line = assert_clean_failure(run)
    assert run.stdout == ""
    assert line.startswith("dbaudit: error: timed out while reading the catalog of schema 'public'"), line
    assert f"the server's {setting} ran out" in line and f"raise {setting}" in line, line
    assert "cannot connect" not in line and "privilege" not in line, line


# --------------------------------------------------------------------------------------------------------
# The translation, on real errors of the real servers


@pytest.mark.postgres
def test_postgres_statement_timeout_is_named(pg_admin: Engine) -> None:
    exc = failure(pg_admin.url, "SET statement_timeout = 50", "SELECT pg_sleep(5)")
    error = statement_failed(pg_admin.url, exc, "reading the catalog of schema 'public'")
    assert str(error).startswith("timed out while reading the catalog of schema 'public' (")
    assert "the server's statement_timeout ran out" in str(error) and "raise statement_timeout" in str(error)
    # the same limit hit by the session's first statements is no "cannot connect" either
    at_connect = connection_failed(pg_admin.url, exc)
    assert str(at_connect).startswith("timed out while connecting (")
    assert_not_misnamed(at_connect)


@pytest.mark.postgres
def test_postgres_cancel_request_is_not_called_a_timeout(pg_admin: Engine) -> None:
    exc = failure(pg_admin.url, "SELECT pg_cancel_backend(pg_backend_pid()), pg_sleep(5)")
    error = statement_failed(pg_admin.url, exc, "listing the schemas")
    assert "timed out" not in str(error)
    assert "listing the schemas failed" in str(error) and "due to user request" in str(error)


@pytest.mark.postgres
def test_postgres_terminated_session_is_lost(pg_admin: Engine) -> None:
    exc = failure(pg_admin.url, "SELECT pg_terminate_backend(pg_backend_pid())", "SELECT 1")
    error = statement_failed(pg_admin.url, exc, "probing and counting 3 tables")
    assert str(error).startswith("lost the connection to ")
    assert "while probing and counting 3 tables" in str(error)
    assert_not_misnamed(error)


@pytest.fixture
def pg_role(pg_admin: Engine) -> Iterator[str]:
    """A role without privileges (dropped afterwards)."""
    role = unique_name("r")
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}"'))
    try:
        yield role
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP ROLE "{role}"'))


@pytest.mark.postgres
def test_postgres_permission_denied_is_named(pg_schema: TestDatabase, pg_role: str) -> None:
    pg_schema.execute("CREATE TABLE secret (id int)")
    exc = failure(pg_schema.engine.url, f'SET ROLE "{pg_role}"', f'SELECT * FROM "{pg_schema.schema}".secret')
    error = statement_failed(pg_schema.engine.url, exc, "reading the catalog of schema 'x'")
    assert str(error).startswith("permission denied while reading the catalog of schema 'x' (")
    assert_not_misnamed(error)


@pytest.mark.mysql
def test_mariadb_max_statement_time_is_named(mysql_database: TestDatabase) -> None:
    exc = failure(mysql_database.engine.url, "SET SESSION max_statement_time = 0.05", "SELECT SLEEP(5)")
    error = statement_failed(mysql_database.engine.url, exc, "reading the catalog of schema 'shop'")
    assert str(error).startswith("timed out while reading the catalog of schema 'shop' (")
    assert "the server's max_statement_time ran out" in str(error)
    at_connect = connection_failed(mysql_database.engine.url, exc)
    assert str(at_connect).startswith("timed out while connecting (")
    assert_not_misnamed(at_connect)


@pytest.mark.mysql
def test_mariadb_killed_connection_is_lost(mysql_database: TestDatabase) -> None:
    exc = failure(mysql_database.engine.url, "KILL CONNECTION_ID()")
    error = statement_failed(mysql_database.engine.url, exc, "listing the schemas")
    assert str(error).startswith("lost the connection to ") and "while listing the schemas" in str(error)
    assert_not_misnamed(error)


@pytest.fixture
def mysql_user(mysql_admin: Engine) -> Iterator[str]:
    """A user with no privileges (dropped afterwards)."""
    user = unique_name("u")
    with mysql_admin.connect() as conn:
        conn.execute(text(f"CREATE USER '{user}'@'%'"))
        conn.execute(text(f"CREATE USER '{user}'@'localhost'"))
    try:
        yield user
    finally:
        with mysql_admin.connect() as conn:
            conn.execute(text(f"DROP USER '{user}'@'%'"))
            conn.execute(text(f"DROP USER '{user}'@'localhost'"))


@pytest.mark.mysql
def test_mariadb_permission_denied_is_named(mysql_database: TestDatabase, mysql_user: str) -> None:
    mysql_database.execute("CREATE TABLE secret (id int)")
    # information_schema: the one database any user may connect to
    url = make_url(mysql_database.url).set(username=mysql_user, database="information_schema")
    exc = failure(url, f"SELECT * FROM `{mysql_database.schema}`.secret")
    error = statement_failed(url, exc, "probing and counting 1 tables")
    assert str(error).startswith("permission denied while probing and counting 1 tables (")
    assert_not_misnamed(error)
