"""Real Alembic layouts: package-form and named configurations, every separator, ``[tool.alembic]``,
Flask-Migrate and Flask-Alembic, one history per dialect or a legacy one, and what cannot be read."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from dbaudit.config import Settings
from dbaudit.coverage import compute_coverage
from dbaudit.gaps import analyse_gaps
from dbaudit.gaps.convention import command_for
from dbaudit.model import ScanResult
from dbaudit.reflect import reflect_database
from dbaudit.scan import MemoryTree
from dbaudit.scan.discovery import discover
from tests.conftest import TestDatabase as Database
from tests.gaps_support import snapshot, state, table
from tests.scan.support import scan, source, write_project


def revision(rev: str, down: str | None = None, table_name: str | None = None) -> str:
    body = f'    op.execute("INSERT INTO {table_name} (id) VALUES (1)")\n' if table_name else "    pass\n"
    return (
        f'"""{rev}"""\nfrom alembic import op\n\nrevision = "{rev}"\n'
        f"down_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade():\n{body}"
    )


def read_paths(files: dict[str, str], **settings: object) -> set[str]:
    """The revision files discovery hands to the scan, for a tree held in memory."""
    found = discover(MemoryTree(dict(files)), Settings(**settings))  # type: ignore[arg-type]
    return {path for tree in found.trees for path in tree.files}


def diagnostics(result: ScanResult) -> dict[str, str]:
    return {str(d.location): d.message for d in result.diagnostics}


# ---------------------------------------------------------------------------------- package form, sections


def test_package_form_script_location_is_found_in_the_tree_never_imported(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    plant = f"import pathlib\npathlib.Path({str(marker)!r}).write_text(__name__)\n"
    files = {
        "deploy/alembic.ini": "[alembic]\nscript_location = myapp.db:migrations\n",
        "src/myapp/__init__.py": plant,
        "src/myapp/db/__init__.py": plant,
        "src/myapp/db/migrations/env.py": plant,
        "src/myapp/db/migrations/versions/a1.py": revision("a1", table_name="roles"),
        # prefect writes every level as a colon: package "server" below "prefect"
        "server/alembic.ini": "[alembic]\nscript_location = svc:server:database:_migrations\n",
        "svc/__init__.py": plant,
        "svc/server/database/_migrations/versions/b1.py": revision("b1", table_name="kinds"),
    }
    result = scan(tmp_path / "project", files, with_models=False)
    assert not marker.exists(), f"scanned code ran: {marker.read_text()}"
    found = source(result, "src/myapp/db/migrations/versions/a1.py")
    assert found is not None and found.revision is not None
    assert found.revision.tree == "src/myapp/db/migrations/versions"
    assert source(result, "svc/server/database/_migrations/versions/b1.py") is not None
    assert result.diagnostics == ()


def test_the_copy_of_a_package_nearest_the_ini_is_taken() -> None:
    files = {
        "alembic.ini": "[alembic]\nscript_location = app:migrations\n",
        "app/__init__.py": "",
        "app/migrations/versions/a1.py": revision("a1"),
        "vendor/old/app/__init__.py": "",
        "vendor/old/app/migrations/versions/z9.py": revision("z9"),
    }
    assert read_paths(files) == {"app/migrations/versions/a1.py"}


def test_every_named_section_is_a_history_of_its_own(tmp_path: Path) -> None:
    ini = (
        "[alembic]\nscript_location = core\n\n"
        "[tenants]\nscript_location = tenants\nsqlalchemy.url = postgresql://h/tenants\n\n"
        "[loggers]\nkeys = root\n"
    )
    files = {
        "alembic.ini": ini,
        # the same file name and revision id in both histories: told apart by path and tree
        "core/versions/a1_seed.py": revision("a1", table_name="roles"),
        "core/versions/b2_more.py": revision("b2", "a1", "kinds"),
        "tenants/versions/a1_seed.py": revision("a1", table_name="plans"),
    }
    result = scan(tmp_path, files, with_models=False)
    core = source(result, "core/versions/a1_seed.py")
    tenants = source(result, "tenants/versions/a1_seed.py")
    assert core is not None and core.revision is not None and core.tables == ("roles",)
    assert tenants is not None and tenants.revision is not None and tenants.tables == ("plans",)
    assert (core.revision.tree, tenants.revision.tree) == ("core/versions", "tenants/versions")
    assert result.revision_heads == ("a1", "b2")
    assert core.run_command == "alembic upgrade head"
    assert tenants.run_command == "alembic -n tenants upgrade head"
    assert command_for(tenants) == "alembic -n tenants upgrade a1"
    assert command_for(core) == "alembic upgrade a1"


# ------------------------------------------------------------------------------------- version_locations


LOCATIONS = ("%(here)s/db/versions", "%(here)s/plugins/one", "%(here)s/plugins/two")


@pytest.mark.parametrize(
    ("separator_line", "joined"),
    [
        ("", ", ".join(LOCATIONS)),  # none: Alembic's older splitting on commas and spaces
        ("", " ".join(LOCATIONS)),
        ("path_separator = space\n", " ".join(LOCATIONS)),
        ("path_separator = newline\n", "\n    " + "\n    ".join(LOCATIONS)),
        ("path_separator = os\n", os.pathsep.join(LOCATIONS)),
        ("path_separator = :\n", ":".join(LOCATIONS)),
        ("path_separator = ;\n", ";".join(LOCATIONS)),
        ("version_path_separator = ;\n", ";".join(LOCATIONS)),  # the older name of the option
    ],
)
def test_version_locations_with_every_separator(separator_line: str, joined: str) -> None:
    files = {
        "backend/alembic.ini": (
            f"[alembic]\nscript_location = %(here)s/db\n{separator_line}version_locations = {joined}\n"
        ),
        "backend/db/versions/a.py": revision("a"),
        "backend/plugins/one/b.py": revision("b", "a"),
        "backend/plugins/two/c.py": revision("c", "b"),
        "backend/db/unrelated/d.py": revision("d"),
    }
    found = discover(MemoryTree(dict(files)), Settings())
    assert [(t.key, t.files) for t in found.trees] == [
        (
            "backend/db/versions",
            ("backend/db/versions/a.py", "backend/plugins/one/b.py", "backend/plugins/two/c.py"),
        )
    ]
    assert found.diagnostics == []


@pytest.mark.parametrize("option", ["path_separator", "version_path_separator"])
def test_a_separator_alembic_rejects_is_a_diagnostic_on_its_line(tmp_path: Path, option: str) -> None:
    files = {
        "alembic.ini": f"[alembic]\nscript_location = db\n{option} = comma\nversion_locations = db/v\n",
        "db/v/a.py": revision("a", table_name="roles"),
    }
    result = scan(tmp_path, files, with_models=False)
    assert result.sources == ()
    where = diagnostics(result)
    assert f"'comma' is not a valid value for {option};" in where["alembic.ini:3"]


def test_recursive_version_locations_reads_sub_folders_as_one_history() -> None:
    files = {
        "alembic.ini": "[alembic]\nscript_location = db\nrecursive_version_locations = true\n",
        "db/versions/a.py": revision("a"),
        "db/versions/2024/b.py": revision("b", "a"),
        "db/versions/2024/__init__.py": "",
        "db/versions/__pycache__/junk.py": "",
    }
    found = discover(MemoryTree(dict(files)), Settings())
    assert [(t.key, t.files) for t in found.trees] == [
        ("db/versions", ("db/versions/a.py", "db/versions/2024/b.py"))
    ]


# ------------------------------------------------------------------------------------------ [tool.alembic]


def test_tool_alembic_in_pyproject_with_no_ini(tmp_path: Path) -> None:
    pyproject = (
        '[project]\nname = "app"\n\n[tool.alembic]\nscript_location = "%(here)s/db"\n'
        'version_locations = ["%(here)s/db/versions", "%(here)s/extra/versions"]\n'
    )
    files = {
        "service/pyproject.toml": pyproject,
        "service/db/versions/a1.py": revision("a1"),
        "service/extra/versions/b2_data.py": revision("b2", "a1", "roles"),
    }
    result = scan(tmp_path, files, with_models=False)
    found = source(result, "service/extra/versions/b2_data.py")
    assert found is not None and found.revision is not None
    assert found.revision.tree == "service/db/versions"
    assert result.revision_heads == ("b2",)


def test_tool_alembic_beside_an_ini_that_only_configures_logging(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.alembic]\nscript_location = "migrations"\n',
        "alembic.ini": "[alembic]\nsqlalchemy.url = sqlite:///app.db\n\n[loggers]\nkeys = root\n",
        "migrations/versions/a1.py": revision("a1", table_name="roles"),
    }
    result = scan(tmp_path, files, with_models=False)
    assert [s.path for s in result.sources] == ["migrations/versions/a1.py"]
    assert result.diagnostics == ()


def test_a_wrongly_typed_tool_alembic_option_is_a_diagnostic_on_its_line(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": (
            '[tool.alembic]\nscript_location = "migrations"\nrecursive_version_locations = "yes"\n'
        ),
        "migrations/versions/a1.py": revision("a1", table_name="roles"),
    }
    result = scan(tmp_path, files, with_models=False)
    assert result.sources == ()
    assert "boolean value expected" in diagnostics(result)["pyproject.toml:3"]


# -------------------------------------------------------------------------------------- Flask extensions


def test_flask_migrate_layout_ini_without_script_location(tmp_path: Path) -> None:
    files = {
        "migrations/alembic.ini": "# A generic configuration.\n\n[alembic]\n\n[loggers]\nkeys = root\n",
        "migrations/env.py": "from flask import current_app\n",
        "migrations/versions/a1_roles.py": revision("a1", table_name="roles"),
    }
    result = scan(tmp_path, files, with_models=False)
    assert [s.path for s in result.sources] == ["migrations/versions/a1_roles.py"]
    assert result.diagnostics == ()


def test_flask_alembic_default_folder_holds_revisions_directly() -> None:
    files = {
        "app/__init__.py": "from flask_alembic import Alembic\nalembic = Alembic()\n",
        "app/migrations/__init__.py": "",
        "app/migrations/script.py.mako": "",
        "app/migrations/1_init.py": revision("r1"),
        "app/migrations/2_roles.py": revision("r2", "r1", "roles"),
        "tests/migrations/test_upgrade.py": "def test_it():\n    pass\n",  # not revisions: not a history
    }
    assert read_paths(files) == {"app/migrations/1_init.py", "app/migrations/2_roles.py"}


def test_flask_alembic_folder_set_in_the_app_config(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    files = {
        "forum/extensions.py": "from flask_alembic import Alembic\nalembic = Alembic()\n",
        "forum/configs/default.py": (
            f"import pathlib\npathlib.Path({str(marker)!r}).write_text('config ran')\n"
            "import os\nbasedir = os.path.dirname(os.path.dirname(__file__))\n\n\n"
            "class DefaultConfig:\n"
            "    ALEMBIC = {\n"
            '        "script_location": os.path.join(basedir, "forum/schema_changes"),\n'
            '        "version_locations": "",\n'
            "    }\n"
        ),
        "forum/schema_changes/__init__.py": "",
        "forum/schema_changes/2015_init.py": revision("r1", table_name="groups"),
        "forum/migrations/old.py": revision("zz"),  # the default folder, not the configured one
    }
    result = scan(tmp_path / "project", files, with_models=False)
    assert not marker.exists(), "the app config was run, not read"
    found = source(result, "forum/schema_changes/2015_init.py")
    assert found is not None and found.run_command == "flask db upgrade head"
    assert command_for(found) == "flask db upgrade r1"
    assert source(result, "forum/migrations/old.py") is None
    assert result.revision_heads == ("r1",)


def test_a_flask_alembic_folder_that_is_not_there_is_a_diagnostic(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "from flask_alembic import Alembic\n",
        "app/config.py": 'ALEMBIC = {"script_location": "app/db_revisions"}\n',
    }
    result = scan(tmp_path, files, with_models=False)
    assert "'app/db_revisions' is not a folder of the scanned tree" in diagnostics(result)["app/config.py:1"]


# ------------------------------------------------------------------------------------ several histories


def test_one_history_per_dialect_with_shared_names_and_ids(tmp_path: Path) -> None:
    base = "server/_migrations"
    files = {
        "server/alembic.ini": "[alembic]\nscript_location = %(here)s/_migrations\npath_separator = os\n",
        f"{base}/env.py": "",
        f"{base}/versions/postgresql/2022_01_a1_init.py": revision("a1", table_name="kinds"),
        f"{base}/versions/postgresql/2022_02_b2_data.py": revision("b2", "a1", "flags"),
        f"{base}/versions/sqlite/2022_01_a1_init.py": revision("a1", table_name="kinds"),
        f"{base}/versions/sqlite/2022_02_c3_data.py": revision("c3", "a1", "flags"),
    }
    result = scan(tmp_path, files, with_models=False)
    assert [s.path for s in result.sources] == [
        f"{base}/versions/postgresql/2022_01_a1_init.py",
        f"{base}/versions/postgresql/2022_02_b2_data.py",
        f"{base}/versions/sqlite/2022_01_a1_init.py",
        f"{base}/versions/sqlite/2022_02_c3_data.py",
    ]
    trees = {s.path.split("/")[3]: s.revision.tree for s in result.sources if s.revision}
    assert trees == {"postgresql": f"{base}/versions/postgresql", "sqlite": f"{base}/versions/sqlite"}
    assert result.revision_heads == ("b2", "c3")

    # the execution order follows each history on its own: b2 after its own a1, never the other dialect's
    database = snapshot(state(table("kinds"), 1), state(table("flags"), 1))
    order = analyse_gaps(database, result, None, Settings(project_root=tmp_path)).execution_order
    after = {step.seeder: step.after for step in order}
    assert after[f"{base}/versions/postgresql/2022_02_b2_data.py"] == (
        f"{base}/versions/postgresql/2022_01_a1_init.py",
    )
    assert after[f"{base}/versions/sqlite/2022_02_c3_data.py"] == (
        f"{base}/versions/sqlite/2022_01_a1_init.py",
    )


def test_coverage_names_same_named_revisions_by_path(sqlite_database: Database, tmp_path: Path) -> None:
    sqlite_database.execute("CREATE TABLE kinds (id INTEGER PRIMARY KEY)")
    files = {
        "alembic.ini": "[alembic]\nscript_location = db\n",
        "db/env.py": "",
        "db/versions/postgresql/a1_kinds.py": revision("a1", table_name="kinds"),
        "db/versions/sqlite/a1_kinds.py": revision("a1", table_name="kinds"),
    }
    result = scan(tmp_path / "project", files, with_models=False)
    settings = Settings(url=sqlite_database.url, project_root=tmp_path / "project")
    _coverage, findings = compute_coverage(reflect_database(settings), result, settings)
    [empty] = [f for f in findings if f.kind == "seeded-but-empty"]
    assert "`db/versions/postgresql/a1_kinds.py`, `db/versions/sqlite/a1_kinds.py`" in empty.message


def test_a_legacy_history_beside_the_current_one() -> None:
    files = {
        "migrations/alembic.ini": "[alembic]\n",
        "migrations/env.py": "",
        "migrations/versions/0001_squash.py": revision("s1"),
        "migrations/versions/legacy/a.py": revision("a"),
        "migrations/versions/legacy/b.py": revision("b", "a"),
        "migrations/versions/helpers/sql.py": "QUERY = 'SELECT 1'\n",  # no revisions: not a history
    }
    found = discover(MemoryTree(dict(files)), Settings())
    assert [(t.key, t.files) for t in found.trees] == [
        ("migrations/versions", ("migrations/versions/0001_squash.py",)),
        (
            "migrations/versions/legacy",
            ("migrations/versions/legacy/a.py", "migrations/versions/legacy/b.py"),
        ),
    ]


# ------------------------------------------------------------------------------ what cannot be read is said


def test_locations_that_do_not_exist_are_diagnostics_with_file_and_line(tmp_path: Path) -> None:
    files = {
        "a/alembic.ini": "[alembic]\nscript_location = %(here)s/nowhere\n",
        "b/alembic.ini": "[alembic]\n# comment\nscript_location = db\nversion_locations = db/v1 db/missing\n",
        "b/db/v1/x.py": revision("x", table_name="roles"),
        "c/alembic.ini": "[alembic]\nscript_location = /srv/app/migrations\n",
        "d/alembic.ini": "[alembic]\nscript_location = nopkg:migrations\n",
        "e/alembic.ini": "[alembic]\nscript_location = ../../outside\n",
        "f/alembic.ini": "[alembic]\nscript_location migrations\n",
        "g/alembic.ini": "[alembic]\nsqlalchemy.url = sqlite://\n",
    }
    result = scan(tmp_path, files, with_models=False)
    where = diagnostics(result)
    # %(here)s is the ini's folder: the message names the folder in the tree
    assert "'a/nowhere' is not a folder of the scanned tree" in where["a/alembic.ini:2"]
    assert "'db/missing' is not a folder of the scanned tree" in where["b/alembic.ini:4"]
    assert "lies outside the scanned tree" in where["c/alembic.ini:2"]
    assert "no package 'nopkg'" in where["d/alembic.ini:2"]
    assert "lies outside the scanned tree" in where["e/alembic.ini:2"]
    assert "cannot read Alembic configuration" in where["f/alembic.ini:2"]
    assert "no script_location in [alembic]" in where["g/alembic.ini:1"]
    assert [s.path for s in result.sources] == ["b/db/v1/x.py"]  # the readable location still is


def test_an_unknown_configured_section_or_location_is_a_diagnostic(tmp_path: Path) -> None:
    files = {
        "alembic.ini": "[alembic]\nscript_location = db\n\n[tenants]\nscript_location = tenants\n",
        "db/versions/a.py": revision("a", table_name="roles"),
        "tenants/versions/t.py": revision("t", table_name="plans"),
    }
    result = scan(
        tmp_path,
        files,
        with_models=False,
        alembic_locations=("alembic.ini[tenants]", "alembic.ini[archive]", "old/migrations"),
    )
    messages = [d.message for d in result.diagnostics]
    assert any("no section [archive]" in m for m in messages)
    assert any("'old/migrations', which is not a folder" in m for m in messages)
    assert {s.path for s in result.sources} == {"db/versions/a.py", "tenants/versions/t.py"}


def test_a_file_without_revision_id_in_a_version_folder_is_a_diagnostic(tmp_path: Path) -> None:
    files = {
        "alembic.ini": "[alembic]\nscript_location = db\n",
        "db/versions/a.py": revision("a", table_name="roles"),
        "db/versions/helpers.py": "def make():\n    pass\n",
    }
    result = scan(tmp_path, files, with_models=False)
    assert "no literal revision id" in diagnostics(result)["db/versions/helpers.py"]
    assert [s.path for s in result.sources] == ["db/versions/a.py"]


# ------------------------------------------------------------------- options as Alembic's Config reads them

#: One revision in each of these folders; each case below says which of them its configuration reads.
CONFIG_TREE = {
    f"{folder}/{name}.py": revision(name)
    for folder, name in [
        ("db/versions", "d1"),
        ("a", "a1"),
        ("b", "b1"),
        ("c", "c1"),
        ("x/db/versions", "x1"),
        ("t/versions", "t1"),
        ("v1", "v1"),
        ("v2", "v2"),
        ("r/versions", "r1"),
        ("r/versions/2024", "r2"),
        ("pkg/sub/migrations/versions", "p1"),
        ("other/versions", "o1"),
    ]
}
TOML_LOCATIONS = '[tool.alembic]\nscript_location = "%(here)s/t"\nversion_locations = ["%(here)s/v1", "v2"]\n'
TOML_SCRIPT = '[tool.alembic]\nscript_location = "t"\n'
TOML_RECURSIVE = "[tool.alembic]\nrecursive_version_locations = true\n"
UP = "alembic upgrade head"
AB = [("a", ("a/a1.py", "b/b1.py"), UP)]

CONFIG_CASES = {
    "here is the ini's folder": (
        "[alembic]\nscript_location = %(here)s/db\n",
        None,
        [("db/versions", ("db/versions/d1.py",), UP)],
    ),
    "no separator: commas and runs of spaces": (
        "[alembic]\nscript_location = db\nversion_locations = %(here)s/a, %(here)s/b  c\n",
        None,
        [("a", ("a/a1.py", "b/b1.py", "c/c1.py"), UP)],
    ),
    "newline": (
        "[alembic]\nscript_location = db\npath_separator = newline\nversion_locations =\n  a\n  %(here)s/b\n",
        None,
        AB,
    ),
    "os": (
        "[alembic]\nscript_location = db\npath_separator = os\nversion_locations = a" + os.pathsep + "b\n",
        None,
        AB,
    ),
    "space": ("[alembic]\nscript_location = db\npath_separator = space\nversion_locations = a b\n", None, AB),
    "colon": ("[alembic]\nscript_location = db\npath_separator = :\nversion_locations = a:b\n", None, AB),
    "older separator name": (
        "[alembic]\nscript_location = db\nversion_path_separator = ;\nversion_locations = a;b\n",
        None,
        AB,
    ),
    "recursive": (
        "[alembic]\nscript_location = r\nrecursive_version_locations = true\n",
        None,
        [("r/versions", ("r/versions/r1.py", "r/versions/2024/r2.py"), UP)],
    ),
    "True is not true to Alembic": (
        "[alembic]\nscript_location = r\nrecursive_version_locations = True\n",
        None,
        [
            ("r/versions", ("r/versions/r1.py",), UP),
            ("r/versions/2024", ("r/versions/2024/r2.py",), UP),
        ],
    ),
    "DEFAULT interpolation": (
        "[DEFAULT]\nbase = %(here)s/x\n[alembic]\nscript_location = %(base)s/db\n",
        None,
        [("x/db/versions", ("x/db/versions/x1.py",), UP)],
    ),
    "package form and a named section": (
        "[alembic]\nscript_location = pkg.sub:migrations\n\n[other]\nscript_location = other\n",
        None,
        [
            ("pkg/sub/migrations/versions", ("pkg/sub/migrations/versions/p1.py",), UP),
            ("other/versions", ("other/versions/o1.py",), "alembic -n other upgrade head"),
        ],
    ),
    "[tool.alembic] when the ini has no script_location": (
        "[alembic]\nsqlalchemy.url = sqlite://\n",
        TOML_LOCATIONS,
        [("v1", ("v1/v1.py", "v2/v2.py"), UP)],
    ),
    "the ini's script_location wins": (
        "[alembic]\nscript_location = db\n",
        TOML_SCRIPT,
        [("db/versions", ("db/versions/d1.py",), UP)],
    ),
    "[tool.alembic] version_locations when the ini has none": (
        "[alembic]\nscript_location = db\n",
        TOML_LOCATIONS,
        [("v1", ("v1/v1.py", "v2/v2.py"), UP)],
    ),
    "the ini's version_locations win": (
        "[alembic]\nscript_location = db\npath_separator = space\nversion_locations = a b\n",
        TOML_LOCATIONS,
        AB,
    ),
    "[tool.alembic] recursive when the ini is silent": (
        "[alembic]\nscript_location = r\n",
        TOML_RECURSIVE,
        [("r/versions", ("r/versions/r1.py", "r/versions/2024/r2.py"), UP)],
    ),
    "the ini's recursive wins": (
        "[alembic]\nscript_location = r\nrecursive_version_locations = false\n",
        TOML_RECURSIVE,
        [
            ("r/versions", ("r/versions/r1.py",), UP),
            ("r/versions/2024", ("r/versions/2024/r2.py",), UP),
        ],
    ),
    "[tool.alembic] applies to a named section too": (
        "[alembic]\nscript_location = db\n\n[other]\nscript_location = r\n",
        TOML_RECURSIVE,
        [
            ("db/versions", ("db/versions/d1.py",), UP),
            ("r/versions", ("r/versions/r1.py", "r/versions/2024/r2.py"), "alembic -n other upgrade head"),
        ],
    ),
}


@pytest.mark.parametrize(("ini", "toml", "expected"), CONFIG_CASES.values(), ids=CONFIG_CASES.keys())
def test_options_are_read_as_alembic_reads_them(
    ini: str, toml: str | None, expected: list[tuple[str, tuple[str, ...], str]]
) -> None:
    files = {**CONFIG_TREE, "alembic.ini": ini}
    if toml is not None:
        files["pyproject.toml"] = toml
    found = discover(MemoryTree(dict(files)), Settings())
    assert found.diagnostics == []
    assert [(t.key, t.files, t.command) for t in found.trees] == expected


def test_tool_alembic_values_alembic_cannot_use_are_diagnostics_on_their_line() -> None:
    files = {
        "one/pyproject.toml": "[tool.alembic]\nscript_location = 3\n",
        "two/pyproject.toml": '[tool.alembic]\nscript_location = "db"\nversion_locations = "db/v"\n',
        "three/pyproject.toml": '[project]\nname = "x"\n[tool.alembic]\nscript_location = "%(nope)s/db"\n',
        "two/db/v/a.py": revision("a"),
    }
    found = discover(MemoryTree(dict(files)), Settings())
    where = {str(d.location): d.message for d in found.diagnostics}
    assert "script_location in [tool.alembic] must be a string" in where["one/pyproject.toml:2"]
    assert "version_locations in [tool.alembic] must be a list of paths" in where["two/pyproject.toml:3"]
    assert "unknown substitution %(nope)s in script_location" in where["three/pyproject.toml:4"]
    assert found.trees == []


def test_alembic_reads_copies_that_are_removed_and_never_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alembic's Config reads the scanned text from a private temporary folder: gone after the scan, and
    its path in no diagnostic (Alembic and configparser name the file they read in their messages)."""
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    files = {
        "alembic.ini": "[alembic]\nscript_location = %(here)s/db\n",
        "db/versions/a.py": revision("a"),
        "broken/alembic.ini": "[alembic]\nscript_location migrations\n",
        "dup/alembic.ini": "[alembic]\nscript_location = db\n[alembic]\nscript_location = db\n",
    }
    found = discover(MemoryTree(dict(files)), Settings())
    assert [t.key for t in found.trees] == ["db/versions"]
    messages = {str(d.location): d.message for d in found.diagnostics}
    assert "parsing errors: 'broken/alembic.ini'" in messages["broken/alembic.ini:2"]
    assert "While reading from 'dup/alembic.ini' [line  3]" in messages["dup/alembic.ini:3"]
    assert not any(str(temporary) in m or "dbaudit-alembic-" in m for m in messages.values())
    assert list(temporary.iterdir()) == []


def test_revision_files_are_listed_as_alembic_lists_them(tmp_path: Path) -> None:
    """Alembic's ScriptDirectory (which runs the files: these are ours) and discovery list the same files."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    files = {
        "alembic.ini": "[alembic]\nscript_location = %(here)s/db\nrecursive_version_locations = true\n",
        "db/env.py": "",
        "db/versions/a.py": revision("a"),
        "db/versions/__init__.py": "",
        "db/versions/.#b.py": "",
        "db/versions/notes.txt": "",
        "db/versions/sub/c.py": revision("c", "a"),
        "db/versions/sub/__init__helpers.py": "",
    }
    write_project(tmp_path, files)
    script = ScriptDirectory.from_config(Config(str(tmp_path / "alembic.ini")))
    theirs = {Path(s.path).relative_to(tmp_path).as_posix() for s in script.walk_revisions()}
    assert theirs == read_paths(files) == {"db/versions/a.py", "db/versions/sub/c.py"}


def test_an_empty_flask_migrate_ini_still_names_its_folder() -> None:
    files = {
        "migrations/alembic.ini": "",
        "migrations/env.py": "",
        "migrations/versions/a1.py": revision("a1"),
    }
    assert read_paths(files) == {"migrations/versions/a1.py"}
