"""Alembic's own :class:`alembic.config.Config` over the configuration files of a scanned tree.

``Config`` reads an ini file and a ``pyproject.toml`` from disk, while the scan reads a tree (a folder, git
objects for ``dbaudit diff``, files held in memory).  So the text the scan read is copied into a private
temporary folder and ``Config`` is pointed there: Alembic's own rules then apply to the very text scanned
(the ini section ``alembic -n NAME`` names, ``%(here)s`` and other interpolation, ``path_separator`` and the
older comma/space splitting, ``[tool.alembic]`` and its value types, which source wins).  ``%(here)s`` names
the temporary folder; values and messages come back with :data:`TREE_ROOT` or the tree's path in its place.

Only ``Config`` is used: ``ScriptDirectory`` would import a package-form ``script_location`` and run
``env.py`` and every revision file.  ``alembic`` is imported on first use, because it imports SQLAlchemy
(about 0.6 s): a scan pays for it only when the project has an Alembic configuration, and from the command
line ``Config`` runs in :mod:`dbaudit.helper`'s process, which started importing it with the command.
"""

from __future__ import annotations

import configparser
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from dbaudit import helper

if TYPE_CHECKING:
    from alembic.config import Config

#: ``%(here)s`` comes back as this absolute folder plus the config file's folder in the tree; an absolute
#: path anywhere else lies outside the scanned tree.
TREE_ROOT = "/dbaudit-scanned-tree"

#: Options named in Alembic's messages, longest first (``version_path_separator`` holds ``path_separator``).
_NAMED_IN_MESSAGES = ("version_path_separator", "path_separator")


def tree_here(folder: str) -> str:
    """What ``%(here)s`` stands for in a config file of the tree folder ``folder``."""
    return f"{TREE_ROOT}/{folder}" if folder else TREE_ROOT


