"""The constraint-heavy corpus schemas (``schemas/``), each loaded schema-only on its own dialect: ``seed
--missing`` fills every empty table with the server enforcing every constraint, and ``purge`` returns every
table to its exact checksum.  Where the corpus has real rows, some tables are emptied first: exactly those are
filled, and the real rows are untouched.

A schema the seeder cannot fill completely yet lists its remaining tables in ``STILL_EMPTY`` with the reason:
the test asserts that exact set, so a fix (or a regression) shows up as a failure to update it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import make_url

from dbaudit.dialects import dialect_for
from dbaudit.model import SeedReport
from tests.conftest import corpus_file
from tests.seed_support import fingerprint, load_sql, purge_all, seed, settings_for

# slow: each test loads a real schema (up to 375 tables) and seeds every table of it
pytestmark = pytest.mark.slow

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

FIXTURE = {"postgresql": "pg_database", "mysql": "mysql_database", "sqlite": "sqlite_database"}


@dataclass(frozen=True)
class Corpus:
    """One corpus schema: its dialect, the files loaded in order, and the schema its tables live in."""

    dialect: str
    files: tuple[str, ...]
    schema: str | None = None
    """The PostgreSQL schema holding the tables (``None``: the connection's default)."""
    settings: dict[str, object] = field(default_factory=dict)


SCHEMAS = {
    "openstreetmap": Corpus("postgresql", ("structure.sql",)),
    "lago": Corpus("postgresql", ("structure.sql",)),
    "musicbrainz": Corpus(
        "postgresql", ("schema.sql",), schema="musicbrainz", settings={"schemas": ("musicbrainz",)}
    ),
    "mysql_employees": Corpus("mysql", ("schema.sql",)),
    "guacamole_mysql": Corpus("mysql", ("001-create-schema.sql",)),
    "zotero_sqlite": Corpus("sqlite", ("schema.sql",)),
    "synapse_sqlite": Corpus("sqlite", ("schema.sql",)),
}

#: Tables a schema-only run still leaves empty, and why (empty sets: the schema is filled completely).
STILL_EMPTY: dict[str, set[str]] = {name: set() for name in SCHEMAS}

#: Tables whose checksum purge does not restore (empty sets: purge restores every table exactly).
PURGE_LEAVES: dict[str, set[str]] = {name: set() for name in SCHEMAS}


def _database(request: pytest.FixtureRequest, corpus: Corpus) -> TestDatabase:
    return request.getfixturevalue(FIXTURE[corpus.dialect])  # type: ignore[no-any-return]


def _load(db: TestDatabase, name: str, files: Sequence[str]) -> None:
    for file in files:
        load_sql(db, corpus_file("schemas", name, file))


def _empty(state: dict[str, str], owned: set[str] = frozenset()) -> set[str]:
    """Empty tables the seeder is to fill: not its ledger, not a virtual-table module's shadow tables."""
    return {
        t
        for t, digest in state.items()
        if digest.endswith(":0") and not t.startswith("dbaudit_") and t not in owned
    }


def _rows(db: TestDatabase, prefix: str, table: str) -> set[tuple[object, ...]]:
    quote = db.engine.dialect.identifier_preparer.quote
    with db.engine.connect() as conn:
        return {tuple(row) for row in conn.exec_driver_sql(f"SELECT * FROM {prefix}{quote(table)}")}


def _module_tables(db: TestDatabase) -> set[str]:
    with db.engine.connect() as conn:
        return dialect_for(db.dialect).module_tables(conn, None)


def _why(report: SeedReport) -> str:
    return "\n".join(f"  {s.table}: [{s.code}] {s.reason[:300]}" for s in report.plan.skipped)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_corpus_schema_seed_fills_every_empty_table_and_purge_restores_it(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    corpus = SCHEMAS[name]
    for file in corpus.files:
        corpus_file("schemas", name, file)  # skip before any database is made when the corpus is absent
    db = _database(request, corpus)
    _load(db, name, corpus.files)
    settings = settings_for(db, tmp_path / "project", **corpus.settings)
    before = fingerprint(db.engine, corpus.schema)
    owned = _module_tables(db)
    empty_before = _empty(before, owned)
    assert empty_before, "the schema should load with empty tables"

    report = seed(settings, missing=True, rows=3, seed=5)
    during = fingerprint(db.engine, corpus.schema)
    still_empty = _empty(during, owned)
    assert still_empty == STILL_EMPTY[name], f"{name}: left empty {sorted(still_empty)}\n{_why(report)}"
    for table, digest in before.items():
        if not digest.endswith(":0"):
            assert during[table] == digest, f"seeding changed the real rows of {table}"

    purge_all(settings)
    after = fingerprint(db.engine, corpus.schema)
    changed = {t for t in before if after.get(t) != before[t]}
    assert changed == PURGE_LEAVES[name], "purge must restore every table's exact checksum"
    for table in changed:  # what is left is the module's bookkeeping of an empty index, nothing else
        assert after[table].endswith(":1") and table.removesuffix("_stat") in owned_by_fts(db)


def owned_by_fts(db: TestDatabase) -> set[str]:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts%'"
        )
        return {str(name) for (name,) in rows}


@dataclass(frozen=True)
class WithData:
    """A corpus schema with its real rows, and the tables emptied before seeding (leaf and mid-level)."""

    corpus: str
    files: tuple[str, ...]
    emptied: tuple[str, ...]
    """Deleted in this order (children first), on top of the tables the corpus leaves empty."""
    still_empty: frozenset[str] = frozenset()
    """Tables the run cannot fill yet (each with its reason where the case is declared)."""
    topped_up: frozenset[str] = frozenset()
    """Populated tables that get mock rows beside their real ones, because an empty table needs more of
    their rows than they hold (each with its reason where the case is declared)."""


WITH_DATA = {
    "mysql_employees": WithData(
        "mysql_employees",
        (
            "schema.sql",
            "data/load_departments.dump",
            "data/load_employees_10001-11000.dump",
            "data/load_dept_emp_10001-11000.dump",
            "data/load_titles_10001-11000.dump",
            "data/load_salaries_10001-11000.dump",
        ),
        emptied=("salaries", "titles"),
    ),
    # employees is the mid-level table: its children go with it (ON DELETE CASCADE), departments stay.
    "mysql_employees_mid": WithData(
        "mysql_employees",
        (
            "schema.sql",
            "data/load_departments.dump",
            "data/load_employees_10001-11000.dump",
            "data/load_dept_emp_10001-11000.dump",
        ),
        emptied=("dept_emp", "employees"),
    ),
    # The admin user's entity stays; the user row itself (a mid-level table) and its permissions go.
    "guacamole_mysql": WithData(
        "guacamole_mysql",
        ("001-create-schema.sql", "002-create-admin-user.sql"),
        emptied=("guacamole_user_permission", "guacamole_system_permission", "guacamole_user"),
    ),
    # The rows a new MusicBrainz database starts with (editors, a label, lookup rows), less a lookup table
    # (release_status) and a mid-level one (artist).
    "musicbrainz": WithData(
        "musicbrainz",
        ("schema.sql", "InsertDefaultRows.sql"),
        emptied=("release_status", "artist"),
        # l_label_label: CHECK (entity0 != entity1) over two foreign keys into label, which holds one real
        # row: label gets mock rows beside it (a second row for l_label_label), and purge takes them out.
        topped_up=frozenset({"label"}),
    ),
}


@pytest.mark.parametrize("name", sorted(WITH_DATA))
def test_corpus_schema_with_real_rows_fills_only_the_empty_tables(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    case = WITH_DATA[name]
    corpus = SCHEMAS[case.corpus]
    for file in case.files:
        corpus_file("schemas", case.corpus, file)
    db = _database(request, corpus)
    _load(db, case.corpus, case.files)
    quote = db.engine.dialect.identifier_preparer.quote
    prefix = f"{quote(corpus.schema)}." if corpus.schema else ""
    for table in case.emptied:
        db.execute(f"DELETE FROM {prefix}{quote(table)}")
    settings = settings_for(db, tmp_path / "project", **corpus.settings)
    before = fingerprint(db.engine, corpus.schema)
    empty_before = _empty(before)
    assert set(case.emptied) <= empty_before and len(empty_before) < len(before)

    real_rows = {table: _rows(db, prefix, table) for table in case.topped_up}
    report = seed(settings, missing=True, rows=3, seed=7)
    during = fingerprint(db.engine, corpus.schema)
    left = _empty(during)
    assert left == case.still_empty, f"{name}: left empty {sorted(left)}\n{_why(report)}"
    assert {r.table.split(".")[-1] for r in report.results} <= empty_before | case.topped_up
    for table, digest in before.items():
        if table in case.topped_up:
            # its real rows are all still there, unchanged, beside the mock ones
            now = _rows(db, prefix, table)
            assert real_rows[table] <= now and len(now) > len(real_rows[table]), table
        elif table not in empty_before:
            assert during[table] == digest, f"seeding changed the real rows of {table}"

    purge_all(settings)
    assert fingerprint(db.engine, corpus.schema) == before, "purge must remove exactly the mock rows"


#: MusicBrainz with its optional trigger layer and default rows: (tables filled, tables that were empty).
#: Not complete yet.  Seeding stops at tables whose triggers update or delete other rows (``*_rating_raw``
#: update ``*_meta``; ``recording``, ``release_group``, ``alternative_track`` update ``artist_credit``'s
#: reference counts; ``tag`` deletes unused tags) or insert into other tables (``artist``, ``label``,
#: ``event``... fill their ``*_meta`` rows: trigger-maintained tables, issue 14 point 5), and at triggers
#: that need application data (``edit`` wants an editor with a confirmed email address, ``instrument``
#: inserts a ``link_attribute_type`` under the fixed parent 14, ``link`` refuses deprecated link types);
#: most of the rest are their dependants (``parent-skipped``).
MUSICBRAINZ_WITH_TRIGGERS = (157, 367)


@pytest.mark.postgres
def test_musicbrainz_with_triggers_and_default_rows(pg_database: TestDatabase, tmp_path: Path) -> None:
    files = ("schema.sql", "triggers_and_views.sql", "InsertDefaultRows.sql")
    for file in files:
        corpus_file("schemas", "musicbrainz", file)
    db = pg_database
    _load(db, "musicbrainz", files)
    # As the application connects: its trigger functions name tables and functions without a schema.
    url = make_url(db.url).update_query_dict({"options": "-csearch_path=musicbrainz,public"})
    settings = settings_for(
        db, tmp_path / "project", url=url.render_as_string(hide_password=False), schemas=("musicbrainz",)
    )
    before = fingerprint(db.engine, "musicbrainz")
    empty_before = _empty(before)

    report = seed(settings, missing=True, rows=3, seed=5)
    during = fingerprint(db.engine, "musicbrainz")
    filled = empty_before - _empty(during)
    assert (len(filled), len(empty_before)) == MUSICBRAINZ_WITH_TRIGGERS, _why(report)
    for table, digest in before.items():
        if not digest.endswith(":0"):
            assert during[table] == digest, f"seeding changed the real rows of {table}"

    purge_all(settings)
    assert fingerprint(db.engine, "musicbrainz") == before, "purge must restore every table's exact checksum"


def test_benchmark_prints_a_line_per_corpus_schema(tmp_path: Path) -> None:
    """``python -m benchmarks.seed_corpus``: tables filled / empty, rows, seconds and the purge's verdict."""
    corpus_file("schemas", "zotero_sqlite", "schema.sql")
    project = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project / "src"), str(project)])}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.seed_corpus", "--rows", "2", "zotero_sqlite", "chinook_sqlite"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = {line.split("|")[1].strip(): line for line in proc.stdout.splitlines() if line.startswith("| ")}
    seconds = r"\| [\d.]+ \| yes \|$"
    assert re.match(r"\| zotero_sqlite \| sqlite \| 54 / 54 \| \d+ " + seconds, lines["zotero_sqlite"])
    assert re.match(r"\| chinook_sqlite \| sqlite \| 11 / 11 \| 22 " + seconds, lines["chinook_sqlite"])
