"""How a seed run behaves: reproducible, all or nothing, serialised, tenant-aware, cycle- and tree-aware."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dbaudit.errors import SeedError
from tests.conftest import corpus_file
from tests.seed_support import fingerprint, load_sql, purge_all, rows_of, seed, settings_for

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_same_seed_on_two_fresh_copies_gives_identical_rows(tmp_path: Path) -> None:
    from tests.conftest import TestDatabase

    prints = []
    for copy in ("one", "two"):
        url = f"sqlite:///{tmp_path / copy}.db"
        engine = create_engine(url)
        db = TestDatabase(url=url, engine=engine, schema=None, dialect="sqlite")
        load_sql(db, corpus_file("chinook", "chinook_sqlite_schema.sql"))
        seed(settings_for(db, tmp_path / copy), missing=True, rows=12, seed=42)
        prints.append(fingerprint(engine, skip=("dbaudit_ledger",)))
        engine.dispose()
    assert prints[0] == prints[1]
    assert all(not value.endswith(":0") for value in prints[0].values())


@pytest.mark.slow
@pytest.mark.postgres
def test_same_seed_on_two_fresh_postgres_copies_gives_identical_rows(
    pg_database: TestDatabase, pg_schema: TestDatabase, tmp_path: Path
) -> None:
    prints = []
    for db in (pg_database, pg_schema):
        load_sql(db, corpus_file("chinook", "chinook_postgresql_serialpks_schema.sql"))
        seed(settings_for(db, tmp_path / str(len(prints))), missing=True, rows=12, seed=7)
        prints.append(fingerprint(db.engine, db.schema, skip=("dbaudit_ledger",)))
    assert prints[0] == prints[1]


@pytest.mark.slow
def test_dry_run_inserts_then_rolls_back(sqlite_database: TestDatabase, tmp_path: Path) -> None:
    load_sql(sqlite_database, corpus_file("chinook", "chinook_sqlite_schema.sql"))
    before = fingerprint(sqlite_database.engine)
    report = seed(settings_for(sqlite_database, tmp_path), missing=True, rows=5, dry_run=True)
    assert report.dry_run and report.total_rows > 0 and not report.undo_command
    assert fingerprint(sqlite_database.engine) == before, (
        "a dry run must leave nothing behind (not even a ledger)"
    )


def test_force_replaces_earlier_mock_rows(sqlite_database: TestDatabase, tmp_path: Path) -> None:
    sqlite_database.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    sqlite_database.execute("INSERT INTO note (id, body) VALUES (1, 'real')")
    settings = settings_for(sqlite_database, tmp_path)
    seed(settings, tables=["note"], rows=4)
    report = seed(settings, tables=["note"], rows=4, force=True)
    assert report.purged_first == 4
    assert sqlite_database.scalar("SELECT count(*) FROM note") == 5
    assert sqlite_database.scalar("SELECT body FROM note WHERE id = 1") == "real"


def test_a_violated_constraint_names_table_row_and_constraint(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    # A trigger, not a CHECK: the seeder shows candidate rows to the database for CHECKs it cannot judge
    # itself and never sends a row it knows is rejected.
    sqlite_database.execute("CREATE TABLE odd (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL)")
    sqlite_database.execute(
        "CREATE TRIGGER odd_qty BEFORE INSERT ON odd WHEN NEW.qty % 1000 <> 999"
        " BEGIN SELECT RAISE(ABORT, 'qty_rule: qty must end in 999'); END"
    )
    settings = settings_for(sqlite_database, tmp_path)
    with pytest.raises(SeedError) as caught:  # --strict: all or nothing
        seed(settings, missing=True, rows=3, seed=1, strict=True)
    message = str(caught.value)
    assert (
        "odd" in message
        and "qty_rule" in message
        and "row {" in message
        and "nothing was committed" in message
    )
    assert sqlite_database.scalar("SELECT count(*) FROM odd") == 0


@pytest.mark.postgres
def test_a_violated_constraint_names_table_row_and_constraint_on_postgres(
    pg_schema: TestDatabase, tmp_path: Path
) -> None:
    """PostgreSQL loads each table with one COPY and no savepoint: the error still names the row."""
    pg_schema.execute("CREATE TABLE odd (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL)")
    pg_schema.execute(
        "CREATE FUNCTION odd_qty() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.qty % 1000 <> 999 THEN RAISE EXCEPTION 'qty_rule: qty must end in 999'; END IF;"
        " RETURN NEW; END $$"
    )
    pg_schema.execute("CREATE TRIGGER odd_qty BEFORE INSERT ON odd FOR EACH ROW EXECUTE FUNCTION odd_qty()")
    settings = settings_for(pg_schema, tmp_path, schemas=(pg_schema.schema,))
    with pytest.raises(SeedError) as caught:  # --strict: all or nothing
        seed(settings, missing=True, rows=3, seed=1, strict=True)
    message = str(caught.value)
    assert "odd" in message and "qty_rule" in message and "row {id=" in message
    assert "nothing was committed" in message
    assert pg_schema.scalar("SELECT count(*) FROM odd") == 0


@pytest.mark.slow
def test_cycle_through_a_nullable_key_is_filled_after_both_sides_exist(
    any_database: TestDatabase, tmp_path: Path
) -> None:
    db = any_database
    db.execute("CREATE TABLE team (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, captain_id INTEGER)")
    db.execute(
        "CREATE TABLE player (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, team_id INTEGER NOT NULL,"
        " FOREIGN KEY (team_id) REFERENCES team (id))"
    )
    if db.dialect == "sqlite":
        db.execute("DROP TABLE team")
        db.execute(
            "CREATE TABLE team (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, captain_id INTEGER"
            " REFERENCES player (id))"
        )
    else:
        db.execute("ALTER TABLE team ADD FOREIGN KEY (captain_id) REFERENCES player (id)")
    settings = settings_for(db, tmp_path)
    report = seed(settings, missing=True, rows=6, seed=3)
    (cycle,) = report.plan.cycles
    assert cycle.method == "nullable" and "captain_id" in cycle.detail
    with db.engine.connect() as conn:
        captains = [r[0] for r in conn.execute(text("SELECT captain_id FROM team"))]
        players = {r[0] for r in conn.execute(text("SELECT id FROM player"))}
    assert captains and all(c in players for c in captains), "the broken edge is set once both sides exist"
    purge_all(settings)
    assert db.scalar("SELECT count(*) FROM team") == 0


@pytest.mark.slow
def test_self_reference_is_filled_as_a_tree(sqlite_database: TestDatabase, tmp_path: Path) -> None:
    sqlite_database.execute(
        "CREATE TABLE employee (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " boss_id INTEGER REFERENCES employee (id))"
    )
    seed(settings_for(sqlite_database, tmp_path), missing=True, rows=15, seed=8)
    rows = rows_of(sqlite_database.engine, "employee")
    order = sorted(rows)
    assert order[0][2] is None, "the first row is a root"
    assert all(boss is None or boss < ident for ident, _name, boss in order), "rows point at earlier rows"
    assert any(boss is not None for _ident, _name, boss in order)


def test_one_tenant_per_run(sqlite_database: TestDatabase, tmp_path: Path) -> None:
    db = sqlite_database
    db.execute("CREATE TABLE client_account (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE project (id INTEGER PRIMARY KEY, client_account_id INTEGER NOT NULL"
        " REFERENCES client_account (id), title TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE task (id INTEGER PRIMARY KEY,"
        " client_account_id INTEGER NOT NULL REFERENCES client_account (id),"
        " project_id INTEGER NOT NULL REFERENCES project (id), title TEXT NOT NULL)"
    )
    db.execute("INSERT INTO client_account VALUES (1, 'Acme'), (2, 'Globex')")
    db.execute("INSERT INTO project VALUES (10, 1, 'a1'), (11, 1, 'a2'), (20, 2, 'g1'), (21, 2, 'g2')")
    seed(settings_for(db, tmp_path), tables=["task"], rows=20, tenant="2", seed=5)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT client_account_id, project_id FROM task")).all()
    assert len(rows) == 20
    assert {r[0] for r in rows} == {2}
    assert {r[1] for r in rows} <= {20, 21}, "parents of the run's tenant only"


def test_project_seeders_are_loaded_and_checked(sqlite_database: TestDatabase, tmp_path: Path) -> None:
    sqlite_database.execute("CREATE TABLE widget (id INTEGER PRIMARY KEY, name TEXT NOT NULL, size INTEGER)")
    folder = tmp_path / "my_seeders"
    folder.mkdir()
    (folder / "widgets.py").write_text(
        "class Widgets:\n"
        "    name = 'widgets'\n"
        "    priority = 50\n"
        "    def claims(self, table):\n"
        "        return table.name == 'widget'\n"
        "    def rows(self, ctx):\n"
        "        for i in range(ctx.rows):\n"
        "            yield {'name': f'Widget {i}', 'size': ctx.rng.randint(1, 3)}\n"
        "SEEDERS = [Widgets()]\n",
        encoding="utf-8",
    )
    settings = settings_for(sqlite_database, tmp_path / "project", seeders_dir=folder)
    report = seed(settings, missing=True, rows=4)
    assert report.results[0].seeder == "widgets"
    names = sorted(r[1] for r in rows_of(sqlite_database.engine, "widget"))
    assert names == [f"MOCK:Widget {i}" for i in range(4)]


@pytest.mark.slow
def test_a_second_concurrent_run_refuses_clearly(any_database: TestDatabase, tmp_path: Path) -> None:
    db = any_database
    db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name VARCHAR(30))")
    settings = settings_for(db, tmp_path, lock_timeout=0.3)
    with db.engine.connect() as holder:
        if db.dialect == "postgresql":
            from dbaudit.dialects.postgresql import _lock_key

            scope = f"{db.engine.url.database}/{db.schema}"
            holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key(scope)})
        elif db.dialect == "mysql":
            holder.execute(
                text("SELECT GET_LOCK(:n, 1)"), {"n": f"dbaudit:{db.engine.url.database}/{db.schema}"[:64]}
            )
        else:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        with pytest.raises(SeedError, match="another"):
            seed(settings, missing=True, rows=2)
        holder.rollback()
        if db.dialect == "postgresql":
            holder.execute(text("SELECT pg_advisory_unlock_all()"))
        elif db.dialect == "mysql":
            holder.execute(text("SELECT RELEASE_ALL_LOCKS()"))
    assert db.scalar("SELECT count(*) FROM item") == 0
    seed(settings, missing=True, rows=2)
    assert db.scalar("SELECT count(*) FROM item") == 2


@pytest.mark.slow
@pytest.mark.postgres
def test_read_only_database_refuses_to_seed(pg_database: TestDatabase, tmp_path: Path) -> None:
    pg_database.execute("CREATE TABLE item (id serial PRIMARY KEY, name text)")
    name = pg_database.engine.url.database
    pg_database.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    pg_database.engine.dispose()
    with pytest.raises(SeedError, match="read-only"):
        seed(settings_for(pg_database, tmp_path), missing=True, rows=2)


@pytest.mark.slow
def test_cli_refuses_without_yes_when_there_is_no_terminal(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    sqlite_database.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    common = ["--url", sqlite_database.url, "--project", str(tmp_path)]
    run = _cli(["seed", "--missing", *common], tmp_path)
    assert run.returncode == 2 and "--yes" in run.stderr and "Traceback" not in run.stderr
    run = _cli(["seed", "--missing", "--dry-run", "--rows", "3", *common], tmp_path)
    assert run.returncode == 0 and "item" in run.stdout and "Dry run" in run.stdout
    run = _cli(["seed", "--missing", "--yes", "--rows", "item=3", *common], tmp_path)
    assert run.returncode == 0 and "dbaudit purge --run" in run.stdout, run.stderr
    assert sqlite_database.scalar("SELECT count(*) FROM item") == 3
    run = _cli(["seed", "--missing", "--yes", "--rows", "item=lots", *common], tmp_path)
    assert run.returncode == 2 and "--rows" in run.stderr
    run = _cli(["purge", "--yes", *common], tmp_path)
    assert run.returncode == 0 and "3 mock rows" in run.stdout
    assert sqlite_database.scalar("SELECT count(*) FROM item") == 0


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DBAUDIT_URL", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "dbaudit", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_a_seed_killed_while_inserting_leaves_the_database_unchanged(
    pg_database: TestDatabase, pg_admin: object, tmp_path: Path, kill: signal.Signals, driver: str
) -> None:
    """Also through psycopg 3, whose COPY a Ctrl-C can leave with a command in progress."""
    if driver == "psycopg":
        pytest.importorskip("psycopg", reason="psycopg 3 is not installed")
    url = make_url(pg_database.url).set(drivername=f"postgresql+{driver}")
    url_text = url.render_as_string(hide_password=False)
    pg_database.execute(
        "CREATE TABLE account (id serial PRIMARY KEY, name text NOT NULL);"
        "INSERT INTO account (name) VALUES ('real one'), ('real two');"
        "CREATE TABLE event (id bigserial PRIMARY KEY, account_id int NOT NULL REFERENCES account (id),"
        " email text UNIQUE, kind text NOT NULL, happened timestamptz NOT NULL, note text)"
    )
    before = fingerprint(pg_database.engine)
    pg_database.engine.dispose()  # so the only other session on the database is the seed's
    args = ["seed", "--tables", "event", "--rows", "400000", "--yes", "--url", url_text]
    env = {k: v for k, v in os.environ.items() if k not in ("DBAUDIT_URL", "DATABASE_URL")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dbaudit", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    name = pg_database.engine.url.database
    engine = pg_admin  # type: ignore[assignment]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as conn:  # type: ignore[attr-defined]
                # active: an idle session shows its last statement too (a COPY that has ended)
                copying = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = :d AND state = 'active' AND query LIKE 'COPY%'"
                    ),
                    {"d": name},
                ).scalar()
            if copying:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the seed finished before it could be killed: make it larger"
        os.kill(process.pid, kill)
    finally:
        process.wait(timeout=60)
    if kill == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 130, process.stderr.read() if process.stderr else ""
        assert process.stderr is not None and b"nothing was committed" in process.stderr.read()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the server notices the dead client and rolls back
        with engine.connect() as conn:  # type: ignore[attr-defined]
            alive = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                {"d": name},
            ).scalar()
        if not alive:
            break
        time.sleep(0.1)
    pg_database.engine.dispose()
    assert fingerprint(pg_database.engine) == before


def test_sqlite_file_written_by_another_connection_is_untouched(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    """Seeding works through its own connection: a reader holding the file open sees a consistent state."""
    sqlite_database.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    reader = sqlite3.connect(str(sqlite_database.engine.url.database))
    try:
        seed(settings_for(sqlite_database, tmp_path), missing=True, rows=3)
        assert reader.execute("SELECT count(*) FROM item").fetchone() == (3,)
    finally:
        reader.close()


@pytest.mark.slow
def test_purge_touches_only_rows_in_the_ledger_that_still_carry_the_mark(
    any_database: TestDatabase, tmp_path: Path
) -> None:
    db = any_database
    db.execute("CREATE TABLE contact (id INTEGER PRIMARY KEY, name VARCHAR(60) NOT NULL, is_mock BOOLEAN)")
    db.execute("CREATE TABLE memo (id INTEGER PRIMARY KEY, body VARCHAR(80) NOT NULL)")
    settings = settings_for(db, tmp_path)
    seed(settings, missing=True, rows=5, seed=2)
    with db.engine.begin() as conn:
        kept_contact = conn.execute(text("SELECT min(id) FROM contact")).scalar()
        kept_memo = conn.execute(text("SELECT min(id) FROM memo")).scalar()
        # The application adopts two mock rows (removes their mark) and adds look-alikes of its own.
        conn.execute(text("UPDATE contact SET is_mock = FALSE WHERE id = :i"), {"i": kept_contact})
        conn.execute(text("UPDATE memo SET body = 'adopted' WHERE id = :i"), {"i": kept_memo})
        conn.execute(text("INSERT INTO contact (id, name, is_mock) VALUES (1000, 'marked, not ours', TRUE)"))
        conn.execute(text("INSERT INTO memo (id, body) VALUES (1000, 'MOCK: not ours either')"))
    report = purge_all(settings)
    assert {r.table: (r.deleted, r.kept_unmarked) for r in report.results} == {
        "contact": (4, 1),
        "memo": (4, 1),
    }
    with db.engine.connect() as conn:
        assert sorted(r[0] for r in conn.execute(text("SELECT id FROM contact"))) == [kept_contact, 1000]
        assert sorted(r[0] for r in conn.execute(text("SELECT id FROM memo"))) == [kept_memo, 1000]


@pytest.mark.slow
@pytest.mark.postgres
def test_large_tables_stream_in_chunks_with_the_same_guarantees(
    pg_database: TestDatabase, pg_schema: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbaudit.seed import run

    monkeypatch.setattr(run, "STREAM_CHUNK", 1000)  # 3,500 rows: four chunks through one COPY
    ddl = (
        "CREATE TABLE account (id serial PRIMARY KEY, name text NOT NULL);"
        "INSERT INTO account (name) VALUES ('a'), ('b'), ('c');"
        "CREATE TABLE member (id int PRIMARY KEY, account_id int NOT NULL REFERENCES account (id),"
        " email text NOT NULL UNIQUE, code varchar(8) UNIQUE,"
        " level int NOT NULL CHECK (level BETWEEN 1 AND 3));"
        "CREATE TABLE badge (id serial PRIMARY KEY, member_id int NOT NULL REFERENCES member (id),"
        " label text)"
    )
    prints = []
    for db in (pg_database, pg_schema):
        db.execute(ddl)
        settings = settings_for(db, tmp_path / str(len(prints)))
        report = seed(settings, tables=["member", "badge"], rows=50, rows_per_table={"member": 3500}, seed=4)
        assert {r.table: r.inserted for r in report.results} == {"member": 3500, "badge": 50}
        assert db.scalar("SELECT count(DISTINCT email) FROM member") == 3500
        prints.append(fingerprint(db.engine, db.schema, skip=("dbaudit_ledger",)))
        assert purge_all(settings).total_deleted == 3550
        assert db.scalar("SELECT count(*) FROM member") == 0
    assert prints[0] == prints[1], "streaming keeps the same seed giving the same rows"


def test_bundled_seeders_reference_association_and_event_log(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    from dbaudit.resources import seeders_dir
    from dbaudit.seed.api import load_seeders

    names = {s.seeder.name for s in load_seeders([(seeders_dir(), "bundled")])}
    assert names == {"generic", "reference", "association", "event-log"}
    db = sqlite_database
    db.execute("CREATE TABLE genre (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    db.execute("CREATE TABLE song (id INTEGER PRIMARY KEY, title TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE song_genre (song_id INTEGER NOT NULL REFERENCES song (id),"
        " genre_id INTEGER NOT NULL REFERENCES genre (id), PRIMARY KEY (song_id, genre_id))"
    )
    db.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, created_at DATETIME NOT NULL, message TEXT)")
    report = seed(settings_for(db, tmp_path), missing=True, rows=30, seed=6)
    used = {r.table: r.seeder for r in report.results}
    assert used == {
        "genre": "reference",
        "song": "generic",
        "song_genre": "association",
        "audit_log": "event-log",
    }
    with db.engine.connect() as conn:
        genres = [r[0] for r in conn.execute(text("SELECT name FROM genre ORDER BY id"))]
        pairs = conn.execute(text("SELECT song_id, genre_id FROM song_genre")).all()
        times = [r[0] for r in conn.execute(text("SELECT created_at FROM audit_log ORDER BY id"))]
    assert genres[:3] == ["MOCK:Rock", "MOCK:Jazz", "MOCK:Blues"] and len(genres) == 10
    assert len(pairs) == 30 and len(set(pairs)) == 30
    assert times == sorted(times) and len(set(times)) == 30


@pytest.mark.slow
def test_cycle_without_a_nullable_key(any_database: TestDatabase, tmp_path: Path) -> None:
    """PostgreSQL defers deferrable keys, SQLite defers every key to COMMIT, MariaDB writes the cycle with
    its foreign-key checks off and verifies the keys by a query (tests/test_seed_mysql_cycle.py)."""
    db = any_database
    later = " DEFERRABLE INITIALLY IMMEDIATE" if db.dialect == "postgresql" else ""
    db.execute("CREATE TABLE hen (id INTEGER PRIMARY KEY, egg_id INTEGER NOT NULL)")
    db.execute(
        "CREATE TABLE egg (id INTEGER PRIMARY KEY, hen_id INTEGER NOT NULL,"
        f" FOREIGN KEY (hen_id) REFERENCES hen (id){later})"
    )
    if db.dialect == "sqlite":
        db.execute("DROP TABLE hen")
        db.execute("CREATE TABLE hen (id INTEGER PRIMARY KEY, egg_id INTEGER NOT NULL REFERENCES egg (id))")
    else:
        db.execute(f"ALTER TABLE hen ADD FOREIGN KEY (egg_id) REFERENCES egg (id){later}")
    settings = settings_for(db, tmp_path)
    report = seed(settings, missing=True, rows=4, seed=1)
    (cycle,) = report.plan.cycles
    assert cycle.method == ("unchecked" if db.dialect == "mysql" else "deferred")
    assert {r.table: r.inserted for r in report.results} == {"egg": 4, "hen": 4}
    purge_all(settings)
    assert db.scalar("SELECT count(*) FROM hen") == 0 and db.scalar("SELECT count(*) FROM egg") == 0


def test_cli_json_output(
    sqlite_database: TestDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from dbaudit import cli

    sqlite_database.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    common = ["--url", sqlite_database.url, "--project", str(tmp_path), "--yes", "--format", "json"]
    for args in (["seed", "--missing", "--rows", "3", *common], ["purge", *common]):
        with pytest.raises(SystemExit) as done:
            cli.main(args)
        assert done.value.code == 0
        document = json.loads(capsys.readouterr().out)
        if args[0] == "seed":
            assert document["results"][0]["inserted"] == 3 and document["undo_command"].startswith(
                "dbaudit purge"
            )
        else:
            assert document["results"][0]["deleted"] == 3 and document["blocked"] == []


def test_tenant_column_without_a_foreign_key_takes_the_tenant(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    sqlite_database.execute(
        "CREATE TABLE note (id INTEGER PRIMARY KEY, engagement_id INTEGER NOT NULL, body TEXT)"
    )
    seed(settings_for(sqlite_database, tmp_path), missing=True, rows=6, tenant="42")
    assert {r[1] for r in rows_of(sqlite_database.engine, "note")} == {42}
