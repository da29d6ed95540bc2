"""Everything that can go wrong opening a database: one DbauditError, one line, no password, exit 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from dbaudit.config import Settings
from dbaudit.errors import ConfigError, ConnectionFailed, DbauditError, MissingDriver, SchemaNotFound
from dbaudit.reflect import connect, reflect_database
from tests.conftest import MYSQL_URL, PG_URL, unique_name

SECRET = "Pw-Do-Not-Print-7"
MYSQL_SERVER_URL = MYSQL_URL.rsplit("/", 1)[0]
"""The MariaDB server without a database."""


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fails_with(url: str | None, **settings: object) -> DbauditError:
    with pytest.raises(DbauditError) as caught:
        reflect_database(Settings(url=url).replace(**settings))
    message = str(caught.value)
    assert "\n" not in message
    assert SECRET not in message
    return caught.value


@pytest.mark.parametrize("url", [None, ""])
def test_no_url_says_how_to_give_one(url: str | None) -> None:
    error = fails_with(url)
    assert isinstance(error, ConfigError)
    assert "--url" in str(error) and "DBAUDIT_URL" in str(error)


@pytest.mark.parametrize(
    ("url", "kind", "says"),
    [
        ("not a url", ConfigError, "malformed database URL"),
        (f"postgresql://app:{SECRET}@db:notaport/app", ConfigError, "malformed database URL"),
        (f"nosuchdialect://app:{SECRET}@db/app", ConfigError, "unknown database dialect 'nosuchdialect'"),
        (f"mssql+pyodbc://app:{SECRET}@db/app", MissingDriver, "'pyodbc'"),
        ("sqlite:///no/such/folder/app.db", ConnectionFailed, "no SQLite database at no/such/folder/app.db"),
    ],
)
def test_bad_urls(url: str, kind: type[DbauditError], says: str) -> None:
    error = fails_with(url)
    assert isinstance(error, kind)
    assert says in str(error)


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "absent.db"
    fails_with(f"sqlite:///{target}")
    assert not target.exists()


@pytest.mark.parametrize("base", [PG_URL, MYSQL_URL], ids=["postgresql", "mysql"])
def test_server_down(base: str) -> None:
    url = make_url(base).set(port=closed_port(), password=SECRET).render_as_string(hide_password=False)
    error = fails_with(url)
    assert isinstance(error, ConnectionFailed)
    assert "cannot reach the database server at 127.0.0.1" in str(error)
    assert "start the server" in str(error)


def test_unknown_database(pg_admin: Engine, mysql_admin: Engine) -> None:
    # PostgreSQL trusts this host, so any password goes; MariaDB's root has none.
    for url in (make_url(PG_URL).set(password=SECRET), make_url(MYSQL_URL)):
        error = fails_with(url.set(database="dbaudit_no_such_db").render_as_string(hide_password=False))
        assert isinstance(error, ConnectionFailed)
        assert "database 'dbaudit_no_such_db' does not exist" in str(error)


@pytest.fixture
def mysql_user_with_password(mysql_admin: Engine) -> Iterator[tuple[str, str]]:
    user = unique_name("u")[:32]
    password = "right-pass-42"
    with mysql_admin.connect() as conn:
        conn.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"))
    try:
        yield user, password
    finally:
        with mysql_admin.connect() as conn:
            conn.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))


def test_wrong_password(mysql_user_with_password: tuple[str, str]) -> None:
    user, password = mysql_user_with_password
    right = make_url(MYSQL_SERVER_URL).set(username=user, password=password)
    connect(Settings(url=right.render_as_string(hide_password=False))).dispose()  # the user does exist
    wrong = right.set(password=SECRET).render_as_string(hide_password=False)
    error = fails_with(wrong)
    assert isinstance(error, ConnectionFailed)
    assert f"access denied for user '{user}'" in str(error)
    assert "check the user name and password" in str(error)


def test_unknown_role_on_postgresql(pg_admin: Engine) -> None:
    url = make_url(PG_URL).set(username="dbaudit_no_such_role", password=SECRET)
    error = fails_with(url.render_as_string(hide_password=False))
    assert isinstance(error, ConnectionFailed) and "access denied" in str(error)


def test_unknown_schema(pg_admin: Engine) -> None:
    url = make_url(PG_URL).set(password=SECRET).render_as_string(hide_password=False)
    error = fails_with(url, schemas=("dbaudit_no_such_schema",))
    assert isinstance(error, SchemaNotFound)
    assert "schema 'dbaudit_no_such_schema' does not exist" in str(error)
    assert "existing schemas:" in str(error) and "public" in str(error)


def test_search_path_naming_no_schema(pg_admin: Engine) -> None:
    url = make_url(PG_URL).update_query_dict({"options": "-csearch_path=dbaudit_no_such_schema"})
    error = fails_with(url.render_as_string(hide_password=False))
    assert isinstance(error, SchemaNotFound)


def test_mysql_url_without_database(mysql_admin: Engine) -> None:
    error = fails_with(MYSQL_SERVER_URL)
    assert isinstance(error, ConfigError) and "names no database" in str(error)


# ------------------------------------------------------------------------------------------------------------
# The same failures through the command line: exit 2, one line on stderr, no traceback, no password


def run_report(url: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DBAUDIT_URL", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "dbaudit", "report", "--url", url, "--no-scan", *extra],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


CLI_CASES = {
    "malformed": (f"postgresql://app:{SECRET}@db:notaport/app", "malformed database URL"),
    "server down": (
        f"postgresql://postgres:{SECRET}@127.0.0.1:{{port}}/test",
        "cannot reach the database server",
    ),
    "missing driver": (f"mssql+pyodbc://app:{SECRET}@db/app", "'pyodbc'"),
    "unknown database": (
        make_url(PG_URL).set(database="dbaudit_nope", password=SECRET).render_as_string(hide_password=False),
        "database 'dbaudit_nope' does not exist",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_reports_connection_errors_in_one_line(case: str, tmp_path: Path) -> None:
    url, says = CLI_CASES[case]
    result = run_report(url.replace("{port}", str(closed_port())), tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbaudit: error: "), result.stderr
    assert says in lines[0]
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr


@pytest.mark.slow
def test_cli_wrong_password_and_unknown_schema(
    mysql_user_with_password: tuple[str, str], tmp_path: Path
) -> None:
    user, _password = mysql_user_with_password
    wrong = (
        make_url(MYSQL_SERVER_URL).set(username=user, password=SECRET).render_as_string(hide_password=False)
    )
    result = run_report(wrong, tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "access denied" in result.stderr
    assert SECRET not in result.stderr and "Traceback" not in result.stderr
    with_secret = make_url(PG_URL).set(password=SECRET).render_as_string(hide_password=False)
    result = run_report(with_secret, tmp_path, "--schema", "dbaudit_no_such_schema")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr
    assert SECRET not in result.stderr and "Traceback" not in result.stderr
