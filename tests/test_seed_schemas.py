"""``seed`` reads schemas and ``--include``/``--exclude`` exactly as ``report`` does: the same catalog read.

``--all-schemas`` seeds the empty tables of every schema ``report --all-schemas`` lists; an include or exclude
glob written ``schema.table`` selects the same tables for both commands.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from tests.conftest import PG_URL
from tests.safety.runner import run_cli


@pytest.fixture
def two_schemas(pg_admin: Engine) -> Iterator[tuple[str, str, str]]:
    """A fresh database holding schemas ``sales`` and ``stock``, each with an empty table and a filled one."""
    name = f"dbaudit_db_{uuid.uuid4().hex[:10]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for schema in ("sales", "stock"):
                conn.execute(text(f"CREATE SCHEMA {schema}"))
                conn.execute(text(f"CREATE TABLE {schema}.item (id serial PRIMARY KEY, label text NOT NULL)"))
                conn.execute(text(f"CREATE TABLE {schema}.note (id serial PRIMARY KEY, body text NOT NULL)"))
                conn.execute(text(f"INSERT INTO {schema}.note (body) VALUES ('real')"))
        yield url, "sales", "stock"
    finally:
        engine.dispose()
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _report(url: str, project: Path, capfd: pytest.CaptureFixture[str], *options: str) -> dict[str, str]:
    run = run_cli(["report", "--format", "json", "--url", url, "--project", str(project), *options], capfd)
    assert run.code in (0, 1), run.describe()
    audit = json.loads(run.stdout)
    return {
        f"{t['table']['schema']}.{t['table']['name']}": t["status"]
        for t in audit["database"]["tables"]
        if not t["table"]["name"].startswith("dbaudit_")
    }


def _counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                f"{s}.{t}": int(conn.execute(text(f"SELECT count(*) FROM {s}.{t}")).scalar() or 0)
                for s in ("sales", "stock")
                for t in ("item", "note")
            }
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "options",
    [
        ["--all-schemas"],
        ["--all-schemas", "--exclude", "stock.*"],
        ["--schema", "sales", "--schema", "stock", "--include", "sales.item", "--include", "stock.*"],
    ],
    ids=["all-schemas", "exclude-qualified", "include-qualified"],
)
def test_seed_targets_the_empty_tables_report_lists(
    two_schemas: tuple[str, str, str], tmp_path: Path, capfd: pytest.CaptureFixture[str], options: list[str]
) -> None:
    url, _sales, _stock = two_schemas
    listed = _report(url, tmp_path, capfd, *options)
    empty = sorted(name for name, status in listed.items() if status == "empty")
    assert empty, listed
    before = _counts(url)
    seed = run_cli(
        ["seed", "--missing", "--yes", "--rows", "2", "--url", url, "--project", str(tmp_path), *options],
        capfd,
    )
    assert seed.code == 0, seed.describe()
    after = _counts(url)
    filled = sorted(name for name in after if after[name] > before[name])
    assert filled == empty, f"report listed {empty} as empty; seed filled {filled}"
    assert all(after[n] == before[n] for n in after if n not in empty), "only the tables report lists empty"
