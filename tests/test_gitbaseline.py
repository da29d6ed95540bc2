"""GitTree, git_info and the baseline at a ref, on a real repository (git objects only, no checkout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from git import Repo

from dbaudit.config import load_settings
from dbaudit.diff.gitbaseline import GitTree, audit_at_ref
from dbaudit.errors import BaselineError
from dbaudit.gitrepo import git_info, open_repo, read_at_ref, repository_prefix
from tests.diff_support import history_base, history_head
from tests.git_history import SEEDS, History, build_history, git, snapshot_of


@pytest.fixture
def history(tmp_path: Path) -> History:
    return build_history(tmp_path)


def test_git_tree_lists_and_reads_a_commit_without_checking_it_out(history: History) -> None:
    with Repo(history.repo) as repo:
        old = GitTree(repo, history.c1, "backend")
        assert list(old.paths()) == ["db/seed_legacy.sql", "db/seed_users.sql", "pyproject.toml"]
        assert old.read_bytes("db/seed_legacy.sql") == SEEDS["db/seed_legacy.sql"].encode()
        assert old.root_label == f"{history.c1[:12]}:backend"
        with pytest.raises(FileNotFoundError):
            old.read_bytes("db/seed_orders.sql")
        with pytest.raises(IsADirectoryError):
            old.read_bytes("db")
        whole = GitTree(repo, "HEAD")
        assert whole.root_label == f"HEAD@{history.c3[:12]}"
        assert list(whole.paths()) == [
            "README.md",
            "backend/db/seed_orders.sql",
            "backend/db/seed_users.sql",
            "backend/pyproject.toml",
        ]
    # the file is gone from the working tree, and the tree of c1 still reads it
    assert not (history.project / "db/seed_legacy.sql").exists()


@pytest.mark.slow
def test_git_tree_skips_folders_symlinks_and_large_files(history: History) -> None:
    (history.project / "node_modules/pkg").mkdir(parents=True)
    (history.project / "node_modules/pkg/seed.sql").write_text("INSERT INTO x VALUES (1);\n")
    (history.project / "db/link.sql").symlink_to("seed_users.sql")
    (history.project / "db/seed_big.sql").write_text("-- big\n" * 100)
    git(history.repo, "add", ".")
    git(history.repo, "commit", "-q", "-m", "more files")
    with Repo(history.repo) as repo:
        tree = GitTree(repo, "HEAD", "backend", skip_dirs=("node_modules",), max_bytes=100)
        assert list(tree.paths()) == [
            "db/seed_big.sql",
            "db/seed_orders.sql",
            "db/seed_users.sql",
            "pyproject.toml",
        ]
        unfiltered = GitTree(repo, "HEAD", "backend")
        assert "node_modules/pkg/seed.sql" in list(unfiltered.paths())
        from dbaudit.scan.tree import FileTooLarge

        with pytest.raises(FileTooLarge):
            tree.read_bytes("db/seed_big.sql")


def test_bad_refs_and_places(history: History, tmp_path: Path) -> None:
    with Repo(history.repo) as repo:
        with pytest.raises(BaselineError, match="'no-such-branch' does not name a commit"):
            GitTree(repo, "no-such-branch")
        with pytest.raises(BaselineError, match="has no folder 'frontend'"):
            GitTree(repo, "HEAD", "frontend")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(BaselineError, match="not inside a git repository"):
        open_repo(outside)
    assert git_info(outside) is None
    assert repository_prefix(outside) == ""
    assert repository_prefix(history.project) == "backend"


def test_read_at_ref(history: History) -> None:
    with Repo(history.repo) as repo:
        assert read_at_ref(repo, history.c1, "backend/AUDIT.json") is None
        assert read_at_ref(repo, history.c2, "backend/AUDIT.json") is not None
        assert read_at_ref(repo, history.c2, "backend/db") is None
        assert read_at_ref(repo, history.c3, "backend/AUDIT.json") is None


def test_git_info_names_the_commit_and_whether_the_tree_is_dirty(history: History) -> None:
    info = git_info(history.project)
    assert info is not None
    assert (info.commit, info.dirty, info.branch) == (history.c3, False, "main")
    (history.project / "db/seed_users.sql").write_text("-- edited\n")
    assert git_info(history.project).dirty is True
    git(history.repo, "checkout", "-q", "--", "backend/db/seed_users.sql")
    (history.project / "db/seed_new.sql").write_text("INSERT INTO tags VALUES (1);\n")
    assert git_info(history.project).dirty is True  # an untracked seed script changes the scan
    os.remove(history.project / "db/seed_new.sql")
    (history.repo / "notes.txt").write_text("outside the project\n")
    assert git_info(history.project).dirty is False  # only the project's own folder counts
    git(history.repo, "checkout", "-q", "--detach", history.c1)
    detached = git_info(history.project)
    assert detached is not None and detached.commit == history.c1 and detached.branch is None


def test_git_info_in_an_empty_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    assert git_info(tmp_path) is None


def test_git_info_outside_a_repository_does_not_load_gitpython(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    if any((d / ".git").exists() or (d / "HEAD").exists() for d in (project, *project.parents)):
        pytest.skip("the temporary folder lies inside a git repository")
    code = (
        "import sys; from pathlib import Path; from dbaudit.gitrepo import git_info; "
        "print(git_info(Path(sys.argv[1])), 'git' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(project)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["None", "False"]
    # The subdirectory of a repository still finds it.
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "first")
    info = git_info(project)
    assert info is not None and len(info.commit) == 40


def test_git_info_writes_nothing(history: History) -> None:
    (history.project / "db/seed_users.sql").write_text("-- edited\n")
    before = snapshot_of(history.repo)
    assert git_info(history.project).dirty is True
    assert snapshot_of(history.repo) == before


def test_audit_at_ref_reads_the_committed_audit(history: History) -> None:
    settings = load_settings({"project_root": history.project}, environ={})
    assert audit_at_ref(settings, history.c2, history_head()) == history_base()
    with pytest.raises(BaselineError, match="does not name a commit"):
        audit_at_ref(settings, "no-such-ref", history_head())
