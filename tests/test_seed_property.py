"""Property: over random schemas with random existing rows, seed then purge never changes or loses a real row,
and never leaves a mock row behind while the ledger forgets it.

Schemas mix foreign-key chains, self-references, cycles through a nullable key, composite keys (primary and
foreign), unique keys (single and composite) and CHECK constraints (BETWEEN, IN, length()).  Around them, the
application's own tables: real tables referencing the seeded ones through ``ON DELETE CASCADE`` and
``SET NULL`` keys (between seed and purge the application points new real rows at mock rows), a keyless table
whose real rows the seed is likely to duplicate, and a table whose AFTER INSERT trigger UPDATEs a real row or
INSERTs an audit row elsewhere.

The invariant is judged by checksums of every table: seeding changes no real row; a purge that exits 0 brings
the database back to its pre-seed checksum; a purge refused because real rows reference mock rows changes
nothing, and once the application deleted those rows the next purge restores the pre-seed checksum.

Each example is a few small tables, so hundreds run in minutes per dialect.  ``DBAUDIT_PROPERTY_EXAMPLES``
sets the number of examples (CI: 200, locally 25 unless set).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from tests.safety.purge_support import (
    Dbaudit,
    after_insert_trigger,
    checksum,
    dbaudit_tables,
    differences,
    serial_id,
)
from tests.safety.runner import Run

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


# ------------------------------------------------------------------------------------------------------------
# The application's tables around the seeded ones


@dataclass
class Referrer:
    """A real table ``r<index>`` whose nullable key references ``t<target>`` with ``ON DELETE <action>``."""

    index: int
    target: int
    action: str
    real_rows: int

    @property
    def name(self) -> str:
        return f"r{self.index}"


@dataclass
class Example:
    tables: list[TableSpec]
    referrers: list[Referrer]
    keyless_rows: list[tuple[int, int | None]] | None
    """Real rows of the keyless table ``k0`` (``None``: no such table)."""
    trigger: str | None
    """``update`` / ``insert``: ``g0`` has an AFTER INSERT trigger with that side effect (``None``: no g0)."""
    allow_trigger_inserts: bool

    @property
    def seeded(self) -> list[str]:
        names = [t.name for t in self.tables]
        if self.keyless_rows is not None:
            names.append("k0")
        if self.trigger is not None:
            names.append("g0")
        return names


@st.composite
def examples(draw: st.DrawFn) -> Example:
    tables = draw(schemas())
    referrers = [
        Referrer(
            i,
            draw(st.integers(0, len(tables) - 1)),
            draw(st.sampled_from(["CASCADE", "SET NULL"])),
            draw(st.integers(0, 2)),
        )
        for i in range(draw(st.integers(0, 2)))
    ]
    pair = st.tuples(st.integers(1, 2), st.none() | st.integers(1, 2))
    keyless = draw(st.none() | st.lists(pair, max_size=4))
    trigger = draw(st.sampled_from([None, "update", "insert"]))
    return Example(tables, referrers, keyless, trigger, draw(st.booleans()))


def _fk_columns(target: TableSpec) -> list[str]:
    return [f"ref_{c}" for c in target.key]


def _application_ddl(db: TestDatabase, example: Example) -> None:
    tables = example.tables
    for ref in example.referrers:
        target = tables[ref.target]
        cols = _fk_columns(target)
        nullable = ", ".join(f"{c} INTEGER NULL" for c in cols)
        db.execute(
            f"CREATE TABLE {ref.name} (id INTEGER PRIMARY KEY, {nullable},"
            f" note VARCHAR(20), FOREIGN KEY ({', '.join(cols)}) REFERENCES {target.name}"
            f" ({', '.join(target.key)}) ON DELETE {ref.action})"
        )
        for i in range(ref.real_rows):
            # The first real row points at a real row of the target (when it has one), the rest at nothing.
            values = ["1"] * len(cols) if i == 0 and target.rows else ["NULL"] * len(cols)
            db.execute(f"INSERT INTO {ref.name} VALUES ({i + 1}, {', '.join(values)}, 'real')")
    if example.keyless_rows is not None:
        db.execute(
            "CREATE TABLE k0 (a INTEGER NOT NULL CHECK (a BETWEEN 1 AND 2),"
            " b INTEGER NULL CHECK (b BETWEEN 1 AND 2))"
        )
        for a, b in example.keyless_rows:
            db.execute("INSERT INTO k0 (a, b) VALUES (:a, :b)", a=a, b=b)
    if example.trigger is not None:
        db.execute("CREATE TABLE c0 (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        db.execute("INSERT INTO c0 (id, n) VALUES (1, 100)")
        db.execute(f"CREATE TABLE audit0 ({serial_id(db)}, msg VARCHAR(20) NOT NULL)")
        db.execute("INSERT INTO audit0 (msg) VALUES ('real')")
        db.execute("CREATE TABLE g0 (id INTEGER PRIMARY KEY, v INTEGER)")
        if example.trigger == "update":
            after_insert_trigger(db, "g0_side_effect", "g0", "UPDATE c0 SET n = n + 1 WHERE id = 1")
        else:
            after_insert_trigger(db, "g0_side_effect", "g0", "INSERT INTO audit0 (msg) VALUES ('g0 row')")


def _keys(db: TestDatabase, table: TableSpec) -> Counter[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {', '.join(table.key)} FROM {table.name}"))
        return Counter(tuple(r) for r in rows)


def _lost(now: dict[str, tuple[str, ...]], before: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Rows of ``before`` that ``now`` no longer holds (changed or deleted), table by table."""
    out = {}
    for table, rows in before.items():
        missing = Counter(rows) - Counter(now.get(table, ()))
        if missing:
            out[table] = sorted(missing.elements())
    return out


