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


# ------------------------------------------------------------------------------------------ call layers

LAYERED = {
    "app/db/mixins.py": """
        class CRUDMixin:
            @classmethod
            def build(cls, **kw):
                instance = cls(**kw)
                return instance.save()

            def save(self):
                self._persist()
                return self

            def _persist(self):
                session.add(self)
                session.commit()

            @classmethod
            def get_or_create(cls, **kw):
                found = session.query(cls).filter_by(**kw).first()
                if found is None:
                    found = cls(**kw)
                    session.add(found)
                return found
        """,
    "app/db/models.py": """
        from sqlalchemy import Column, Integer
        from flask_sqlalchemy import SQLAlchemy
        from app.db.mixins import CRUDMixin
        db = SQLAlchemy()

        class UserAccount(CRUDMixin, db.Model):
            id = Column(Integer, primary_key=True)

        class Role(CRUDMixin, db.Model):
            __tablename__ = "roles"
            id = Column(Integer, primary_key=True)

        class AuditEntry(CRUDMixin, db.Model):
            id = Column(Integer, primary_key=True)

            @classmethod
            def create(cls, **kw):
                return cls.build(**kw)
        """,
    "app/repositories/base.py": """
        class Repository:
            def __init__(self, model):
                self.model = model

            def add(self, **fields):
                return self.model.build(**fields)
        """,
    "app/repositories/registry.py": """
        from app.db.models import Role, UserAccount
        from app.repositories.base import Repository

        class Repositories:
            def __init__(self):
                self.users = Repository(UserAccount)
                self.roles = Repository(Role)
        """,
    "app/services/accounts.py": """
        from app.repositories.registry import Repositories

        class AccountService:
            def __init__(self):
                self.repos = Repositories()

            def register(self, name):
                return self.repos.users.add(name=name)
        """,
    "app/services/factory.py": """
        from app.services.accounts import AccountService

        def make_accounts():
            return AccountService()
        """,
    "app/bootstrap.py": """
        from app.services.factory import make_accounts

        def run():
            accounts = make_accounts()
            accounts.register("admin")
        """,
}

SIX_HOPS = """
    import click
    from app import bootstrap
    from app.db.models import Role

    @click.command()
    def init():
        bootstrap.run()
        Role.get_or_create(name="admin")
    """


def test_a_six_hop_chain_through_service_repository_registry_factory_and_mixin(tmp_path: Path) -> None:
    """command -> module function -> factory-made service -> registry of repositories -> generic repository
    holding a model class -> mixin classmethod -> ``save()`` -> ``_persist()``: ``session.add`` 6 calls deep;
    ``get_or_create``; table names by Flask-SQLAlchemy's default (``UserAccount`` -> ``user_account``)."""
    result = scan(tmp_path, {**LAYERED, CLI: SIX_HOPS}, with_models=False, seed_globs=(CLI,))
    assert writes(result, CLI) == {("user_account", "orm-add", False), ("roles", "orm-add", True)}
    fields = {
        **LAYERED,
        "scripts/seed_audit.py": """
            from app.db.models import AuditEntry
            fields = {"what": "boot"}
            AuditEntry.create(**fields)
            """,
    }
    created = scan(tmp_path / "create", fields, with_models=False)
    assert writes(created, "scripts/seed_audit.py") == {("audit_entry", "orm-create", False)}


def test_a_dict_mapping_names_to_model_classes(tmp_path: Path) -> None:
    """zou's ``event_name_model_map[event].create_from_import(...)``: every class of the dict."""
    files = {
        **LAYERED,
        CLI: """
            import click
            from app.db.models import AuditEntry, Role, UserAccount

            MODELS = {"role": Role, "audit": AuditEntry}

            @click.command()
            def sync():
                for name in ("role", "audit"):
                    model = MODELS[name]
                    model.build(name=name)
            """,
    }
    result = scan(tmp_path, files, with_models=False, seed_globs=(CLI,))
    assert tables(result, CLI) == {"roles", "audit_entry"}


