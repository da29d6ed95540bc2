"""Which files the scan sees and which of them are seed sources.

Patterns are matched the way git matches ``.gitignore`` lines, with pathspec: ``**/seed*.py`` at any depth,
``tools/*.py`` from the root, a pattern naming a folder takes everything under it, ``!pattern`` takes a
file back out.  The same matcher reads the tree's own ``.gitignore`` files, so a ``build/lib/`` copy of a
seed script or a file the project ignores is never a second source.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pathspec

from dbaudit.config import Settings
from dbaudit.errors import ConfigError
from dbaudit.model import Diagnostic
from dbaudit.scan.files import decode, read
from dbaudit.scan.migrations import RevisionTree, find_revision_trees
from dbaudit.scan.tree import ReportsProblems, SourceTree

FIXTURE_SUFFIXES = (".json", ".yaml", ".yml", ".csv")

#: Always left out: packaging output holds copies of the project's own files.
BUILD_OUTPUT: tuple[str, ...] = ("build/", "dist/", "*.egg-info/")


def compile_patterns(patterns: Iterable[str], setting: str = "seed_globs") -> pathspec.GitIgnoreSpec:
    """``.gitignore``-style patterns as one matcher; a pattern git would reject is a configuration error."""
    lines = list(patterns)
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError as exc:  # pathspec's pattern error is a ValueError
        raise ConfigError(
            f"invalid pattern in {setting}: {exc}", "patterns are written as in .gitignore"
        ) from exc


class PathMatcher:
    """Several patterns matched together; the last one that matches a path decides (``!`` excludes)."""

    def __init__(self, patterns: Iterable[str], setting: str = "seed_globs") -> None:
        self.patterns = tuple(patterns)
        self._spec = compile_patterns(self.patterns, setting)

    def match(self, path: str) -> bool:
        return bool(self.patterns) and self._spec.match_file(path)


def matches(pattern: str, path: str) -> bool:
    """Whether one ``.gitignore``-style pattern matches ``path`` (relative, forward slashes)."""
    return PathMatcher((pattern,)).match(path)


class IgnoreRules:
    """What git would leave out of a tree: every ``.gitignore`` in it, each read relative to its own folder,
    deeper files overriding shallower ones, plus :data:`BUILD_OUTPUT`.

    As in git, nothing inside an ignored folder comes back, whatever a later ``!`` line says.
    """

    def __init__(self, rules: Sequence[tuple[str, pathspec.GitIgnoreSpec]]) -> None:
        # (folder, spec), shallowest first; "" is the root
        self._rules = sorted(rules, key=lambda r: (r[0].count("/") + bool(r[0]), r[0]))
        self._folders: dict[str, bool] = {}

    @classmethod
    def read(
        cls,
        paths: Iterable[str],
        read_text: Callable[[str], str | Diagnostic],
        use_gitignore: bool = True,
    ) -> tuple[IgnoreRules, list[Diagnostic]]:
        """The rules of a tree whose files are ``paths``; unreadable ``.gitignore`` files are diagnostics."""
        rules: list[tuple[str, pathspec.GitIgnoreSpec]] = [
            ("", pathspec.GitIgnoreSpec.from_lines(BUILD_OUTPUT))
        ]
        problems: list[Diagnostic] = []
        if use_gitignore:
            found = sorted((p for p in paths if posixpath.basename(p) == ".gitignore"), key=_depth)
            for path in found:
                partial = cls(rules)
                if partial.ignored(path):
                    continue  # git never reads a .gitignore inside an ignored folder
                text = read_text(path)
                if isinstance(text, Diagnostic):
                    problems.append(text)
                    continue
                # a line git rejects is skipped by git too; keep the others
                specs = [line for line in text.splitlines() if _valid(line)]
                rules.append((posixpath.dirname(path), pathspec.GitIgnoreSpec.from_lines(specs)))
        return cls(rules), problems

    def _decide(self, path: str) -> bool | None:
        """The last rule matching ``path`` (a file, or a folder written with a trailing ``/``)."""
        decision: bool | None = None
        for folder, spec in self._rules:
            if folder:
                if not path.startswith(folder + "/"):
                    continue
                relative = path[len(folder) + 1 :]
            else:
                relative = path
            result = spec.check_file(relative)
            if result.include is not None:
                decision = result.include
        return decision

    def _folder_ignored(self, folder: str) -> bool:
        known = self._folders.get(folder)
        if known is None:
            parent = posixpath.dirname(folder)
            known = (bool(parent) and self._folder_ignored(parent)) or bool(self._decide(folder + "/"))
            self._folders[folder] = known
        return known

    def ignored(self, path: str) -> bool:
        """Whether git would leave the file ``path`` out."""
        folder = posixpath.dirname(path)
        if folder and self._folder_ignored(folder):
            return True
        return bool(self._decide(path))


def _depth(path: str) -> tuple[int, str]:
    return (path.count("/"), path)


def _valid(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def in_folder(path: str, folder: str) -> bool:
    """``path`` lies directly in ``folder`` or below it."""
    return not folder or path.startswith(folder.rstrip("/") + "/")


@dataclass
class Discovery:
    """What the scan reads: the tree's files, its Python files' bytes, its Alembic revision trees and its
    seed sources."""

    paths: list[str]
    """Every file the scan sees: skipped folders and ignored files left out."""
    python: dict[str, bytes | Diagnostic]
    """Each ``.py`` file's bytes, or why it could not be read."""
    trees: list[RevisionTree]
    seeds: list[str]
    """Files matching the seed patterns (or ``fixture_map``) that are not revisions."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Folders that could not be listed, unreadable ``.gitignore`` files, Alembic layouts that cannot be
    read."""

    @property
    def revisions(self) -> dict[str, RevisionTree]:
        """Revision file -> its tree."""
        return {path: tree for tree in self.trees for path in tree.files}


