"""Core recognisers: insert(Model|table), table.insert(), Model.__table__.insert(), sa.table(...), upserts."""

from __future__ import annotations

from pathlib import Path

from tests.scan.support import scan, source, writes

SCRIPT = "scripts/seed_core.py"


def test_insert_of_a_model_and_of_a_table_executed_on_a_connection(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            import sqlalchemy as sa
            from sqlalchemy import insert
            from app.models import User, audit_log

            with engine.begin() as conn:
                conn.execute(insert(User).values(id=1))
                stmt = sa.insert(audit_log)
                conn.execute(stmt, [{"id": 1}])
            """
        },
    )
    assert writes(result, SCRIPT) == {("users", "core-insert", False), ("audit_log", "core-insert", False)}


def test_table_insert_and_model_table_insert(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from app.models import Role, User, audit_log
            conn.execute(audit_log.insert().values(id=1))
            conn.execute(Role.__table__.insert(), [{"id": 1}])
            User.__table__.insert().execute(id=2)  # SQLAlchemy 1.3, bound metadata
            """
        },
    )
    assert writes(result, SCRIPT) == {
        ("audit_log", "core-table-insert", False),
        ("roles", "core-table-insert", False),
        ("users", "core-table-insert", False),
    }


def test_lightweight_table_clauses(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            import sqlalchemy as sa
            from sqlalchemy.sql import table, column
            settings_table = sa.table("settings", sa.column("key"), schema="config")
            conn.execute(settings_table.insert().values(key="a"))
            conn.execute(sa.insert(table("flags", column("name"))).values(name="x"))
            """
        },
        with_models=False,
    )
    assert writes(result, SCRIPT) == {
        ("config.settings", "core-table-insert", False),
        ("flags", "core-insert", False),
    }


def test_postgresql_and_mysql_upserts(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from sqlalchemy.dialects import mysql
            from sqlalchemy.dialects.postgresql import insert as pg_insert
            from app.models import Tag, Role
            conn.execute(pg_insert(Tag).values(name="a").on_conflict_do_nothing())
            conn.execute(mysql.insert(Role).values(id=1).on_duplicate_key_update(id=1))
            """
        },
    )
    assert writes(result, SCRIPT) == {("tags", "core-upsert", False), ("roles", "core-upsert", False)}


def test_async_session_execute_of_an_insert(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            import asyncio
            from sqlalchemy import insert
            from app.models import Tag
            async def main():
                async with Session() as session:
                    await session.execute(insert(Tag), [{"name": "a"}])
            asyncio.run(main())
            """
        },
    )
    assert writes(result, SCRIPT) == {("tags", "core-insert", False)}


def test_a_statement_built_but_never_executed_writes_nothing(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from sqlalchemy import insert, delete, update
            from app.models import Tag
            unused = insert(Tag).values(name="a")
            conn.execute(delete(Tag).where(Tag.is_mock))
            conn.execute(update(Tag).values(name="b"))
            """
        },
    )
    assert source(result, SCRIPT) is None


def test_a_table_whose_name_is_computed_is_a_finding_not_a_guess(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            import os
            import sqlalchemy as sa
            name = os.environ["TABLE"]
            conn.execute(sa.table(name).insert().values(id=1))
            """
        },
    )
    assert source(result, SCRIPT) is None
    assert [f.kind for f in result.findings] == ["unresolved-name"]
    assert result.findings[0].source == SCRIPT