def test_a_module_of_functions_reached_from_a_command_elsewhere(tmp_path: Path) -> None:
    """flaskbb: ``flaskbb/utils/populate.py`` (a default glob) has no entry point; ``flaskbb install`` in a
    file no glob names calls it: that command's file is the source.  A seed module nothing calls is none."""
    result = scan(
        tmp_path,
        {
            "app/utils/populate.py": """
            from app.models import User, Role
            def create_default_users():
                session.add(User())
            def create_roles():
                session.add(Role())
            """,
            "app/commands.py": """
            import click
            from app.utils import populate

            @click.command()
            def install():
                populate.create_default_users()

            @click.command()
            def status():
                print("ok")
            """,
            "app/utils/seed_unused.py": """
            from app.models import Tag
            def tags():
                session.add(Tag())
            """,
        },
    )
    assert writes(result, "app/commands.py") == {("users", "orm-add", False)}
    assert source(result, "app/utils/populate.py") is None
    assert source(result, "app/utils/seed_unused.py") is None


# ---------------------------------------------------------------------------------------- table names


def test_tables_from_loop_variables_create_table_values_and_reflection(tmp_path: Path) -> None:
    """octavia: ``for t in ["a", "b"]: op.bulk_insert(sa.table(t, ...))`` and a module-level list zipped with
    values; ``op.create_table(...)``'s value; ``sa.Table(..., autoload_with=bind)`` and
    ``metadata.reflect`` lookups (``md.tables["x"]``)."""
    result = scan(
        tmp_path,
        {
            "migrations/env.py": "",
            "migrations/versions/b2_lookup.py": """
            from alembic import op
            import sqlalchemy as sa

            revision = "b2"
            down_revision = None
            TABLES = ["protocol", "health_monitor_type"]
            NAMES = ["UDP", "TCP"]

            def upgrade():
                for table in ["algorithm", "lb_topology"]:
                    op.bulk_insert(sa.sql.table(table, sa.sql.column("name")), [{"name": "X"}])
                for table, name in zip(TABLES, NAMES):
                    op.bulk_insert(sa.sql.table(table, sa.sql.column("name")), [{"name": name}])
                flavors = op.create_table("flavor", sa.Column("id", sa.Integer))
                op.bulk_insert(flavors, [{"id": 1}])
                bind = op.get_bind()
                slots = sa.Table("amphora_build_slots", sa.MetaData(), autoload_with=bind)
                op.execute(slots.insert().values(id=1))
                md = sa.MetaData()
                md.reflect(bind=bind)
                op.execute(md.tables["spares_pool"].insert().values(id=1))

            def downgrade():
                for table in ["never", "counted"]:
                    op.bulk_insert(sa.sql.table(table, sa.sql.column("name")), [{"name": "X"}])
            """,
        },
    )
    assert tables(result, "migrations/versions/b2_lookup.py") == {
        "algorithm",
        "lb_topology",
        "protocol",
        "health_monitor_type",
        "flavor",
        "amphora_build_slots",
        "spares_pool",
    }


