"""Hostile identifiers on every dialect: ``report``, ``scan``, ``seed`` and ``purge`` all work on them.

The schema (:mod:`tests.safety.hostile`) has names with quotes, backticks, spaces, semicolons, ``--``,
unicode, reserved words, mixed case and names at the length limit, with foreign keys between them; on
PostgreSQL the schema's own name is hostile too.  A command that pasted a name into SQL would fail (or
worse) here.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from tests.conftest import PG_URL
from tests.safety.hostile import (
    BACKTICK,
    CHILD,
    GRANDCHILD,
    MARKUP,
    MIXED,
    PARENT,
    UNICODE,
    HostileSchema,
    create_hostile_schema,
)
from tests.safety.runner import run_cli, run_process

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

HOSTILE_PG_SCHEMA_PREFIX = 'dbaudit_h "S" ü;-- '


@dataclass
class HostileDatabase:
    dialect: str
    args: list[str]
    """``--url`` and, on PostgreSQL, ``--schema`` with the hostile schema name."""
    engine: Engine
    schema: HostileSchema


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def hostile_db(request: pytest.FixtureRequest) -> Iterator[HostileDatabase]:
    if request.param == "postgresql":
        admin: Engine = request.getfixturevalue("pg_admin")
        schema = HOSTILE_PG_SCHEMA_PREFIX + uuid.uuid4().hex[:8]
        quoted = admin.dialect.identifier_preparer.quote(schema)
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {quoted}"))
        engine = create_engine(PG_URL)
        try:
            yield HostileDatabase(
                "postgresql",
                ["--url", PG_URL, "--schema", schema],
                engine,
                create_hostile_schema(engine, schema),
            )
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {quoted} CASCADE"))
        return
    fixture = {"sqlite": "sqlite_database", "mysql": "mysql_database"}[request.param]
    db = request.getfixturevalue(fixture)
    yield HostileDatabase(request.param, ["--url", db.url], db.engine, create_hostile_schema(db.engine, None))


def statuses(report_json: str) -> dict[str, str]:
    data = json.loads(report_json)
    return {state["table"]["name"]: state["status"] for state in data["database"]["tables"]}


@pytest.mark.slow
def test_report_gives_the_right_status_for_every_hostile_table(
    hostile_db: HostileDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    run = run_cli(
        ["report", "--format", "json", "--no-scan", "--project", str(tmp_path), *hostile_db.args], capfd
    )
    assert run.code == 0, run.describe()
    found = statuses(run.stdout)
    expected = {name: "populated" for name in hostile_db.schema.populated}
    expected |= {name: "empty" for name in hostile_db.schema.empty}
    assert {k: v for k, v in found.items() if k in expected} == expected
    assert set(expected) <= set(found), f"tables missing from the report: {set(expected) - set(found)}"
    # The catalog is read back under the names the tables were created with: columns, keys, foreign keys.
    reported = {s["table"]["name"]: s["table"] for s in json.loads(run.stdout)["database"]["tables"]}
    for table in hostile_db.schema.metadata.sorted_tables:
        shape = reported[table.name]
        assert [c["name"] for c in shape["columns"]] == [c.name for c in table.columns], table.name
        assert shape["primary_key"] == ["id"], table.name
        for fk in shape["foreign_keys"]:
            assert set(fk["columns"]) <= {c.name for c in table.columns}, (table.name, fk)
            assert fk["referred_table"] in reported, (table.name, fk)
    assert (
        len(reported[CHILD]["foreign_keys"]) == 1
        and reported[CHILD]["foreign_keys"][0]["referred_table"] == PARENT
    )


@pytest.mark.slow
def test_markdown_and_html_reports_escape_hostile_names(
    hostile_db: HostileDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A ``|`` in a name must not split a Markdown table cell; ``<script>`` must not reach the HTML as markup
    (the HTML report is a CI artifact people open in a browser)."""
    common = ["--no-scan", "--project", str(tmp_path), *hostile_db.args]
    html = run_cli(["report", "--format", "html", *common], capfd)
    assert html.code == 0, html.describe()
    assert "<script>alert(1)</script>" not in html.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.stdout

    markdown = run_cli(["report", "--format", "md", *common], capfd)
    assert markdown.code == 0, markdown.describe()
    raw = [line for line in _prose(markdown.stdout).splitlines() if "<script>" in line]
    assert not raw, f"a name reaches the Markdown as raw HTML outside code: {raw}"
    table_rows = [
        line for line in markdown.stdout.splitlines() if line.startswith("|") and "alert(1)" in line
    ]
    header = next(line for line in markdown.stdout.splitlines() if line.startswith("| Table"))
    cells = len(header.split(" | "))
    for row in table_rows:
        unescaped = row.replace("\\|", "")
        assert len(unescaped.split(" | ")) == cells, f"the name broke the table row: {row}"
    assert MARKUP  # the name under test


