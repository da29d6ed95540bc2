"""``scan_tree``: discovery, table index, reachable writes per source, revision graph -> ``ScanResult``."""

from __future__ import annotations

import ast
import dataclasses
import gc
import posixpath
import re
import shlex
from collections.abc import Iterable
from pathlib import Path

from dbaudit.config import Settings
from dbaudit.markdown import code
from dbaudit.model import (
    Diagnostic,
    Finding,
    RevisionInfo,
    ScanResult,
    SeedSource,
    Severity,
    SourceKind,
    SourceLocation,
    TableWrite,
)
from dbaudit.scan import dumps, fixtures
from dbaudit.scan.conventions import record_conventions
from dbaudit.scan.discovery import FIXTURE_SUFFIXES, Discovery, discover, in_folder
from dbaudit.scan.files import decode, digest, parse_python, read
from dbaudit.scan.flow import Evaluator
from dbaudit.scan.project import ModuleContext, Project, module_name
from dbaudit.scan.revisions import heads, revision_info
from dbaudit.scan.sql import analyse_sql
from dbaudit.scan.tables import INDEX_HINTS, TableIndex, build_index, module_tables
from dbaudit.scan.tree import FileSystemTree, SourceTree
from dbaudit.scan.values import Hit

_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "alembic.ini", "requirements.txt", "manage.py")
_MAKEFILES = ("Makefile", "makefile", "GNUmakefile")
#: Files read as SQL: scripts, and dumps whatever their extension says.
_SQL_SUFFIXES = ("sql", "dump", "pgsql")
_TARGET = re.compile(r"^([A-Za-z0-9_.-]+)\s*:(?!=)")


def scan_sources(root: Path, settings: Settings) -> ScanResult:
    """Scan the folder ``root`` (see :func:`scan_tree`)."""
    return scan_tree(FileSystemTree(root, settings.skip_dirs), settings)