def _check(db: TestDatabase, cli: Dbaudit, example: Example, rows: int, seed_value: int) -> None:
    tables = example.tables
    with db.engine.begin() as conn:
        for statement in _ddl(tables, db.dialect) + _rows(tables):
            conn.execute(text(statement))
    _application_ddl(db, example)
    before = checksum(db)
    keys_before = {t.name: _keys(db, t) for t in tables}

    options = ["--tables", ",".join(example.seeded), "--rows", str(rows), "--seed", str(seed_value)]
    if example.allow_trigger_inserts:
        options.append("--allow-trigger-inserts")
    seeded = cli.seed(*options)
    assert seeded.code in (0, 1), seeded.describe()
    lost = _lost(checksum(db), before)
    assert not lost, f"seeding changed or removed existing rows: {lost}\n{seeded.describe()}"

    # The application points new real rows at mock rows, through CASCADE and SET NULL keys.
    attached: list[str] = []
    for ref in example.referrers:
        target = tables[ref.target]
        mock = sorted(_keys(db, target) - keys_before[target.name])
        if not mock:
            continue
        values = ", ".join(str(v) for v in mock[0])
        db.execute(f"INSERT INTO {ref.name} VALUES (900, {values}, 'attached')")
        attached.append(ref.name)
    during = checksum(db)

    purge = cli.purge()
    if attached:
        _assert_same(db, during, "a purge refused for real rows referencing mock rows changed rows", purge)
        assert purge.code == 2, f"real rows in {attached} reference mock rows\n{purge.describe()}"
        assert any(name in purge.stderr for name in attached), purge.describe()
        for name in attached:
            db.execute(f"DELETE FROM {name} WHERE id = 900")
        purge = cli.purge()
    _assert_same(db, before, "a purge that exits 0 restores the pre-seed checksum", purge)
    assert purge.code == 0, purge.describe()
    assert not dbaudit_tables(db), "the emptied ledger should be gone"


def _assert_same(db: TestDatabase, expected: dict[str, tuple[str, ...]], what: str, run: Run) -> None:
    now = checksum(db)
    if now != expected:
        pytest.fail(f"{what}:\n{differences(now, expected)}\n{run.describe()}", pytrace=False)


_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.mark.slow
@_SETTINGS
@given(example=examples(), rows=st.integers(1, 6), seed_value=st.integers(0, 10_000))
def test_seed_then_purge_keeps_existing_rows_sqlite(
    tmp_path_factory: pytest.TempPathFactory,
    capfd: pytest.CaptureFixture[str],
    example: Example,
    rows: int,
    seed_value: int,
) -> None:
    from tests.conftest import TestDatabase

    folder = tmp_path_factory.mktemp("prop")
    url = f"sqlite:///{folder / 'p.db'}"
    engine = create_engine(url)
    try:
        db = TestDatabase(url=url, engine=engine, schema=None, dialect="sqlite")
        _check(db, Dbaudit(db, folder / "project", capfd), example, rows, seed_value)
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
@_SETTINGS
@given(example=examples(), rows=st.integers(1, 6), seed_value=st.integers(0, 10_000))
def test_seed_then_purge_keeps_existing_rows_postgresql(
    pg_schema: TestDatabase,
    tmp_path_factory: pytest.TempPathFactory,
    capfd: pytest.CaptureFixture[str],
    example: Example,
    rows: int,
    seed_value: int,
) -> None:
    quoted = f'"{pg_schema.schema}"'
    pg_schema.execute(f"DROP SCHEMA IF EXISTS {quoted} CASCADE; CREATE SCHEMA {quoted}")
    db = _fast(pg_schema)
    _check(db, Dbaudit(db, tmp_path_factory.mktemp("prop"), capfd), example, rows, seed_value)


@pytest.mark.slow
@pytest.mark.mysql
@_SETTINGS
@given(example=examples(), rows=st.integers(1, 6), seed_value=st.integers(0, 10_000))
def test_seed_then_purge_keeps_existing_rows_mysql(
    mysql_database: TestDatabase,
    tmp_path_factory: pytest.TempPathFactory,
    capfd: pytest.CaptureFixture[str],
    example: Example,
    rows: int,
    seed_value: int,
) -> None:
    _empty_mysql_database(mysql_database)
    _check(
        mysql_database,
        Dbaudit(mysql_database, tmp_path_factory.mktemp("prop"), capfd),
        example,
        rows,
        seed_value,
    )


def _empty_mysql_database(db: TestDatabase) -> None:
    """Drop every table of the example before (triggers go with their tables)."""
    with db.engine.begin() as conn:
        names = [
            r[0]
            for r in conn.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
            )
        ]
        conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
        for name in names:
            conn.execute(text(f"DROP TABLE `{name}`"))
        conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))


_FAST: dict[str, TestDatabase] = {}


def _fast(db: TestDatabase) -> TestDatabase:
    """The same schema through connections that do not wait for the disk at each commit (test speed only)."""
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