def _prose(markdown: str) -> str:
    """Markdown without fenced blocks and code spans: what a reader's renderer treats as markup."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"(?ms)^```.*?^```", "", markdown))


@pytest.mark.slow
def test_diff_and_check_gate_hostile_schemas(
    hostile_db: HostileDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    common = ["--project", str(tmp_path), *hostile_db.args]
    base = tmp_path / "base.json"
    saved = run_cli(["report", "--format", "json", "-o", str(base), *common], capfd)
    assert saved.code == 0, saved.describe()
    for args in (["diff", str(base), "--format", "md"], ["check", "--fail-under", "100", "--format", "md"]):
        run = run_cli([*args, *common], capfd)
        assert run.code in (0, 1), run.describe()
        assert "<script>" not in _prose(run.stdout), run.describe()


@pytest.mark.slow
def test_seed_then_purge_on_hostile_tables_returns_them_unchanged(
    hostile_db: HostileDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    schema = hostile_db.schema
    before = schema.rows(hostile_db.engine)
    common = ["--project", str(tmp_path), *hostile_db.args]

    tables_before = set(inspect(hostile_db.engine).get_table_names(schema=schema.metadata.schema))
    rehearsal = run_cli(["seed", "--missing", "--dry-run", "--seed", "7", *common], capfd)
    assert rehearsal.code == 0, rehearsal.describe()
    assert schema.rows(hostile_db.engine) == before, "seed --dry-run must roll everything back"
    tables_after = set(inspect(hostile_db.engine).get_table_names(schema=schema.metadata.schema))
    assert tables_after == tables_before, "seed --dry-run must not leave a bookkeeping table behind"

    seeded = run_cli(["seed", "--missing", "--yes", "--seed", "7", *common], capfd)
    assert seeded.code == 0, seeded.describe()
    during = schema.rows(hostile_db.engine)
    for name in schema.populated:
        assert during[name] == before[name], f"seed changed existing rows of {name!r}"
    not_filled = sorted(name for name in schema.empty if not during[name])
    assert not not_filled, (
        f"seed --missing left these hostile tables empty: {not_filled}\n{seeded.describe()}"
    )

    purged = run_cli(["purge", "--yes", *common], capfd)
    assert purged.code == 0, purged.describe()
    assert schema.rows(hostile_db.engine) == before


SEED_SCRIPT = '''\
"""Seeds the hostile tables through SQL strings and ORM models."""
from sqlalchemy import ForeignKey, create_engine, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class OrderItem(Base):
    __tablename__ = {parent!r}
    id: Mapped[int] = mapped_column(primary_key=True)


class User(Base):
    __tablename__ = {child!r}
    id: Mapped[int] = mapped_column(primary_key=True)


class Mixed(Base):
    __tablename__ = {mixed!r}
    id: Mapped[int] = mapped_column(primary_key=True)


def main() -> None:
    engine = create_engine("sqlite:///app.db")
    with Session(engine) as session:
        session.add(OrderItem(id=1))
        session.add_all([User(id=1), Mixed(id=1)])
        session.execute(text({select_sql!r}))
        session.execute(text({backtick_sql!r}))
        session.execute(text({unicode_sql!r}))
        session.commit()


if __name__ == "__main__":
    main()
'''


def _quote(name: str, quote: str) -> str:
    return quote + name.replace(quote, quote * 2) + quote


def test_scan_finds_writes_to_hostile_tables(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "hostile"\n', encoding="utf-8")
    script = SEED_SCRIPT.format(
        parent=PARENT,
        child=CHILD,
        mixed=MIXED,
        select_sql=f'INSERT INTO {_quote(GRANDCHILD, chr(34))} ("order") VALUES (1)',
        backtick_sql=f"INSERT INTO {_quote(BACKTICK, '`')} (`order`) VALUES (2)",
        unicode_sql=f'INSERT INTO {_quote(UNICODE, chr(34))} ("order") SELECT 3',
    )
    (project / "scripts" / "seed_hostile.py").write_text(script, encoding="utf-8")
    run = run_cli(["scan", "--format", "json", str(project)], capfd)
    assert run.code == 0, run.describe()
    data = json.loads(run.stdout)
    scan = data.get("scan", data)
    written = {w["table"] for source in scan["sources"] for w in source["writes"]}
    assert {PARENT, CHILD, MIXED, GRANDCHILD, BACKTICK, UNICODE} <= written, written


@pytest.mark.slow
def test_commands_on_hostile_names_print_no_python_warnings(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    """A library warning (SQLAlchemy cannot parse a quoted foreign key back) is not for the user's terminal:
    stderr carries dbaudit's own log lines only.  Run as real processes, where warnings print."""
    create_hostile_schema(sqlite_database.engine, None)
    sqlite_database.engine.dispose()
    for args in (["report", "--no-scan"], ["seed", "--missing", "--yes"], ["purge", "--yes"]):
        run = run_process([*args, "--url", sqlite_database.url, "--project", str(tmp_path)], cwd=tmp_path)
        assert run.code == 0, run.describe()
        assert "Warning:" not in run.stderr, run.describe()
