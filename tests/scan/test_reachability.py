"""What counts: only INSERT/upsert reached from an entry point; conditional writes are marked."""

from __future__ import annotations

from pathlib import Path

from tests.scan.support import scan, source, writes

SCRIPT = "app/scripts/seed_demo.py"


def test_delete_only_script_seeds_nothing(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from sqlalchemy import delete, text
            from app.models import User, Role
            def purge(session):
                session.execute(delete(User).where(User.is_mock.is_(True)))
                session.execute(text("DELETE FROM roles WHERE is_mock"))
                session.query(Role).filter_by(is_mock=True).delete()
            if __name__ == "__main__":
                purge(Session())
            """
        },
    )
    assert source(result, SCRIPT) is None


def test_dead_function_and_commented_out_call_do_not_count(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from app.models import User, Role, Tag

            def seed_users(session):
                session.add(User(id=1))

            def seed_roles(session):
                session.add(Role(id=1))

            def never_called(session):
                session.add(Tag(id=1))

            def main():
                session = Session()
                seed_users(session)
                # seed_roles(session)

            if __name__ == "__main__":
                main()
            """
        },
    )
    assert writes(result, SCRIPT) == {("users", "orm-add", False)}


def test_main_is_an_entry_point_unless_the_module_decides_how_it_runs(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "scripts/seed_entry.py": "from app.models import User\ndef main():\n    session.add(User())\n",
            "scripts/seed_cli.py": (
                "from app.models import User, Role\n"
                "def main():\n    session.add(User())\n"
                "def run():\n    session.add(Role())\n"
                "if __name__ == '__main__':\n    run()\n"
                "# main()\n"
            ),
            "scripts/seed_helper.py": "from app.models import User\ndef seed():\n    session.add(User())\n",
        },
    )
    assert writes(result, "scripts/seed_entry.py") == {("users", "orm-add", False)}
    assert writes(result, "scripts/seed_cli.py") == {("roles", "orm-add", False)}
    assert source(result, "scripts/seed_helper.py") is None


def test_calls_followed_through_helper_and_crud_modules(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "app/crud/__init__.py": "from .users import create_user\n",
            "app/crud/users.py": """
            from app.models import User
            def create_user(session, name):
                user = User(name=name)
                session.add(user)
                return user
            """,
            "app/services/accounts.py": """
            from app import crud
            class AccountService:
                def __init__(self, session):
                    self.session = session
                def open(self, name):
                    return crud.create_user(self.session, name)
            """,
            "app/helpers.py": """
            from app.services.accounts import AccountService
            def bootstrap(session):
                service = AccountService(session)
                service.open("admin")
            """,
            SCRIPT: """
            from app.helpers import bootstrap
            bootstrap(Session())
            """,
        },
    )
    assert writes(result, SCRIPT) == {("users", "orm-add", False)}
    found = source(result, SCRIPT)
    assert found is not None and str(found.writes[0].location) == "app/crud/users.py:4"


def test_conditional_writes(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from sqlalchemy import select, func
            from app.models import User, Role, Tag, audit_log

            def seed(session):
                existing = session.scalar(select(Role).where(Role.name == "admin"))
                if existing is None:
                    session.add(Role(name="admin"))
                for user in session.query(User).all():
                    session.add(Tag(owner=user.id))
                if session.scalar(select(func.count()).select_from(User)) > 0:
                    return
                session.add(User(name="first"))

            def log(conn, force):
                if force:
                    conn.execute(audit_log.insert())

            seed(Session())
            log(conn, True)
            """
        },
    )
    assert writes(result, SCRIPT) == {
        ("roles", "orm-add", True),
        ("tags", "orm-add", True),
        ("users", "orm-add", True),
        ("audit_log", "core-table-insert", False),
    }


def test_entry_points_typer_click_and_callbacks(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            import typer
            from app.models import User, Role, Tag
            app = typer.Typer()

            @app.command()
            def users():
                session.add(User())

            def _roles(sync_session):
                sync_session.add(Role())

            async def main():
                async with engine.begin() as conn:
                    await conn.run_sync(_roles)

            SEEDERS = [lambda: None]

            if __name__ == "__main__":
                import asyncio
                asyncio.get_event_loop().run_until_complete(main())
                app()
            """
        },
    )
    assert writes(result, SCRIPT) == {("users", "orm-add", False), ("roles", "orm-add", False)}


