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
