"""Git, read-only: the commit a report describes, and a baseline audit taken from any ref of the history.

Everything here reads git *objects* (commits, trees, blobs) through GitPython.  Nothing checks out a ref,
touches the working tree or writes the index, so a CI job can diff against ``origin/main`` in the middle of a
build.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from datetime import timezone
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from dbaudit import __version__
from dbaudit.errors import BaselineError
from dbaudit.model import Audit, GitInfo

if TYPE_CHECKING:
    from git import Repo
    from git.objects import Commit, Tree

    from dbaudit.config import Settings

log = logging.getLogger("dbaudit")

_SYMLINK_MODE = 0o120000


class GitTree:
    """The files of one commit, read from git objects: the scanner's ``SourceTree`` for a ref.

    ``subdir`` is the project's folder inside the repository (``""`` at the top); paths are relative to it.
    Folders named in ``skip_dirs`` are left out, symbolic links and submodules too; a file over ``max_bytes``
    raises the scanner's ``FileTooLarge`` instead of being read.
    """

    def __init__(
        self,
        repo: Repo,
        ref: str,
        subdir: str = "",
        skip_dirs: Iterable[str] = (),
        max_bytes: int | None = None,
    ) -> None:
        self.commit: Commit = resolve_commit(repo, ref)
        self.subdir = subdir.strip("/")
        self.skip_dirs = frozenset(skip_dirs)
        self.max_bytes = max_bytes
        tree = self.commit.tree
        if self.subdir:
            try:
                tree = tree / self.subdir
            except KeyError as exc:
                raise BaselineError(
                    f"{ref} has no folder {self.subdir!r}", "the project did not exist yet at that ref"
                ) from exc
        self.tree: Tree = tree
        short = self.commit.hexsha[:12]
        named = short if self.commit.hexsha.startswith(ref) else f"{ref}@{short}"
        self.root_label = named + (f":{self.subdir}" if self.subdir else "")

    def paths(self) -> Iterator[str]:
        """Relative posix paths of the regular files of the tree, sorted."""

        def prune(item: Any, depth: int) -> bool:
            if item.type != "tree":
                return False
            return bool(item.name in self.skip_dirs or item.name.endswith(".egg-info"))

        found: list[str] = []
        for item in self.tree.traverse(prune=prune):
            entry: Any = item
            if getattr(entry, "type", None) == "blob" and entry.mode != _SYMLINK_MODE:
                found.append(self._relative(str(entry.path)))
        return iter(sorted(found))

    def read_bytes(self, path: str) -> bytes:
        try:
            blob = self.tree / path
        except KeyError as exc:
            raise FileNotFoundError(f"{path} is not in {self.root_label}") from exc
        if blob.type != "blob":
            raise IsADirectoryError(f"{path} is not a file in {self.root_label}")
        if self.max_bytes is not None and blob.size > self.max_bytes:
            from dbaudit.scan.tree import FileTooLarge

            raise FileTooLarge(path, blob.size)
        data: bytes = blob.data_stream.read()
        return data

    def _relative(self, repo_path: str) -> str:
        if self.subdir:
            return str(PurePosixPath(repo_path).relative_to(self.subdir))
        return repo_path


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


def audit_at_ref(settings: Settings, ref: str, head: Audit, baseline_path: str | None = None) -> Audit:
    """The baseline audit of ``ref``; see :func:`baseline_at_ref`."""
    return baseline_at_ref(settings, ref, head, baseline_path)[0]


def baseline_at_ref(
    settings: Settings, ref: str, head: Audit, baseline_path: str | None = None
) -> tuple[Audit, str]:
    """The baseline audit of ``ref`` and a label saying where it came from.

    The audit committed at ``ref`` when there is one, or else a scan of that commit's files.

    ``baseline_path`` (default ``settings.baseline_path``) is relative to the project root.  Without such a
    file at ``ref``, the seed sources of the ref's tree are scanned straight from git objects and their
    coverage computed against ``head``'s database snapshot: the tables the database has now.
    """
    from dbaudit.diff.baseline import load_audit

    relative = (baseline_path or settings.baseline_path).strip("/")
    repo = open_repo(settings.project_root)
    try:
        prefix = project_prefix(repo, settings.project_root)
        committed = str(PurePosixPath(prefix, relative)) if prefix else relative
        data = read_at_ref(repo, ref, committed)
        if data is not None:
            log.info("baseline: %s at %s", committed, ref)
            label = f"{committed} at {ref}"
            return load_audit(data, label=label), label
        log.info("baseline: %s is not in %s; scanning the seed sources of %s", committed, ref, ref)
        audit = _scan_ref(repo, ref, prefix, settings, head)
        assert audit.git is not None
        return audit, f"seed sources of {ref} ({audit.git.commit[:12]})"
    finally:
        repo.close()


def _scan_ref(repo: Repo, ref: str, prefix: str, settings: Settings, head: Audit) -> Audit:
    from dbaudit.coverage import compute_coverage
    from dbaudit.scan import MAX_FILE_BYTES, scan_tree

    if head.database is None:
        raise BaselineError(
            f"{ref} has no saved audit, and scanning it needs the current table list",
            "diff against a fresh audit (it reads the database), or a saved audit with its database section",
        )
    tree = GitTree(repo, ref, prefix, skip_dirs=settings.skip_dirs, max_bytes=MAX_FILE_BYTES)
    scan = scan_tree(tree, settings)
    coverage, findings = compute_coverage(head.database, scan, settings)
    committed_at = tree.commit.committed_datetime.astimezone(timezone.utc).isoformat(timespec="seconds")
    return Audit(
        generated_at=committed_at,
        tool_version=__version__,
        database=head.database,
        scan=scan,
        coverage=coverage,
        findings=tuple(findings),
        git=GitInfo(commit=tree.commit.hexsha, dirty=False),
    )
