"""PostgreSQL through psycopg 3 (``postgresql+psycopg://``) and asyncpg URLs, beside psycopg2.

dbaudit is synchronous: an asyncpg URL runs on psycopg 3 when it is installed, else on psycopg2.  Every
command works through each: report, check, diff, seed (COPY through the driver's own API, the streamed path
of a large table included), purge back to the exact rows of before.  A driver that is not installed is one
clear line and exit 2; no output shows the password.
"""

from __future__ import annotations

import importlib.abc
import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from dbaudit.dialects import dialect_for
from dbaudit.urls import parse_url
from tests.safety.runner import Run, run_cli
from tests.seed_support import fingerprint

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

SECRET = "Pw-of-the-driver-test-7q"

#: (the URL's driver, whether psycopg 3 is importable, the driver dbaudit should use)
DRIVERS = {
    "psycopg": ("postgresql+psycopg", True, "postgresql+psycopg"),
    "asyncpg": ("postgresql+asyncpg", True, "postgresql+psycopg"),
    "asyncpg-without-psycopg": ("postgresql+asyncpg", False, "postgresql+psycopg2"),
}

SCHEMA = """
CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE books (
    id bigserial PRIMARY KEY,
    author_id integer NOT NULL REFERENCES authors (id),
    title varchar(80) NOT NULL,
    pages integer NOT NULL CHECK (pages BETWEEN 10 AND 900),
    price numeric(6, 2),
    tags text[],
    meta jsonb,
    cover bytea,
    published timestamptz,
    in_print boolean NOT NULL DEFAULT true
);
CREATE TABLE reviews (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    book_id bigint NOT NULL REFERENCES books (id),
    stars smallint NOT NULL CHECK (stars >= 1 AND stars <= 5),
    body text
);
INSERT INTO authors (name) VALUES ('Ursula'), ('Italo'), ('Jorge');
"""


def psycopg_installed() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class DriverDatabase:
    url: str
    """The URL as a user gives it: the driver under test, a password."""
    uses: str
    """The driver dbaudit must use for it."""
    plain: Engine
    """An engine through psycopg2 for looking at the database from outside."""


@pytest.fixture(params=list(DRIVERS))
def driver_db(
    request: pytest.FixtureRequest, pg_database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DriverDatabase]:
    scheme, with_psycopg, uses = DRIVERS[request.param]
    if with_psycopg and not psycopg_installed():
        pytest.skip("psycopg 3 is not installed (pip install 'dbaudit[psycopg]')")
    base = make_url(pg_database.url)
    plain = create_engine(base.set(drivername="postgresql+psycopg2"))
    with plain.begin() as conn:
        conn.execute(text(SCHEMA))
    if not with_psycopg:
        monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    try:
        yield DriverDatabase(
            base.set(drivername=scheme, password=SECRET).render_as_string(hide_password=False), uses, plain
        )
    finally:
        plain.dispose()


def dbaudit(capfd: pytest.CaptureFixture[str], *args: str) -> Run:
    run = run_cli(args, capfd)
    assert SECRET not in run.stdout + run.stderr, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    return run


def ledgerless(engine: Engine) -> dict[str, str]:
    return fingerprint(engine, skip=("dbaudit_ledger",))


