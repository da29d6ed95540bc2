"""``dbaudit scan --explain TABLE``: the path to each write, hop by hop, or why nothing counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dbaudit.config import Settings
from dbaudit.model import MissReason
from dbaudit.render.explain import render_explanation
from dbaudit.scan.explain import explain_table
from tests.scan.support import write_project
from tests.scan.test_real_patterns import CLI, LAYERED, SIX_HOPS


def test_a_six_hop_chain_is_shown_hop_by_hop(tmp_path: Path) -> None:
    root = write_project(tmp_path, {**LAYERED, CLI: SIX_HOPS})
    explanation = explain_table(root, Settings(project_root=root, seed_globs=(CLI,)), "user_account")
    assert len(explanation.paths) == 1
    path = explanation.paths[0]
    assert (path.source, path.table, path.recogniser, path.conditional) == (
        CLI,
        "user_account",
        "orm-add",
        False,
    )
    assert [(str(hop.location), hop.what) for hop in path.hops] == [
        ("app/cli.py:6", "init() (command)"),
        ("app/cli.py:7", "run()"),
        ("app/bootstrap.py:5", "AccountService.register()"),
        ("app/services/accounts.py:8", "Repository.add()"),
        ("app/repositories/base.py:6", "CRUDMixin.build()"),
        ("app/db/mixins.py:5", "CRUDMixin.save()"),
        ("app/db/mixins.py:8", "CRUDMixin._persist()"),
        ("app/db/mixins.py:12", "writes rows (orm-add)"),
    ]
    assert not explanation.near_misses
    rendered = render_explanation(explanation)
    assert "1 path from an entry point to a write into `user_account`" in rendered
    assert "   8. `app/db/mixins.py:12` writes rows (orm-add)" in rendered


NOTHING_WRITES = {
    "app/__init__.py": "",
    "app/models.py": """
        from sqlalchemy import Column, Integer, MetaData, Table, update
        from sqlalchemy.orm import DeclarativeBase

        class Base(DeclarativeBase):
            pass

        class Archive(Base):
            __tablename__ = "archive"
            id = Column(Integer, primary_key=True)
        """,
    "app/views.py": """
        from app.models import Archive

        def archive_view(session):
            session.add(Archive())
        """,
    "app/tasks.py": """
        import click
        from app.models import Archive

        @click.command()
        def nightly():
            session.add(Archive(id=2))
        """,
    "scripts/seed_archive.py": """
        from sqlalchemy import text, update
        from app.models import Archive

        def forgotten():
            session.add(Archive(id=1))

        def main():
            conn.execute(update(Archive).values(id=3))
            conn.execute(text("DELETE FROM archive WHERE id = 4"))
            name = input()
            conn.execute(text(f"INSERT INTO {name} (id) VALUES (5)"))
        """,
    "migrations/env.py": "",
    "migrations/versions/c3_archive.py": """
        from alembic import op
        import sqlalchemy as sa
        revision = "c3"
        down_revision = None

        def upgrade():
            pass

        def downgrade():
            op.bulk_insert(sa.table("archive", sa.column("id")), [{"id": 1}])
        """,
}


def test_a_table_nothing_writes_lists_the_nearest_writes_and_why(tmp_path: Path) -> None:
    root = write_project(tmp_path, NOTHING_WRITES)
    explanation = explain_table(root, Settings(project_root=root), "archive")
    assert explanation.paths == ()
    seen = {(miss.reason, str(miss.location)) for miss in explanation.near_misses}
    assert seen == {
        (MissReason.DEAD_CODE, "scripts/seed_archive.py:5"),
        (MissReason.UPDATE_ONLY, "scripts/seed_archive.py:8"),
        (MissReason.UPDATE_ONLY, "scripts/seed_archive.py:9"),
        (MissReason.UNRESOLVED_NAME, "scripts/seed_archive.py:11"),
        (MissReason.OUTSIDE_SOURCES, "app/tasks.py:6"),
        (MissReason.OUTSIDE_SOURCES, "app/views.py:4"),
        (MissReason.DOWNGRADE_ONLY, "migrations/versions/c3_archive.py:10"),
    }
    rendered = render_explanation(explanation)
    assert "No seed source writes `archive`." in rendered
    assert "dead code: `scripts/seed_archive.py:5`" in rendered


def test_explain_on_the_command_line(tmp_path: Path) -> None:
    root = write_project(tmp_path, {**NOTHING_WRITES, "pyproject.toml": ""})
    run = [sys.executable, "-m", "dbaudit", "scan", str(root)]
    as_json = subprocess.run(
        [*run, "--explain", "archive", "--format", "json"], capture_output=True, text=True
    )
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["table"] == "archive" and data["paths"] == [] and data["near_misses"]
    empty = subprocess.run([*run, "--explain", " "], capture_output=True, text=True, check=False)
    assert empty.returncode == 2
    assert empty.stderr.count("\n") == 1 and "--explain needs a table name" in empty.stderr
