"""On the nine real projects of the shared corpus, discovery reads exactly the Alembic revision files each
project has, tree by tree.

The expected folders and counts were written by reading the trees by hand (``ls``, the ini files, the code
that sets ``script_location``), not from the tool's output; the file sets are listed by this test itself.
Skipped where the corpus is absent (a user's machine).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dbaudit.config import Settings
from dbaudit.scan import FileSystemTree, scan_sources
from dbaudit.scan.discovery import discover
from tests.conftest import CORPUS

CODE = CORPUS / "code"

#: project -> {version folder: number of revision files in it}, counted by hand
LAYOUTS: dict[str, dict[str, int]] = {
    # alembic.ini with a package-form script_location (prefect:server:database:_migrations); env.py picks
    # one folder per dialect at run time: two histories sharing file names and revision ids
    "PrefectHQ__prefect": {
        "src/prefect/server/database/_migrations/versions/postgresql": 116,
        "src/prefect/server/database/_migrations/versions/sqlite": 112,
    },
    # Flask-Migrate layout (ini without script_location); zou/cli.py adds versions/legacy for old instances
    "cgwire__zou": {"zou/migrations/versions": 28, "zou/migrations/versions/legacy": 189},
    # core plus one Alembic environment per extension, each with script_location = %(here)s
    "ckan__ckan": {
        "ckan/migration/versions": 109,  # 110 .py files, one of them __init__.py
        "ckanext/activity/migration/activity/versions": 2,
        "ckanext/example_database_migrations/migration/example_database_migrations/versions": 2,
        "ckanext/tracking/migration/tracking/versions": 1,
    },
    # Flask-Alembic: no ini, revisions straight in the folder ALEMBIC["script_location"] names
    "flaskbb__flaskbb": {"flaskbb/migrations": 13},  # 14 .py files, one of them __init__.py
    "getredash__redash": {"migrations/versions": 27},
    "indico__indico": {"indico/migrations/versions": 176},
    "miguelgrinberg__flasky": {"migrations/versions": 10},
    "nsidnev__fastapi-realworld-example-app": {"app/db/migrations/versions": 1},
    "openstack__octavia": {"octavia/db/migration/alembic_migrations/versions": 95},
}


def _project(name: str) -> Path:
    root = CODE / name
    if not root.is_dir():
        pytest.skip(f"corpus project not present ({name}): the shared corpus is absent")
    return root


def _listed(root: Path, folder: str) -> set[str]:
    """Revision files of ``folder`` as Alembic lists them: ``.py`` files directly in it, no ``__init__``."""
    return {
        path.relative_to(root).as_posix()
        for path in (root / folder).glob("*.py")
        if not path.name.startswith("__init__")
    }


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_discovery_reads_exactly_the_revision_files_of_each_tree(name: str) -> None:
    root = _project(name)
    settings = Settings(project_root=root)
    found = discover(FileSystemTree(root, settings.skip_dirs), settings)
    trees = {tree.key: set(tree.files) for tree in found.trees}
    assert {key: len(files) for key, files in trees.items()} == LAYOUTS[name]
    assert trees == {folder: _listed(root, folder) for folder in LAYOUTS[name]}
    assert found.diagnostics == []


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_the_scan_reads_its_revisions_from_those_trees(name: str) -> None:
    root = _project(name)
    result = scan_sources(root, Settings(project_root=root))
    expected = {path for folder in LAYOUTS[name] for path in _listed(root, folder)}
    revisions = [s for s in result.sources if s.revision is not None]
    assert {s.path for s in revisions} <= expected
    assert {s.revision.tree for s in revisions if s.revision} <= set(LAYOUTS[name])
    assert not [d for d in result.diagnostics if "Alembic" in d.message or "revision id" in d.message]
    assert result.revision_heads  # every project's history was read, so it has heads