def _skipped(path: str, skip: frozenset[str]) -> bool:
    return any(part in skip for part in path.split("/")[:-1])


@dataclass
class Listing:
    """The first half of :func:`discover`: the files and their bytes, before Alembic's configuration is
    read (the scan parses while :mod:`dbaudit.helper` may still be importing Alembic)."""

    paths: list[str]
    python: dict[str, bytes | Diagnostic]
    diagnostics: list[Diagnostic]
    read_text: Callable[[str], str | Diagnostic]


def list_files(tree: SourceTree, settings: Settings) -> Listing:
    """Every file of ``tree`` the scan sees, with the bytes of its Python files."""
    skip = frozenset(settings.skip_dirs)
    listed = [p for p in tree.paths() if not _skipped(p, skip)]
    # folders the tree could not list: what they hold is unknown, and the report says so
    diagnostics: list[Diagnostic] = tree.problems() if isinstance(tree, ReportsProblems) else []

    def read_text(path: str) -> str | Diagnostic:
        data = read(tree, path)
        return data if isinstance(data, Diagnostic) else decode(path, data)

    rules, problems = IgnoreRules.read(listed, read_text, settings.respect_gitignore)
    diagnostics.extend(problems)
    paths = [p for p in listed if not rules.ignored(p)]
    python = {p: read(tree, p) for p in paths if p.endswith(".py")}
    return Listing(paths, python, diagnostics, read_text)


def find_sources(listing: Listing, settings: Settings) -> Discovery:
    """The second half of :func:`discover`: the revision trees (Alembic's configuration) and seed sources."""
    readable = {p: data for p, data in listing.python.items() if isinstance(data, bytes)}
    trees, problems = find_revision_trees(
        listing.paths,
        listing.read_text,
        readable,
        settings.alembic_locations,
        settings.sources.get("alembic_locations"),
    )
    revisions = {p for t in trees for p in t.files}
    globs = PathMatcher(settings.all_seed_globs)
    mapped = PathMatcher(settings.fixture_map.keys(), "fixture_map")
    seeds = [p for p in listing.paths if p not in revisions and (globs.match(p) or mapped.match(p))]
    return Discovery(listing.paths, listing.python, trees, seeds, [*listing.diagnostics, *problems])


def discover(tree: SourceTree, settings: Settings) -> Discovery:
    """List ``tree`` the way the scan reads it (see :class:`Discovery`)."""
    return find_sources(list_files(tree, settings), settings)
