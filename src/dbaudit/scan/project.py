"""The project's own Python modules, parsed lazily, and how names resolve across them.

A seed script's helper lives in another module (``app/crud.py``); only the modules a reachable call leads to
are parsed, each once.
"""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from dbaudit.model import Diagnostic
from dbaudit.scan.files import ParsedModule, parse_python, read
from dbaudit.scan.tables import TableIndex
from dbaudit.scan.tree import SourceTree
from dbaudit.scan.values import AlembicOp, ClassRef, FunctionRef, ModelClass, ModuleRef, Value


def module_name(path: str) -> str:
    """``app/scripts/init_db.py`` -> ``app.scripts.init_db``; ``app/__init__.py`` -> ``app``."""
    stem = path[:-3] if path.endswith(".py") else path
    if stem.endswith("/__init__") or stem == "__init__":
        stem = stem[: -len("__init__")].rstrip("/")
    return stem.replace("/", ".")


@dataclass(frozen=True)
class Import:
    module: str
    """Absolute dotted module name."""
    name: str | None = None
    """The imported attribute (``from module import name``); ``None`` for ``import module``."""


@dataclass
class ModuleContext:
    """One parsed module: its imports, functions, classes and module-level assignments."""

    path: str
    tree: ast.Module
    digest: str
    imports: dict[str, Import] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    assigns: dict[str, ast.expr] = field(default_factory=dict)
    decorated: dict[str, list[str]] = field(default_factory=dict)
    """Decorator object name -> functions it decorates (``@app.command()`` registers with ``app``)."""
    star_imports: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    """Top-level functions registered as commands (click, typer, Flask CLI, Flask-Script), in order."""

    @property
    def package(self) -> str:
        name = module_name(self.path)
        return name if self.path.endswith("__init__.py") else name.rpartition(".")[0]


