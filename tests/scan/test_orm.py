"""ORM recognisers: add, add_all, merge, bulk_save_objects, bulk_insert_mappings, Model(**row) from files."""

from __future__ import annotations

from pathlib import Path

from tests.scan.support import scan, source, tables, writes

SCRIPT = "scripts/seed_demo.py"


def test_orm_add_of_a_constructor_call(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from sqlalchemy.orm import Session
            from app.models import User
            with Session() as session:
                session.add(User(name="a"))
                session.commit()
            """
        },
    )
    assert writes(result, SCRIPT) == {("users", "orm-add", False)}
    found = source(result, SCRIPT)
    assert found is not None and found.writes[0].location is not None
    assert str(found.writes[0].location) == f"{SCRIPT}:4"


def test_orm_add_of_an_object_built_into_a_variable(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from app.models import Role
            def main(session):
                role = Role(name="admin")
                role.description = "all rights"
                session.add(role)
            main(None)
            """
        },
    )
    assert writes(result, SCRIPT) == {("roles", "orm-add", False)}


def test_add_all_merge_and_bulk_save(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from app import models
            from app.models import User, Role, Tag
            tags = []
            for name in ("a", "b"):
                tags.append(Tag(name=name))
            session.add_all([User(id=1), User(id=2)])
            session.merge(Role(id=1))
            session.bulk_save_objects(tags)
            """
        },
    )
    assert writes(result, SCRIPT) == {
        ("users", "orm-add-all", False),
        ("roles", "orm-merge", False),
        ("tags", "orm-bulk-save", False),
    }


def test_bulk_insert_mappings_and_a_dynamic_mapper(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from app.models import Tag
            session.bulk_insert_mappings(Tag, [{"name": "a"}])
            session.bulk_insert_mappings(pick_model(), [{"name": "a"}])
            """
        },
    )
    assert writes(result, SCRIPT) == {("tags", "orm-bulk-insert-mappings", False)}
    assert [f.kind for f in result.findings] == ["unresolved-name"]
    assert "pick_model()" in result.findings[0].message


def test_model_from_rows_of_a_json_or_yaml_file(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            import json
            import yaml
            from app.models import Role, Tag
            with open("roles.json") as fh:
                rows = json.load(fh)
            for row in rows:
                session.add(Role(**row))
            data = yaml.safe_load(open("tags.yaml"))
            session.add_all([Tag(**item) for item in data["tags"]])
            """
        },
    )
    assert writes(result, SCRIPT) == {("roles", "orm-json-loop", False), ("tags", "orm-json-loop", False)}


def test_async_session_and_flask_db_session(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            import asyncio
            from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
            from app.models import User, Role

            async def seed() -> None:
                async with async_sessionmaker()() as session:
                    session.add(User(id=1))
                    await session.commit()

            def flask_seed():
                db.session.add(Role(id=1))
                db.session.commit()

            if __name__ == "__main__":
                asyncio.run(seed())
                flask_seed()
            """
        },
    )
    assert writes(result, SCRIPT) == {("users", "orm-add", False), ("roles", "orm-add", False)}


def test_related_objects_built_inline_are_inserted_with_their_parent(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {SCRIPT: "from app.models import User, Role\nsession.add(User(id=1, roles=[Role(id=2)]))\n"},
    )
    assert tables(result, SCRIPT) == {"users", "roles"}


def test_a_generic_helper_receives_the_model_from_its_caller(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "app/helpers.py": """
            def get_or_create(session, model, **fields):
                instance = session.query(model).filter_by(**fields).first()
                if instance:
                    return instance
                instance = model(**fields)
                session.add(instance)
                return instance
            """,
            SCRIPT: """
            from app.helpers import get_or_create
            from app.models import Tag
            get_or_create(session, Tag, name="a")
            """,
        },
    )
    assert writes(result, SCRIPT) == {("tags", "orm-add", True)}


def test_a_set_add_is_not_a_write(tmp_path: Path) -> None:
    result = scan(tmp_path, {SCRIPT: "seen = set()\nseen.add('users')\nsession.add(make_user())\n"})
    assert source(result, SCRIPT) is None
    assert result.findings == ()
