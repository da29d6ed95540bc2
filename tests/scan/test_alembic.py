"""Alembic revisions: identity, graph heads, data revisions and their recognisers; downgrade never counts."""

from __future__ import annotations

from pathlib import Path

from tests.scan.support import scan, source, writes

INI = "[alembic]\nscript_location = migrations\n"
REV = "migrations/versions/a1_seed.py"


def revision(body: str, rev: str = "a1", down: str = "None", doc: str = "seed data") -> str:
    return f'''"""{doc}

Revision ID: {rev}
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

revision: str = "{rev}"
down_revision = {down}
branch_labels = None
depends_on = None

{body}
'''


def test_bulk_insert_into_sa_table_table_and_create_table(tmp_path: Path) -> None:
    body = """
roles = sa.table("roles", sa.column("id"))
meta = sa.MetaData()
flags = sa.Table("flags", meta, sa.Column("id", sa.Integer))


def upgrade() -> None:
    kinds = op.create_table("kinds", sa.Column("id", sa.Integer))
    op.bulk_insert(kinds, [{"id": 1}])
    op.bulk_insert(roles, [{"id": 1}])
    op.bulk_insert(flags, [{"id": 1}])


def downgrade() -> None:
    op.bulk_insert(sa.table("never"), [{"id": 1}])
"""
    result = scan(tmp_path, {"alembic.ini": INI, REV: revision(body)}, with_models=False)
    assert writes(result, REV) == {
        ("kinds", "alembic-bulk-insert", False),
        ("roles", "alembic-bulk-insert", False),
        ("flags", "alembic-bulk-insert", False),
    }
    found = source(result, REV)
    assert found is not None and found.revision is not None
    assert (
        found.revision.revision == "a1" and found.revision.message == "seed data" and found.revision.is_data
    )
    assert found.run_command == "alembic upgrade head"


def test_op_execute_with_string_fstring_text_and_format(tmp_path: Path) -> None:
    body = """
from sqlalchemy import text

TABLE = "settings"


def upgrade() -> None:
    op.execute("INSERT INTO roles (id) VALUES (1)")
    op.execute(f"INSERT INTO {TABLE} (k) VALUES ('a')")
    op.execute(text("INSERT INTO kinds (id) VALUES (1)"))
    op.execute("INSERT INTO {} (id) VALUES (1)".format("flags"))
    op.get_bind().execute(text("INSERT INTO audit.events (id) VALUES (1)"))
    op.execute("UPDATE roles SET name = 'x'")
"""
    result = scan(tmp_path, {"alembic.ini": INI, REV: revision(body)}, with_models=False)
    assert writes(result, REV) == {
        ("roles", "alembic-execute", False),
        ("settings", "alembic-execute", False),
        ("kinds", "alembic-execute", False),
        ("flags", "alembic-execute", False),
        ("audit.events", "alembic-execute", False),
    }


def test_orm_session_bound_to_the_migration_connection(tmp_path: Path) -> None:
    body = """
from app.models import Role


def upgrade() -> None:
    session = Session(bind=op.get_bind())
    session.add(Role(id=1))
    session.commit()
"""
    result = scan(tmp_path, {"alembic.ini": INI, REV: revision(body)})
    assert writes(result, REV) == {("roles", "orm-add", False)}


def test_update_only_revision_is_not_a_data_revision(tmp_path: Path) -> None:
    body = """
def upgrade() -> None:
    op.add_column("roles", sa.Column("scope", sa.String))
    op.execute("UPDATE roles SET scope = 'global'")
    op.execute(sa.table("roles", sa.column("scope")).update().values(scope="x"))
    op.execute("DELETE FROM roles WHERE is_mock")


def downgrade() -> None:
    op.execute("INSERT INTO roles (id) VALUES (1)")
"""
    result = scan(tmp_path, {"alembic.ini": INI, REV: revision(body)}, with_models=False)
    assert result.sources == ()
    assert result.revision_heads == ("a1",)


def test_heads_of_a_branched_graph_with_annotated_identity(tmp_path: Path) -> None:
    files = {
        "alembic.ini": INI,
        "migrations/versions/r1.py": revision("def upgrade():\n    pass\n", "r1"),
        "migrations/versions/r2.py": revision("def upgrade():\n    pass\n", "r2", '"r1"'),
        "migrations/versions/r3.py": revision(
            'def upgrade():\n    op.execute("INSERT INTO t VALUES (1)")\n', "r3", '("r1",)'
        ),
        "migrations/versions/r4.py": revision("def upgrade():\n    pass\n", "r4", '("r2", "r3")'),
        "migrations/versions/r5.py": revision("def upgrade():\n    pass\n", "r5", '"r1"'),
    }
    result = scan(tmp_path, files, with_models=False)
    assert result.revision_heads == ("r4", "r5")
    found = source(result, "migrations/versions/r3.py")
    assert found is not None and found.revision is not None
    assert found.revision.down_revision == ("r1",)


def test_several_version_locations_and_here(tmp_path: Path) -> None:
    ini = (
        "[alembic]\nscript_location = %(here)s/db\n"
        "version_locations = %(here)s/db/versions %(here)s/plugins/versions\n"
    )
    files = {
        "backend/alembic.ini": ini,
        "backend/db/versions/a.py": revision(
            'def upgrade():\n    op.execute("INSERT INTO a VALUES (1)")\n', "a"
        ),
        "backend/plugins/versions/b.py": revision(
            'def upgrade():\n    op.execute("INSERT INTO b VALUES (1)")\n', "b", '"a"'
        ),
    }
    result = scan(tmp_path, files, with_models=False)
    assert [s.path for s in result.sources] == ["backend/db/versions/a.py", "backend/plugins/versions/b.py"]
    assert result.revision_heads == ("b",)


def test_configured_alembic_location_without_an_ini(tmp_path: Path) -> None:
    files = {
        "db/migrations/versions/x.py": revision(
            'def upgrade():\n    op.execute("INSERT INTO x VALUES (1)")\n', "x"
        )
    }
    result = scan(tmp_path, files, with_models=False, alembic_locations=("db/migrations",))
    assert [s.path for s in result.sources] == ["db/migrations/versions/x.py"]