def test_table_names_from_naming_conventions(tmp_path: Path) -> None:
    """Flask-SQLAlchemy's snake_case default (zou's models without ``__tablename__``), prefect's
    ``CAMEL_TO_SNAKE.sub("_", cls.__name__).lower()`` from a regex defined elsewhere, an abstract base's plain
    ``__tablename__`` and ``__auto_table_args`` schema (indico)."""
    result = scan(
        tmp_path,
        {
            "app/models.py": """
            import sqlalchemy as sa
            from sqlalchemy.orm import DeclarativeBase, declared_attr
            from flask_sqlalchemy import SQLAlchemy
            from app.naming import CAMEL_TO_SNAKE
            db = SQLAlchemy()

            class ProjectStatus(db.Model):
                id = db.Column(db.Integer, primary_key=True)

            class Base(DeclarativeBase):
                @declared_attr.directive
                def __tablename__(cls) -> str:
                    return CAMEL_TO_SNAKE.sub("_", cls.__name__).lower()

            class BlockSchemaReference(Base):
                id = sa.Column(sa.Integer, primary_key=True)

            class LogEntryBase(db.Model):
                __abstract__ = True
                __tablename__ = "logs"

            class EventLogEntry(LogEntryBase):
                __auto_table_args = {"schema": "events"}
                id = db.Column(db.Integer, primary_key=True)
            """,
            "scripts/seed_names.py": """
            from app.models import BlockSchemaReference, EventLogEntry, ProjectStatus
            session.add_all([ProjectStatus(), BlockSchemaReference(), EventLogEntry()])
            """,
        },
        with_models=False,
    )
    assert tables(result, "scripts/seed_names.py") == {
        "project_status",
        "block_schema_reference",
        "events.logs",
    }


# ------------------------------------------------------------------------------------- kinds of source

QUERIES = """
-- name: get-roles
SELECT * FROM roles;

-- name: create-role<!
-- a docstring line
INSERT INTO roles (name) VALUES (:name) RETURNING id;

-- name: add-tags*!
INSERT INTO tags (name) VALUES (:name) ON CONFLICT DO NOTHING;
"""


def test_named_query_files_count_where_a_seed_source_calls_them(tmp_path: Path) -> None:
    """fastapi-realworld: aiosql ``-- name:`` blocks; the INSERT counts for the seed script that calls
    ``queries.create_role(...)``, located in the ``.sql`` file; the file alone (even named like a seed) is no
    source, and a query nothing seeding calls counts nowhere."""
    result = scan(
        tmp_path,
        {
            "app/db/sql/seed_queries.sql": QUERIES,
            "app/db/queries.py": """
            import pathlib
            import aiosql
            queries = aiosql.from_path(pathlib.Path(__file__).parent / "sql", "asyncpg")
            """,
            "scripts/seed_roles.py": """
            import asyncio
            from app.db.queries import queries

            async def main():
                await queries.get_roles(conn)
                await queries.create_role(conn, name="admin")

            asyncio.run(main())
            """,
        },
    )
    found = source(result, "scripts/seed_roles.py")
    assert found is not None
    assert {(w.table, w.recogniser) for w in found.writes} == {("roles", "sql-named-query")}
    assert {str(w.location) for w in found.writes} == {"app/db/sql/seed_queries.sql:6"}
    assert source(result, "app/db/sql/seed_queries.sql") is None
    assert {s.path for s in result.sources} == {"scripts/seed_roles.py"}


def test_upserts_in_every_dialect_insert_select_and_an_insert_in_a_cte(tmp_path: Path) -> None:
    """prefect's upserts; ``INSERT IGNORE``, ``REPLACE``, ``MERGE`` (only a branch that inserts),
    ``INSERT ... SELECT``, ``insert().from_select``, an INSERT inside a CTE; UPDATE, DELETE do not count."""
    result = scan(
        tmp_path,
        {
            "scripts/seed_upserts.py": """
            from sqlalchemy import insert, select, text
            from sqlalchemy.dialects.postgresql import insert as pg_insert
            from app.models import User, Role, Tag, audit_log

            def main():
                conn.execute(text("INSERT INTO a (x) VALUES (1) ON CONFLICT (x) DO NOTHING"))
                conn.execute(text("INSERT IGNORE INTO b (x) VALUES (1)"))
                conn.execute(text("REPLACE INTO c (x) VALUES (1)"))
                merge = "MERGE INTO d USING s ON d.id = s.id WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id)"
                conn.execute(text(merge))
                conn.execute(text("MERGE INTO e USING s ON e.id = s.id WHEN MATCHED THEN UPDATE SET x = 1"))
                conn.execute(text("INSERT INTO f (x) SELECT x FROM g"))
                conn.execute(text("WITH w AS (INSERT INTO h (x) VALUES (1) RETURNING x) SELECT * FROM w"))
                conn.execute(text("UPDATE i SET x = 1"))
                conn.execute(text("DELETE FROM j"))
                conn.execute(insert(Tag).from_select(["id"], select(User.id)))
                stmt = pg_insert(Role).values(id=1)
                conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"id": 1}))
                conn.execute(audit_log.insert().from_select(["id"], select(User.id)))
            """
        },
    )
    assert writes(result, "scripts/seed_upserts.py") == {
        ("a", "sql-upsert", False),
        ("b", "sql-upsert", False),
        ("c", "sql-upsert", False),
        ("d", "sql-merge", False),
        ("f", "sql-insert", False),
        ("h", "sql-insert", False),
        ("tags", "core-insert", False),
        ("roles", "core-upsert", False),
        ("audit_log", "core-table-insert", False),
    }