def test_a_list_of_seeders_called_in_a_loop(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from app.models import User, Role

            def seed_users(s):
                s.add(User())

            def seed_roles(s):
                s.add(Role())

            for seeder in (seed_users, seed_roles):
                seeder(session)
            """
        },
    )
    assert writes(result, SCRIPT) == {("users", "orm-add", False), ("roles", "orm-add", False)}


def test_recursion_and_depth_are_bounded(tmp_path: Path) -> None:
    chain = "\n".join(f"def f{i}(s):\n    f{i + 1}(s)\n" for i in range(30))
    result = scan(
        tmp_path,
        {
            SCRIPT: f"""
from app.models import User
def loop(s):
    loop(s)
    s.add(User())
{chain}
def f30(s):
    s.add(User())
loop(session)
f0(session)
"""
        },
    )
    assert writes(result, SCRIPT) == {("users", "orm-add", False)}
    found = source(result, SCRIPT)
    assert found is not None and [w.location.line for w in found.writes if w.location] == [4]


def test_a_dict_of_models_to_rows_and_a_list_of_seeder_classes(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            SCRIPT: """
            from sqlalchemy import insert
            from app.models import User, Role, Tag, audit_log

            REFERENCE = {User: [{"id": 1}], Role: [{"id": 1}]}

            class BaseSeeder:
                model = None
                def __init__(self, session):
                    self.session = session
                def run(self):
                    self.session.add(self.model())

            class TagSeeder(BaseSeeder):
                model = Tag

            class AuditSeeder:
                def __init__(self, session):
                    self.session = session
                def run(self):
                    self.session.execute(audit_log.insert())

            for model, rows in REFERENCE.items():
                for row in rows:
                    session.add(model(**row))
            for seeder in (TagSeeder, AuditSeeder):
                seeder(session).run()
            for model in (User, Role):
                conn.execute(insert(model), [])
            """
        },
    )
    assert writes(result, SCRIPT) == {
        ("users", "orm-add", False),
        ("roles", "orm-add", False),
        ("tags", "orm-add", False),
        ("audit_log", "core-table-insert", False),
        ("users", "core-insert", False),
        ("roles", "core-insert", False),
    }


def test_conditions_that_do_not_read_the_database_keep_writes_unconditional(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "app/crud.py": """
            from app.models import User
            def find_user(session, name):
                return session.query(User).filter_by(name=name).one_or_none()
            """,
            SCRIPT: """
            import sys
            from app import crud
            from app.models import User, Role, Tag
            options = {"roles": True}
            if all(arg != "--dry-run" for arg in sys.argv) and options.get("roles", False):
                session.add(Role())
            if len(sys.argv) > 1 and filter(None, sys.argv):
                session.add(Tag())
            if not crud.find_user(session, "admin"):
                session.add(User())
            """,
        },
    )
    assert writes(result, SCRIPT) == {
        ("roles", "orm-add", False),
        ("tags", "orm-add", False),
        ("users", "orm-add", True),
    }


def test_a_generic_repository_keeps_what_its_constructor_stored(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "app/repositories.py": """
            class ContextAwareRepository:
                def __init__(self, session, model, client_account_id=None):
                    self.session = session
                    self.model = model
                    self.client_account_id = client_account_id

                async def create(self, **fields):
                    obj = self.model(client_account_id=self.client_account_id, **fields)
                    self.session.add(obj)
                    return obj
            """,
            SCRIPT: """
            import asyncio
            from app.models import Role, Tag
            from app.repositories import ContextAwareRepository

            async def main():
                roles = ContextAwareRepository(session, Role, client_account_id=1)
                await roles.create(name="admin")
                unused = ContextAwareRepository(session, Tag)

            asyncio.run(main())
            """,
        },
    )
    assert writes(result, SCRIPT) == {("roles", "orm-add", False)}
