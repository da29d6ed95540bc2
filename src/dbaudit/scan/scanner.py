"""``scan_tree``: discovery, table index, reachable writes per source, revision graph -> ``ScanResult``."""

from __future__ import annotations

import dataclasses
import fnmatch
import gc
import posixpath
import re
import shlex
from collections.abc import Iterable
from pathlib import Path

from dbaudit import progress
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
from dbaudit.scan.commands import (
    COMMAND_HINTS,
    SEED_WORDS,
    Command,
    is_test_code,
    passes_through,
    possible_sources,
    project_commands,
    seed_scripts,
)
from dbaudit.scan.conventions import record_conventions
from dbaudit.scan.discovery import FIXTURE_SUFFIXES, Discovery, Listing, find_sources, in_folder, list_files
from dbaudit.scan.files import ParsedModule, decode, digest, parse_python, read
from dbaudit.scan.flow import Evaluator, has_entry, runs_itself
from dbaudit.scan.named_queries import named_queries
from dbaudit.scan.project import ModuleContext, Project, module_name
from dbaudit.scan.revisions import heads, revision_info
from dbaudit.scan.sql import analyse_sql
from dbaudit.scan.tables import INDEX_HINTS, TableIndex, build_index, module_tables
from dbaudit.scan.tree import FileSystemTree, SourceTree
from dbaudit.scan.values import Hit