@pytest.mark.parametrize("name", list(DRIVERS))
def test_the_url_is_mapped_to_the_driver_dbaudit_uses(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scheme, with_psycopg, uses = DRIVERS[name]
    if with_psycopg and not psycopg_installed():
        pytest.skip("psycopg 3 is not installed")
    if not with_psycopg:
        monkeypatch.setitem(sys.modules, "psycopg", None)
    for given in (scheme, scheme.replace("postgresql+", "postgres+")):
        url = parse_url(f"{given}://app:{SECRET}@db:5433/app?sslmode=require")
        assert (url.drivername, url.password, url.port, dict(url.query)) == (
            uses,
            SECRET,
            5433,
            {"sslmode": "require"},
        )


@pytest.mark.slow
@pytest.mark.postgres
def test_every_command_through_the_driver(
    driver_db: DriverDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    url, project = driver_db.url, str(tmp_path)
    common = ("--url", url, "--project", project)
    before = ledgerless(driver_db.plain)

    report = dbaudit(capfd, "-vv", "report", *common, "--format", "json", "-o", str(tmp_path / "base.json"))
    assert report.code == 0, report.describe()
    audit = json.loads((tmp_path / "base.json").read_text(encoding="utf-8"))
    tables = {t["table"]["name"]: (t["status"], t["count"]["value"]) for t in audit["database"]["tables"]}
    assert tables == {"authors": ("populated", 3), "books": ("empty", 0), "reviews": ("empty", 0)}
    assert audit["database"]["url"].startswith(f"{driver_db.uses}://postgres:***@")
    assert SECRET not in (tmp_path / "base.json").read_text(encoding="utf-8")
    shown = dbaudit(capfd, "report", *common)
    assert shown.code == 0 and f"{driver_db.uses}://postgres:***@" in shown.stdout, shown.describe()

    check = dbaudit(capfd, "check", *common, "--fail-under", "50", "--format", "json")
    assert check.code == 1, check.describe()  # no seed source fills any table: 0 % covered
    assert json.loads(check.stdout)["coverage"] == {
        "covered": 0,
        "tables": 3,
        "covered_tables": [],
        "covered_count": 0,
        "percent": 0.0,
    }
    assert dbaudit(capfd, "check", *common, "--fail-under", "0").code == 0

    diff = dbaudit(capfd, "diff", str(tmp_path / "base.json"), *common)
    assert diff.code == 0, diff.describe()

    seed = dbaudit(capfd, "seed", *common, "--missing", "--yes", "--rows", "40", "--format", "json")
    assert seed.code == 0, seed.describe()
    inserted = {r["table"]: r["inserted"] for r in json.loads(seed.stdout)["results"]}
    assert inserted == {"books": 40, "reviews": 40}
    with driver_db.plain.connect() as conn:
        joined = text("SELECT count(*) FROM reviews r JOIN books b ON b.id = r.book_id")
        assert conn.execute(joined).scalar() == 40
        assert conn.execute(text("SELECT count(*) FROM authors")).scalar() == 3  # parents reused, untouched

    purge = dbaudit(capfd, "purge", *common, "--yes")
    assert purge.code == 0, purge.describe()
    assert ledgerless(driver_db.plain) == before


@pytest.mark.slow
@pytest.mark.postgres
def test_a_large_table_streams_through_copy(
    driver_db: DriverDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from dbaudit.seed.run import STREAM_CHUNK

    rows = STREAM_CHUNK + 5_000  # over the threshold: one COPY fed chunk by chunk by a producer thread
    common = ("--url", driver_db.url, "--project", str(tmp_path))
    before = ledgerless(driver_db.plain)
    seed = dbaudit(capfd, "seed", *common, "--tables", "books", "--rows", str(rows), "--yes", "--format=json")
    assert seed.code == 0, seed.describe()
    assert {r["table"]: r["inserted"] for r in json.loads(seed.stdout)["results"]} == {"books": rows}
    with driver_db.plain.connect() as conn:
        valid = text("SELECT count(*) FROM books WHERE pages BETWEEN 10 AND 900")
        assert conn.execute(valid).scalar() == rows
    purge = dbaudit(capfd, "purge", *common, "--yes")
    assert purge.code == 0, purge.describe()
    assert ledgerless(driver_db.plain) == before


@pytest.mark.postgres
def test_a_row_the_server_rejects_skips_the_table_with_its_message_and_row(
    driver_db: DriverDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with driver_db.plain.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION no_seven() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " IF NEW.pages % 7 = 0 THEN RAISE EXCEPTION 'pages % refused', NEW.pages"
                " USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$;"
                " CREATE TRIGGER no_seven BEFORE INSERT ON books FOR EACH ROW EXECUTE FUNCTION no_seven()"
            )
        )
    before = ledgerless(driver_db.plain)
    common = ("--url", driver_db.url, "--project", str(tmp_path))
    seed = dbaudit(capfd, "seed", *common, "--tables", "books", "--rows", "200", "--yes", "--format", "json")
    assert seed.code == 1, seed.describe()
    (skipped,) = json.loads(seed.stdout)["plan"]["skipped"]
    assert skipped["table"] == "books"
    # the database's own message and the COPY line it names (psycopg 3 and psycopg2 report them alike)
    assert "pages" in skipped["reason"] and "refused; COPY books, line " in skipped["reason"], skipped
    # the row named is the one the trigger refused (its own line, not the trigger function's)
    named = re.search(r"; row \{.*?\bpages=(\d+)", skipped["reason"])
    assert named and int(named.group(1)) % 7 == 0, skipped
    assert ledgerless(driver_db.plain) == before


# -- The dialect's COPY, straight -----------------------------------------------------------------------


@dataclass
class Kind:
    kind: str


@dataclass
class Target:
    """The little of a table COPY needs (the seeder's table record gives more)."""

    name: str
    sa: Table
    kinds: dict[str, str]
    schema: str | None = None
    key: str = ""
    primary_key: tuple[str, ...] = ()
    sequences: dict[str, str | None] = field(default_factory=dict)
    without_rowid: bool = False
    replaces_on_conflict: bool = False

    @property
    def columns(self) -> Mapping[str, Any]:
        return {name: Kind(kind) for name, kind in self.kinds.items()}

    @property
    def qualified(self) -> tuple[str, str]:
        return (self.schema or "", self.name)

    def restrict(self, stmt: Any) -> Any:
        return stmt


@pytest.fixture(params=["postgresql+psycopg2", "postgresql+psycopg"])
def engine(request: pytest.FixtureRequest, pg_database: TestDatabase) -> Iterator[Engine]:
    if request.param == "postgresql+psycopg" and not psycopg_installed():
        pytest.skip("psycopg 3 is not installed")
    made = create_engine(make_url(pg_database.url).set(drivername=request.param))
    with made.begin() as conn:
        conn.execute(text("CREATE TABLE t (n integer CHECK (n > 0), note text)"))
    yield made
    made.dispose()


def target() -> Target:
    table = Table("t", MetaData(), Column("n", Integer), Column("note", Text))
    return Target("t", table, {"n": "int", "note": "str"})


@pytest.mark.postgres
def test_copy_loads_text_with_quotes_nulls_and_newlines(engine: Engine) -> None:
    rows = [(1, 'say "hi", then\nleave'), (2, None), (3, ""), (4, "\\N as text")]
    dialect = dialect_for("postgresql")
    with engine.begin() as conn:
        dialect.insert_rows(conn, target(), ["n", "note"], rows)
        stored = conn.execute(text("SELECT n, note FROM t ORDER BY n")).all()
    # "" and NULL stay apart; a text that spells the NULL mark is quoted in CSV, so it stays text
    assert [tuple(r) for r in stored] == rows


@pytest.mark.postgres
def test_a_rejected_copy_is_sqlalchemys_error_with_the_servers_code_and_line(engine: Engine) -> None:
    dialect = dialect_for("postgresql")
    with engine.connect() as conn, conn.begin():
        with pytest.raises(DBAPIError) as caught:
            dialect.insert_rows(conn, target(), ["n", "note"], [(1, "a"), (2, "b"), (-3, "c")])
        assert getattr(caught.value.orig, "diag", None) is not None
        assert caught.value.orig.diag.sqlstate == "23514"  # type: ignore[union-attr]
        assert "line 3" in (caught.value.orig.diag.context or "")  # type: ignore[union-attr]


@pytest.mark.postgres
def test_a_failure_while_producing_rows_is_raised_as_itself(engine: Engine) -> None:
    def chunks() -> Iterator[list[list[Any]]]:
        yield [[1, 2], ["a", "b"]]
        raise ValueError("the generator broke")

    dialect = dialect_for("postgresql")
    with engine.connect() as conn, conn.begin(), pytest.raises(ValueError, match="the generator broke"):
        dialect.insert_stream(conn, target(), ["n", "note"], chunks())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0


@pytest.mark.postgres
def test_ids_from_a_sequence_with_gaps_are_drawn_one_statement_at_a_time(engine: Engine) -> None:
    dialect = dialect_for("postgresql")
    with engine.connect() as conn, conn.begin():
        conn.execute(text("CREATE TABLE odd (id serial PRIMARY KEY)"))
        conn.execute(text("ALTER SEQUENCE odd_id_seq INCREMENT BY 2"))
        odd = Target("odd", Table("odd", MetaData(), Column("id", Integer)), {"id": "int"})
        # not one run of numbers: drawn again into a temporary table (three statements, not one)
        first = dialect.allocate_ids(conn, odd, "id", 4)
        assert len(first) == 4 and all(b - a == 2 for a, b in pairwise(first))
        assert dialect.allocate_ids(conn, odd, "id", 2)[0] > first[-1]


@pytest.mark.postgres
def test_timeouts_and_lock_waits_are_recognised_on_either_driver(engine: Engine) -> None:
    dialect = dialect_for("postgresql")
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL statement_timeout = '20ms'"))
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text("SELECT pg_sleep(5)"))
    assert dialect.is_timeout(caught.value) and not dialect.is_lock_wait(caught.value)
    assert dialect.timeout_setting(caught.value) == "statement_timeout"
    with engine.connect() as holder, holder.begin():
        holder.execute(text("LOCK TABLE t IN ACCESS EXCLUSIVE MODE"))
        with engine.connect() as waiter, waiter.begin():
            waiter.execute(text("SET LOCAL lock_timeout = '20ms'"))
            with pytest.raises(DBAPIError) as waited:
                waiter.execute(text("SELECT * FROM t"))
    assert dialect.is_lock_wait(waited.value) and dialect.timeout_setting(waited.value) == "lock_timeout"
    with engine.connect() as conn, conn.begin():
        conn.execute(text("CREATE ROLE dbaudit_driver_nobody"))
        conn.execute(text("SET LOCAL ROLE dbaudit_driver_nobody"))
        with pytest.raises(DBAPIError) as denied:
            conn.execute(text("SELECT * FROM t"))
        assert dialect.is_permission_denied(denied.value)
        conn.rollback()  # the role goes with the transaction


# -- Missing drivers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "hidden", "module", "package"),
    [
        ("postgresql+psycopg", ("psycopg",), "psycopg", "psycopg[binary]"),
        ("postgresql+psycopg_async", ("psycopg",), "psycopg", "psycopg[binary]"),
        ("postgresql+asyncpg", ("psycopg", "psycopg2"), "psycopg2", "psycopg2-binary"),
        ("postgresql+psycopg2", ("psycopg2",), "psycopg2", "psycopg2-binary"),
    ],
)
def test_a_missing_driver_is_one_clear_line(
    scheme: str,
    hidden: tuple[str, ...],
    module: str,
    package: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    for name in hidden:
        monkeypatch.setitem(sys.modules, name, None)
    url = f"{scheme}://app:{SECRET}@127.0.0.1:1/app"
    for command in ("report", "seed", "purge"):
        extra = ("--missing", "--yes") if command == "seed" else ("--yes",) if command == "purge" else ()
        run = dbaudit(capfd, command, "--url", url, "--project", str(tmp_path), *extra)
        assert run.code == 2, run.describe()
        assert run.stdout == "" and len(run.stderr.strip().splitlines()) == 1, run.describe()
        assert f"the database driver {module!r}" in run.stderr and f"pip install '{package}'" in run.stderr


# -- verify ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
def test_verify_through_psycopg(pg_database: TestDatabase, tmp_path: Path) -> None:
    """Scratch databases made, counted and dropped through psycopg 3; the steps get the project's driver."""
    from tests.verify.support import make_project, run_dbaudit

    if not psycopg_installed():
        pytest.skip("psycopg 3 is not installed")
    tables = ["CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)"]
    project = make_project(
        tmp_path / "project",
        tables,
        {
            "seeds/seed_roles.sql": "INSERT INTO roles (id, name) VALUES (1, 'admin'), (2, 'viewer');\n",
            # a step is given the URL in the project's own driver
            "seeds/seed_guest.py": """
            import os

            from sqlalchemy import create_engine, text

            url = os.environ["DATABASE_URL"]
            assert url.startswith("postgresql+psycopg:"), "not psycopg 3"
            with create_engine(url).begin() as conn:
                conn.execute(text("INSERT INTO roles (id, name) VALUES (3, 'guest')"))
            """,
        },
    )
    url = make_url(pg_database.url).set(drivername="postgresql+psycopg", password=SECRET)
    with pg_database.engine.connect() as conn:
        before = {r[0] for r in conn.execute(text("SELECT datname FROM pg_database"))}
    result = run_dbaudit(
        "verify",
        "--project",
        str(project),
        "--url",
        url.render_as_string(hide_password=False),
        "--yes",
        "--format",
        "json",
        "--once",
        cwd=tmp_path,
        tmpdir=tmp_path / "tmp",
    )
    assert result.code == 0, result.describe()
    assert SECRET not in result.stdout + result.stderr
    steps = {s["seeder"]: s for s in result.run["steps"]}
    for seeder, rows in (("seeds/seed_roles.sql", 2), ("seeds/seed_guest.py", 1)):
        first = steps[seeder]["first"]
        assert first["outcome"] == "ok", steps[seeder]
        assert [(t["table"], t["after"] - t["before"]) for t in first["tables"]] == [("roles", rows)]
    assert result.run["scratch"].startswith("postgresql+psycopg://")
    with pg_database.engine.connect() as conn:
        after = {r[0] for r in conn.execute(text("SELECT datname FROM pg_database"))}
    assert {n for n in after - before if n.startswith("scratch_dbaudit_")} == set()


class NoLibpq(importlib.abc.MetaPathFinder):
    """psycopg installed without a libpq to load: its import fails with a message naming no module."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "psycopg" or name.startswith("psycopg."):
            raise ImportError("no pq wrapper available.\nAttempts:\n- couldn't import psycopg 'c'")


def test_psycopg_without_a_libpq_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in sys.modules if n == "psycopg" or n.startswith("psycopg.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoLibpq(), *sys.meta_path])
    url = f"postgresql+psycopg://app:{SECRET}@127.0.0.1:1/app"
    run = dbaudit(capfd, "report", "--url", url, "--project", str(tmp_path))
    assert run.code == 2 and len(run.stderr.strip().splitlines()) == 1, run.describe()
    assert (
        "the database driver 'psycopg' needed by postgresql+psycopg:// cannot be loaded "
        "(no pq wrapper available.)" in run.stderr
    )
    assert "pip install 'psycopg[binary]'" in run.stderr
