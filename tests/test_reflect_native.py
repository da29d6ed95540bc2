"""The engine's own catalog read natively gives the very model SQLAlchemy's inspection gives.

Each real schema of the corpus (and one schema of every edge the reflection tests know: identity and serial
keys, generated columns, partial and expression unique indexes, deferrable keys, domains, enums, collations,
comments, keys to another schema, quoted names) is read both ways on the same connection, and the tables must
be equal, field for field.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from dbaudit.dialects import dialect_for
from dbaudit.dialects.base import Dialect
from dbaudit.dialects.catalog import SchemaCatalog, read_schema
from dbaudit.dialects.pg_catalog import read_catalog
from tests.conftest import TestDatabase, corpus_file
from tests.seed_support import load_sql
from tests.test_reflect_postgres import SCHEMA_DDL

pytestmark = pytest.mark.slow

EDGES_DDL = """
CREATE DOMAIN positive_int AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SCHEMA IF NOT EXISTS elsewhere_native;
CREATE TABLE elsewhere_native.referred (id integer PRIMARY KEY);
CREATE TABLE edges (
    id bigserial PRIMARY KEY,
    score positive_int,
    feeling mood DEFAULT 'ok',
    label varchar(40) COLLATE "C",
    tags text[],
    amount numeric(10, 3),
    at time(3) with time zone,
    span interval day to second,
    other_id integer REFERENCES elsewhere_native.referred (id) ON DELETE SET NULL,
    doubled integer GENERATED ALWAYS AS (id * 2) STORED,
    UNIQUE (label, amount) INCLUDE (tags),
    CHECK (amount > 0) NOT VALID
);
CREATE TABLE elsewhere_native.back (
    id integer PRIMARY KEY,
    edge_id bigint REFERENCES public.edges (id) ON DELETE SET NULL (edge_id),
    CONSTRAINT back_range CHECK ((id > 0) AND (id < 100)) NO INHERIT
);
CREATE UNIQUE INDEX edges_lower_label ON edges (lower(label), amount);
CREATE TABLE no_columns ();
COMMENT ON TABLE edges IS 'every edge';
COMMENT ON COLUMN edges.label IS 'a label';
"""


def both_ways(conn: object, dialect: Dialect, schema: str | None) -> tuple[SchemaCatalog, SchemaCatalog]:
    native = read_schema(conn, dialect, schema)  # type: ignore[arg-type]
    inspected_dialect = type(dialect)()
    inspected_dialect.native_catalog = lambda conn, schema: None  # type: ignore[method-assign]
    inspected = read_schema(conn, inspected_dialect, schema)  # type: ignore[arg-type]
    return native, inspected


def assert_same(db: TestDatabase, schemas: Sequence[str]) -> int:
    dialect = dialect_for(db.engine.dialect.name)
    tables = 0
    with db.engine.connect() as conn:
        for schema in schemas:
            native, inspected = both_ways(conn, dialect, schema)
            assert [t.name for t in native.tables] == [t.name for t in inspected.tables]
            for mine, theirs in zip(native.tables, inspected.tables, strict=True):
                assert mine == theirs, mine.name
            assert native == inspected
            tables += len(native.tables)
        conn.rollback()
    return tables


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("name", "path", "schemas"),
    [
        ("musicbrainz", ("schemas", "musicbrainz", "schema.sql"), ("musicbrainz",)),
        ("lago", ("schemas", "lago", "structure.sql"), ("public",)),
        ("pagila", ("pagila", "pagila-schema-v3.1.0.sql"), ("public",)),
        ("chinook", ("chinook", "chinook_postgresql_schema.sql"), ("public",)),
    ],
)
def test_postgresql_corpus_native_equals_inspection(
    pg_database: TestDatabase, name: str, path: tuple[str, ...], schemas: tuple[str, ...]
) -> None:
    load_sql(pg_database, corpus_file(*path))
    assert assert_same(pg_database, schemas) > 5


@pytest.mark.postgres
def test_postgresql_edges_native_equals_inspection(pg_database: TestDatabase) -> None:
    with pg_database.engine.begin() as conn:
        conn.exec_driver_sql(SCHEMA_DDL.replace("%", "%%"))
        conn.exec_driver_sql(EDGES_DDL)
    assert assert_same(pg_database, ("public", "elsewhere_native")) >= 17
    # The key to another schema names it; the domain's NOT NULL and default reach the column.
    with pg_database.engine.connect() as conn:
        catalog = read_schema(conn, dialect_for("postgresql"), "public")
        conn.rollback()
    edges = next(t for t in catalog.tables if t.name == "edges")
    assert [fk.referred_schema for fk in edges.foreign_keys] == ["elsewhere_native"]
    assert not edges.column("score").nullable
    assert edges.comment == "every edge"


@pytest.mark.postgres
def test_before_postgresql_12_the_inspection_reads(
    pg_database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pg_database.engine.connect() as conn:
        assert read_catalog(conn, "public") is not None
        monkeypatch.setattr(conn.dialect, "server_version_info", (11, 9))
        assert read_catalog(conn, "public") is None  # attgenerated does not exist there
        conn.rollback()
