"""Commands outside the configured sources: who calls a seed module of plain functions, and which modules
look like seed sources the configuration forgot ("possible seed sources").

A command is a function registered with click, typer, the Flask CLI or Flask-Script (see
:func:`dbaudit.scan.project.is_command`); a script is a module that runs itself.  Test code is neither.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from dbaudit.markdown import code
from dbaudit.model import Finding, Severity, SourceLocation
from dbaudit.scan.flow import Evaluator, has_entry, runs_itself
from dbaudit.scan.frame import Frame
from dbaudit.scan.project import ModuleContext, Project, is_command
from dbaudit.scan.values import FunctionRef, Hit

#: Names that say a command or a script fills tables.
SEED_WORDS = re.compile(r"seed|init|populate|fake|demo|sample|load|fixture|bootstrap", re.IGNORECASE)

#: Cheap byte-level test before a module is parsed for commands.
COMMAND_HINTS = (b".command", b"@command", b"_command", b".group(", b"_group(", b".option(")
_TEST_FOLDERS = frozenset({"tests", "test", "testing"})


def is_test_code(path: str) -> bool:
    """A test suite's module (``tests/``, ``conftest.py``, ``test_*.py``): never a seed source."""
    folders = path.split("/")[:-1]
    name = posixpath.basename(path)
    return (
        any(part in _TEST_FOLDERS for part in folders)
        or name == "conftest.py"
        or name.startswith("test_")
        or name.endswith("_test.py")
    )


@dataclass(frozen=True)
class Command:
    """One registered command (or a self-running script) and the writes it reaches."""

    path: str
    name: str
    """As a user types it: the name given to the decorator, else the function's."""
    line: int
    hits: tuple[Hit, ...]
    script: bool = False


def _command_name(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    for deco in node.decorator_list:
        if isinstance(deco, ast.Call) and is_command(deco):
            first = deco.args[0] if deco.args else None
            named = next((k.value for k in deco.keywords if k.arg == "name"), first)
            if isinstance(named, ast.Constant) and isinstance(named.value, str):
                return named.value
    return node.name


def module_commands(evaluator: Evaluator, ctx: ModuleContext) -> list[Command]:
    """Every command of one module, each evaluated as an entry point."""
    found: list[Command] = []
    for name in ctx.commands:
        node = ctx.functions[name]
        frame = Frame(evaluator, ctx, {}, module_level=True)
        evaluator.root(frame, FunctionRef(ctx.path, name), f"{name}() (command)")
        found.append(Command(ctx.path, _command_name(node), node.lineno, tuple(frame.hits)))
    return found


def project_commands(evaluator: Evaluator, project: Project, paths: Iterable[str]) -> list[Command]:
    """The commands of every module of ``paths`` (not test code) that registers any."""
    found: list[Command] = []
    for path in paths:
        if is_test_code(path):
            continue
        ctx = project.context(path)
        if ctx is not None and ctx.commands:
            found.extend(module_commands(evaluator, ctx))
    return found


def seed_scripts(evaluator: Evaluator, project: Project, paths: Iterable[str]) -> list[Command]:
    """Modules whose file name says seed/init/populate... and that run themselves (``__main__``, top-level
    calls, ``main()``): what they write from their own entry points."""
    found: list[Command] = []
    for path in paths:
        name = posixpath.basename(path)
        if is_test_code(path) or not SEED_WORDS.search(name) or name == "__init__.py":
            continue
        ctx = project.context(path)
        if ctx is None or ctx.commands or not has_entry(ctx):
            continue
        hits = evaluator.module_entry(ctx)
        line = 1 if runs_itself(ctx.tree) else ctx.functions["main"].lineno
        found.append(Command(path, name, line, tuple(hits), script=True))
    return found


def passes_through(hit: Hit, modules: set[str]) -> bool:
    """The write happens in, or is called from, one of ``modules``."""
    return hit.path in modules or any(hop[0] in modules for hop in hit.via)


def possible_sources(commands: Iterable[Command]) -> list[Finding]:
    """One finding per module whose seeding-named commands (or itself, a seeding-named script) write rows."""
    by_path: dict[str, list[Command]] = {}
    for command in commands:
        if not any(hit.table is not None for hit in command.hits):
            continue
        if command.script or SEED_WORDS.search(command.name):
            by_path.setdefault(command.path, []).append(command)
    findings: list[Finding] = []
    for path, found in sorted(by_path.items()):
        tables = sorted(
            {
                f"{hit.table[1]}.{hit.table[0]}" if hit.table[1] else hit.table[0]
                for command in found
                for hit in command.hits
                if hit.table is not None
            }
        )
        what = "it runs" if found[0].script else "its command " + ", ".join(code(c.name) for c in found)
        findings.append(
            Finding(
                "possible-seed-source",
                f"{code(path)} is not a configured seed source, but {what} writes rows into "
                f"{', '.join(code(t) for t in tables)}; if it seeds, add it to `[tool.dbaudit]`: "
                f"{code(f'extend_seed_globs = [{chr(34)}{path}{chr(34)}]')} (it counts in coverage once "
                "configured)",
                Severity.INFO,
                source=path,
                location=SourceLocation(path, found[0].line),
            )
        )
    return findings
