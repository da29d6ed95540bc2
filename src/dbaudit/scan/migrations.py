"""Where a project keeps its Alembic revisions, read the way Alembic reads its configuration.

Options are read by Alembic's own ``Config`` (:mod:`dbaudit.scan.alembic_config`), over the text of the
scanned tree: ``[alembic]`` and the named sections of an ini file (``alembic -n NAME``), ``[tool.alembic]`` in
``pyproject.toml``, ``%(here)s``, ``path_separator`` and the older ``version_path_separator``,
``recursive_version_locations``.  Which sections and tables there are, and on which line an option stands,
is read here.  Alembic's ``ScriptDirectory`` is not used: it imports a package-form ``script_location``
(``pkg:path``) and executes every revision file to list them.  Here the package is looked up among the
tree's folders and revision files are only listed, as Alembic lists them.

Layouts without an ini are read too: Flask-Migrate (``alembic.ini`` beside ``env.py``, its
``script_location`` set in code), Flask-Alembic (revisions straight in ``migrations/`` or in the folder its
``ALEMBIC = {"script_location": ...}`` app setting names), and folders laid out like Alembic's (``env.py``
beside ``versions/``).

Each *revision tree* is one history: revision ids are unique only inside it.  Besides the version folders
Alembic reads, a sub-folder of one holding revisions Alembic would not list (``recursive_version_locations``
off) is a tree of its own: projects keep one history per database dialect that way (``versions/postgresql``,
``versions/sqlite``, chosen in ``env.py``) or an older history kept apart (``versions/legacy``).
"""

from __future__ import annotations

import ast
import configparser
import posixpath
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dbaudit.model import Diagnostic, SourceLocation
from dbaudit.scan.alembic_config import TREE_ROOT, ConfigFiles, ConfigProblem, StagedConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Alembic lists every ``.py`` file of a version folder except ``__init__*`` and editor lock files (``.#x``).
_REVISION_FILE = re.compile(r"(?!\.#|__init__).*\.py\Z")
_REVISION_ID = re.compile(rb"^revision\s*(?::[^=\n]*)?=", re.MULTILINE)
_TOML_LINE = re.compile(r"at line (\d+)")

Reader = Callable[[str], "str | Diagnostic"]


@dataclass(frozen=True)
class RevisionTree:
    """One history of Alembic revisions: the files Alembic reads together."""

    key: str
    """The tree's first version folder: how revisions of different trees are told apart."""
    folders: tuple[str, ...]
    files: tuple[str, ...]
    command: str = "alembic upgrade head"
    """How the project brings this history up to date (``-n NAME`` for a named ini section)."""
    origin: SourceLocation | None = None
    """Where the layout was configured (ini or pyproject line, app setting), when it was."""


@dataclass(frozen=True)
class _Environment:
    """A configured Alembic environment, before its folders are listed."""

    folders: tuple[str, ...]
    recursive: bool
    command: str
    origin: SourceLocation | None


class _Tree:
    """The folders and files of the scanned tree, for lookups by folder."""

    def __init__(self, paths: Sequence[str], python: Mapping[str, bytes]) -> None:
        self.paths = paths
        self.python = python
        self.files_in: dict[str, list[str]] = {}
        self.folders: set[str] = {""}
        for path in paths:
            folder = posixpath.dirname(path)
            self.files_in.setdefault(folder, []).append(path)
            while folder and folder not in self.folders:
                self.folders.add(folder)
                folder = posixpath.dirname(folder)

    def has(self, folder: str) -> bool:
        return folder in self.folders

    def revisions_in(self, folder: str) -> list[str]:
        """The files Alembic would list directly in ``folder``."""
        return sorted(p for p in self.files_in.get(folder, ()) if _REVISION_FILE.match(posixpath.basename(p)))

    def below(self, folder: str) -> list[str]:
        """Every folder under ``folder`` (not itself), sorted."""
        prefix = folder + "/" if folder else ""
        return sorted(f for f in self.folders if f != folder and f.startswith(prefix) and f)

    def holds_revisions(self, folder: str) -> bool:
        return any(_REVISION_ID.search(self.python.get(p, b"")) for p in self.revisions_in(folder))


# ------------------------------------------------------------------------------- where an option stands


def _option_line(text: str, section: str, option: str) -> int | None:
    """The line of ``option`` in ``[section]`` of ini ``text`` (or of the section header without it)."""
    current: str | None = None
    header: int | None = None
    wanted = re.compile(rf"\s*{re.escape(option)}\s*[=:]", re.IGNORECASE)
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1].strip()
            if current == section:
                header = number
            continue
        if current == section and not line[:1].isspace() and wanted.match(line):
            return number
    return header


