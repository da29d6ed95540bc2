"""Discovery: seed patterns, .gitignore, any SourceTree, run commands from Makefiles and __main__ blocks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dbaudit.config import DEFAULT_SEED_GLOBS, Settings, load_settings
from dbaudit.errors import ConfigError
from dbaudit.scan import MemoryTree, SourceTree, scan_sources, scan_tree
from dbaudit.scan.discovery import PathMatcher, matches
from tests.scan.support import scan, source, write_project


def test_glob_semantics() -> None:
    assert matches("**/seed*.py", "seed_users.py")
    assert matches("**/seed*.py", "a/b/seed_users.py")
    assert not matches("**/seed*.py", "a/b/reseed.py")
    assert matches("**/seeds/**", "app/seeds/x/y.json")
    assert not matches("**/seeds/**", "app/seedsx/y.json")
    assert matches("db/?.sql", "db/a.sql") and not matches("db/?.sql", "db/ab.sql")


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


# ------------------------------------------------------------------------------------------ .gitignore

INSERT = "conn.execute('INSERT INTO t VALUES (1)')\n"


def test_a_build_copy_of_a_seed_script_is_not_a_second_source(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "scripts/seed_users.py": INSERT,
            "build/lib/scripts/seed_users.py": INSERT,
            "backend/build/lib/app/seed_more.py": INSERT,
            "dist/app-1.0/scripts/seed_users.py": INSERT,
            "app.egg-info/seed_sources.py": INSERT,
            "backend/seed_backend.py": INSERT,
        },
        with_models=False,
    )
    assert [s.path for s in result.sources] == ["backend/seed_backend.py", "scripts/seed_users.py"]


def test_gitignore_files_at_every_level_are_honoured(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            ".gitignore": "# local data\n/local/\n*.generated.py\nseeds/private_*\n",
            "local/seed_mine.py": INSERT,
            "scripts/seed_a.generated.py": INSERT,
            "seeds/private_keys.sql": "INSERT INTO secrets VALUES (1);\n",
            "seeds/public.sql": "INSERT INTO tags VALUES (1);\n",
            # a nested .gitignore: relative to its own folder, and it can take a file back (!)
            "backend/.gitignore": "scratch/\n!seed_kept.generated.py\n",
            "backend/scratch/seed_try.py": INSERT,
            "backend/seed_kept.generated.py": INSERT,
            "backend/seed_real.py": INSERT,
            # nothing comes back out of an ignored folder, whatever a deeper file says
            "local/.gitignore": "!seed_mine.py\n",
        },
        with_models=False,
    )
    assert [s.path for s in result.sources] == [
        "backend/seed_kept.generated.py",
        "backend/seed_real.py",
        "seeds/public.sql",
    ]


def test_respect_gitignore_false_reads_ignored_files_but_never_build_output(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        ".gitignore": "local/\n",
        "local/seed_mine.py": INSERT,
        "build/lib/seed_copy.py": INSERT,
    }
    result = scan(tmp_path, files, with_models=False, respect_gitignore=False)
    assert [s.path for s in result.sources] == ["local/seed_mine.py"]


def test_ignored_files_are_not_read_at_all(tmp_path: Path) -> None:
    # an ignored file that cannot be read would be a diagnostic if the scan looked at it
    result = scan(
        tmp_path,
        {
            ".gitignore": "junk/\n",
            "junk/seed_binary.py": b"\x00\x01",
            "scripts/seed_ok.py": INSERT,
        },
        with_models=False,
    )
    assert result.diagnostics == ()
    assert result.files_scanned == 1


# ------------------------------------------------------------------------------------------ seed patterns


def test_extend_seed_globs_adds_to_the_defaults_and_seed_globs_replaces_them(tmp_path: Path) -> None:
    files = {"scripts/seed_users.py": INSERT, "tools/load_refdata.py": INSERT}
    extended = scan(tmp_path / "a", files, with_models=False, extend_seed_globs=("tools/load_*.py",))
    assert [s.path for s in extended.sources] == ["scripts/seed_users.py", "tools/load_refdata.py"]
    replaced = scan(tmp_path / "b", files, with_models=False, seed_globs=("tools/load_*.py",))
    assert [s.path for s in replaced.sources] == ["tools/load_refdata.py"]


def test_a_negated_pattern_takes_files_back_out(tmp_path: Path) -> None:
    files = {"scripts/seed_users.py": INSERT, "tests/seed_helpers.py": INSERT}
    result = scan(tmp_path, files, with_models=False, extend_seed_globs=("!tests/**",))
    assert [s.path for s in result.sources] == ["scripts/seed_users.py"]


def test_extend_seed_globs_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dbaudit]\nextend_seed_globs = ["tools/load_*.py"]\nrespect_gitignore = false\n',
        encoding="utf-8",
    )
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.extend_seed_globs == ("tools/load_*.py",)
    assert settings.all_seed_globs == (*DEFAULT_SEED_GLOBS, "tools/load_*.py")
    assert settings.respect_gitignore is False


def test_a_pattern_git_rejects_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid pattern in seed_globs"):
        scan_tree(MemoryTree({"seed.py": "x = 1\n"}), Settings(seed_globs=("!",)))


@pytest.mark.parametrize(
    ("path", "is_source"),
    [
        ("app/fake.py", True),
        ("app/fakes.py", True),
        ("app/faker_users.py", True),
        ("app/fake_data.py", True),
        ("db/sample_data.py", True),
        ("db/sample_users_data.json", True),
        ("db/demo_data/users.sql", True),
        ("app/initial_data.py", True),
        ("app/initial_data.json", True),
        ("ckan/lib/create_test_data.py", True),
        ("backups/prod.dump", True),
        # test doubles and ordinary modules that merely mention fakes or samples
        ("tests/fake_asyncpg_pool.py", False),
        ("app/fakeredis_client.py", False),
        ("app/sampler.py", False),
        ("tests/test_users.py", False),
    ],
)
def test_default_patterns_pick_fake_sample_demo_and_initial_data(path: str, is_source: bool) -> None:
    assert PathMatcher(DEFAULT_SEED_GLOBS).match(path) is is_source


def test_the_readme_example_of_extend_seed_globs(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### How sources are found", 1)[1]
    example = section.split("```toml", 1)[1].split("```", 1)[0]
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(example), encoding="utf-8")
    files = {
        "tools/load_refdata.py": INSERT,
        "scripts/seed_users.py": INSERT,
        "tests/seed_helpers.py": INSERT,
    }
    write_project(tmp_path, files)
    result = scan_sources(tmp_path, load_settings(cwd=tmp_path, environ={}))
    assert [s.path for s in result.sources] == ["scripts/seed_users.py", "tools/load_refdata.py"]
