"""Discovery: seed globs, any SourceTree, run commands from Makefiles and __main__ blocks."""

from __future__ import annotations

from pathlib import Path

from dbaudit.config import Settings
from dbaudit.scan import MemoryTree, SourceTree, scan_tree
from dbaudit.scan.discovery import glob_regex
from tests.scan.support import scan, source


def test_glob_semantics() -> None:
    assert glob_regex("**/seed*.py").match("seed_users.py")
    assert glob_regex("**/seed*.py").match("a/b/seed_users.py")
    assert not glob_regex("**/seed*.py").match("a/b/reseed.py")
    assert glob_regex("**/seeds/**").match("app/seeds/x/y.json")
    assert not glob_regex("**/seeds/**").match("app/seedsx/y.json")
    assert glob_regex("db/?.sql").match("db/a.sql") and not glob_regex("db/?.sql").match("db/ab.sql")


def test_any_source_tree_works_without_the_file_system() -> None:
    tree = MemoryTree(
        {
            "app/models.py": 'class Tag(Base):\n    __tablename__ = "tags"\n',
            "app/initial_data.py": "from app.models import Tag\nsession.add(Tag())\n",
            "app/populate_more.py": "conn.execute('INSERT INTO extra VALUES (1)')\n",
            "app/other.py": "conn.execute('INSERT INTO never VALUES (1)')\n",
        }
    )
    assert isinstance(tree, SourceTree)
    result = scan_tree(tree, Settings())
    assert [(s.path, s.tables) for s in result.sources] == [
        ("app/initial_data.py", ("tags",)),
        ("app/populate_more.py", ("extra",)),
    ]
    assert result.root == "memory"
    assert result.files_scanned == 4


def test_configured_globs_replace_the_defaults() -> None:
    tree = MemoryTree({"tools/load.py": "conn.execute('INSERT INTO t VALUES (1)')\n", "seed.py": "x = 1\n"})
    result = scan_tree(tree, Settings(seed_globs=("tools/*.py",)))
    assert [s.path for s in result.sources] == ["tools/load.py"]


def test_run_commands(tmp_path: Path) -> None:
    body = "conn.execute('INSERT INTO t VALUES (1)')\n"
    result = scan(
        tmp_path,
        {
            "Makefile": "seed:\n\tpython scripts/seed_make.py --force\n\n.PHONY: seed\n",
            "scripts/seed_make.py": body,
            "scripts/seed_main.py": "def main():\n    " + body + "if __name__ == '__main__':\n    main()\n",
            "scripts/seed_library.py": "def seed():\n    " + body,
            "backend/pyproject.toml": "[project]\nname = 'x'\n",
            "backend/tools/seed_plain.py": body,
            "backend/app/__init__.py": "",
            "backend/app/scripts/__init__.py": "",
            "backend/app/scripts/init_db.py": body,
        },
        with_models=False,
    )
    commands = {s.path: s.run_command for s in result.sources}
    assert commands == {
        "scripts/seed_make.py": "make seed",
        "scripts/seed_main.py": "python scripts/seed_main.py",
        "backend/tools/seed_plain.py": "python tools/seed_plain.py",
        "backend/app/scripts/init_db.py": "python -m app.scripts.init_db",
    }
    assert source(result, "scripts/seed_library.py") is None