class _Scan:
    def __init__(self, tree: SourceTree, settings: Settings) -> None:
        self.tree = tree
        self.settings = settings
        self.found: Discovery = discover(tree, settings)
        self.paths = self.found.paths
        self.pathset = set(self.paths)
        self.diagnostics: list[Diagnostic] = list(self.found.diagnostics)
        self.findings: list[Finding] = []
        self.files_scanned = 0

    def run(self) -> ScanResult:
        python = [p for p in self.paths if p.endswith(".py")]
        tree_of = self.found.revisions
        revisions = [p for p in python if p in tree_of]
        revision_set = set(revisions)
        seeds = self.found.seeds
        seed_set = set(seeds)

        project = Project(self.tree, python, TableIndex({}, {}, {}, (), ()))
        indexed = []
        for path in python:
            data = self.found.python[path]
            self.files_scanned += 1
            if isinstance(data, Diagnostic):
                self.diagnostics.append(data)
                continue
            is_source = path in revision_set or path in seed_set
            if not is_source and not any(hint in data for hint in INDEX_HINTS):
                continue
            parsed = parse_python(path, data)
            if isinstance(parsed, Diagnostic):
                self.diagnostics.append(parsed)
                continue
            project.add_parsed(parsed)
            if path not in revision_set:
                indexed.append(module_tables(parsed.tree, path))
        index = build_index(indexed)
        project.index = index
        self.findings.extend(index.findings)
        evaluator = Evaluator(project)

        sources: list[SeedSource] = []
        makefiles = self.makefiles()
        for path in seeds:
            found: SeedSource | None
            if path.endswith(".py"):
                ctx = project.context(path)
                if ctx is None:
                    continue
                try:
                    hits = evaluator.module_entry(ctx)
                except RecursionError:
                    self.diagnostics.append(_too_deep(path))
                    continue
                command = self.command(path, ctx, makefiles)
                found = self.source(path, SourceKind.SCRIPT, hits, ctx.digest, command)
            else:
                self.files_scanned += 1
                found = self.data_file(path, index, makefiles)
            if found is not None and found.writes:
                sources.append(found)
        infos: list[RevisionInfo] = []
        revision_sources: list[SeedSource] = []
        for path in revisions:
            ctx = project.context(path)
            if ctx is None:
                continue
            info = revision_info(ctx.tree)
            if info is None:
                # Alembic refuses a version folder holding such a file; the scan reads the others
                self.diagnostics.append(
                    Diagnostic(
                        "in an Alembic version folder but has no literal revision id "
                        '(`revision = "..."` at top level); not read as a revision',
                        SourceLocation(path, None),
                    )
                )
                continue
            tree = tree_of[path]
            info = dataclasses.replace(info, tree=tree.key)
            infos.append(info)
            try:
                hits = evaluator.function_entry(ctx, "upgrade")
            except RecursionError:
                self.diagnostics.append(_too_deep(path))
                hits = []
            revision = self.source(path, SourceKind.REVISION, hits, ctx.digest, tree.command, info)
            if revision.writes:
                revision_sources.append(revision)
        self.diagnostics.extend(project.diagnostics)
        self.diagnostics.extend(evaluator.diagnostics)
        ordered = _in_upgrade_order(revision_sources, infos, [t.key for t in self.found.trees])
        return ScanResult(
            root=self.tree.root_label,
            sources=tuple(sorted(sources, key=lambda s: s.path)) + tuple(ordered),
            declarations=index.declarations,
            findings=tuple(self.findings),
            diagnostics=tuple(_unique(self.diagnostics)),
            revision_heads=_heads(infos),
            files_scanned=self.files_scanned,
        )

    # ------------------------------------------------------------------------------------------ sources

    def source(
        self,
        path: str,
        kind: SourceKind,
        hits: Iterable[Hit],
        file_digest: str,
        command: str | None,
        info: RevisionInfo | None = None,
    ) -> SeedSource:
        writes: dict[tuple[object, ...], TableWrite] = {}
        for hit in hits:
            if hit.table is None:
                self.findings.append(
                    Finding(
                        "unresolved-name",
                        f"{code(path)} writes rows ({hit.recogniser}) into a table whose name is only known "
                        f"at run time ({code(hit.dynamic or '?')}); dbaudit does not guess it",
                        Severity.WARNING,
                        source=path,
                        location=SourceLocation(hit.path, hit.line),
                    )
                )
                continue
            table, schema = hit.table
            key = (table, schema, hit.recogniser, hit.path, hit.line)
            previous = writes.get(key)
            if previous is None or (previous.conditional and not hit.conditional):
                writes[key] = TableWrite(
                    table, hit.recogniser, schema, hit.conditional, SourceLocation(hit.path, hit.line)
                )
        if info is not None:
            info = dataclasses.replace(info, is_data=bool(writes))
        return SeedSource(path, kind, tuple(writes.values()), info, command, file_digest)

    def data_file(
        self, path: str, index: TableIndex, makefiles: dict[str, list[tuple[str, str]]]
    ) -> SeedSource | None:
        suffix = path.rsplit(".", 1)[-1].lower()
        is_sql = suffix in _SQL_SUFFIXES
        if not is_sql and "." + suffix not in FIXTURE_SUFFIXES:
            return None
        data = read(self.tree, path)
        if isinstance(data, Diagnostic):
            self.diagnostics.append(data)
            return None
        if is_sql and data.startswith(dumps.CUSTOM_ARCHIVE_MAGIC):
            self.diagnostics.append(
                Diagnostic(
                    "a pg_dump archive in custom format: dbaudit reads plain-text dumps "
                    "(`pg_restore -f FILE.sql` writes one); skipped",
                    SourceLocation(path, 1),
                )
            )
            return None
        text = decode(path, data)
        if isinstance(text, Diagnostic):
            self.diagnostics.append(text)
            return None
        writes: list[TableWrite] = []
        if is_sql:
            try:
                # a dump by its extension or its content: COPY data and routine bodies need the dump reader
                if suffix != "sql" or dumps.is_dump(text):
                    found = dumps.dump_writes(text)
                else:
                    found = analyse_sql(text)
            except (Exception, RecursionError) as exc:  # sqlglot raises several error types
                self.diagnostics.append(
                    Diagnostic(
                        f"cannot parse SQL: {str(exc).splitlines()[0][:160]}", SourceLocation(path, None)
                    )
                )
                return None
            for write in found:
                if write.table is None:
                    continue
                writes.append(
                    TableWrite(
                        write.table, write.recogniser, write.schema, False, SourceLocation(path, write.line)
                    )
                )
            kind = SourceKind.SQL
        else:
            known = {t for t, _ in index.classes.values()} | {d.table for d in index.declarations}
            classes = {name.lower(): table for name, (table, _schema) in index.classes.items()}
            try:
                result = fixtures.fixture_tables(path, text, known, classes, self.settings.fixture_map)
            except RecursionError:
                result = _too_deep(path)
            if isinstance(result, Diagnostic):
                self.diagnostics.append(result)
                return None
            for table, line in result:
                schema, _, name = table.rpartition(".")
                writes.append(
                    TableWrite(name, fixtures.RECOGNISER, schema or None, False, SourceLocation(path, line))
                )
            kind = SourceKind.FIXTURE
        return SeedSource(path, kind, tuple(writes), None, self.make_target(path, makefiles), digest(data))

    # ------------------------------------------------------------------------------------ run commands

    def makefiles(self) -> dict[str, list[tuple[str, str]]]:
        """Makefile path -> (target, recipe line) pairs."""
        found: dict[str, list[tuple[str, str]]] = {}
        for path in self.paths:
            if posixpath.basename(path) not in _MAKEFILES:
                continue
            data = read(self.tree, path)
            if isinstance(data, Diagnostic):
                self.diagnostics.append(data)
                continue
            text = decode(path, data)
            if isinstance(text, Diagnostic):
                continue
            target = None
            recipes: list[tuple[str, str]] = []
            for line in text.splitlines():
                if line.startswith("\t"):
                    if target:
                        recipes.append((target, line.strip()))
                    continue
                match = _TARGET.match(line)
                target = match.group(1) if match and not match.group(1).startswith(".") else None
            found[path] = recipes
        return found

    def make_target(self, path: str, makefiles: dict[str, list[tuple[str, str]]]) -> str | None:
        for makefile, recipes in makefiles.items():
            folder = posixpath.dirname(makefile)
            if not in_folder(path, folder):
                continue
            relative = path[len(folder) + 1 :] if folder else path
            dotted = module_name(relative)
            for target, recipe in recipes:
                words = recipe.replace("'", " ").replace('"', " ").split()
                if any(w.endswith(relative) for w in words) or (relative.endswith(".py") and dotted in words):
                    make = f"make -C {shlex.quote(folder)}" if folder else "make"
                    return f"{make} {shlex.quote(target)}"
        return None

    def command(
        self, path: str, ctx: ModuleContext, makefiles: dict[str, list[tuple[str, str]]]
    ) -> str | None:
        target = self.make_target(path, makefiles)
        if target:
            return target
        if not _runs_itself(ctx.tree):
            return None
        folder = posixpath.dirname(path)
        if path.endswith(".py") and posixpath.join(folder, "__init__.py") in self.pathset:
            # a module of a package: run it as one, from the folder above the top package
            top = folder
            while top and posixpath.join(top, "__init__.py") in self.pathset:
                top = posixpath.dirname(top)
            return f"python -m {shlex.quote(module_name(path[len(top) + 1 :] if top else path))}"
        while folder:
            if any(f"{folder}/{marker}" in self.pathset for marker in _PROJECT_FILES):
                break
            folder = posixpath.dirname(folder)
        relative = path[len(folder) + 1 :] if folder else path
        return f"python {shlex.quote(relative)}"