class ConfigProblem(Exception):
    """Alembic refuses the configuration.  The message names tree paths only; ``option`` (whose line the
    diagnostic points at) or ``line`` says where."""

    def __init__(self, message: str, option: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.option = option
        self.line = line

    def __reduce__(self) -> tuple[type[ConfigProblem], tuple[str, str | None, int | None]]:
        # raised in the helper process, raised again here whole (the option and the line included)
        return (ConfigProblem, (str(self), self.option, self.line))


@dataclass(frozen=True)
class EnvironmentOptions:
    """What the scan needs of one Alembic environment, as ``Config`` returns it (``%(here)s`` mapped)."""

    script_location: Any
    """``get_alembic_option("script_location")``: a string or ``None`` (TOML may hold another type)."""
    version_locations: Any
    """``get_version_locations_list()``: a list of strings or ``None`` (TOML may hold another type)."""
    recursive: bool
    """``get_alembic_boolean_option("recursive_version_locations")``."""


class StagedConfig:
    """One config file of the tree (an ini, a ``pyproject.toml`` or both, from one folder), copied where
    Alembic's ``Config`` can read it."""

    def __init__(
        self,
        place: Path,
        folder: str,
        ini: tuple[str, str] | None,
        toml: tuple[str, str] | None,
    ) -> None:
        """``ini`` and ``toml`` are (tree path, text); ``place`` is an empty private folder."""
        self._names: dict[str, str] = {}
        self.ini: Path | None = None
        self.toml: Path | None = None
        if ini is not None:
            tree_path, text = ini
            self.ini = place / Path(tree_path).name
            # Alembic reads its ini in the locale's encoding: written in the same one, the text reads back
            # unchanged; a character that encoding cannot hold (nearly always in a comment) becomes "?"
            self.ini.write_text(text, encoding="locale", errors="replace")
            self._names[str(self.ini)] = tree_path
        if toml is not None:
            tree_path, text = toml
            self.toml = place / "pyproject.toml"
            self.toml.write_bytes(text.encode("utf-8"))  # read back with tomllib, as UTF-8
            self._names[str(self.toml)] = tree_path
        self._here = place.as_posix()
        self._tree_here = tree_here(folder)
        self._names[str(place)] = folder or "."

    def check(self) -> None:
        """Read the ini file as Alembic does; a file it cannot read raises :class:`ConfigProblem`."""
        if self.ini is None:
            return
        try:
            helper.call(_check, self.ini, self.toml)
        except ConfigProblem as exc:
            raise self._retold(exc) from exc

    def options(self, section: str) -> EnvironmentOptions:
        """The options of the environment ``alembic -n section`` runs (``[tool.alembic]`` has no name)."""
        try:
            script, locations, recursive = helper.call(_options, self.ini, self.toml, section)
        except ConfigProblem as exc:
            raise self._retold(exc) from exc
        return EnvironmentOptions(self._in_tree(script), self._in_tree(locations), bool(recursive))

    def _retold(self, problem: ConfigProblem) -> ConfigProblem:
        """The helper's refusal, naming the tree's paths instead of the staged files'."""
        return ConfigProblem(_first_line(self._told(str(problem))), problem.option, problem.line)

    def _in_tree(self, value: Any) -> Any:
        """``value`` with the temporary folder that ``%(here)s`` stood for replaced by the tree folder's."""
        if isinstance(value, str):
            return value.replace(self._here, self._tree_here)
        if isinstance(value, list):
            return [self._in_tree(item) for item in value]
        return value

    def _told(self, message: str) -> str:
        """A message of Alembic or configparser with the temporary paths replaced by the tree's."""
        for staged, tree_path in sorted(self._names.items(), key=lambda item: -len(item[0])):
            # configparser shows the file it read as repr() of the Path Alembic handed it
            message = message.replace(repr(Path(staged)), repr(tree_path))
            message = message.replace(repr(staged)[1:-1], tree_path).replace(staged, tree_path)
        return message


class ConfigFiles:
    """Copies of the tree's Alembic config files in a private temporary folder, made on first use and
    removed by :meth:`close` (or leaving a ``with`` block)."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._count = 0

    def stage(self, folder: str, ini: tuple[str, str] | None, toml: tuple[str, str] | None) -> StagedConfig:
        """Copy ``ini`` and ``toml`` ((tree path, text), both of tree folder ``folder``) for ``Config``."""
        try:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="dbaudit-alembic-")).absolute()
            self._count += 1
            place = self._root / str(self._count)
            place.mkdir()
            return StagedConfig(place, folder, ini, toml)
        except OSError as exc:
            # strerror, not str(exc): the latter names a path of this machine
            raise ConfigProblem(
                f"no temporary folder to read it in: {exc.strerror or type(exc).__name__}"
            ) from exc

    def close(self) -> None:
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def __enter__(self) -> ConfigFiles:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def may_be_configured(root: Path, skip_dirs: Iterable[str]) -> bool:
    """Whether the tree under ``root`` may hold an Alembic configuration: an ``alembic.ini``, another
    ``.ini`` naming a ``script_location``, or a ``pyproject.toml`` with ``[tool.alembic]``.  A quick look
    (no ``.gitignore``, no parsing) to decide whether to start Alembic's import in :mod:`dbaudit.helper`
    early: a wrong guess costs time or a core's idle work, never a different result."""
    skip = set(skip_dirs)
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            if name == "alembic.ini":
                return True
            if name == "pyproject.toml" or name.endswith(".ini"):
                wanted = "[tool.alembic" if name == "pyproject.toml" else "script_location"
                try:
                    with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as handle:
                        if wanted in handle.read(1_000_000):
                            return True
                except OSError:
                    continue
    return False


def _config(ini: Path | None, toml: Path | None, section: str) -> Config:
    from alembic.config import Config  # imports SQLAlchemy: only for a project configured for Alembic

    return Config(file_=ini, toml_file=toml, ini_section=section)


def _check(ini: Path, toml: Path | None) -> None:
    """Run by :mod:`dbaudit.helper`: ``Config`` reads the staged ini (messages name the staged files)."""
    try:
        _config(ini, toml, "alembic").file_config  # noqa: B018 - reading it is the check
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        errors = getattr(exc, "errors", None)
        if line is None and errors:
            line = errors[0][0]
        raise ConfigProblem(_first_line(str(exc)), line=line) from None


def _options(ini: Path | None, toml: Path | None, section: str) -> tuple[Any, Any, Any]:
    """Run by :mod:`dbaudit.helper`: script_location, version_locations and recursive_version_locations as
    ``Config`` returns them (messages name the staged files)."""
    from alembic.util import CommandError

    config = _config(ini, toml, section)

    def read(option: str, getter: Callable[[], Any]) -> Any:
        try:
            with warnings.catch_warnings():
                # Alembic's deprecation notices (the older separators) are for its own users' terminals
                warnings.simplefilter("ignore", DeprecationWarning)
                return getter()
        except KeyError as exc:  # a TOML string's %(name)s with no such name
            raise ConfigProblem(f"unknown substitution %({exc.args[0]})s in {option}", option) from None
        except (configparser.Error, CommandError, ValueError, TypeError) as exc:
            message = _first_line(str(exc) or type(exc).__name__)
            raise ConfigProblem(message, _failing_option(exc, option)) from None

    script = read("script_location", lambda: config.get_alembic_option("script_location"))
    locations = read("version_locations", config.get_version_locations_list)
    recursive = read(
        "recursive_version_locations",
        lambda: config.get_alembic_boolean_option("recursive_version_locations"),
    )
    return script, locations, recursive


def _failing_option(exc: BaseException, attempted: str) -> str:
    """The option a refusal is about: an interpolation error names it; a separator is named in the text."""
    option = getattr(exc, "option", None)
    if isinstance(option, str):
        return option
    text = str(exc)
    return next((name for name in _NAMED_IN_MESSAGES if name in text), attempted)


def _first_line(message: str) -> str:
    return (message.splitlines() or [""])[0][:200]
