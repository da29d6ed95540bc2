"""Faults: a connection killed mid-report or mid-seed, lock and statement timeouts, partial privileges and a
read-only server.

The shared database servers are never stopped.  "The server goes away" is produced for dbaudit's session
alone: another session holds a lock on one table so dbaudit's statement waits, and then
``pg_terminate_backend`` ends dbaudit's backend, found in ``pg_stat_activity`` as the one session of the
test's own database that waits on a lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

from tests.conftest import unique_name
from tests.safety.runner import (
    Run,
    assert_clean_failure,
    finish,
    run_cli,
    start_process,
    wait_for,
)

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

#: Present in the URL's password slot; PostgreSQL on 127.0.0.1 trusts the connection and ignores it.
DUMMY_PASSWORD = "FaultPw9x3kq"


def url_with_password(url: str, password: str = DUMMY_PASSWORD) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def write_project(root: Path, **settings: object) -> Path:
    """A project folder whose ``[tool.dbaudit]`` holds ``settings`` (TOML scalars)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["[tool.dbaudit]"] + [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@contextmanager
def locked(engine: Engine, table: str, mode: str) -> Iterator[Connection]:
    """Hold ``LOCK TABLE table IN mode MODE`` in another session until the block ends."""
    conn = engine.connect()
    try:
        conn.execute(text(f'LOCK TABLE "{table}" IN {mode} MODE'))
        yield conn
    finally:
        conn.rollback()
        conn.close()


def waiting_backend(admin: Engine, database: str) -> int | None:
    """The pid of dbaudit's backend in ``database`` that waits for a lock, if there is one.

    The database is the test's own, so the only session in it that waits is dbaudit's."""
    with admin.connect() as conn:
        value = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid() ORDER BY backend_start LIMIT 1"
            ),
            {"db": database},
        ).scalar()
    return int(value) if value is not None else None


def terminate(admin: Engine, pid: int) -> None:
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def assert_says_connection_lost(line: str) -> None:
    """The one error line says the connection was lost, not an internal error or a privilege problem."""
    lowered = line.lower()
    assert "internal error" not in lowered, line
    assert "connection" in lowered and any(w in lowered for w in ("lost", "closed", "terminat")), line
    assert "privilege" not in lowered, f"a lost connection is not a privilege problem: {line}"


def kill_while_waiting(
    engine: Engine, admin: Engine, lock: tuple[str, str], args: list[str], project: Path
) -> Run:
    """Run dbaudit while another session holds ``lock`` (table, mode); once dbaudit's backend waits on it,
    terminate that backend, then release the lock and collect the result."""
    database = str(engine.url.database)
    table, mode = lock
    holder = engine.connect()
    holder.execute(text(f'LOCK TABLE "{table}" IN {mode} MODE'))
    process = start_process(args, cwd=project)
    try:
        pid = wait_for(
            lambda: waiting_backend(admin, database), "dbaudit to wait on the lock", process=process
        )
        terminate(admin, int(pid))  # type: ignore[call-overload]
    finally:
        holder.rollback()
        holder.close()
        run = finish(process, args)
    return run


def count(db: TestDatabase, table: str) -> int:
    return int(db.scalar(f'SELECT count(*) FROM "{table}"'))  # type: ignore[call-overload]


def dbaudit_tables(db: TestDatabase) -> list[str]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'dbaudit%'")
        )
        return [r[0] for r in rows]


@pytest.mark.slow
def test_connection_killed_during_report_exits_2_with_one_clean_line(
    pg_database: TestDatabase, pg_admin: Engine, tmp_path: Path
) -> None:
    pg_database.execute("CREATE TABLE open_items (id int PRIMARY KEY); INSERT INTO open_items VALUES (1)")
    pg_database.execute("CREATE TABLE held_items (id int PRIMARY KEY); INSERT INTO held_items VALUES (1)")
    project = write_project(tmp_path / "project", count_timeout=120)
    args = ["report", "--format", "json", "--no-scan", "--url", url_with_password(pg_database.url)]
    run = kill_while_waiting(pg_database.engine, pg_admin, ("held_items", "ACCESS EXCLUSIVE"), args, project)
    line = assert_clean_failure(run)
    assert run.stdout == "", "a half-finished report must not be printed"
    assert_says_connection_lost(line)
    assert DUMMY_PASSWORD not in run.stdout + run.stderr


