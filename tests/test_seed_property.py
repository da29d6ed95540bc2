"""Property: over random schemas with random existing rows, seed then purge never changes an existing row and
leaves no mock row behind.

Schemas mix foreign-key chains, self-references, cycles through a nullable key, composite keys (primary and
foreign), unique keys (single and composite) and CHECK constraints (BETWEEN, IN, length()).  Each example is a
few small tables, so hundreds run in well under a minute per dialect.  ``DBAUDIT_PROPERTY_EXAMPLES`` sets the
number of examples (CI: 200, locally 25 unless set).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from tests.seed_support import purge_all, seed, settings_for

# slow: property tests: many random schemas, each seeded and purged on a database
pytestmark = pytest.mark.slow

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

_DEFAULT = "200" if os.environ.get("DBAUDIT_REQUIRE_SERVERS") == "1" else "25"
EXAMPLES = int(os.environ.get("DBAUDIT_PROPERTY_EXAMPLES", _DEFAULT))


@dataclass
class ForeignKeySpec:
    parent: int
    nullable: bool
    columns: tuple[str, ...]
    referred: tuple[str, ...]


@dataclass
class TableSpec:
    index: int
    composite_pk: bool
    has_code: bool
    has_qty: bool
    has_status: bool
    has_mock: bool
    unique_pair: bool
    self_ref: bool
    fks: list[ForeignKeySpec] = field(default_factory=list)
    back: int | None = None
    """A nullable key pointing at a later table: closes a cycle."""
    rows: int = 0
    picks: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"t{self.index}"

    @property
    def key(self) -> tuple[str, ...]:
        return ("k1", "k2") if self.composite_pk else ("id",)


@st.composite
def schemas(draw: st.DrawFn) -> list[TableSpec]:
    count = draw(st.integers(2, 5))
    tables: list[TableSpec] = []
    for index in range(count):
        table = TableSpec(
            index=index,
            composite_pk=draw(st.booleans()),
            has_code=draw(st.booleans()),
            has_qty=draw(st.booleans()),
            has_status=draw(st.booleans()),
            has_mock=draw(st.booleans()),
            unique_pair=draw(st.booleans()),
            self_ref=draw(st.booleans()),
        )
        if index:
            for parent in sorted(draw(st.sets(st.integers(0, index - 1), max_size=2))):
                target = tables[parent]
                columns = tuple(f"p{parent}_{c}" for c in target.key)
                table.fks.append(ForeignKeySpec(parent, draw(st.booleans()), columns, target.key))
        tables.append(table)
    if count >= 2 and draw(st.booleans()):
        first = draw(st.integers(0, count - 2))
        tables[first].back = draw(st.integers(first + 1, count - 1))
    for table in tables:
        table.rows = draw(st.integers(0, 3))
        if any(not fk.nullable and tables[fk.parent].rows == 0 for fk in table.fks):
            table.rows = 0
        table.picks = draw(st.lists(st.integers(0, 2), min_size=8, max_size=8))
    return tables


def _ddl(tables: list[TableSpec], dialect: str) -> list[str]:
    statements = []
    for table in tables:
        cols = [f"{c} INTEGER NOT NULL" for c in table.key]
        if table.has_code:
            cols.append("code VARCHAR(12) NOT NULL UNIQUE CHECK (length(code) >= 3)")
        if table.has_qty:
            cols.append("qty INTEGER CHECK (qty BETWEEN 1 AND 50)")
        if table.has_status:
            cols.append("status VARCHAR(10) NOT NULL CHECK (status IN ('open', 'closed', 'held'))")
        if table.has_mock:
            cols.append("is_mock BOOLEAN NOT NULL DEFAULT FALSE")
        cols.append("label VARCHAR(30)")
        for fk in table.fks:
            null = "" if fk.nullable else " NOT NULL"
            cols.extend(f"{c} INTEGER{null}" for c in fk.columns)
        if table.self_ref:
            cols.extend(f"up_{c} INTEGER" for c in table.key)
        if table.back is not None:
            cols.extend(f"back_{c} INTEGER" for c in tables[table.back].key)
        constraints = [f"PRIMARY KEY ({', '.join(table.key)})"]
        if table.unique_pair:
            constraints.append(f"UNIQUE (label, {table.key[0]})")
        for fk in table.fks:
            constraints.append(
                f"FOREIGN KEY ({', '.join(fk.columns)}) REFERENCES t{fk.parent} ({', '.join(fk.referred)})"
            )
        if table.self_ref:
            ups = ", ".join(f"up_{c}" for c in table.key)
            constraints.append(f"FOREIGN KEY ({ups}) REFERENCES {table.name} ({', '.join(table.key)})")
        back_fk = None
        if table.back is not None:
            target = tables[table.back]
            backs = ", ".join(f"back_{c}" for c in target.key)
            back_fk = f"FOREIGN KEY ({backs}) REFERENCES {target.name} ({', '.join(target.key)})"
            if dialect == "sqlite":
                constraints.append(back_fk)
        statements.append(f"CREATE TABLE {table.name} ({', '.join(cols + constraints)})")
        if back_fk and dialect != "sqlite":
            statements.append(f"-- later: ALTER TABLE {table.name} ADD {back_fk}")
    return [s[len("-- later: ") :] if s.startswith("-- later: ") else s for s in _later_last(statements)]


def _later_last(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.startswith("--")] + [s for s in statements if s.startswith("--")]


def _rows(tables: list[TableSpec]) -> list[str]:
    out = []
    for table in tables:
        for i in range(table.rows):
            values: dict[str, str] = {c: str(i + 1) for c in table.key}
            if table.has_code:
                values["code"] = f"'real{i}'"
            if table.has_qty:
                values["qty"] = str(1 + i)
            if table.has_status:
                values["status"] = "'open'"
            values["label"] = f"'real row {i}'"
            for n, fk in enumerate(table.fks):
                parent = tables[fk.parent]
                if parent.rows == 0:
                    continue
                pick = table.picks[n] % parent.rows
                for c in fk.columns:
                    values[c] = str(pick + 1)
            if table.self_ref and i > 0:
                for c in table.key:
                    values[f"up_{c}"] = str(table.picks[5] % i + 1)
            out.append(
                f"INSERT INTO {table.name} ({', '.join(values)}) VALUES ({', '.join(values.values())})"
            )
    return out


def _snapshot(db: TestDatabase, tables: list[TableSpec]) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table."""
    with db.engine.connect() as conn:
        return {
            t.name: sorted((tuple(r) for r in conn.execute(text(f"SELECT * FROM {t.name}"))), key=repr)
            for t in tables
        }