_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "alembic.ini", "requirements.txt", "manage.py")
_MAKEFILES = ("Makefile", "makefile", "GNUmakefile")
#: Bytes of a module parsed before the revisions are known: it declares tables, or it looks like a revision.
_EARLY_HINTS = (*INDEX_HINTS, b"down_revision")
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
        self.listing: Listing = list_files(tree, settings)
        self.paths = self.listing.paths
        self.pathset = set(self.paths)
        self.diagnostics: list[Diagnostic] = []
        self.findings: list[Finding] = []
        self.files_scanned = 0
        # kept for ``scan --explain``: every source's hits with their call chains, the commands outside
        self.explaining = False
        self.trace: list[tuple[str, SourceKind, list[Hit]]] = []
        self.commands: list[Command] = []
        self.revisions: list[str] = []
        self.project: Project | None = None
        self.seed_paths: list[str] = []
        self.evaluator: Evaluator | None = None

    def run(self) -> ScanResult:
        python = [p for p in self.paths if p.endswith(".py")]
        self.python = python
        progress.phase("files scanned")
        # The modules that declare tables, and those that look like revisions, are parsed before Alembic's
        # configuration says which files are revisions: from the command line that configuration is read in
        # a helper process still importing Alembic (see dbaudit.helper), and this parsing is what the scan
        # does meanwhile.  A file that looked like a revision but is none costs one parse, nothing more.
        early: dict[str, ParsedModule | Diagnostic] = {}
        for path in python:
            data = self.listing.python[path]
            if isinstance(data, bytes) and any(hint in data for hint in _EARLY_HINTS):
                early[path] = parse_python(path, data)
        self.found: Discovery = find_sources(self.listing, self.settings)
        self.diagnostics.extend(self.found.diagnostics)
        tree_of = self.found.revisions
        revisions = [p for p in python if p in tree_of]
        revision_set = set(revisions)
        seeds = self.found.seeds
        self.seed_paths = seeds
        seed_set = set(seeds)
        # a file the configuration names by its path (no wildcard) is a seed source on the user's word
        named = set(self.settings.seed_globs) | set(getattr(self.settings, "extend_seed_globs", ()))

        project = Project(self.tree, python, TableIndex({}, {}, {}, (), ()))
        project.sql_paths = [p for p in self.paths if p.endswith(".sql")]
        project.all_paths = frozenset(self.paths)
        indexed = []
        local = []
        with_commands: list[str] = []
        for path in python:
            data = self.found.python[path]
            self.files_scanned += 1
            progress.advance()
            if isinstance(data, Diagnostic):
                self.diagnostics.append(data)
                continue
            is_source = path in revision_set or path in seed_set
            if not is_source and any(hint in data for hint in COMMAND_HINTS):
                with_commands.append(path)
            if not is_source and not any(hint in data for hint in INDEX_HINTS):
                continue
            parsed = early.pop(path, None) or parse_python(path, data)
            if isinstance(parsed, Diagnostic):
                self.diagnostics.append(parsed)
                continue
            project.add_parsed(parsed)
            if path not in revision_set:
                indexed.append(module_tables(parsed.tree, path))
            elif b"__tablename__" in data or b"Table(" in data:
                local.append(module_tables(parsed.tree, path))
        index = build_index(indexed)
        for tables in local:
            # a revision's own ORM classes (a frozen copy of the model at that revision) name tables for that
            # revision only: they are known by path, never declarations of the project
            own = build_index([tables])
            index.by_path.update(own.by_path)
        project.index = index
        self.findings.extend(index.findings)
        evaluator = Evaluator(project)
        self.project, self.evaluator, self.revisions = project, evaluator, revisions

        sources: list[SeedSource] = []
        makefiles = self.makefiles()
        for path in seeds:
            found: SeedSource | None
            if path.endswith(".py"):
                ctx = project.context(path)
                if ctx is None:
                    continue
                try:
                    hits = evaluator.module_entry(ctx, by_hand=path in named)
                except RecursionError:
                    self.diagnostics.append(_too_deep(path))
                    continue
                command = self.command(path, ctx, makefiles)
                found = self.source(path, SourceKind.SCRIPT, hits, ctx.digest, command)
            else:
                self.files_scanned += 1
                progress.advance()
                found = self.data_file(path, index, makefiles)
            if found is not None and found.writes:
                sources.append(found)
        sources.extend(self.elsewhere(evaluator, project, seeds, named, with_commands, sources, makefiles))
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
        if not self.explaining:
            # the project and the evaluator refer to each other: without this, every parsed module stays alive
            # until the cyclic collector walks them all (a pause as long as a tenth of the scan)
            project.global_value = _no_global
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

    # ------------------------------------------------------------------------------ outside the sources

    def elsewhere(
        self,
        evaluator: Evaluator,
        project: Project,
        seeds: list[str],
        named: set[str],
        with_commands: list[str],
        sources: list[SeedSource],
        makefiles: dict[str, list[tuple[str, str]]],
    ) -> list[SeedSource]:
        """Commands outside the sources: the sources they make of seed modules with no entry point of their
        own (a module of functions ``flaskbb install`` calls), and the possible-seed-source findings."""
        helpers = set()
        for path in seeds:
            ctx = project.context(path) if path.endswith(".py") and path not in named else None
            if ctx is not None and not has_entry(ctx) and not is_test_code(path):
                helpers.add(path)
        seed_set = set(seeds)
        candidates = [p for p in with_commands if p not in seed_set]
        if not helpers and not self.explaining:
            # only seeding-named commands can be findings: evaluate those alone
            candidates = [p for p in candidates if SEED_WORDS.search(p) or _names_seeding_command(project, p)]
        try:
            commands = project_commands(evaluator, project, candidates)
            scripts = seed_scripts(evaluator, project, (p for p in self.python if p not in seed_set))
        except RecursionError:
            return []
        self.commands = [*commands, *scripts]
        made: list[SeedSource] = []
        by_path: dict[str, list[Hit]] = {}
        for command in commands:
            reaching = [hit for hit in command.hits if passes_through(hit, helpers)]
            if reaching:
                by_path.setdefault(command.path, []).extend(reaching)
        for path, hits in sorted(by_path.items()):
            ctx = project.context(path)
            if ctx is None:
                continue
            found = self.source(path, SourceKind.SCRIPT, hits, ctx.digest, self.command(path, ctx, makefiles))
            if found.writes:
                made.append(found)
        known = {s.path for s in sources} | {s.path for s in made}
        self.findings.extend(possible_sources(c for c in (*commands, *scripts) if c.path not in known))
        return made

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
        hits = list(hits)
        if self.explaining:
            self.trace.append((path, kind, hits))
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
            if any(fnmatch.fnmatchcase(table, p) for p in self.settings.system_tables):
                continue  # bookkeeping (alembic_version...), not seed data: never an application table
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
        if is_sql and named_queries(text):
            return None  # query templates a program loads by name: they count where the program calls them
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
        if not runs_itself(ctx.tree):
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


def _no_global(ctx: ModuleContext, name: str) -> None:
    return None


def _names_seeding_command(project: Project, path: str) -> bool:
    ctx = project.context(path)
    return ctx is not None and any(SEED_WORDS.search(name) for name in ctx.commands)


def _too_deep(path: str) -> Diagnostic:
    return Diagnostic("code nested too deeply to analyse; skipped", SourceLocation(path, None))


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
