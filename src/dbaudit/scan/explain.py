"""``dbaudit scan --explain TABLE``: how the scan reached each write into a table, or why nothing counts.

Each path runs from an entry point (a script's top level, ``main()``, a command, a revision's ``upgrade()``)
through the calls the scanner followed to the write, file:line per hop.  When no source writes the table,
the nearest writes the scanner can see are listed with the reason they do not count: dead code, an update or
a delete only, a table named at run time, a command or module outside the configured sources, a revision's
``downgrade()``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from dbaudit.config import Settings
from dbaudit.model import (
    Diagnostic,
    Explanation,
    Hop,
    MissReason,
    NearMiss,
    SourceLocation,
    WritePath,
)
from dbaudit.scan.commands import is_test_code
from dbaudit.scan.files import decode, read
from dbaudit.scan.flow import Evaluator, public_callables
from dbaudit.scan.frame import Frame
from dbaudit.scan.project import ModuleContext, Project
from dbaudit.scan.scanner import _Scan
from dbaudit.scan.tables import dotted
from dbaudit.scan.tree import FileSystemTree, SourceTree
from dbaudit.scan.values import FunctionRef, Hit, ObjectOf, Value

#: How many near misses an explanation lists at most (the nearest first).
MAX_NEAR_MISSES = 25


def explain_table(root: Path, settings: Settings, table: str) -> Explanation:
    """Explain ``table`` (``name`` or ``schema.name``) for the project folder ``root``."""
    return explain_tree(FileSystemTree(root, settings.skip_dirs), settings, table)


def _label(table: tuple[str, str | None]) -> str:
    return f"{table[1]}.{table[0]}" if table[1] else table[0]


def _matches(hit: Hit, wanted: str) -> bool:
    if hit.table is None:
        return False
    name, schema = hit.table
    return wanted in (name, f"{schema}.{name}") if schema else wanted == name


def _hops(hit: Hit) -> tuple[Hop, ...]:
    hops = [Hop(SourceLocation(path, line or None), what) for path, line, what in hit.via]
    hops.append(Hop(SourceLocation(hit.path, hit.line), f"writes rows ({hit.recogniser})"))
    return tuple(hops)


def explain_tree(tree: SourceTree, settings: Settings, table: str) -> Explanation:
    """Explain ``table`` for any :class:`SourceTree` (see :func:`explain_table`)."""
    scan = _Scan(tree, settings)
    scan.explaining = True
    scan.run()
    paths: dict[tuple[object, ...], WritePath] = {}
    for source, kind, hits in scan.trace:
        for hit in hits:
            if not _matches(hit, table) or hit.table is None:
                continue
            hops = _hops(hit)
            key = (source, hops)
            if key not in paths:
                paths[key] = WritePath(
                    source, kind, _label(hit.table), hit.recogniser, hit.conditional, hops, hit.data
                )
    if paths or scan.project is None or scan.evaluator is None:
        return Explanation(table, tuple(paths.values()))
    return Explanation(table, (), tuple(_near_misses(scan, scan.project, scan.evaluator, table)))


def _near_misses(scan: _Scan, project: Project, evaluator: Evaluator, table: str) -> list[NearMiss]:
    seen: set[tuple[str, int]] = set()
    misses: list[NearMiss] = []

    def add(reason: MissReason, hit: Hit, detail: str) -> None:
        if (hit.path, hit.line) in seen:
            return
        seen.add((hit.path, hit.line))
        misses.append(NearMiss(reason, SourceLocation(hit.path, hit.line), detail, _hops(hit)))

    for source, _kind, hits in scan.trace:
        for hit in hits:
            if hit.table is None:
                add(
                    MissReason.UNRESOLVED_NAME,
                    hit,
                    f"{source} writes rows ({hit.recogniser}) into a table named only at run time "
                    f"({hit.dynamic or '?'}); it may be this one",
                )
    for command in scan.commands:
        kind = "script" if command.script else f"command {command.name}"
        for hit in command.hits:
            if _matches(hit, table):
                add(
                    MissReason.OUTSIDE_SOURCES,
                    hit,
                    f"reached from {kind} in {command.path}, not a seed source",
                )
    for path in scan.revisions:
        ctx = project.context(path)
        if ctx is not None:
            for hit in evaluator.function_entry(ctx, "downgrade"):
                if _matches(hit, table):
                    add(MissReason.DOWNGRADE_ONLY, hit, f"in downgrade() of {path}: runs only when reverting")
    names = _names_of(project, table)
    sources = {source for source, _kind, _hits in scan.trace} | set(scan.seed_paths)
    texts = dict(_texts(scan.tree, [p for p in scan.paths if p.endswith((".py", ".sql"))], names))
    for path in texts:
        ctx = project.context(path) if path.endswith(".py") else None
        if ctx is None:
            continue
        for name, self_value in _every_function(ctx):
            frame = Frame(evaluator, ctx, {}, module_level=True)
            try:
                evaluator.root(frame, FunctionRef(path, name), f"{name}()", self_value)
            except RecursionError:
                continue
            for hit in frame.hits:
                if not _matches(hit, table):
                    continue
                if path in sources:
                    add(
                        MissReason.DEAD_CODE,
                        hit,
                        f"{name}() in {path}: no entry point of the source calls it",
                    )
                elif not is_test_code(path):
                    add(
                        MissReason.OUTSIDE_SOURCES,
                        hit,
                        f"{name}() in {path}: no seed source or command reaches it",
                    )
    misses.extend(_updates(project, texts, names))
    order = list(MissReason)
    misses.sort(key=lambda m: (order.index(m.reason), m.location.path, m.location.line or 0))
    return misses[:MAX_NEAR_MISSES]


def _names_of(project: Project, table: str) -> set[str]:
    """The table's own name and the class and variable names that declare it."""
    plain = table.rpartition(".")[2]
    names = {plain}
    for (_path, name), found in project.index.by_path.items():
        if found[0] == plain and (found[1] is None or table in (plain, _label(found))):
            names.add(name)
    return names


