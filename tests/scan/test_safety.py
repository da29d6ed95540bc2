"""The scanner never runs scanned code, and unreadable files become diagnostics while the scan goes on."""

from __future__ import annotations

import os
from pathlib import Path

from dbaudit.config import Settings
from dbaudit.scan import FileSystemTree, scan_sources
from tests.scan.support import scan, source, writes


def _planter(marker: Path, label: str) -> str:
    return (
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text({label!r})\n"
        "from app.models import User\nsession.add(User())\n"
    )


def test_no_scanned_file_is_imported_or_executed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    marker = tmp_path / "marker"
    pth = f"import pathlib; pathlib.Path({str(marker)!r}).write_text('pth')\n"
    files = {
        "app/__init__.py": _planter(marker, "package init"),
        "app/scripts/__init__.py": _planter(marker, "scripts init"),
        "app/scripts/seed_users.py": "from app.helpers import go\ngo()\n" + _planter(marker, "seed script"),
        "app/helpers.py": _planter(marker, "helper") + "def go():\n    pass\n",
        "conftest.py": _planter(marker, "conftest"),
        "setup.py": _planter(marker, "setup.py"),
        "sitecustomize.py": _planter(marker, "sitecustomize"),
        "lib/python3.11/site-packages/evil.pth": pth,
        "evil.pth": pth,
        "alembic.ini": "[alembic]\nscript_location = alembic\n",
        "alembic/env.py": _planter(marker, "env.py"),
        "alembic/versions/a_seed.py": (
            f'"""seed"""\nrevision = "a"\ndown_revision = None\n{_planter(marker, "revision")}'
            "def upgrade():\n    op.execute('INSERT INTO roles VALUES (1)')\n"
        ),
    }
    result = scan(project, files)
    assert not marker.exists(), f"scanned code ran: {marker.read_text()}"
    assert writes(result, "app/scripts/seed_users.py") == {("users", "orm-add", False)}
    assert source(result, "alembic/versions/a_seed.py") is not None


def test_broken_files_become_diagnostics_and_the_scan_goes_on(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "scripts/seed_syntax.py": "from app.models import User\n\ndef broken(:\n    pass\n",
        "scripts/seed_binary.py": b"print('x')\n\x00\x01\x02",
        "scripts/seed_latin1.py": "x = 1\n# caf\xe9\n".encode("latin-1"),
        "scripts/seed_declared.py": "# -*- coding: latin-1 -*-\n# caf\xe9\n".encode("latin-1"),
        "seeds/data.json": b"\xff\xfe{}",
        "scripts/seed_good.py": "from app.models import Tag\nsession.add(Tag())\n",
    }
    result = scan(tmp_path, files)
    where = {str(d.location): d.message for d in result.diagnostics}
    assert "syntax error" in where["scripts/seed_syntax.py:3"]
    assert "NUL" in where["scripts/seed_binary.py:2"]
    assert "decode" in where["scripts/seed_latin1.py:2"]
    assert "decode" in where["seeds/data.json:1"]
    assert not any(k.startswith("scripts/seed_declared.py") for k in where)
    assert writes(result, "scripts/seed_good.py") == {("tags", "orm-add", False)}


def test_huge_files_are_not_read(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "scripts" / "seed_huge.py").write_text("x = 1\n" * 20_000)
    (project / "scripts" / "seed_small.py").write_text("conn.execute('INSERT INTO t VALUES (1)')\n")
    tree = FileSystemTree(project, max_bytes=50_000)
    from dbaudit.scan import scan_tree

    result = scan_tree(tree, Settings(project_root=project))
    assert [str(d.location) for d in result.diagnostics] == ["scripts/seed_huge.py"]
    assert "too large" in result.diagnostics[0].message
    assert [s.path for s in result.sources] == ["scripts/seed_small.py"]


