"""Git, read-only: the repository a project lives in, its refs, files at a ref, and the commit checked out.

Everything here reads git *objects* (commits, trees, blobs) through GitPython.  Nothing checks out a ref,
touches the working tree or writes the index, so a CI job can diff against ``origin/main`` in the middle of a
build.  The report header's :func:`git_info` comes from here; baselines taken from a ref are
:mod:`dbaudit.diff.gitbaseline`'s.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbaudit.errors import BaselineError
from dbaudit.model import GitInfo

if TYPE_CHECKING:
    from git import Repo
    from git.objects import Commit

log = logging.getLogger("dbaudit")


def _git() -> Any:
    try:
        import git
    except ImportError as exc:  # GitPython refuses to import when no git executable is found
        raise BaselineError(f"git is not available: {exc}", "install git to diff against a ref") from exc
    return git


def _may_be_in_repository(path: Path) -> bool:
    """Whether ``path`` or a folder above it has a ``.git`` entry or is itself a git directory (a ``HEAD``
    entry): the places GitPython's upward search could find a repository.  ``False`` means surely none."""
    folder = Path(os.path.abspath(os.path.expanduser(path)))
    return any(os.path.lexists(d / ".git") or os.path.lexists(d / "HEAD") for d in (folder, *folder.parents))


def open_repo(path: Path) -> Repo:
    """The repository holding ``path`` (searching upwards).  The caller closes it."""
    git = _git()
    try:
        repo: Repo = git.Repo(path, search_parent_directories=True)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError) as exc:
        raise BaselineError(
            f"{path} is not inside a git repository", "run from the repository, or diff two saved audits"
        ) from exc
    if repo.bare or repo.working_tree_dir is None:
        repo.close()
        raise BaselineError(f"{path} is in a bare repository", "run from a clone with a working tree")
    # Read-only git: never let a status refresh rewrite the index behind the user's back.
    repo.git.update_environment(GIT_OPTIONAL_LOCKS="0")
    return repo


def resolve_commit(repo: Repo, ref: str) -> Commit:
    """The commit ``ref`` names, resolved by ``git rev-parse`` itself: every spelling git accepts works
    (``HEAD@{2}``, ``@{-1}``, ``main@{yesterday}``, ``v1.2^{commit}``), and one it rejects (a reflog entry
    past the end, a path ``HEAD:file``, a tree) is one :class:`BaselineError`.  GitPython's own parser
    raises IndexError or NotImplementedError on some of them."""
    git = _git()
    problem = BaselineError(
        f"git ref {ref!r} does not name a commit",
        "fetch it first (actions/checkout needs fetch-depth: 0), or check its spelling",
    )
    if not ref or ref.startswith("-"):
        raise problem  # would be read as an option of git rev-parse
    try:
        sha = repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
        commit: Commit = repo.commit(sha.strip())
    except (git.exc.GitError, ValueError) as exc:  # ValueError: a NUL byte in the ref
        raise problem from exc
    return commit


def project_prefix(repo: Repo, project_root: Path) -> str:
    """The project's folder relative to the repository root, posix style; ``""`` when they are the same."""
    top = Path(str(repo.working_tree_dir)).resolve()
    try:
        relative = Path(project_root).resolve().relative_to(top)
    except ValueError:
        return ""
    return relative.as_posix() if str(relative) != "." else ""


def repository_prefix(project_root: Path) -> str:
    """The project's folder relative to its repository root (``""`` at the top or outside a repository).

    Annotations name files relative to the repository; the scanner names them relative to the project.
    """
    try:
        repo = open_repo(project_root)
    except BaselineError:
        return ""
    try:
        return project_prefix(repo, project_root)
    finally:
        repo.close()


def commit_of(project_root: Path, ref: str) -> str:
    """The commit id ``ref`` names in the repository of ``project_root``; :class:`BaselineError` if none."""
    repo = open_repo(project_root)
    try:
        return str(resolve_commit(repo, ref).hexsha)
    finally:
        repo.close()


def read_at_ref(repo: Repo, ref: str, path: str) -> bytes | None:
    """The content of ``path`` (relative to the repository root) at ``ref``; ``None`` without such a file."""
    commit = resolve_commit(repo, ref)
    try:
        blob = commit.tree / path
    except KeyError:
        return None
    if blob.type != "blob":
        return None
    data: bytes = blob.data_stream.read()
    return data


def git_info(project_root: Path) -> GitInfo | None:
    """The commit checked out at ``project_root``, whether its files differ from it, and the branch.

    ``None`` outside a repository, in an empty one, or when git is missing: the report goes on without it.
    """
    if not _may_be_in_repository(project_root):  # spares every report outside git GitPython's import
        return None
    try:
        repo = open_repo(project_root)
    except BaselineError:
        return None
    try:
        git = _git()
        commit = repo.head.commit.hexsha
        prefix = project_prefix(repo, project_root)
        dirty = repo.is_dirty(untracked_files=True, path=prefix or None)
        branch = None if repo.head.is_detached else repo.active_branch.name
        return GitInfo(commit=commit, dirty=dirty, branch=branch)
    except (git.exc.GitError, ValueError, TypeError, OSError) as exc:
        log.debug("no git information: %s", exc)
        return None
    finally:
        repo.close()
