"""Patterns real projects use (issue 12): one small fixture each, with a case that must not count.

Every fixture is written here; the projects that showed each pattern are named in the test's docstring.
"""

from __future__ import annotations

from pathlib import Path

from tests.scan.support import scan, source, tables, writes

CLI = "app/cli.py"

# ------------------------------------------------------------------------------------------ entry points


def test_click_commands_and_groups_are_entry_points(tmp_path: Path) -> None:
    """``@cli.command("init")`` in a configured file (zou, flaskbb, indico); a helper no command calls is
    dead code."""
    result = scan(
        tmp_path,
        {
            CLI: """
            import click
            from app.models import User, Role, Tag

            @click.group()
            def cli():
                pass

            @cli.command("init")
            def init():
                session.add(User())

            @cli.group()
            def extra():
                pass

            @extra.command()
            def roles():
                session.add(Role())

            def never_registered():
                session.add(Tag())
            """
        },
        seed_globs=(CLI,),
    )
    assert tables(result, CLI) == {"users", "roles"}


def test_typer_flask_cli_appgroup_and_flask_script_commands(tmp_path: Path) -> None:
    """typer ``@app.command()``, Flask ``@app.cli.command()`` (flasky), ``AppGroup`` (redash) and Flask-Script
    ``@manager.command`` / ``@manager.option``."""
    files = {
        "app/typer_cli.py": """
            import typer
            from app.models import User
            app = typer.Typer()
            @app.command()
            def users():
                session.add(User())
            """,
        "app/flask_cli.py": """
            from flask import Flask
            from app.models import Role
            app = Flask(__name__)
            @app.cli.command()
            def deploy():
                session.add(Role())
            """,
        "app/group_cli.py": """
            from flask.cli import AppGroup
            from app.models import Tag
            manager = AppGroup("tags")
            @manager.command(name="create")
            def create():
                session.add(Tag())
            """,
        "manage.py": """
            from flask_script import Manager
            from app.models import User, Role
            manager = Manager()
            @manager.command
            def seed():
                session.add(User())
            @manager.option("-n", "--name")
            def named(name):
                session.add(Role())
            """,
    }
    result = scan(tmp_path, files, seed_globs=tuple(files))
    assert tables(result, "app/typer_cli.py") == {"users"}
    assert tables(result, "app/flask_cli.py") == {"roles"}
    assert tables(result, "app/group_cli.py") == {"tags"}
    assert tables(result, "manage.py") == {"users", "roles"}


def test_a_runtime_request_handler_is_not_an_entry_point(tmp_path: Path) -> None:
    """A Flask view in a configured file runs per request, not as seeding: not a root."""
    result = scan(
        tmp_path,
        {
            CLI: """
            from flask import Flask
            from app.models import User
            app = Flask(__name__)

            @app.route("/users", methods=["POST"])
            def create_user():
                session.add(User())

            @app.cli.command()
            def noop():
                print("nothing")
            """
        },
        seed_globs=(CLI,),
    )
    assert source(result, CLI) is None


def test_a_module_named_by_path_is_called_by_hand_through_its_public_functions(tmp_path: Path) -> None:
    """flasky's ``app/fake.py`` (``users()``, ``posts()`` from ``flask shell``), ckan's CreateTestData
    classmethods; private helpers nothing public calls and a pytest fixture are not entries; the same module
    matched only by a wildcard needs an entry point of its own."""
    fake = """
        import pytest
        from app.models import User, Role, Tag

        def users(count=10):
            for _ in range(count):
                session.add(User())

        class Demo:
            @classmethod
            def create(cls):
                cls._roles()

            @classmethod
            def _roles(cls):
                session.add(Role())

        def _unused():
            session.add(Tag())

        @pytest.fixture
        def tag():
            session.add(Tag())
        """
    named = scan(tmp_path / "named", {"app/fake.py": fake}, seed_globs=("app/fake.py",))
    assert tables(named, "app/fake.py") == {"users", "roles"}
    wildcard = scan(tmp_path / "wildcard", {"app/fake.py": fake}, seed_globs=("app/fake*.py",))
    assert source(wildcard, "app/fake.py") is None


# ------------------------------------------------------------------------------------ values followed