def test_skipped_folders_and_symlink_loops(tmp_path: Path) -> None:
    project = tmp_path / "project"
    files = {
        ".venv/lib/seed_vendor.py": "conn.execute('INSERT INTO vendor VALUES (1)')\n",
        "node_modules/pkg/seeds/x.sql": "INSERT INTO vendor VALUES (1);\n",
        "scripts/seed_ok.py": "conn.execute('INSERT INTO ok VALUES (1)')\n",
    }
    scan(project, files, with_models=False)
    os.symlink(project, project / "scripts" / "loop")
    outside = tmp_path / "outside.sql"
    outside.write_text("INSERT INTO outside VALUES (1);\n")
    os.symlink(outside, project / "scripts" / "seed_outside.sql")
    os.symlink(project / "scripts" / "seed_ok.py", project / "scripts" / "seed_alias.py")
    result = scan_sources(project, Settings(project_root=project))
    assert [s.path for s in result.sources] == ["scripts/seed_alias.py", "scripts/seed_ok.py"]


def test_the_new_source_kinds_are_never_imported_or_executed(tmp_path: Path) -> None:
    """Commands, a module called by hand, a helper module reached from a command elsewhere, named-query
    files, data files a script opens, revision-local models, property and annotation following, and
    ``scan --explain``: all read, none run."""
    from dbaudit.scan.explain import explain_table

    project = tmp_path / "project"
    marker = tmp_path / "marker"
    # an assignment, not a statement of its own: the module still has no entry point but would run this
    boom = f"import pathlib\n_ = pathlib.Path({str(marker)!r}).write_text('ran')\n"
    loader = "queries = aiosql.from_path(pathlib.Path(__file__).parent / 'sql', 'x')\n"
    files = {
        "app/cli.py": boom
        + "import click\nfrom app.models import User\n@click.command()\ndef init():\n"
        + f"    open({str(marker)!r}, 'w')\n    session.add(User())\n",
        "app/fake.py": boom + "from app.models import Role\ndef roles():\n    session.add(Role())\n",
        "app/utils/populate.py": boom + "from app.models import Tag\ndef tags():\n    session.add(Tag())\n",
        "app/commands.py": boom
        + "import click\nfrom app.utils import populate\n@click.command()\ndef install():\n"
        + "    populate.tags()\n",
        "app/db/queries.py": boom + "import pathlib\nimport aiosql\n" + loader,
        "app/db/sql/seed_q.sql": "-- name: add-role!\nINSERT INTO roles (name) VALUES (:name);\n",
        "scripts/seed_named.py": boom
        + "from app.db.queries import queries\nqueries.add_role(conn, name='x')\n",
        "data/rows.json": '[{"id": 1}]',
        "data/rows.pkl": b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.",
        "scripts/seed_files.py": boom
        + "import json, pickle\nfrom app.models import User\n"
        + "rows = json.load(open('data/rows.json'))\npickle.load(open('data/rows.pkl', 'rb'))\n"
        + "for row in rows:\n    session.add(User(**row))\n",
        "migrations/env.py": boom,
        "migrations/versions/r1.py": boom
        + "from alembic import op\nfrom sqlalchemy import orm, Column, Integer\n"
        + "from sqlalchemy.orm import declarative_base\nrevision = 'r1'\ndown_revision = None\n"
        + "Base = declarative_base()\nclass Legacy(Base):\n    __tablename__ = 'legacy'\n"
        + "    id = Column(Integer, primary_key=True)\n"
        + "def upgrade():\n    orm.Session(bind=op.get_bind()).add(Legacy())\n",
    }
    result = scan(project, files, seed_globs=("app/cli.py", "app/fake.py", "**/populate*.py", "**/seed*.py"))
    explanation = explain_table(project, Settings(project_root=project), "tags")
    assert not marker.exists(), f"scanned code ran: {marker.read_text()}"
    found = {s.path: {w.table for w in s.writes} for s in result.sources}
    assert found == {
        "app/cli.py": {"users"},
        "app/fake.py": {"roles"},
        "app/commands.py": {"tags"},
        "scripts/seed_named.py": {"roles"},
        "scripts/seed_files.py": {"users"},
        "migrations/versions/r1.py": {"legacy"},
    }
    assert explanation.paths
