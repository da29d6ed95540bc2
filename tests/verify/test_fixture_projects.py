"""``dbaudit verify`` on small projects that each break in one way: every one gets its finding and exit code,
and none of them touches the configured database, the project folder, or leaves a scratch database behind."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.verify.support import SRC, Result, folder_fingerprint, make_project, run_dbaudit, sqlite_url

TABLES = [
    "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
    "CREATE TABLE assets (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
]

pytestmark = pytest.mark.slow  # each runs dbaudit verify (a child process running several more) once or more

ENGINE = """
import os

from sqlalchemy import create_engine, text

engine = create_engine(os.environ["DATABASE_URL"])
"""


def insert(sql: str) -> str:
    """Script lines that run ``sql`` in a transaction of ``engine`` (see :data:`ENGINE`)."""
    return f'with engine.begin() as conn:\n    conn.execute(text("{sql}"))\n'


def configured_database(path: Path, tables: list[str]) -> str:
    """The configured database: the project's tables, one row in each, so any write to it would show."""
    url = sqlite_url(path)
    engine = create_engine(url)
    with engine.begin() as conn:
        for ddl in tables:
            conn.execute(text(ddl))
            name = ddl.split()[2]
            columns = "id, name" if "(id " in ddl else "name"
            values = "1, 'real'" if "(id " in ddl else "'real'"
            conn.execute(text(f"INSERT INTO {name} ({columns}) VALUES ({values})"))
    engine.dispose()
    return url


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(project: Path, url: str, tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> Result:
    """Run verify on ``project``, and check what must hold whatever the outcome: the configured database
    and the project folder unchanged, the temporary folder (scratch database, working copy) gone."""
    database = Path(url.removeprefix("sqlite:///"))
    before_db, before_folder = digest(database), folder_fingerprint(project)
    tmpdir = tmp_path / "tmp"
    result = run_dbaudit(
        "verify",
        "--project",
        str(project),
        "--url",
        url,
        "--yes",
        "--format",
        "json",
        *extra,
        cwd=tmp_path,
        tmpdir=tmpdir,
        env=env,
    )
    assert digest(database) == before_db, "the configured database changed"
    assert folder_fingerprint(project) == before_folder, "the project folder changed"
    assert list(tmpdir.iterdir()) == [], "the scratch database or the working copy was left behind"
    assert "Traceback" not in result.stderr, result.describe()
    return result


def test_a_seeder_that_fails_after_committing_some_tables(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "partial",
        TABLES,
        {
            "seeds/seed_all.py": ENGINE
            + """
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO accounts (id, name) VALUES (1, 'acme')"))
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO users (id, name) VALUES (1, 'dana')"))
            with engine.begin() as conn:  # NOT NULL: this one fails, the two above stay committed
                conn.execute(text("INSERT INTO assets (id, name) VALUES (1, NULL)"))
            """.replace("\n            ", "\n"),
        },
    )
    url = configured_database(project / "app.db", TABLES)
    result = verify(project, url, tmp_path)
    assert result.code == 1, result.describe()
    step = result.step("seeds/seed_all.py")
    assert step["first"]["outcome"] == "failed"
    assert {t["table"]: t["after"] - t["before"] for t in step["first"]["tables"]} == {
        "accounts": 1,
        "users": 1,
    }
    assert "IntegrityError" in step["first"]["error_tail"] or "NOT NULL" in step["first"]["error_tail"]
    partial = [f for f in result.run["findings"] if f["kind"] == "partial-seed"]
    assert len(partial) == 1 and "2 tables" in partial[0]["message"], partial
    assert {"step-failed", "partial-seed", "still-empty"} <= set(result.kinds())
    assert result.run["empty_tables"] == ["assets"]


def test_a_table_the_scan_cannot_see_is_a_scanner_miss(tmp_path: Path) -> None:
    tables = [
        "CREATE TABLE metrics (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
        "CREATE TABLE audit_events (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
        "CREATE TABLE legacy_notes (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
        "CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
        "CREATE TABLE extras (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
    ]
    project = make_project(
        tmp_path / "computed",
        tables,
        {
            "seeds/seed_metrics.py": """
            import os

            from sqlalchemy import create_engine, text

            with create_engine(os.environ["DATABASE_URL"]).begin() as conn:
                conn.execute(text("INSERT INTO metrics (id, name) VALUES (1, 'cpu')"))
            # a name computed at run time: no static scan can know it
            table = "".join(reversed("stneve_tidua"))
            with create_engine(os.environ["APP_DB"]).begin() as conn:  # named in url_variables
                conn.execute(text("INSERT INTO " + table + " (id, name) VALUES (1, 'login')"))
            with create_engine(os.environ["LEGACY_DB"]).begin() as conn:  # holds the configured URL
                conn.execute(text("INSERT INTO legacy_notes (id, name) VALUES (1, 'note')"))
            """,
            "seeds/seed_roles.sql": """
            -- reference data; the % and the semicolon in the text stay as written
            INSERT INTO roles (id, name) VALUES (1, 'admin; 100%');
            INSERT INTO roles (id, name) VALUES (2, 'viewer');
            """,
            "tools/load_extras.py": ENGINE + insert("INSERT INTO extras (id, name) VALUES (1, 'x')"),
        },
        config='url_variables = ["APP_DB"]\n\n[tool.dbaudit.verify.commands]\n'
        '"tools/load_extras.py" = "python tools/load_extras.py"\n',
    )
    url = configured_database(project / "app.db", tables)
    result = verify(project, url, tmp_path, env={"LEGACY_DB": url})
    assert result.code == 0, result.describe()
    misses = [f for f in result.run["findings"] if f["kind"] == "scanner-miss"]
    assert [f["table"] for f in misses] == ["audit_events"], result.run["findings"]
    assert "scanner miss" in misses[0]["message"]
    metrics = result.step("seeds/seed_metrics.py")
    assert "audit_events" not in metrics["predicted"]
    added = {t["table"] for t in metrics["first"]["tables"] if t["after"] > t["before"]}
    assert added == {
        "metrics",
        "audit_events",
        "legacy_notes",
    }  # LEGACY_DB was pointed at the scratch database
    sql = result.step("seeds/seed_roles.sql")
    assert sql["kind"] == "sql" and sql["first"]["outcome"] == "ok"
    assert [(t["table"], t["after"]) for t in sql["first"]["tables"]] == [("roles", 2)]
    extras = result.step("tools/load_extras.py")
    assert extras["kind"] == "command" and extras["first"]["tables"][0]["table"] == "extras"
    assert result.run["empty_tables"] == []


def test_a_seeder_that_adds_duplicates_when_run_twice(tmp_path: Path) -> None:
    tables = ["CREATE TABLE tags (name VARCHAR(40) NOT NULL)"]
    project = make_project(
        tmp_path / "dups",
        tables,
        {"seeds/seed_tags.py": ENGINE + insert("INSERT INTO tags (name) VALUES ('a'), ('b')")},
    )
    url = configured_database(project / "app.db", tables)
    result = verify(project, url, tmp_path)
    assert result.code == 0, result.describe()  # reported, but the gate holds: every table filled
    step = result.step("seeds/seed_tags.py")
    assert step["second"]["outcome"] == "ok"
    assert [(t["table"], t["before"], t["after"]) for t in step["second"]["tables"]] == [("tags", 2, 4)]
    assert "rerun-added-rows" in result.kinds()

    strict = verify(project, url, tmp_path, "--fail-on-rerun")
    assert strict.code == 1, strict.describe()
    assert strict.run["strict_repeat"] is True

    once = verify(project, url, tmp_path, "--once")
    assert once.code == 0 and once.step("seeds/seed_tags.py")["second"] is None
    assert "rerun-added-rows" not in once.kinds()


REMOTE = """
import os

from sqlalchemy import create_engine, text

engine = create_engine(os.environ.get("DATABASE_URL", "postgresql://app:s3cret@db.example.com/prod"))
with engine.begin() as conn:
    conn.execute(text("INSERT INTO accounts (id, name) VALUES (1, 'acme')"))
"""


def test_a_literal_server_url_is_refused_unless_allowed(tmp_path: Path) -> None:
    tables = TABLES[:1]
    project = make_project(tmp_path / "literal", tables, {"seeds/seed_remote.py": REMOTE})
    url = configured_database(project / "app.db", tables)
    refused = verify(project, url, tmp_path)
    assert refused.code == 2, refused.describe()
    assert refused.stdout == ""
    lines = refused.stderr.strip().splitlines()
    assert lines[-1].startswith("dbaudit: error: refusing to run"), refused.stderr
    assert "seeds/seed_remote.py:5" in lines[-1] and "--allow-literal-urls" in lines[-1]
    assert "s3cret" not in refused.stderr
    assert "made the scratch database" not in refused.stderr  # refused before anything was made or run

    allowed = verify(project, url, tmp_path, "--allow-literal-urls")
    assert allowed.code == 0, allowed.describe()
    assert "literal-url" in allowed.kinds()
    assert "s3cret" not in allowed.stdout


def test_a_docstring_or_a_comment_with_a_url_is_not_a_literal_url(tmp_path: Path) -> None:
    tables = TABLES[:1]
    body = (
        '"""Run as: DATABASE_URL=postgresql://app@db/prod python seed_doc.py"""\n'
        + ENGINE
        + (
            "# not postgresql://app@db/prod either\n"
            + insert("INSERT INTO accounts (id, name) VALUES (1, 'a')")
        )
    )
    project = make_project(tmp_path / "doc", tables, {"seeds/seed_doc.py": body})
    url = configured_database(project / "app.db", tables)
    result = verify(project, url, tmp_path, "--once")
    assert result.code == 0, result.describe()


def test_a_seeder_that_hangs_is_stopped_at_its_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "hang.pid"
    project = make_project(
        tmp_path / "hang",
        TABLES[:1],
        {
            "seeds/seed_slow.py": ENGINE
            + """
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO accounts (id, name) VALUES (1, 'acme')"))
            open(os.environ["HANG_PID_FILE"], "w").write(str(os.getpid()))
            import time
            time.sleep(3600)
            """.replace("\n            ", "\n"),
        },
    )
    url = configured_database(project / "app.db", TABLES[:1])
    result = verify(
        project, url, tmp_path, "--step-timeout", "3", "--once", env={"HANG_PID_FILE": str(pid_file)}
    )
    assert result.code == 1, result.describe()
    step = result.step("seeds/seed_slow.py")
    assert step["first"]["outcome"] == "timed_out"
    assert step["first"]["tables"][0]["table"] == "accounts"  # committed before it hung
    assert {"step-timed-out", "partial-seed"} <= set(result.kinds())
    pid = int(pid_file.read_text())
    assert not Path(f"/proc/{pid}").exists() or "seed_slow" not in Path(f"/proc/{pid}/cmdline").read_text()


def test_without_yes_and_without_a_terminal_nothing_runs(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "p",
        TABLES[:1],
        {"seeds/seed_remote.py": REMOTE.replace("postgresql://app:s3cret@db.example.com/prod", "sqlite://")},
    )
    url = configured_database(project / "app.db", TABLES[:1])
    result = run_dbaudit(
        "verify", "--project", str(project), "--url", url, cwd=tmp_path, tmpdir=tmp_path / "t"
    )
    assert result.code == 2, result.describe()
    assert "pass --yes" in result.stderr.strip().splitlines()[-1]
    assert "seeds/seed_remote.py" in result.stderr  # what would run was shown first
    assert list((tmp_path / "t").iterdir()) == []


def test_bad_configuration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", TABLES[:1], {}, config="step_timout = 3\n")
    url = configured_database(project / "app.db", TABLES[:1])
    result = run_dbaudit("verify", "--project", str(project), "--url", url, "--yes", cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("dbaudit: error: unknown setting 'step_timout'")
    plain = make_project(tmp_path / "plain", TABLES[:1], {})
    nothing = run_dbaudit("verify", "--project", str(plain), "--yes", cwd=tmp_path)
    assert nothing.code == 2, nothing.describe()
    assert "scratch database" in nothing.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_a_cancelled_job_stops_the_step_and_cleans_up(tmp_path: Path, sig: signal.Signals) -> None:
    """Interrupted mid-step: the step's processes end, the scratch database and the working copy go."""
    pid_file = tmp_path / "hang.pid"
    project = make_project(
        tmp_path / "hang",
        TABLES[:1],
        {
            "seeds/seed_slow.py": ENGINE
            + insert("INSERT INTO accounts (id, name) VALUES (1, 'acme')")
            + 'open(os.environ["HANG_PID_FILE"], "w").write(str(os.getpid()))\n'
            + "import time\ntime.sleep(3600)\n"
        },
    )
    url = configured_database(project / "app.db", TABLES[:1])
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = dict(os.environ, PYTHONPATH=str(SRC), TMPDIR=str(tmpdir), HANG_PID_FILE=str(pid_file))
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbaudit", "verify", "--project", str(project), "--url", url, "--yes"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not pid_file.exists() or not pid_file.read_text():  # the step is running, mid-sleep
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    step = int(pid_file.read_text())
    assert not Path(f"/proc/{step}").exists() or "seed_slow" not in Path(f"/proc/{step}/cmdline").read_text()
    assert list(tmpdir.iterdir()) == []