def _check(db: TestDatabase, tmp_path: Path, tables: list[TableSpec], rows: int, seed_value: int) -> None:
    with db.engine.begin() as conn:
        for statement in _ddl(tables, db.dialect) + _rows(tables):
            conn.execute(text(statement))
    before = _snapshot(db, tables)
    settings = settings_for(db, tmp_path / "project")
    report = seed(settings, tables=[t.name for t in tables], rows=rows, seed=seed_value)
    assert not report.plan.skipped, report.plan.skipped
    during = _snapshot(db, tables)
    for table in tables:
        missing = [row for row in before[table.name] if row not in during[table.name]]
        assert not missing, f"seeding changed or removed existing rows of {table.name}: {missing}"
    purge_all(settings)
    assert _snapshot(db, tables) == before, "purge must leave exactly the existing rows"
    assert not any(name.startswith("dbaudit_") for name in inspect(db.engine).get_table_names())


_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@_SETTINGS
@given(tables=schemas(), rows=st.integers(1, 6), seed_value=st.integers(0, 10_000))
def test_seed_then_purge_keeps_existing_rows_sqlite(
    tmp_path_factory: pytest.TempPathFactory, tables: list[TableSpec], rows: int, seed_value: int
) -> None:
    from sqlalchemy import create_engine

    from tests.conftest import TestDatabase

    folder = tmp_path_factory.mktemp("prop")
    url = f"sqlite:///{folder / 'p.db'}"
    engine = create_engine(url)
    try:
        _check(
            TestDatabase(url=url, engine=engine, schema=None, dialect="sqlite"),
            folder,
            tables,
            rows,
            seed_value,
        )
    finally:
        engine.dispose()


@pytest.mark.postgres
@_SETTINGS
@given(tables=schemas(), rows=st.integers(1, 6), seed_value=st.integers(0, 10_000))
def test_seed_then_purge_keeps_existing_rows_postgresql(
    pg_schema: TestDatabase,
    tmp_path_factory: pytest.TempPathFactory,
    tables: list[TableSpec],
    rows: int,
    seed_value: int,
) -> None:
    quoted = f'"{pg_schema.schema}"'
    pg_schema.execute(f"DROP SCHEMA IF EXISTS {quoted} CASCADE; CREATE SCHEMA {quoted}")
    _check(_fast(pg_schema), tmp_path_factory.mktemp("prop"), tables, rows, seed_value)


_FAST: dict[str, TestDatabase] = {}


def _fast(db: TestDatabase) -> TestDatabase:
    """The same schema through connections that do not wait for the disk at each commit (test speed only)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from tests.conftest import TestDatabase

    if db.url not in _FAST:
        url = make_url(db.url)
        options = f"{url.query.get('options', '')} -csynchronous_commit=off".strip()
        fast_url = url.update_query_dict({"options": options}).render_as_string(hide_password=False)
        for old in _FAST.values():
            old.engine.dispose()
        _FAST.clear()
        _FAST[db.url] = TestDatabase(fast_url, create_engine(fast_url), db.schema, db.dialect)
    return _FAST[db.url]
