"""A CHECK ``a <> b`` over two foreign keys into one parent that holds a single real row: ``seed --missing``
adds mock rows to that parent (its real row untouched) so the child can be filled, and purge takes them out
again; an excluded parent is never written, and the child is skipped with ``excluded-parent``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.safety.runner import run_cli

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _labels(db: TestDatabase, real: int) -> None:
    db.execute("CREATE TABLE label (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    db.execute(
        "CREATE TABLE label_relation (id INTEGER PRIMARY KEY,"
        " entity0 INTEGER NOT NULL REFERENCES label (id), entity1 INTEGER NOT NULL REFERENCES label (id),"
        " CONSTRAINT non_loop CHECK (entity0 <> entity1))"
    )
    for n in range(1, real + 1):
        db.execute(f"INSERT INTO label (id, name) VALUES ({n}, 'real label {n}')")


def _rows(db: TestDatabase, table: str) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1")]


def _run(db: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str], *args: str) -> Any:
    run = run_cli([*args, "--yes", "--url", db.url, "--project", str(tmp_path)], capfd)
    return run


def test_a_parent_with_one_row_gets_mock_rows_so_two_different_ones_exist(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _labels(db, real=1)
    real = _rows(db, "label")
    run = _run(db, tmp_path, capfd, "seed", "--missing", "--rows", "3", "--format", "json")
    assert run.code == 0, run.describe()
    plan = json.loads(run.stdout)["plan"]
    reasons = {t["table"].rsplit(".", 1)[-1]: t["reason"] for t in plan["tables"]}
    assert "entity0 <> entity1 needs two different label rows" in reasons["label"], reasons
    relations = _rows(db, "label_relation")
    assert len(relations) == 3 and all(r[1] != r[2] for r in relations)
    labels = _rows(db, "label")
    assert set(real) <= set(labels) and len(labels) == 4, "the real row stays, three mock rows beside it"

    assert _run(db, tmp_path, capfd, "purge").code == 0
    assert _rows(db, "label") == real and _rows(db, "label_relation") == []


def test_a_parent_with_two_rows_is_only_pointed_at(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _labels(db, real=2)
    real = _rows(db, "label")
    run = _run(db, tmp_path, capfd, "seed", "--missing", "--rows", "3", "--format", "json")
    assert run.code == 0, run.describe()
    assert _rows(db, "label") == real
    assert {(r[1], r[2]) for r in _rows(db, "label_relation")} <= {(1, 2), (2, 1)}


def test_an_excluded_parent_with_one_row_skips_the_child(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _labels(db, real=1)
    real = _rows(db, "label")
    run = _run(
        db, tmp_path, capfd, "seed", "--missing", "--rows", "3", "--format", "json", "--exclude", "label"
    )
    assert run.code == 1, run.describe()
    skipped = {s["table"].rsplit(".", 1)[-1]: s for s in json.loads(run.stdout)["plan"]["skipped"]}
    assert skipped["label_relation"]["code"] == "excluded-parent"
    assert "holds one row" in skipped["label_relation"]["reason"]
    assert _rows(db, "label") == real and _rows(db, "label_relation") == []


def test_a_parent_the_run_fills_gets_two_rows_even_with_rows_1(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _labels(db, real=0)
    run = _run(db, tmp_path, capfd, "seed", "--missing", "--rows", "1", "--format", "json")
    assert run.code == 0, run.describe()
    assert len(_rows(db, "label")) == 2
    (relation,) = _rows(db, "label_relation")
    assert relation[1] != relation[2]