@pytest.mark.slow
def test_connection_killed_during_seed_commits_nothing(
    pg_database: TestDatabase, pg_admin: Engine, tmp_path: Path
) -> None:
    pg_database.execute(
        "CREATE TABLE parents (id serial PRIMARY KEY, name text NOT NULL);"
        "CREATE TABLE children (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES parents(id),"
        " label text);"
        "CREATE TABLE real_rows (id int PRIMARY KEY, note text); INSERT INTO real_rows VALUES (1, 'keep')"
    )
    project = write_project(tmp_path / "project")
    args = ["seed", "--missing", "--yes", "--rows", "50", "--url", url_with_password(pg_database.url)]
    # SHARE mode lets dbaudit read `children` (reflection, probes) but blocks its INSERT: by then the parents
    # are already inserted in dbaudit's open transaction.
    run = kill_while_waiting(pg_database.engine, pg_admin, ("children", "SHARE"), args, project)
    assert_says_connection_lost(assert_clean_failure(run))
    assert DUMMY_PASSWORD not in run.stdout + run.stderr
    assert count(pg_database, "parents") == 0
    assert count(pg_database, "children") == 0
    assert pg_database.scalar("SELECT note FROM real_rows WHERE id = 1") == "keep"
    for ledger in dbaudit_tables(pg_database):
        assert count(pg_database, ledger) == 0, f"bookkeeping table {ledger} kept rows of a failed run"


def mariadb_waiting_thread(admin: Engine, database: str, holder_id: int) -> int | None:
    """The id of the connection in ``database`` (other than the lock holder) that waits on a table lock."""
    with admin.connect() as conn:
        value = conn.execute(
            text(
                "SELECT id FROM information_schema.processlist WHERE db = :db AND id <> :holder "
                "AND command = 'Query' AND state LIKE 'Waiting for table%' ORDER BY id LIMIT 1"
            ),
            {"db": database, "holder": holder_id},
        ).scalar()
    return int(value) if value is not None else None


def kill_mariadb_while_waiting(
    db: TestDatabase, admin: Engine, lock: str, args: list[str], project: Path
) -> Run:
    """MariaDB twin of :func:`kill_while_waiting`: ``LOCK TABLES <lock>`` in another session, then ``KILL``
    dbaudit's connection once it waits on that lock."""
    holder = db.engine.connect()
    holder.exec_driver_sql(f"LOCK TABLES {lock}")
    holder_id = int(holder.exec_driver_sql("SELECT CONNECTION_ID()").scalar_one())
    process = start_process(args, cwd=project)
    try:
        thread = wait_for(
            lambda: mariadb_waiting_thread(admin, str(db.schema), holder_id),
            "dbaudit to wait on the table lock",
            process=process,
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f"KILL {int(thread)}")  # type: ignore[call-overload]
    finally:
        holder.exec_driver_sql("UNLOCK TABLES")
        holder.close()
        run = finish(process, args)
    return run


@pytest.mark.slow
def test_mariadb_connection_killed_during_report_exits_2(
    mysql_database: TestDatabase, mysql_admin: Engine, tmp_path: Path
) -> None:
    mysql_database.execute("CREATE TABLE open_items (id int PRIMARY KEY)")
    mysql_database.execute("INSERT INTO open_items VALUES (1)")
    mysql_database.execute("CREATE TABLE held_items (id int PRIMARY KEY)")
    project = write_project(tmp_path / "project", count_timeout=120)
    args = ["report", "--format", "json", "--no-scan", "--url", mysql_database.url]
    run = kill_mariadb_while_waiting(mysql_database, mysql_admin, "held_items WRITE", args, project)
    line = assert_clean_failure(run)
    assert run.stdout == "", "a half-finished report must not be printed"
    assert_says_connection_lost(line)


