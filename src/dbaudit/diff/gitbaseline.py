"""Baselines from git history: the audit committed at a ref, or a scan of that ref's files.

Read-only, like :mod:`dbaudit.gitrepo`: git objects are read, nothing is checked out, so a CI job can diff
against ``origin/main`` in the middle of a build.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import timezone
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from dbaudit import __version__
from dbaudit.errors import BaselineError
from dbaudit.gitrepo import open_repo, project_prefix, read_at_ref, resolve_commit
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
    from dbaudit.audit_file import load_audit

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