def _too_deep(path: str) -> Diagnostic:
    return Diagnostic("code nested too deeply to analyse; skipped", SourceLocation(path, None))


def _runs_itself(tree: ast.Module) -> bool:
    """The module does something when run: a ``__main__`` block or a call at top level."""
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await)):
            return True
    return False


def _heads(infos: list[RevisionInfo]) -> tuple[str, ...]:
    """The heads of every revision tree, each tree's graph on its own, sorted."""
    trees: dict[str | None, list[RevisionInfo]] = {}
    for info in infos:
        trees.setdefault(info.tree, []).append(info)
    return tuple(sorted({head for members in trees.values() for head in heads(members)}))


def _in_upgrade_order(
    sources: list[SeedSource], infos: list[RevisionInfo], trees: list[str]
) -> list[SeedSource]:
    """Revisions tree by tree (in the order the trees were found), each from the base up (parents before
    children), ties by path.  Ids are looked up within a tree: two histories may share one."""
    order: dict[str | None, int] = {tree: i for i, tree in enumerate(trees)}
    by_rev = {(i.tree, i.revision): i for i in infos}
    depth: dict[tuple[str | None, str], int] = {}

    def level(key: tuple[str | None, str], seen: frozenset[str] = frozenset()) -> int:
        if key in depth:
            return depth[key]
        info = by_rev.get(key)
        if info is None or key[1] in seen:
            return 0
        value = 1 + max((level((key[0], d), seen | {key[1]}) for d in info.down_revision), default=-1)
        depth[key] = value
        return value

    def position(source: SeedSource) -> tuple[int, int, str]:
        info = source.revision
        if info is None:
            return (0, 0, source.path)
        return (order.get(info.tree, 0), level((info.tree, info.revision)), source.path)

    return sorted(sources, key=position)


def _unique(items: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, str | None, int | None]] = set()
    out: list[Diagnostic] = []
    for item in items:
        key = (
            item.message,
            item.location.path if item.location else None,
            item.location.line if item.location else None,
        )
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def scan_tree(tree: SourceTree, settings: Settings) -> ScanResult:
    """Scan a :class:`SourceTree` statically: which seed sources write which tables.

    Never imports or runs scanned code.  Files that cannot be read or parsed become diagnostics.
    """
    # The scan keeps every parsed module alive; the cyclic collector would re-walk that growing heap on each
    # parse (tripling the cost) and find nothing to free, since syntax trees hold no cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        result = _Scan(tree, settings).run()
    finally:
        if enabled:
            gc.enable()
    return dataclasses.replace(result, conventions=record_conventions(tree, result.sources, settings))