@pytest.mark.slow
def test_mariadb_connection_killed_during_seed_commits_nothing(
    mysql_database: TestDatabase, mysql_admin: Engine, tmp_path: Path
) -> None:
    mysql_database.execute(
        "CREATE TABLE parents (id int AUTO_INCREMENT PRIMARY KEY, name varchar(40) NOT NULL)"
    )
    mysql_database.execute(
        "CREATE TABLE children (id int AUTO_INCREMENT PRIMARY KEY, parent_id int NOT NULL, label varchar(40),"
        " FOREIGN KEY (parent_id) REFERENCES parents (id))"
    )
    mysql_database.execute("CREATE TABLE real_rows (id int PRIMARY KEY, note varchar(20))")
    mysql_database.execute("INSERT INTO real_rows VALUES (1, 'keep')")
    project = write_project(tmp_path / "project")
    args = ["seed", "--missing", "--yes", "--rows", "50", "--url", mysql_database.url]
    # READ lets dbaudit read `children` but blocks its INSERT, by when the parents are inserted.
    run = kill_mariadb_while_waiting(mysql_database, mysql_admin, "children READ", args, project)
    assert_says_connection_lost(assert_clean_failure(run))
    assert count_mysql(mysql_database, "parents") == 0
    assert count_mysql(mysql_database, "children") == 0
    assert mysql_database.scalar("SELECT note FROM real_rows WHERE id = 1") == "keep"
    with mysql_database.engine.connect() as conn:
        ledgers = [r[0] for r in conn.execute(text("SHOW TABLES LIKE 'dbaudit%'"))]
    for ledger in ledgers:
        assert count_mysql(mysql_database, ledger) == 0, (
            f"bookkeeping table {ledger} kept rows of a failed run"
        )


def count_mysql(db: TestDatabase, table: str) -> int:
    return int(db.scalar(f"SELECT count(*) FROM `{table}`"))  # type: ignore[call-overload]


