"""Every CHECK of the real corpus schemas, read back from the catalog of its own dialect: parsed without a
crash, counted as understood or left to the database, and no table of a real schema called unsatisfiable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from dbaudit.config import load_settings
from dbaudit.dialects import dialect_for
from dbaudit.seed.schema import reflect_schema
from dbaudit.seed.solve import check_model
from tests.conftest import corpus_file
from tests.seed_support import load_sql

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

CORPUS = {
    "musicbrainz": ("postgresql", "schema.sql", ("musicbrainz",)),
    "lago": ("postgresql", "structure.sql", ("public",)),
    "synapse_sqlite": ("sqlite", "schema.sql", ()),
    "zotero_sqlite": ("sqlite", "schema.sql", ()),
}


@pytest.mark.slow  # loads whole corpus schemas (MusicBrainz: 375 tables) and reads every CHECK back
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_corpus_check_parses_and_no_real_table_is_unsatisfiable(
    name: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    dialect, file, schemas = CORPUS[name]
    path = corpus_file("schemas", name, file)
    db: TestDatabase = request.getfixturevalue(
        "pg_database" if dialect == "postgresql" else "sqlite_database"
    )
    load_sql(db, path)
    settings = load_settings({"url": db.url, "schemas": schemas}, environ={})
    with db.engine.connect() as conn:
        schema = reflect_schema(conn, dialect_for(db.engine.dialect.name), settings)
        conn.rollback()
    checks = [c for t in schema.tables.values() for c in t.rules.checks]
    understood = sum(1 for c in checks if c.exact)
    unsatisfiable = {k: check_model(t).unsatisfiable for k, t in schema.tables.items()}
    with capsys.disabled():
        print(
            f"\n{name}: {len(checks)} CHECKs, {understood} understood, "
            f"{len(checks) - understood} judged by the database"
        )
    assert {k: v for k, v in unsatisfiable.items() if v} == {}
    if name in ("musicbrainz", "lago"):
        assert checks and understood >= len(checks) // 2
