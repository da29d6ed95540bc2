"""Which files are seed sources: Alembic version folders and the configured seed patterns.

Patterns are matched the way git matches ``.gitignore`` lines, with pathspec: ``**/seed*.py`` at any depth,
``tools/*.py`` from the root, a pattern naming a folder takes everything under it, ``!pattern`` takes a
file back out.
"""

from __future__ import annotations

import configparser
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pathspec

from dbaudit.errors import ConfigError
from dbaudit.model import Diagnostic, SourceLocation

FIXTURE_SUFFIXES = (".json", ".yaml", ".yml", ".csv")


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
