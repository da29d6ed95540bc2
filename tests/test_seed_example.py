"""``dbaudit seed --missing`` on the bundled example application, and the two rules it showed missing.

The example (the showcase every user sees) keeps global template roles in ``user_roles`` with NULL tenant
columns; ``role_permissions`` must point at them.  A run scoped to one tenant takes the tenant's own rows
first, shared (NULL-tenant) rows as well, and any row of the parent as a last resort, said in the summary.
A table that still cannot be filled is skipped with a reason, and the rest of the run goes on.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from dbaudit.config import Settings
from dbaudit.demo import (
    BACKEND,
    DATABASE_FILE,
    EXAMPLE,
    SEED_MODULES,
    run_demo,
    run_seed_script,
    upgrade_database,
)
from dbaudit.model import TableStatus
from dbaudit.reflect import reflect_database
from dbaudit.render.seed_text import render_seed_report
from dbaudit.resources import examples_dir
from tests.seed_support import fingerprint, purge_all, rows_of, seed, settings_for

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

LEDGER = "dbaudit_ledger"


def build_example(db: TestDatabase, tmp_path: Path) -> Path:
    """The example's database as its README builds it: Alembic to head, then its own seed scripts."""
    target = tmp_path / EXAMPLE
    shutil.copytree(examples_dir() / EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    backend = target / BACKEND
    upgrade_database(backend, db.url)
    for module in SEED_MODULES:
        run_seed_script(backend, module, db.url)
    return backend


def empty_application_tables(settings: Settings) -> list[str]:
    snapshot = reflect_database(settings)
    return sorted(
        state.table.name
        for state in snapshot.tables
        if state.status is TableStatus.EMPTY and not state.table.name.startswith("dbaudit_")
    )


@pytest.mark.slow
def test_seed_missing_fills_the_example_and_purge_restores_it(
    any_database: TestDatabase, tmp_path: Path
) -> None:
    db = any_database
    backend = build_example(db, tmp_path)
    settings = settings_for(db, backend.parent)
    empty_before = empty_application_tables(settings)
    assert "role_permissions" in empty_before and "asset_dependencies" in empty_before
    before = fingerprint(db.engine, db.schema)

    report = seed(settings, missing=True, seed=11)

    assert report.plan.skipped == (), report.plan.skipped
    assert sorted(r.table.rsplit(".", 1)[-1] for r in report.results if r.inserted) == empty_before
    assert empty_application_tables(settings) == []
    after = fingerprint(db.engine, db.schema, skip=(LEDGER,))
    for table, digest in before.items():
        if not digest.endswith(":0"):
            assert after[table] == digest, f"real rows of {table} changed"
    # role_permissions points at the global template roles (NULL tenant), not at nothing.
    template_roles = {r[0] for r in rows_of_roles(db)}
    with db.engine.connect() as conn:
        pointed = {r[0] for r in conn.execute(text("SELECT DISTINCT role_id FROM role_permissions"))}
    assert pointed and pointed <= template_roles
    with db.engine.connect() as conn:
        assert not conn.execute(
            text("SELECT COUNT(*) FROM asset_dependencies WHERE asset_id = depends_on_asset_id")
        ).scalar()

    again = seed(settings, missing=True, seed=11)
    assert again.results == () and again.plan.tables == () and again.plan.skipped == ()

    purge_all(settings)
    assert fingerprint(db.engine, db.schema) == before


def rows_of_roles(db: TestDatabase) -> list[tuple[int]]:
    with db.engine.connect() as conn:
        return [
            (int(r[0]),)
            for r in conn.execute(text("SELECT id FROM user_roles WHERE client_account_id IS NULL"))
        ]


@pytest.mark.slow
def test_the_reported_command_on_the_demo_folder(tmp_path: Path) -> None:
    """The command of the bug report, as a user runs it: in the kept demo's backend folder."""
    run_demo(tmp_path / "keep")
    backend = tmp_path / "keep" / BACKEND
    command = [sys.executable, "-m", "dbaudit", "seed", "--missing", "--yes", "-v"]  # every table listed
    done = subprocess.run(command, cwd=backend, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "role_permissions" in done.stdout and "Skipped" not in done.stdout
    assert "Traceback" not in done.stderr
    second = subprocess.run(command, cwd=backend, capture_output=True, text=True, timeout=600, check=False)
    assert second.returncode == 0, second.stderr
    assert "Nothing to seed" in second.stdout
    assert (backend / DATABASE_FILE).is_file()


# ------------------------------------------------------------------------------------------------------------
# Tenant scoping of parent candidates


def _tenant_schema(db: TestDatabase, roles: str) -> None:
    db.execute("CREATE TABLE client_account (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE role (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " client_account_id INTEGER REFERENCES client_account (id))"
    )
    db.execute(
        "CREATE TABLE membership (id INTEGER PRIMARY KEY,"
        " client_account_id INTEGER NOT NULL REFERENCES client_account (id),"
        " role_id INTEGER NOT NULL REFERENCES role (id), note TEXT)"
    )
    db.execute("INSERT INTO client_account VALUES (1, 'Acme'), (2, 'Globex')")
    db.execute(f"INSERT INTO role VALUES {roles}")


def _memberships(db: TestDatabase) -> list[tuple[int, int]]:
    return [(r[1], r[2]) for r in rows_of(db.engine, "membership")]


def test_the_tenants_rows_come_first_and_shared_rows_are_parents_too(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    _tenant_schema(db, "(1, 'template', NULL), (2, 'acme only', 1), (3, 'globex own', 2)")
    report = seed(settings_for(db, tmp_path), tables=["membership"], rows=40, tenant="2", seed=3)
    rows = _memberships(db)
    assert len(rows) == 40 and {tenant for tenant, _role in rows} == {2}
    roles = [role for _tenant, role in rows]
    assert set(roles) == {1, 3}, "the tenant's role and the shared template, never another tenant's"
    assert roles.count(3) > roles.count(1), "the tenant's own rows are preferred"
    assert report.results[0].note is None


def test_a_global_row_is_the_parent_when_the_tenant_has_none(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    _tenant_schema(db, "(1, 'template', NULL), (2, 'acme only', 1)")
    seed(settings_for(db, tmp_path), tables=["membership"], rows=10, tenant="2", seed=3)
    assert _memberships(db) == [(2, 1)] * 10


def test_other_tenants_rows_are_the_last_resort_and_the_summary_says_so(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    _tenant_schema(db, "(2, 'acme only', 1)")
    report = seed(settings_for(db, tmp_path), tables=["membership"], rows=5, tenant="2", seed=3)
    assert _memberships(db) == [(2, 2)] * 5
    assert report.plan.skipped == ()
    note = report.results[0].note or ""
    assert "role" in note and "other tenants" in note
    assert "other tenants' rows" in render_seed_report(report)


# ------------------------------------------------------------------------------------------------------------
# One table that cannot be filled does not abort the run


def test_one_unfillable_table_is_skipped_and_the_run_goes_on(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    # code_list has rows, but none with a code to point at: code_use cannot be filled, nor what needs it.
    db.execute("CREATE TABLE code_list (id INTEGER PRIMARY KEY, code TEXT UNIQUE)")
    db.execute("INSERT INTO code_list VALUES (1, NULL), (2, NULL)")
    db.execute(
        "CREATE TABLE code_use (id INTEGER PRIMARY KEY, code TEXT NOT NULL REFERENCES code_list (code),"
        " label TEXT)"
    )
    db.execute(
        "CREATE TABLE code_use_note (id INTEGER PRIMARY KEY,"
        " code_use_id INTEGER NOT NULL REFERENCES code_use (id), body TEXT)"
    )
    db.execute("CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    before = fingerprint(db.engine)
    settings = settings_for(db, tmp_path)

    report = seed(settings, missing=True, rows=7, seed=1)

    assert [(r.table, r.inserted) for r in report.results] == [("city", 7)]
    skipped = {s.table: s.reason for s in report.plan.skipped}
    assert set(skipped) == {"code_use", "code_use_note"}
    assert "no rows in code_list to point code at" in skipped["code_use"]
    assert "code_use" in skipped["code_use_note"] and "skipped" in skipped["code_use_note"]
    assert [t.table for t in report.plan.tables] == ["city"]
    summary = render_seed_report(report)
    assert "Skipped:" in summary and "- code_use: no rows in code_list" in summary
    after = fingerprint(db.engine, skip=(LEDGER,))
    assert after["city"].endswith(":7")
    assert {t: after[t] for t in ("code_list", "code_use", "code_use_note")} == {
        t: before[t] for t in ("code_list", "code_use", "code_use_note")
    }

    purge_all(settings)
    assert fingerprint(db.engine) == before


def test_an_insert_error_still_rolls_the_whole_run_back(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    """With --strict, a constraint the seeder cannot know about rolls the whole run back: nothing is kept."""
    from dbaudit.errors import SeedError

    db = sqlite_database
    db.execute("CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    db.execute("CREATE TABLE street (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    db.execute(
        "CREATE TRIGGER no_streets BEFORE INSERT ON street"
        " BEGIN SELECT RAISE(ABORT, 'streets are closed'); END"
    )
    before = fingerprint(db.engine)
    with pytest.raises(SeedError, match="streets are closed"):
        seed(settings_for(db, tmp_path), missing=True, rows=3, strict=True)
    assert fingerprint(db.engine) == before


def test_a_cycle_with_an_unfillable_member_is_skipped_whole(
    sqlite_database: TestDatabase, tmp_path: Path
) -> None:
    db = sqlite_database
    db.execute("CREATE TABLE code_list (id INTEGER PRIMARY KEY, code TEXT UNIQUE)")
    db.execute("INSERT INTO code_list VALUES (1, NULL)")
    db.execute(
        "CREATE TABLE author (id INTEGER PRIMARY KEY, code TEXT NOT NULL REFERENCES code_list (code),"
        " best_book_id INTEGER NOT NULL REFERENCES book (id))"
    )
    db.execute(
        "CREATE TABLE book (id INTEGER PRIMARY KEY,"
        " author_id INTEGER NOT NULL REFERENCES author (id), title TEXT)"
    )
    db.execute("CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    before = fingerprint(db.engine)

    report = seed(settings_for(db, tmp_path), missing=True, rows=4, seed=2)

    assert [set(c.tables) for c in report.plan.cycles] == [{"author", "book"}]
    assert [(r.table, r.inserted) for r in report.results] == [("city", 4)]
    skipped = {s.table: s.reason for s in report.plan.skipped}
    assert "no rows in code_list to point code at" in skipped["author"]
    assert skipped["book"].startswith("in a cycle with author")
    after = fingerprint(db.engine, skip=(LEDGER,))
    assert {t: after[t] for t in ("author", "book", "code_list")} == {
        t: before[t] for t in ("author", "book", "code_list")
    }