def _toml_line(text: str, option: str) -> int | None:
    in_table = False
    header: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.replace(" ", "") == "[tool.alembic]"
            if in_table:
                header = number
            continue
        if in_table and re.match(rf"{re.escape(option)}\s*=", stripped):
            return number
    return header


class _Reading:
    """Collects environments and diagnostics while the tree's configuration is read."""

    def __init__(self, tree: _Tree, read_text: Reader, configs: ConfigFiles) -> None:
        self.tree = tree
        self.read_text = read_text
        self.configs = configs
        self.diagnostics: list[Diagnostic] = []
        self.environments: list[_Environment] = []
        self.configured_folders: set[str] = set()
        self._texts: dict[str, str | Diagnostic] = {}

    def text(self, path: str) -> str | Diagnostic:
        """The text of a tree file, read once."""
        if path not in self._texts:
            self._texts[path] = self.read_text(path)
        return self._texts[path]

    def problem(self, message: str, path: str | None, line: int | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, SourceLocation(path, line) if path else None))

    # ------------------------------------------------------------------------------------ locations

    def locate(self, value: str, folder: str, where: SourceLocation, what: str) -> str | None:
        """The tree folder a configured location names, or ``None`` and a diagnostic."""
        value = value.strip().replace("\\", "/")
        if not value:
            return None
        in_tree = value == TREE_ROOT or value.startswith(TREE_ROOT + "/")
        if in_tree:  # %(here)s made it absolute
            relative = value[len(TREE_ROOT) :].lstrip("/")
        elif value.startswith("/") or re.match(r"[A-Za-z]:/", value):
            self.problem(f"{what} {value!r} lies outside the scanned tree", where.path, where.line)
            return None
        elif ":" in value:
            return self.locate_package(value, folder, where, what)
        else:
            # Alembic resolves a relative path against the folder it runs in: the config file's, by convention
            relative = posixpath.join(folder, value) if folder else value
        joined = posixpath.normpath(relative or ".")
        joined = "" if joined == "." else joined
        shown = (joined or ".") if in_tree else value
        if joined == ".." or joined.startswith("../"):
            self.problem(f"{what} {shown!r} lies outside the scanned tree", where.path, where.line)
            return None
        if not self.tree.has(joined):
            self.problem(
                f"{what} {shown!r} is not a folder of the scanned tree; its revisions were not read",
                where.path,
                where.line,
            )
            return None
        return joined

    def locate_package(self, value: str, folder: str, where: SourceLocation, what: str) -> str | None:
        """``pkg.sub:path:more`` -> the folder of that name inside the package, wherever the package lives in
        the tree (never imported); the copy nearest the config file when several match."""
        package, *parts = value.split(":")
        package_path = package.strip().replace(".", "/")
        rest = "/".join(p.strip("/") for p in parts if p.strip("/"))
        candidates = []
        for found in self.tree.folders:
            if found == package_path or found.endswith("/" + package_path):
                target = posixpath.join(found, rest) if rest else found
                if self.tree.has(target):
                    candidates.append(target)
        if not candidates:
            self.problem(
                f"{what} {value!r}: no package {package!r} holding {rest or 'it'} in the scanned tree; "
                "its revisions were not read",
                where.path,
                where.line,
            )
            return None
        return max(candidates, key=lambda c: (len(posixpath.commonprefix([c, folder + "/"])), -len(c), c))

    # -------------------------------------------------------------------------------- config files

    def stage(
        self, folder: str, ini: str | None, toml: tuple[str, str] | None
    ) -> tuple[StagedConfig, configparser.RawConfigParser | None, str] | None:
        """The config files of one folder handed to Alembic's ``Config`` (which must be able to read the
        ini), with a raw reading of the ini, in which ``[DEFAULT]`` is a plain section: which sections set
        an option themselves.  ``None`` and a diagnostic when they cannot be read."""
        text = ""
        if ini is not None:
            read = self.text(ini)
            if isinstance(read, Diagnostic):
                self.diagnostics.append(read)
                return None
            text = read
        try:
            staged = self.configs.stage(folder, (ini, text) if ini is not None else None, toml)
            staged.check()
        except ConfigProblem as exc:
            where = ini if ini is not None else toml[0] if toml else None
            self.problem(f"cannot read Alembic configuration: {exc}", where, exc.line)
            return None
        if ini is None:
            return staged, None, text
        raw = configparser.RawConfigParser(default_section="\x00none", strict=False)
        try:
            raw.read_string(text, source=ini)
        except configparser.Error as exc:  # Alembic's stricter reading took it: not expected
            self.problem(f"cannot read Alembic configuration: {str(exc).splitlines()[0]}", ini, None)
            return None
        return staged, raw, text

    def read_toml(self, path: str) -> tuple[dict[str, Any], str] | None:
        """``[tool.alembic]`` of a ``pyproject.toml``, or ``None`` when it has none."""
        text = self.text(path)
        if isinstance(text, Diagnostic):
            self.diagnostics.append(text)
            return None
        if "alembic" not in text:
            return None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = _TOML_LINE.search(str(exc))
            self.problem(
                f"cannot read pyproject.toml: {str(exc).splitlines()[0]}",
                path,
                int(match.group(1)) if match else None,
            )
            return None
        tool = data.get("tool")
        table = tool.get("alembic") if isinstance(tool, dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            self.problem(
                "[tool.alembic] is not a table; Alembic refuses it", path, _toml_line(text, "alembic")
            )
            return None
        return table, text

    def environment(
        self,
        config: StagedConfig,
        folder: str,
        line_of: Callable[[str], SourceLocation],
        section: str,
        flask_migrate: bool,
    ) -> None:
        """Read one configured environment (an ini section, possibly with ``[tool.alembic]``)."""
        command = (
            "alembic upgrade head"
            if section == "alembic"
            else f"alembic -n {shlex.quote(section)} upgrade head"
        )
        try:
            options = config.options(section)
        except ConfigProblem as exc:
            where = line_of(exc.option or "script_location")
            self.problem(f"cannot read Alembic configuration: {exc}", where.path, where.line)
            return
        script, locations = options.script_location, options.version_locations
        # Alembic takes a TOML value of another type as it is, and fails later on: said here, on its line
        if script is not None and not isinstance(script, str):
            where = line_of("script_location")
            self.problem("script_location in [tool.alembic] must be a string", where.path, where.line)
            return
        if locations is not None and not isinstance(locations, list):
            where = line_of("version_locations")
            self.problem(
                "version_locations in [tool.alembic] must be a list of paths", where.path, where.line
            )
            return
        where = line_of("script_location")
        if script is None:
            if not flask_migrate:
                self.problem(
                    f"no script_location in [{section}] (nor [tool.alembic]), and no env.py beside it: "
                    "Alembic cannot run this configuration; no revisions read from it",
                    where.path,
                    where.line,
                )
                return
            script_dir: str | None = folder  # Flask-Migrate sets script_location to the ini's own folder
        else:
            script_dir = self.locate(script, folder, where, "script_location")
            if script_dir is None:
                return
        folders: list[str] = []
        if locations:
            where = line_of("version_locations")
            for value in locations:
                found = self.locate(str(value), folder, where, "version location")
                if found is not None:
                    folders.append(found)
        elif script_dir is not None:
            versions = posixpath.join(script_dir, "versions") if script_dir else "versions"
            if self.tree.has(versions):
                folders.append(versions)
        origin = line_of("script_location")
        self.add(_Environment(tuple(dict.fromkeys(folders)), options.recursive, command, origin))

    def add(self, environment: _Environment) -> None:
        self.environments.append(environment)
        self.configured_folders.update(environment.folders)


def _read_configs(reading: _Reading, configured: Iterable[str], configured_origin: str | None) -> None:
    tree = reading.tree
    inis = [
        p
        for p in tree.paths
        if posixpath.basename(p) == "alembic.ini"
        or (p.endswith(".ini") and "script_location" in _text_or_empty(reading.text(p)))
    ]
    tomls = {posixpath.dirname(p): p for p in tree.paths if posixpath.basename(p) == "pyproject.toml"}
    toml_tables: dict[str, tuple[dict[str, Any], str]] = {}
    for folder, path in sorted(tomls.items()):
        table = reading.read_toml(path)
        if table is not None:
            toml_tables[folder] = table
    paired: set[str] = set()
    for ini in inis:
        folder = posixpath.dirname(ini)
        toml = toml_tables.get(folder) if posixpath.basename(ini) == "alembic.ini" else None
        if toml is not None:
            paired.add(folder)
        _read_ini(reading, ini, toml, tomls.get(folder), None)
    for folder, table in sorted(toml_tables.items()):
        if folder not in paired:
            _read_ini(reading, None, table, tomls[folder], None, folder)
    for value in configured:
        _read_configured(reading, value, configured_origin)


def _text_or_empty(text: str | Diagnostic) -> str:
    # an unreadable .ini that is not alembic.ini may well not be Alembic's: no diagnostic for it
    return text if isinstance(text, str) else ""


def _read_ini(
    reading: _Reading,
    ini: str | None,
    toml: tuple[dict[str, Any], str] | None,
    toml_path: str | None,
    only_section: str | None,
    toml_folder: str = "",
) -> None:
    """Every environment of an ini file (its ``[alembic]`` section and each named section that sets
    ``script_location``), with the ``[tool.alembic]`` table beside it; or of ``[tool.alembic]`` alone."""
    folder = posixpath.dirname(ini) if ini else toml_folder
    table, toml_text = toml if toml else (None, "")
    read = reading.stage(
        folder, ini, (toml_path or "pyproject.toml", toml_text) if table is not None else None
    )
    if read is None:
        return
    config, raw, text = read
    env_py = posixpath.join(folder, "env.py") if folder else "env.py"
    flask_migrate = env_py in reading.tree.files_in.get(folder, [])

    if raw is not None:
        # [alembic] plus each named section that sets script_location itself (one ``alembic -n NAME``)
        sections = [s for s in raw.sections() if s != "DEFAULT" and raw.has_option(s, "script_location")]
        if "alembic" not in sections and (raw.has_section("alembic") or table is not None or flask_migrate):
            sections.insert(0, "alembic")
        if not sections:
            reading.problem(
                "no section of this file sets script_location: Alembic cannot run it; no revisions read",
                ini,
                1,
            )
            return
    else:
        sections = ["alembic"]
    if only_section is not None:
        if raw is not None and not raw.has_section(only_section):
            reading.problem(
                f"no section [{only_section}] in this file (alembic -n {only_section} would fail); "
                "its revisions were not read",
                ini,
                None,
            )
            return
        sections = [only_section]
    for section in sections:

        def line_of(option: str, section: str = section) -> SourceLocation:
            if ini and raw is not None and raw.has_option(section, option):
                return SourceLocation(ini, _option_line(text, section, option))
            if table is not None and option in table and toml_path:
                return SourceLocation(toml_path, _toml_line(toml_text, option))
            if ini:
                return SourceLocation(ini, _option_line(text, section, option))
            return SourceLocation(toml_path or "pyproject.toml", _toml_line(toml_text, option))

        reading.environment(config, folder, line_of, section, flask_migrate)


def _read_configured(reading: _Reading, value: str, origin: str | None) -> None:
    """An ``alembic_locations`` entry: a script location, a version folder, or a config file (``x.ini``,
    ``x.ini[section]``, ``pyproject.toml``)."""
    where_path = origin.split()[0] if origin and origin.split()[0].endswith(".toml") else None
    where = SourceLocation(where_path or "alembic_locations", None)
    text = value.strip()
    section: str | None = None
    match = re.fullmatch(r"(.+?\.ini)\s*\[([^\]]+)\]", text)
    if match:
        text, section = match.group(1), match.group(2).strip()
    norm = posixpath.normpath(text.replace("\\", "/").lstrip("/")) if text.strip("./") else ""
    if norm == ".":
        norm = ""
    if norm.endswith(".ini") or posixpath.basename(norm) == "pyproject.toml":
        if norm not in reading.tree.paths:
            reading.problem(
                f"alembic_locations names {value!r}, which is not a file of the scanned tree", where.path
            )
            return
        if norm.endswith(".ini"):
            _read_ini(reading, norm, None, None, section)
        else:
            table = reading.read_toml(norm)
            if table is None:
                reading.problem(f"alembic_locations names {value!r}, which has no [tool.alembic]", where.path)
                return
            _read_ini(reading, None, table, norm, None, posixpath.dirname(norm))
        return
    versions = posixpath.join(norm, "versions") if norm else "versions"
    if reading.tree.has(versions):
        reading.add(_Environment((versions,), False, "alembic upgrade head", None))
    elif reading.tree.has(norm) and norm:
        reading.add(_Environment((norm,), False, "alembic upgrade head", None))
    else:
        reading.problem(
            f"alembic_locations names {value!r}, which is not a folder of the scanned tree", where.path
        )


# ------------------------------------------------------------------------------------------ Flask-Alembic


def _flask_alembic(reading: _Reading) -> None:
    """Flask-Alembic keeps revisions straight in its script location (default ``migrations`` beside the app),
    configured in the Flask app's ``ALEMBIC`` setting rather than in an ini."""
    tree = reading.tree
    if not any(b"flask_alembic" in data for data in tree.python.values()):
        return
    configured = False
    for path, data in sorted(tree.python.items()):
        if b"ALEMBIC" not in data:
            continue
        try:
            module = ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the scan reports the file itself
        for setting in _alembic_settings(module):
            configured = True
            line = SourceLocation(path, setting.lineno)
            for key, expr in _dict_items(setting):
                if key not in ("script_location", "version_locations"):
                    continue
                values = expr.elts if isinstance(expr, (ast.List, ast.Tuple)) else [expr]
                folders: list[str] = []
                for item in values:
                    located = _flask_location(reading, item, path, SourceLocation(path, item.lineno), key)
                    if located is not None:
                        folders.append(located)
                if folders:
                    reading.add(_Environment(tuple(folders), False, "flask db upgrade head", line))
    if configured:
        return
    for folder in sorted(tree.folders):
        if posixpath.basename(folder) != "migrations" or folder in reading.configured_folders:
            continue
        if posixpath.join(folder, "env.py") in tree.files_in.get(folder, []):
            continue  # an Alembic/Flask-Migrate environment, read from its ini
        if tree.holds_revisions(folder):
            reading.add(_Environment((folder,), False, "flask db upgrade head", None))


def _alembic_settings(module: ast.Module) -> list[ast.expr]:
    """Values assigned to ``ALEMBIC`` (a name, a class attribute, ``config["ALEMBIC"]``)."""
    found: list[ast.expr] = []
    for node in ast.walk(module):
        if isinstance(node, ast.Assign):
            targets: list[ast.expr] = list(node.targets)
            value: ast.expr | None = node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            named = isinstance(target, ast.Name) and target.id == "ALEMBIC"
            keyed = (
                isinstance(target, ast.Subscript)
                and isinstance(target.slice, ast.Constant)
                and target.slice.value == "ALEMBIC"
            )
            if (named or keyed) and value is not None:
                found.append(value)
    return found


def _dict_items(node: ast.expr) -> list[tuple[str, ast.expr]]:
    if isinstance(node, ast.Dict):
        return [
            (k.value, v)
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        ]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return [(kw.arg, kw.value) for kw in node.keywords if kw.arg]
    return []


def _flask_location(
    reading: _Reading, node: ast.expr, path: str, where: SourceLocation, key: str
) -> str | None:
    """A literal path, or the literal tail of ``os.path.join(base, "app/migrations")`` (the base is only known
    at run time: the folder that ends with the tail is taken)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        tail = node.value
    elif isinstance(node, ast.Call) and node.args:
        literal = []
        for arg in reversed(node.args):
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            literal.append(arg.value)
        tail = "/".join(reversed(literal))
    else:
        tail = ""
    tail = posixpath.normpath(tail.replace("\\", "/")).strip("/") if tail.strip() else ""
    if not tail or tail == ".":
        if key == "script_location":
            reading.problem(
                f"Flask-Alembic {key} is only known at run time; set alembic_locations to read its revisions",
                where.path,
                where.line,
            )
        return None
    matches = [f for f in reading.tree.folders if f and (f == tail or f.endswith("/" + tail))]
    if not matches:
        reading.problem(
            f"Flask-Alembic {key} {tail!r} is not a folder of the scanned tree; its revisions were not read",
            where.path,
            where.line,
        )
        return None
    folder = posixpath.dirname(path)
    return max(matches, key=lambda c: (len(posixpath.commonprefix([c, folder + "/"])), -len(c), c))


# -------------------------------------------------------------------------------------------- the trees


def _guess(reading: _Reading) -> None:
    """No configuration anywhere: folders laid out like Alembic's (``env.py`` beside ``versions/``)."""
    tree = reading.tree
    for folder in sorted(tree.folders):
        if posixpath.basename(folder) != "versions":
            continue
        parent = posixpath.dirname(folder)
        env = posixpath.join(parent, "env.py") if parent else "env.py"
        if env in tree.files_in.get(parent, []):
            reading.add(_Environment((folder,), False, "alembic upgrade head", None))


def _trees(reading: _Reading) -> list[RevisionTree]:
    tree = reading.tree
    trees: list[RevisionTree] = []
    claimed: set[str] = set()
    seen_envs: set[tuple[tuple[str, ...], bool]] = set()
    for env in reading.environments:
        if not env.folders or (env.folders, env.recursive) in seen_envs:
            continue  # two sections or entries naming the same folders: one history, read once
        seen_envs.add((env.folders, env.recursive))
        groups: list[tuple[str, list[str]]] = []
        main: list[str] = []
        for folder in env.folders:
            main.extend(tree.revisions_in(folder))
            for sub in tree.below(folder):
                if posixpath.basename(sub) == "__pycache__" or "/__pycache__/" in sub + "/":
                    continue
                if env.recursive:
                    main.extend(tree.revisions_in(sub))
                elif sub not in env.folders and tree.holds_revisions(sub):
                    groups.append((sub, tree.revisions_in(sub)))
        groups.insert(0, (env.folders[0], main))
        for key, files in groups:
            fresh = tuple(f for f in dict.fromkeys(files) if f not in claimed)
            if not fresh:
                continue
            claimed.update(fresh)
            folders = env.folders if key == env.folders[0] else (key,)
            trees.append(RevisionTree(key, folders, fresh, env.command, env.origin))
    return trees


def find_revision_trees(
    paths: Sequence[str],
    read_text: Reader,
    python: Mapping[str, bytes],
    configured: Iterable[str] = (),
    configured_origin: str | None = None,
) -> tuple[list[RevisionTree], list[Diagnostic]]:
    """Every history of Alembic revisions in a tree of ``paths``: from its ini files and ``[tool.alembic]``
    tables, the configured ``alembic_locations``, Flask-Alembic settings, and, when none of those names any,
    from folders laid out like Alembic's.  ``python`` holds the bytes of the tree's Python files; what cannot
    be read or does not exist is a diagnostic with its file and line."""
    with ConfigFiles() as configs:
        reading = _Reading(_Tree(paths, python), read_text, configs)
        _read_configs(reading, configured, configured_origin)
    _flask_alembic(reading)
    if not reading.environments:
        _guess(reading)
    return _trees(reading), reading.diagnostics
