"""Coverage against real databases: covered / application tables, stale references, seeded-but-empty,
conditional seeds, partitions counted as their parent, schema-aware names."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbaudit.config import Settings
from dbaudit.coverage import compute_coverage
from dbaudit.model import Audit, Severity
from dbaudit.reflect import reflect_database
from tests.conftest import TestDatabase as Database
from tests.scan.support import scan

SCRIPT = "scripts/seed_demo.py"


def test_coverage_findings_on_sqlite(sqlite_database: Database, tmp_path: Path) -> None:
    for table in ("users", "roles", "tags", "audit_log", "alembic_version"):
        sqlite_database.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
    sqlite_database.execute("INSERT INTO users (id) VALUES (1)")
    sqlite_database.execute("INSERT INTO tags (id) VALUES (1)")
    result = scan(
        tmp_path / "project",
        {
            SCRIPT: """
            from sqlalchemy import select
            from app.models import User, Role, Tag
            session.add(User(id=1))
            session.add(Role(id=1))
            if session.scalar(select(Tag).limit(1)) is None:
                session.add(Tag(id=1))
            conn.execute(text("INSERT INTO usres (id) VALUES (2)"))
            conn.execute(text("INSERT INTO alembic_version VALUES ('x')"))
            """
        },
    )
    settings = Settings(url=sqlite_database.url, project_root=tmp_path / "project")
    snapshot = reflect_database(settings)
    coverage, findings = compute_coverage(snapshot, result, settings)

    assert sorted(coverage.covered) == ["roles", "tags", "users"]
    assert coverage.application_tables == 4
    assert coverage.outside == ("usres",)
    assert round(coverage.percent) == 75
    by_kind = {f.kind: f for f in findings}
    assert sorted(by_kind) == ["conditional-seed", "seeded-but-empty", "stale-reference"]
    stale = by_kind["stale-reference"]
    assert stale.table == "usres" and stale.source == SCRIPT and "did you mean `users`?" in stale.message
    assert stale.location is not None and str(stale.location) == f"{SCRIPT}:7"
    assert by_kind["seeded-but-empty"].table == "roles"
    assert (
        by_kind["conditional-seed"].severity is Severity.INFO
        and "`tags`" in by_kind["conditional-seed"].message
    )


@pytest.mark.postgres
def test_partitions_count_as_their_parent_and_names_are_schema_aware(
    pg_schema: Database, tmp_path: Path
) -> None:
    schema = pg_schema.schema
    pg_schema.execute("CREATE TABLE events (id int, at date) PARTITION BY RANGE (at)")
    pg_schema.execute(
        "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"
    )
    pg_schema.execute('CREATE TABLE "Accounts" (id int)')
    pg_schema.execute("CREATE TABLE accounts (id int)")
    pg_schema.execute("CREATE TABLE ledger (id int)")
    result = scan(
        tmp_path / "project",
        {
            SCRIPT: f"""
            conn.execute(text("INSERT INTO events_2025 (id, at) VALUES (1, '2025-02-01')"))
            conn.execute(text('INSERT INTO "Accounts" (id) VALUES (1)'))
            conn.execute(text("INSERT INTO {schema}.ledger (id) VALUES (1)"))
            conn.execute(text("INSERT INTO elsewhere.ledger (id) VALUES (1)"))
            """
        },
        with_models=False,
    )
    settings = Settings(url=pg_schema.url, project_root=tmp_path / "project", schemas=(schema,))
    snapshot = reflect_database(settings)
    coverage, findings = compute_coverage(snapshot, result, settings)

    assert sorted(coverage.covered) == ["Accounts", "events", "ledger"]
    assert coverage.application_tables == 4  # events (with its partition), Accounts, accounts, ledger
    assert coverage.outside == ("elsewhere.ledger",)
    assert [f.kind for f in findings].count("seeded-but-empty") == 3
    assert [f.table for f in findings if f.kind == "stale-reference"] == ["elsewhere.ledger"]


def test_report_section_two_in_the_reference_shape(sqlite_database: Database, tmp_path: Path) -> None:
    from dbaudit.render import RenderOptions, render

    for table in ("users", "roles", "tags", "audit_log"):
        sqlite_database.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
    sqlite_database.execute("INSERT INTO users (id) VALUES (1)")
    result = scan(
        tmp_path / "project",
        {
            "backend/app/scripts/init_db.py": (
                "from app.models import User, Tag\nsession.add(User())\n"
                "if not session.query(Tag).first():\n    session.add(Tag())\n"
            ),
            "backend/app/scripts/seed_missing.py": "conn.execute(text('INSERT INTO gone VALUES (1)'))\n",
        },
    )
    settings = Settings(url=sqlite_database.url, project_root=tmp_path / "project")
    snapshot = reflect_database(settings)
    coverage, findings = compute_coverage(snapshot, result, settings)
    audit = Audit(
        generated_at="2025-06-11T00:00:00+00:00",
        tool_version="test",
        database=snapshot,
        scan=result,
        coverage=coverage,
        findings=result.findings + findings,
    )
    text = render(audit, "md", RenderOptions())
    section = text.split("## 2. Existing Seeding Mechanisms & Coverage\n\n", 1)[1].split("\n---", 1)[0]
    assert section == (
        "| Script / Migration   | Location               | Tables Populated          |\n"
        "|----------------------|------------------------|---------------------------|\n"
        "| `init_db.py`         | `backend/app/scripts/` | users, tags (conditional) |\n"
        "| `seed_missing.py`    | `backend/app/scripts/` | gone                      |\n"
        "\n"
        "**Coverage:** 2/4 tables currently receive seed data (~50%).\n"
        "\n"
        "**Outside the database** (written by a source, missing from the database: stale or misspelled, "
        "not counted):\n"
        "- `gone` by `seed_missing.py`\n"
    )
