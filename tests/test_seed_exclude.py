"""``--exclude`` is absolute for ``seed``: an excluded table is never written, not even as a parent.

A table that needs an excluded parent points at the parent's existing rows; when the parent has none, the
table is skipped with the reason code ``excluded-parent`` (and so are the tables that need it), the rest
commits, and the run exits 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.safety.runner import assert_clean_failure, run_cli

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _shop(db: TestDatabase) -> None:
    """``supplier`` <- ``product`` (NOT NULL key) <- ``review``; ``shelf`` stands alone; ``tag`` is a nullable
    parent of ``product``."""
    db.execute("CREATE TABLE supplier (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")
    db.execute("CREATE TABLE tag (id INTEGER PRIMARY KEY, label VARCHAR(40) NOT NULL)")
    db.execute(
        "CREATE TABLE product (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL,"
        " supplier_id INTEGER NOT NULL REFERENCES supplier (id), tag_id INTEGER REFERENCES tag (id))"
    )
    db.execute(
        "CREATE TABLE review (id INTEGER PRIMARY KEY, body VARCHAR(80) NOT NULL,"
        " product_id INTEGER NOT NULL REFERENCES product (id))"
    )
    db.execute("CREATE TABLE shelf (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)")


def _count(db: TestDatabase, table: str) -> int:
    return int(db.scalar(f"SELECT count(*) FROM {table}") or 0)  # type: ignore[call-overload]


def _seed(
    db: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    run = run_cli(
        [
            "seed", "--missing", "--yes", "--rows", "3", "--format", "json",
            "--url", db.url, "--project", str(tmp_path), *extra,
        ],
        capfd,
    )  # fmt: skip
    assert run.code in (0, 1), run.describe()
    return run.code, json.loads(run.stdout)


def test_an_empty_excluded_parent_is_never_written_and_its_children_are_skipped(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _shop(db)
    code, report = _seed(db, tmp_path, capfd, "--exclude", "supplier", "--exclude", "tag")
    assert code == 1, "a skipped table is a finding"
    skipped = {s["table"].rsplit(".", 1)[-1]: s for s in report["plan"]["skipped"]}
    assert set(skipped) == {"product", "review"}, skipped
    assert skipped["product"]["code"] == "excluded-parent"
    assert "supplier" in skipped["product"]["reason"]
    assert skipped["review"]["code"] == "parent-skipped"
    assert _count(db, "supplier") == 0 and _count(db, "tag") == 0, "an excluded table is never written"
    assert _count(db, "product") == 0 and _count(db, "review") == 0
    assert _count(db, "shelf") == 3, "the rest commits"


def test_an_excluded_parent_with_rows_is_reused_and_left_unchanged(
    any_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = any_database
    _shop(db)
    db.execute("INSERT INTO supplier (id, name) VALUES (7, 'real supplier'), (8, 'another')")
    code, report = _seed(db, tmp_path, capfd, "--exclude", "supplier", "--exclude", "tag")
    assert code == 0, report["plan"]["skipped"]
    assert _count(db, "supplier") == 2, "the excluded parent keeps exactly its rows"
    assert _count(db, "tag") == 0, "an excluded nullable parent is not filled either"
    assert _count(db, "product") == 3 and _count(db, "review") == 3
    bad = db.scalar("SELECT count(*) FROM product WHERE supplier_id NOT IN (7, 8) OR tag_id IS NOT NULL")
    assert bad == 0, "products point at the real suppliers only"


def test_without_exclude_the_parent_is_filled(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The negative case: the same schema without --exclude fills the parent as a required parent."""
    db = sqlite_database
    _shop(db)
    code, report = _seed(db, tmp_path, capfd)
    assert code == 0 and not report["plan"]["skipped"]
    assert _count(db, "supplier") == 3 and _count(db, "product") == 3


def test_naming_an_excluded_table_in_tables_is_refused(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = sqlite_database
    _shop(db)
    common = ["--url", db.url, "--project", str(tmp_path)]
    line = assert_clean_failure(
        run_cli(["seed", "--tables", "supplier", "--exclude", "supplier", "--yes", *common], capfd)
    )
    assert "supplier" in line and "excluded" in line, line
    assert _count(db, "supplier") == 0


def test_force_leaves_the_earlier_mock_rows_of_an_excluded_table(
    sqlite_database: TestDatabase, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """``--force`` purges the earlier mock rows first, but not an excluded table's: it is never written."""
    db = sqlite_database
    _shop(db)
    assert _seed(db, tmp_path, capfd)[0] == 0
    suppliers = db.scalar("SELECT group_concat(id || name) FROM supplier")
    db.execute("DELETE FROM shelf")  # something for --missing to fill again
    code, report = _seed(db, tmp_path, capfd, "--force", "--exclude", "supplier")
    assert code == 0, report["plan"]["skipped"]
    assert db.scalar("SELECT group_concat(id || name) FROM supplier") == suppliers
    assert _count(db, "shelf") == 3