def test_data_files_a_seed_script_loads_and_python_literal_fixtures(tmp_path: Path) -> None:
    """prefect's ``collection_blocks_data.json``, flaskbb's ``fixtures/groups.py``: rows read from JSON, YAML
    and CSV files the script opens, or imported from a module of literals; the file alone is no source."""
    result = scan(
        tmp_path,
        {
            "data/roles.json": '[{"id": 1}]',
            "data/tags.yaml": "- id: 1\n",
            "data/users.csv": "id\n1\n",
            "app/literals.py": "USERS = [{'id': 2}]\n",
            "scripts/seed_files.py": """
            import csv
            import json
            from pathlib import Path
            import yaml
            from app.literals import USERS
            from app.models import Role, Tag, User

            HERE = Path(__file__).parent

            def main():
                with open("data/roles.json") as handle:
                    for row in json.load(handle):
                        session.add(Role(**row))
                with open(HERE / ".." / "data" / "tags.yaml") as handle:
                    session.add_all([Tag(**row) for row in yaml.safe_load(handle)])
                with open("data/users.csv") as handle:
                    conn.execute(insert(User), list(csv.DictReader(handle)))
                for row in USERS:
                    session.add(User(**row))
            """,
        },
    )
    assert tables(result, "scripts/seed_files.py") == {"roles", "tags", "users"}
    assert {s.path for s in result.sources} == {"scripts/seed_files.py"}


# ------------------------------------------------------------------------------- possible seed sources


def test_possible_seed_sources_are_findings_with_the_line_to_add(tmp_path: Path) -> None:
    """zou's ``init-data`` in ``zou/cli.py``, unconfigured: a finding naming the command, the tables and the
    configuration line; not a source (no coverage) until configured.  A command whose name says nothing of
    seeding, a seeding-named command that writes nothing and test code are no findings."""
    files = {
        CLI: """
            import click
            from app.models import User, Role

            @click.command("init-data")
            def init_data():
                session.add(User())

            @click.command()
            def rotate_keys():
                session.add(Role())

            @click.command()
            def load_nothing():
                print("nothing")
            """,
        "tools/bootstrap_demo.py": """
            from app.models import Tag
            if __name__ == "__main__":
                session.add(Tag())
            """,
        "tests/test_seed_users.py": """
            import click
            from app.models import User
            @click.command()
            def seed_test():
                session.add(User())
            """,
    }
    result = scan(tmp_path, files)
    assert {s.path for s in result.sources} == set()
    found = {f.source: f for f in result.findings if f.kind == "possible-seed-source"}
    assert set(found) == {CLI, "tools/bootstrap_demo.py"}
    assert "`init-data`" in found[CLI].message and "`users`" in found[CLI].message
    assert "roles" not in found[CLI].message
    assert 'extend_seed_globs = ["app/cli.py"]' in found[CLI].message
    configured = scan(tmp_path / "configured", files, seed_globs=(CLI,))
    assert tables(configured, CLI) == {"users", "roles"}
    assert CLI not in {f.source for f in configured.findings if f.kind == "possible-seed-source"}