def _absolute(ctx_package: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = ctx_package.split(".") if ctx_package else []
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    base = ".".join(parts)
    if module:
        return f"{base}.{module}" if base else module
    return base


def add_import(imports: dict[str, Import], stmt: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    """Record an import statement; returns modules star-imported."""
    stars: list[str] = []
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                imports[alias.asname] = Import(alias.name)
            else:
                top = alias.name.split(".")[0]
                imports[top] = Import(top)
    else:
        module = _absolute(package, stmt.module, stmt.level)
        for alias in stmt.names:
            if alias.name == "*":
                stars.append(module)
                continue
            imports[alias.asname or alias.name] = Import(module, alias.name)
    return stars


_COMMAND_DECORATORS = frozenset({"command", "group", "callback"})
_NOT_COMMANDS = frozenset({"click", "typer"})


def is_command(decorator: ast.expr) -> bool:
    """``@cli.command()``, ``@click.group()``, ``@app.cli.command("init")``, ``@manager.command``,
    ``@manager.option(...)`` (Flask-Script), ``@cli_group()``: the function runs when a user types it."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        if target.attr in _COMMAND_DECORATORS:
            return True
        # Flask-Script's @manager.option registers a command; click's and typer's option only decorates one
        base = target.value
        return target.attr == "option" and not (isinstance(base, ast.Name) and base.id in _NOT_COMMANDS)
    if isinstance(target, ast.Name):
        name = target.id
        return name in ("command", "group") or name.endswith(("_command", "_group"))
    return False


def build_context(parsed: ParsedModule) -> ModuleContext:
    ctx = ModuleContext(parsed.path, parsed.tree, parsed.digest)
    _visit(ctx, ctx.package, parsed.tree.body)
    return ctx


def _visit(ctx: ModuleContext, package: str, body: list[ast.stmt]) -> None:
    # a module-level function, not a recursive closure: a closure that calls itself is a reference cycle,
    # which would keep every module's syntax tree alive until the cyclic collector walks them all
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            ctx.star_imports.extend(add_import(ctx.imports, stmt, package))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ctx.functions[stmt.name] = stmt
            if any(is_command(d) for d in stmt.decorator_list):
                ctx.commands.append(stmt.name)
            for deco in stmt.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                while isinstance(target, ast.Attribute):
                    target = target.value
                if isinstance(target, ast.Name):
                    ctx.decorated.setdefault(target.id, []).append(stmt.name)
        elif isinstance(stmt, ast.ClassDef):
            ctx.classes[stmt.name] = stmt
            for item in stmt.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    ctx.functions[f"{stmt.name}.{item.name}"] = item
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    ctx.assigns[target.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
            ctx.assigns[stmt.target.id] = stmt.value
        elif isinstance(stmt, ast.If):
            _visit(ctx, package, stmt.body)
            _visit(ctx, package, stmt.orelse)
        elif isinstance(stmt, ast.Try):
            _visit(ctx, package, stmt.body)
            for handler in stmt.handlers:
                _visit(ctx, package, handler.body)
            _visit(ctx, package, stmt.orelse)


class Project:
    """All Python files of the tree, parsed on demand, with cross-module name resolution."""

    def __init__(self, tree: SourceTree, python_paths: list[str], index: TableIndex) -> None:
        self.tree = tree
        self.index = index
        self.diagnostics: list[Diagnostic] = []
        self._contexts: dict[str, ModuleContext | None] = {}
        self._by_name: dict[str, list[str]] = {}
        for path in python_paths:
            name = module_name(path)
            parts = name.split(".")
            for i in range(len(parts)):
                self._by_name.setdefault(".".join(parts[i:]), []).append(path)
        self._names: dict[tuple[str, str], Value | None] = {}
        self._resolving: set[tuple[str, str]] = set()
        self._model_paths: dict[str, str] | None = None
        self.all_paths: frozenset[str] = frozenset()
        """Every file of the tree (the data files a seed script opens are looked up here)."""
        self.sql_paths: list[str] = []
        """The tree's ``.sql`` files (named-query files are read from them on demand)."""
        self.global_value: Callable[[ModuleContext, str], Value | None] = lambda ctx, name: None

    def add_parsed(self, parsed: ParsedModule) -> ModuleContext:
        ctx = build_context(parsed)
        self._contexts[parsed.path] = ctx
        return ctx

    def context(self, path: str) -> ModuleContext | None:
        if path in self._contexts:
            return self._contexts[path]
        data = read(self.tree, path)
        result = data if isinstance(data, Diagnostic) else parse_python(path, data)
        if isinstance(result, Diagnostic):
            self.diagnostics.append(result)
            self._contexts[path] = None
            return None
        return self.add_parsed(result)

    def find_module(self, dotted: str, near: str) -> str | None:
        """Path of module ``dotted``; with several candidates, the one closest to ``near``."""
        candidates = self._by_name.get(dotted)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        return max(candidates, key=lambda c: (len(posixpath.commonprefix([c, near])), -len(c)))

    def resolve(self, path: str, name: str, depth: int = 0) -> Value | None:
        """What ``name`` means at the top level of module ``path``."""
        key = (path, name)
        if key in self._names:
            return self._names[key]
        if key in self._resolving or depth > 12:
            return None
        self._resolving.add(key)
        try:
            value = self._resolve(path, name, depth)
        finally:
            self._resolving.discard(key)
        self._names[key] = value
        return value

    def _resolve(self, path: str, name: str, depth: int) -> Value | None:
        ctx = self.context(path)
        if ctx is None:
            return None
        table = self.index.by_path.get((path, name))
        if name in ctx.classes:
            if table is not None and name not in self.index.variables:
                return ModelClass(name, table, path)
            return ClassRef(path, name)
        if name in ctx.functions:
            return FunctionRef(path, name)
        if name in ctx.assigns:
            return self.global_value(ctx, name)
        imp = ctx.imports.get(name)
        if imp is not None:
            return self._resolve_import(imp, path, depth)
        for star in ctx.star_imports:
            target = self.find_module(star, path)
            if target is not None:
                value = self.resolve(target, name, depth + 1)
                if value is not None:
                    return value
        return self.model(name)

    def model(self, name: str) -> ModelClass | None:
        """The model class ``name`` from the table index (the one module declaring it, if only one does)."""
        found = self.index.classes.get(name)
        if found is None:
            return None
        if self._model_paths is None:
            self._model_paths = {}
            for path, declared in self.index.by_path:
                self._model_paths[declared] = "" if declared in self._model_paths else path
        return ModelClass(name, found, self._model_paths.get(name, ""))

    def _resolve_import(self, imp: Import, near: str, depth: int) -> Value | None:
        if imp.name is None:
            target = self.find_module(imp.module, near)
            return ModuleRef(target) if target else None
        if imp.module == "alembic" and imp.name == "op":
            return AlembicOp()
        submodule = self.find_module(f"{imp.module}.{imp.name}" if imp.module else imp.name, near)
        if submodule is not None:
            return ModuleRef(submodule)
        target = self.find_module(imp.module, near)
        if target is not None:
            value = self.resolve(target, imp.name, depth + 1)
            if value is not None:
                return value
        return self.model(imp.name)

    def defining(self, path: str, name: str, depth: int = 0) -> tuple[str, ast.expr] | None:
        """The module and the expression of the module-level assignment that defines ``name`` as seen from
        module ``path`` (following imports)."""
        ctx = self.context(path)
        if ctx is None or depth > 8:
            return None
        if name in ctx.assigns:
            return path, ctx.assigns[name]
        imp = ctx.imports.get(name)
        if imp is None or imp.name is None:
            return None
        target = self.find_module(imp.module, path)
        return self.defining(target, imp.name, depth + 1) if target else None

    def _model_class_of(self, path: str, name: str) -> tuple[str, str] | None:
        """``db.Model`` where ``db = SQLAlchemy(model_class=Base)`` or ``declarative_base(cls=Base)``: the
        project class every model inherits its methods from (``get``, ``create``...)."""
        found = self.defining(path, name)
        if found is None:
            return None
        where, expr = found
        for node in ast.walk(expr):
            if isinstance(node, ast.keyword) and node.arg in ("model_class", "cls"):
                value = node.value
                if isinstance(value, (ast.Name, ast.Attribute)):
                    resolved = self.base_class(where, value)
                    if resolved is not None:
                        return resolved
        return None

    def function(self, ref: FunctionRef) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        ctx = self.context(ref.path)
        return ctx.functions.get(ref.qualname) if ctx else None

    def method(self, path: str, class_name: str, name: str, depth: int = 0) -> FunctionRef | None:
        """``class_name.name`` in module ``path``, looking through the project's base classes."""
        ctx = self.context(path)
        if ctx is None or depth > 8:
            return None
        if f"{class_name}.{name}" in ctx.functions:
            return FunctionRef(path, f"{class_name}.{name}")
        cls = ctx.classes.get(class_name)
        if cls is None:
            return None
        for base in cls.bases:
            resolved = self.base_class(path, base)
            if resolved is not None:
                found = self.method(resolved[0], resolved[1], name, depth + 1)
                if found:
                    return found
        return None

    def base_class(self, path: str, base: ast.expr) -> tuple[str, str] | None:
        """(module path, class name) of a base class written ``Base``, ``Base[T]`` or ``module.Base``."""
        if isinstance(base, ast.Subscript):
            base = base.value
        parts: list[str] = []
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name):
            return None
        resolved = self.resolve(path, base.id)
        if parts == ["Model"] and not isinstance(resolved, ModuleRef):
            return self._model_class_of(path, base.id)
        for part in reversed(parts):
            if not isinstance(resolved, ModuleRef):
                return None
            resolved = self.resolve(resolved.path, part)
        if isinstance(resolved, ClassRef):
            return resolved.path, resolved.name
        if isinstance(resolved, ModelClass) and resolved.path:
            return resolved.path, resolved.name
        return None

    def class_attribute(self, path: str, class_name: str, name: str, depth: int = 0) -> ast.expr | None:
        """The expression assigned to ``name`` in a class body (or a project base class's)."""
        ctx = self.context(path)
        cls = ctx.classes.get(class_name) if ctx else None
        if cls is None or depth > 8:
            return None
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in stmt.targets
            ):
                return stmt.value
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == name
                and stmt.value is not None
            ):
                return stmt.value
        for base in cls.bases:
            resolved = self.base_class(path, base)
            if resolved is not None:
                found = self.class_attribute(resolved[0], resolved[1], name, depth + 1)
                if found is not None:
                    return found
        return None
