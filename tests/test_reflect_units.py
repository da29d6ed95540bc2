"""The pure parts of reflection: batching, globs, system-table rules, dialect choice."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dbaudit.config import DEFAULT_SYSTEM_TABLES
from dbaudit.dialects import Dialect, MySQLDialect, PostgresDialect, SQLiteDialect, dialect_for
from dbaudit.dialects.catalog import selected
from dbaudit.reflect.counts import BATCH_SIZE, Target, batches
from dbaudit.reflect.snapshot import system_rule

sizes = st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=2_000_000)), max_size=700)


@given(sizes, st.one_of(st.none(), st.integers(min_value=1, max_value=3_000_000)))
def test_batches_cover_every_table_once_in_order_within_their_limits(
    rows: list[int | None], limit: int | None
) -> None:
    targets = [Target(f"t{i}", rows=n) for i, n in enumerate(rows)]
    seen: list[Target] = []
    for start, batch in batches(targets, limit):
        assert start == len(seen) and 1 <= len(batch) <= BATCH_SIZE
        if limit is not None and len(batch) > 1:
            assert sum(t.rows or 0 for t in batch) <= limit
        seen.extend(batch)
    assert seen == targets


def test_include_and_exclude_globs_see_the_name_and_the_qualified_name() -> None:
    assert selected("orders", "shop", (), ())
    assert selected("orders", "shop", ("ord*",), ())
    assert selected("orders", "shop", ("shop.*",), ())
    assert not selected("orders", "shop", ("other.*",), ())
    assert not selected("orders", "shop", (), ("shop.ord*",))
    assert not selected("orders", "shop", ("*",), ("orders",))
    assert not selected("Orders", None, ("orders",), ())  # case matters, as in the database


def test_system_rules_name_the_pattern_that_matched() -> None:
    assert system_rule("alembic_version", DEFAULT_SYSTEM_TABLES) == "alembic_version"
    assert system_rule("dbaudit_seed_runs", DEFAULT_SYSTEM_TABLES) == "dbaudit_*"
    assert system_rule("users", DEFAULT_SYSTEM_TABLES) is None


def test_dialects_are_chosen_by_engine_name_with_a_default() -> None:
    assert type(dialect_for("postgresql")) is PostgresDialect
    assert type(dialect_for("mysql")) is MySQLDialect
    assert type(dialect_for("mariadb")) is MySQLDialect
    assert type(dialect_for("sqlite")) is SQLiteDialect
    assert type(dialect_for("oracle")) is Dialect
