"""Which files are seed sources: Alembic version folders and the configured seed patterns.

Patterns are matched the way git matches ``.gitignore`` lines, with pathspec: ``**/seed*.py`` at any depth,
``tools/*.py`` from the root, a pattern naming a folder takes everything under it, ``!pattern`` takes a
file back out.  The same matcher reads the tree's own ``.gitignore`` files, so a ``build/lib/`` copy of a
seed script or a file the project ignores is never a second source.
"""

from __future__ import annotations

import configparser
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pathspec

from dbaudit.errors import ConfigError
from dbaudit.model import Diagnostic, SourceLocation

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


@dataclass(frozen=True)
class AlembicSetup:
    """One Alembic environment: its ini file (if any) and the folders holding its revisions."""

    ini: str | None
    version_dirs: tuple[str, ...]


def _split_locations(value: str, separator: str | None) -> list[str]:
    if separator in (None, "", "os", "newline", "space"):
        if separator == "newline":
            return [v for v in value.splitlines() if v.strip()]
        if separator in ("os", "space"):
            return value.replace(":", " ").split() if separator == "os" else value.split()
        return re.split(r"[\s,]+", value.strip())
    sep = {"colon": ":", "semicolon": ";"}.get(separator, separator)
    return [v for v in value.split(sep) if v.strip()]


def _norm(folder: str, value: str) -> str | None:
    value = value.strip().replace("\\", "/")
    if not value:
        return None
    if ":" in value and not value.startswith("%(") and "/" not in value.split(":", 1)[0]:
        # package resource notation "myapp:migrations": the package lives somewhere in the tree
        package, sub = value.split(":", 1)
        value = posixpath.join(package.replace(".", "/"), sub)
    if value.startswith("%(here)s"):
        value = value[len("%(here)s") :].lstrip("/")
    elif value.startswith("/") or "%(" in value:
        return None  # an absolute path outside the scanned tree, or an interpolation we cannot know
    joined = posixpath.normpath(posixpath.join(folder, value)) if folder else posixpath.normpath(value)
    return "" if joined == "." else joined


def alembic_setups(
    paths: Sequence[str],
    read_text: dict[str, str],
    configured: Iterable[str],
) -> tuple[list[AlembicSetup], list[Diagnostic]]:
    """Alembic version folders from every ``alembic.ini`` in the tree, the configured locations, and, when
    neither names any, from folders laid out like Alembic's (``env.py`` beside ``versions/``)."""
    setups: list[AlembicSetup] = []
    diagnostics: list[Diagnostic] = []
    dirs = {posixpath.dirname(p) for p in paths}
    pathset = set(paths)
    for ini, text in read_text.items():
        folder = posixpath.dirname(ini)
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text, source=ini)
        except configparser.Error as exc:
            diagnostics.append(
                Diagnostic(f"cannot read alembic.ini: {exc}".splitlines()[0], SourceLocation(ini))
            )
            continue
        found: list[str] = []
        for section in parser.sections():
            if not parser.has_option(section, "script_location"):
                continue
            script = _norm(folder, parser.get(section, "script_location"))
            if parser.has_option(section, "version_locations"):
                sep = parser.get(section, "version_path_separator", fallback=None)
                for loc in _split_locations(parser.get(section, "version_locations"), sep):
                    norm = _norm(folder, loc)
                    if norm is not None:
                        found.append(norm)
            elif script is not None:
                found.append(posixpath.join(script, "versions") if script else "versions")
        if found:
            setups.append(AlembicSetup(ini, tuple(dict.fromkeys(found))))
    for loc in configured:
        norm = _norm("", loc)
        if norm is None:
            continue
        versions = posixpath.join(norm, "versions") if norm else "versions"
        setups.append(AlembicSetup(None, (versions if versions in dirs else norm,)))
    if not setups:
        guessed = sorted(
            d
            for d in dirs
            if posixpath.basename(d) == "versions"
            and posixpath.join(posixpath.dirname(d), "env.py") in pathset
        )
        if guessed:
            setups.append(AlembicSetup(None, tuple(guessed)))
    return setups, diagnostics


def in_folder(path: str, folder: str) -> bool:
    """``path`` lies directly in ``folder`` or below it."""
    return not folder or path.startswith(folder.rstrip("/") + "/")