@pytest.mark.slow
def test_lock_timeout_is_named_and_other_tables_still_reported(
    pg_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    pg_database.execute("CREATE TABLE open_items (id int PRIMARY KEY); INSERT INTO open_items VALUES (1)")
    pg_database.execute("CREATE TABLE held_items (id int PRIMARY KEY)")
    project = write_project(tmp_path / "project", count_timeout=0.5)
    with locked(pg_database.engine, "held_items", "ACCESS EXCLUSIVE"):
        run = run_cli(
            ["report", "--format", "json", "--no-scan", "--project", str(project), "--url", pg_database.url],
            capfd,
        )
    assert run.code == 0, run.describe()
    tables = {s["table"]["name"]: s for s in json.loads(run.stdout)["database"]["tables"]}
    assert tables["open_items"]["status"] == "populated"
    held = tables["held_items"]
    assert held["status"] == "unreadable"
    reason = held["reason"].lower()
    assert "lock" in reason, f"the reason should say the table was locked: {held['reason']!r}"
    assert "timed out" in reason or "timeout" in reason, held["reason"]


@pytest.mark.slow
def test_statement_timeout_is_named(
    pg_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # 300,000 dead rows: the probe must walk past all of them, far beyond a 1 ms budget.
    pg_database.execute(
        "CREATE TABLE churned (id int) WITH (autovacuum_enabled = false);"
        "INSERT INTO churned SELECT generate_series(1, 300000); DELETE FROM churned"
    )
    project = write_project(tmp_path / "project", count_timeout=0.001)
    run = run_cli(
        ["report", "--format", "json", "--no-scan", "--project", str(project), "--url", pg_database.url],
        capfd,
    )
    assert run.code == 0, run.describe()
    tables = {s["table"]["name"]: s for s in json.loads(run.stdout)["database"]["tables"]}
    churned = tables["churned"]
    assert churned["status"] == "unreadable"
    reason = churned["reason"].lower()
    assert "timed out" in reason or "timeout" in reason, churned["reason"]


@pytest.mark.slow
def test_mariadb_lock_wait_times_out_as_unreadable(
    mysql_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    mysql_database.execute("CREATE TABLE open_items (id int PRIMARY KEY)")
    mysql_database.execute("INSERT INTO open_items VALUES (1)")
    mysql_database.execute("CREATE TABLE held_items (id int PRIMARY KEY)")
    project = write_project(tmp_path / "project", count_timeout=0.5)
    holder = mysql_database.engine.connect()
    try:
        holder.exec_driver_sql("LOCK TABLES held_items WRITE")
        run = run_cli(
            [
                "report",
                "--format",
                "json",
                "--no-scan",
                "--project",
                str(project),
                "--url",
                mysql_database.url,
            ],
            capfd,
        )
    finally:
        holder.exec_driver_sql("UNLOCK TABLES")
        holder.close()
    assert run.code == 0, run.describe()
    tables = {s["table"]["name"]: s for s in json.loads(run.stdout)["database"]["tables"]}
    assert tables["open_items"]["status"] == "populated"
    assert tables["held_items"]["status"] == "unreadable"
    reason = tables["held_items"]["reason"].lower()
    assert "timed out" in reason or "timeout" in reason, tables["held_items"]["reason"]


@pytest.fixture
def reader_role(pg_admin: Engine) -> Iterator[str]:
    """A login role with no privileges of its own; dropped afterwards (with whatever it was granted)."""
    role = unique_name("r")
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        yield role
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


@pytest.mark.slow
def test_tables_the_role_may_not_read_are_unreadable_the_rest_reported(
    pg_schema: TestDatabase, reader_role: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    schema = pg_schema.schema
    pg_schema.execute("CREATE TABLE visible (id int PRIMARY KEY); INSERT INTO visible VALUES (1)")
    pg_schema.execute("CREATE TABLE visible_empty (id int PRIMARY KEY)")
    pg_schema.execute("CREATE TABLE hidden (id int PRIMARY KEY); INSERT INTO hidden VALUES (1)")
    pg_schema.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{reader_role}"')
    pg_schema.execute(f'GRANT SELECT ON visible, visible_empty TO "{reader_role}"')
    url = make_url(pg_schema.url).set(username=reader_role).render_as_string(hide_password=False)
    run = run_cli(
        ["report", "--format", "json", "--no-scan", "--project", str(tmp_path), "--url", url], capfd
    )
    assert run.code == 0, run.describe()
    tables = {s["table"]["name"]: s for s in json.loads(run.stdout)["database"]["tables"]}
    assert tables["visible"]["status"] == "populated"
    assert tables["visible_empty"]["status"] == "empty"
    assert tables["hidden"]["status"] == "unreadable"
    assert "permission" in tables["hidden"]["reason"].lower()
    markdown = run_cli(["report", "--no-scan", "--project", str(tmp_path), "--url", url], capfd)
    assert markdown.code == 0, markdown.describe()
    hidden_line = next(line for line in markdown.stdout.splitlines() if "hidden" in line and "|" in line)
    assert "🔒" in hidden_line and "Unreadable" in hidden_line, hidden_line


@pytest.mark.slow
def test_read_only_server_reports_but_seed_refuses(
    pg_database: TestDatabase, pg_admin: Engine, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    pg_database.execute(
        "CREATE TABLE filled (id serial PRIMARY KEY, name text); INSERT INTO filled (name) VALUES ('a')"
    )
    pg_database.execute("CREATE TABLE gap (id serial PRIMARY KEY, name text)")
    name = make_url(pg_database.url).database
    with pg_admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    pg_database.engine.dispose()  # new sessions pick the setting up
    common = ["--project", str(tmp_path), "--url", pg_database.url]

    report = run_cli(["report", "--format", "json", "--no-scan", *common], capfd)
    assert report.code == 0, report.describe()
    tables = {s["table"]["name"]: s["status"] for s in json.loads(report.stdout)["database"]["tables"]}
    assert tables == {"filled": "populated", "gap": "empty"}

    seed = run_cli(["seed", "--missing", "--yes", *common], capfd)
    line = assert_clean_failure(seed)
    assert "read-only" in line.lower() or "read only" in line.lower(), line
    assert pg_database.scalar("SELECT count(*) FROM gap") == 0


@pytest.mark.slow
def test_a_rejected_row_is_not_called_a_lost_connection(any_database: TestDatabase) -> None:
    """MariaDB reports a CHECK violation as the driver's OperationalError, as it does a lost connection: the
    seeder names it by the server's own codes (a rejected row), not by the exception class."""
    from sqlalchemy.exc import DBAPIError

    from dbaudit.dialects import dialect_for

    db = any_database
    db.execute("CREATE TABLE gauge (id INTEGER PRIMARY KEY, level INTEGER NOT NULL CHECK (level > 0))")
    dialect = dialect_for(db.engine.dialect.name)
    with db.engine.connect() as conn:
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text("INSERT INTO gauge (id, level) VALUES (1, -3)"))
        assert not dialect.is_connection_lost(caught.value), dialect.describe_error(caught.value)
        assert not dialect.is_timeout(caught.value)
        conn.rollback()
        if db.dialect != "sqlite":
            victim = conn.connection.dbapi_connection
            pid_sql = "SELECT pg_backend_pid()" if db.dialect == "postgresql" else "SELECT CONNECTION_ID()"
            pid = conn.execute(text(pid_sql)).scalar()
            kill = "SELECT pg_terminate_backend(:p)" if db.dialect == "postgresql" else "KILL :p"
            with db.engine.connect() as killer:
                killer.execute(text(kill), {"p": pid})
                killer.commit()
            with pytest.raises(DBAPIError) as lost:
                conn.execute(text("SELECT 1"))
            assert victim is not None
            assert dialect.is_connection_lost(lost.value), dialect.describe_error(lost.value)