def test_a_statement_rebound_through_its_own_methods(tmp_path: Path) -> None:
    """``stmt = text("insert ..."); stmt = stmt.bindparams(...); op.execute(stmt)`` and a Core insert rebound
    through ``.values().returning().execution_options()``; an UPDATE rebound the same way writes nothing."""
    result = scan(
        tmp_path,
        {
            "scripts/seed_rebind.py": """
            from sqlalchemy import insert, text
            from app.models import Tag
            stmt = text("insert into roles (name) values (:name)")
            stmt = stmt.bindparams(name="admin")
            stmt = stmt.columns()
            conn.execute(stmt)
            tags = insert(Tag)
            tags = tags.values(name="x").returning(Tag.id)
            tags = tags.execution_options(synchronize_session=False)
            conn.execute(tags)
            update = text("UPDATE users SET name = :n").bindparams(n="x")
            conn.execute(update)
            """
        },
    )
    assert writes(result, "scripts/seed_rebind.py") == {
        ("roles", "sql-insert", False),
        ("tags", "core-insert", False),
    }


def test_sql_in_a_module_constant_split_and_looped(tmp_path: Path) -> None:
    """``SEED_SQL.split(";")`` executed statement by statement; a DELETE-only constant writes nothing."""
    result = scan(
        tmp_path,
        {
            "scripts/seed_constants.py": """
            from sqlalchemy import text
            SEED_SQL = '''
                INSERT INTO roles (name) VALUES ('admin');
                INSERT INTO tags (name) VALUES ('new');
            '''
            CLEANUP = "DELETE FROM users; DELETE FROM audit_log"

            def main():
                for statement in SEED_SQL.split(";"):
                    if statement.strip():
                        conn.execute(text(statement))
                for statement in CLEANUP.split(";"):
                    conn.execute(text(statement))
            """
        },
    )
    assert tables(result, "scripts/seed_constants.py") == {"roles", "tags"}


def test_orm_classes_declared_inside_a_revision(tmp_path: Path) -> None:
    """zou: a revision-local model added through ``Session(bind=op.get_bind())``; the same class in
    ``downgrade()`` only does not count, and the revision's class is no declaration of the project."""
    revision = """
        from alembic import op
        import sqlalchemy as sa
        from sqlalchemy import orm
        from sqlalchemy.ext.declarative import declarative_base

        revision = "a1"
        down_revision = None
        Base = declarative_base()

        class TaskType(Base):
            __tablename__ = "task_type"
            id = sa.Column(sa.Integer, primary_key=True)

        class Legacy(Base):
            __tablename__ = "legacy_rows"
            id = sa.Column(sa.Integer, primary_key=True)

        def upgrade():
            session = orm.Session(bind=op.get_bind())
            session.add(TaskType(id=1))
            session.commit()

        def downgrade():
            session = orm.Session(bind=op.get_bind())
            session.add(Legacy(id=1))
        """
    result = scan(
        tmp_path,
        {"migrations/env.py": "", "migrations/versions/a1_seed.py": revision},
    )
    assert writes(result, "migrations/versions/a1_seed.py") == {("task_type", "orm-add", False)}
    assert "task_type" not in {d.table for d in result.declarations}


RELATED_MODELS = """
from sqlalchemy import Column, ForeignKey, Integer, Table
from sqlalchemy.orm import DeclarativeBase, relationship


class Base(DeclarativeBase):
    pass


user_groups = Table(
    "user_groups", Base.metadata, Column("user_id", ForeignKey("users.id")), Column("group_id", Integer)
)


class Group(Base):
    __tablename__ = "groups"
    id = Column(Integer, primary_key=True)


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    groups = relationship("Group", secondary=user_groups)
    tokens = relationship("Token", backref="user")

    def add_token(self, name):
        self.tokens.append(Token(name=name))


class Token(Base):
    __tablename__ = "tokens"
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("users.id"))
"""


def test_relationship_flushes_fill_association_tables_and_attached_children(tmp_path: Path) -> None:
    """``secondary=`` collections (flaskbb forumgroups), ``Child(parent=p)`` of a persistent parent (indico
    tokens), ``parent.children.append(c)`` in a model method (ckan resources, indico logs); changing a loaded
    row only updates it."""
    result = scan(
        tmp_path,
        {
            "app/models.py": RELATED_MODELS,
            "scripts/seed_related.py": """
            from app.models import Group, Token, User

            def main():
                user = User(groups=[Group()])
                session.add(user)
                admin = session.query(User).filter_by(name="admin").first()
                admin.groups.append(session.get(Group, 1))
                Token(user=admin)
                admin.add_token("cli")
                session.commit()
            """,
            "scripts/seed_update_only.py": """
            from app.models import User

            def main():
                user = session.query(User).first()
                user.name = "renamed"
                session.add(user)
                session.commit()
            """,
        },
        with_models=False,
    )
    assert writes(result, "scripts/seed_related.py") == {
        ("users", "orm-add", False),
        ("groups", "orm-add", False),
        ("user_groups", "orm-add", False),
        ("user_groups", "orm-secondary", False),
        ("tokens", "orm-cascade", False),
        ("tokens", "orm-relationship-append", False),
    }
    assert source(result, "scripts/seed_update_only.py") is None