def _texts(tree: SourceTree, paths: Iterable[str], names: set[str]) -> Iterable[tuple[str, str]]:
    """The files that mention one of ``names``, with their text."""
    needles = [n.encode() for n in names]
    for path in paths:
        data = read(tree, path)
        if isinstance(data, Diagnostic) or not any(needle in data for needle in needles):
            continue
        text = decode(path, data)
        if not isinstance(text, Diagnostic):
            yield path, text


def _every_function(ctx: ModuleContext) -> list[tuple[str, Value | None]]:
    out: list[tuple[str, Value | None]] = list(public_callables(ctx))
    known = {name for name, _ in out}
    for qualname in ctx.functions:
        if qualname not in known:
            owner = qualname.rpartition(".")[0]
            out.append((qualname, ObjectOf(ctx.path, owner) if owner else None))
    return out


def _updates(project: Project, texts: dict[str, str], names: set[str]) -> list[NearMiss]:
    """UPDATE and DELETE statements of the table: they change rows that must already be there.  In Python,
    SQL inside string literals and ``update(Model)`` / ``Model.__table__.update()`` / ``row.update()`` calls
    (never comments or prose); in ``.sql`` files, statements outside ``--`` comments."""
    alternatives = "|".join(re.escape(n) for n in sorted(names))
    sql = re.compile(rf"\b(update|delete\s+from)\s+[\w.\"`]*?[\"`]?\b({alternatives})\b", re.IGNORECASE)
    found: list[NearMiss] = []

    def add(path: str, line: int, verb: str, what: str) -> None:
        detail = f"{verb} rows that must already be there, never inserts: {' '.join(what.split())[:100]}"
        found.append(NearMiss(MissReason.UPDATE_ONLY, SourceLocation(path, line), detail))

    for path, text in texts.items():
        if path.endswith(".sql"):
            for number, row in enumerate(text.splitlines(), 1):
                match = sql.search(row.split("--", 1)[0])
                if match:
                    add(path, number, "deletes" if "delete" in match.group(1).lower() else "updates", row)
            continue
        ctx = project.context(path)
        if ctx is None:
            continue
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = sql.search(node.value)
                if match:
                    verb = "deletes" if "delete" in match.group(1).lower() else "updates"
                    add(path, node.lineno, verb, match.group(0))
            elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
                changes = _core_update(node, names)
                if changes:
                    add(path, node.lineno, changes, ast.unparse(node.func))
    return found


def _core_update(call: ast.Call, names: set[str]) -> str | None:
    """``update(Model)``, ``delete(table)``, ``Model.__table__.update()``, ``row.update(...)``."""
    func = call.func
    target: str | None = None
    if isinstance(func, ast.Name):
        verb = func.id
        target = dotted(call.args[0]) if call.args else None
    elif isinstance(func, ast.Attribute):
        verb = func.attr
        target = dotted(func.value)
    else:
        return None
    if verb not in ("update", "delete"):
        return None
    if target is None:
        return None
    parts = [p for p in target.split(".") if p != "__table__"]
    return ("deletes" if verb == "delete" else "updates") if parts and parts[-1] in names else None


__all__ = ["MAX_NEAR_MISSES", "explain_table", "explain_tree"]
