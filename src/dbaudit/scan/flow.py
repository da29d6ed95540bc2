"""Static evaluation of reachable code: which writes a script's top level or a revision's ``upgrade()``
reaches, following calls through the project's modules a few hops, and whether each write depends on what is
already in the database.  Nothing is ever imported or run.
"""

from __future__ import annotations

import ast

from dbaudit.model import Diagnostic, SourceLocation
from dbaudit.scan.evaluation import FunctionResult
from dbaudit.scan.files import decode, read
from dbaudit.scan.frame import Frame
from dbaudit.scan.named_queries import named_queries
from dbaudit.scan.project import ModuleContext, Project
from dbaudit.scan.recognisers import RECOGNISERS, by_trigger
from dbaudit.scan.sql import SqlParseError, analyse_sql, looks_like_write
from dbaudit.scan.sql_writes import UNRESOLVED_PREFIX, SqlWrite
from dbaudit.scan.tables import dotted
from dbaudit.scan.values import (
    CallSite,
    ClassRef,
    FunctionRef,
    Hit,
    ModelClass,
    ObjectOf,
    QueryRef,
    Sql,
    SqlHits,
    TableRef,
    Value,
)

MAX_DEPTH = 8
"""How many calls deep a write is followed from its entry point."""


def _names_main(tree: ast.Module) -> bool:
    """The module decides itself what runs: an ``if __name__ == "__main__":`` block, or its top level
    (outside function and class bodies) mentions ``main``."""
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, ast.If) and any(
            isinstance(node, ast.Constant) and node.value == "__main__" for node in ast.walk(stmt.test)
        ):
            return True
        if any(isinstance(node, ast.Name) and node.id == "main" for node in ast.walk(stmt)):
            return True
    return False


def runs_itself(tree: ast.Module) -> bool:
    """The module does something when run: a ``__main__`` block or a call at top level."""
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await)):
            return True
    return False


def has_entry(ctx: ModuleContext) -> bool:
    """The module says itself how it runs: top-level calls, a ``__main__`` block, ``main()``, commands."""
    return bool(ctx.commands) or "main" in ctx.functions or runs_itself(ctx.tree)


def _fixture(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any("fixture" in ast.unparse(d) for d in node.decorator_list)


def public_callables(ctx: ModuleContext) -> list[tuple[str, Value | None]]:
    """Public functions and public methods of public classes of a module, each with what ``self``/``cls``
    is: what a user calls by hand from a shell.  Test fixtures are not."""
    out: list[tuple[str, Value | None]] = []
    for qualname, node in ctx.functions.items():
        owner, _, name = qualname.rpartition(".")
        if name.startswith("_") or owner.startswith("_") or _fixture(node):
            continue
        self_value: Value | None = None
        if owner:
            kinds = {ast.unparse(d) for d in node.decorator_list}
            if "staticmethod" in kinds:
                self_value = None
            elif "classmethod" in kinds:
                self_value = ClassRef(ctx.path, owner)
            else:
                self_value = ObjectOf(ctx.path, owner)
        out.append((qualname, self_value))
    return out


class Evaluator(SqlHits):
    """Project-wide state of the evaluation: caches, placeholders, diagnostics."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.triggers = by_trigger(RECOGNISERS)
        self.placeholders: list[str] = []
        self.diagnostics: list[Diagnostic] = []
        self._cache: dict[tuple[FunctionRef, tuple[tuple[str, Value], ...]], FunctionResult] = {}
        self._active: set[tuple[FunctionRef, tuple[tuple[str, Value], ...]]] = set()
        self._globals: dict[tuple[str, str], Value | None] = {}
        self._sql: dict[str, list[SqlWrite] | str] = {}
        self.nested: dict[FunctionRef, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.depth = 0
        self.last_returns: dict[FunctionRef, Value | None] = {}
        self._query_files: dict[str, dict[str, QueryRef]] = {}
        self._backrefs: dict[tuple[str, str], tuple[ModelClass | None, TableRef | None]] | None = None
        self.relations: dict[tuple[ModelClass, str], tuple[ModelClass | None, TableRef | None] | None] = {}
        project.global_value = self.global_value

    # -------------------------------------------------------------------------------------- entry points

    def module_entry(self, ctx: ModuleContext, by_hand: bool = False) -> list[Hit]:
        """Writes reached from a script's entry points: its module top level (``if __name__ == "__main__":``
        included), its ``main()`` when nothing at top level decides what runs (a console-script entry point),
        and every function registered as a command (click, typer, Flask CLI, Flask-Script).

        ``by_hand``: the user named this module as a seed source; when it has no entry point of its own, its
        public functions and the public methods of its classes are what a user calls (``flask shell``)."""
        frame = Frame(self, ctx, {}, module_level=True)
        frame.run(ctx.tree.body, False)
        if "main" in ctx.functions and not _names_main(ctx.tree):
            self.root(frame, FunctionRef(ctx.path, "main"), "main()")
        for name in ctx.commands:
            self.root(frame, FunctionRef(ctx.path, name), f"{name}() (command)")
        if by_hand and not has_entry(ctx):
            for name, self_value in public_callables(ctx):
                self.root(frame, FunctionRef(ctx.path, name), f"{name}() (called by hand)", self_value)
        return frame.hits

    def root(self, frame: Frame, ref: FunctionRef, label: str, self_value: Value | None = None) -> None:
        """Evaluate entry point ``ref`` and record its writes in ``frame``, the hop naming the entry."""
        node = self.function_node(ref)
        if node is None:
            return
        bound: tuple[tuple[str, Value], ...] = ()
        params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        if self_value is not None and params:
            bound = ((params[0], self_value),)
        result = self.invoke(ref, bound)
        frame.record(result.hits, False, (ref.path, node.lineno, label))

    def function_entry(self, ctx: ModuleContext, name: str) -> list[Hit]:
        """Writes reached from module-level function ``name`` (a revision's ``upgrade``)."""
        if name not in ctx.functions:
            return []
        frame = Frame(self, ctx, {}, module_level=True)
        self.root(frame, FunctionRef(ctx.path, name), f"{name}()")
        return frame.hits

    # ------------------------------------------------------------------------------------------- calls

    def function_node(self, ref: FunctionRef) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        return self.nested.get(ref) or self.project.function(ref)

    def invoke(self, ref: FunctionRef, bound: tuple[tuple[str, Value], ...]) -> FunctionResult:
        key = (ref, bound)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        node = self.function_node(ref)
        ctx = self.project.context(ref.path)
        if node is None or ctx is None or key in self._active or self.depth >= MAX_DEPTH:
            return FunctionResult((), None)
        self._active.add(key)
        self.depth += 1
        try:
            env: dict[str, Value] = dict(bound)
            params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
                if arg.arg not in env and arg.annotation is not None:
                    typed = self.annotated(ctx, arg.annotation)
                    if typed is not None:
                        env[arg.arg] = typed
            self_name = params[0] if "." in ref.qualname and params else None
            owner = env.get(self_name) if self_name else None
            if isinstance(owner, ObjectOf):
                env.update((f"{self_name}.{attr}", value) for attr, value in owner.attrs)
            frame = Frame(self, ctx, env, module_level=False)
            frame.run(node.body, False)
            returns = next((v for v in frame.returns if v is not None), None)
            prefix = f"{self_name}."
            attrs = tuple(
                sorted(
                    (key[len(prefix) :], value)
                    for key, value in frame.env.items()
                    if self_name
                    and key.startswith(prefix)
                    and "." not in key[len(prefix) :]
                    and value is not None
                )
            )
            result = FunctionResult(tuple(frame.hits), returns, attrs)
        finally:
            self.depth -= 1
            self._active.discard(key)
        self._cache[key] = result
        self.last_returns[ref] = returns
        return result

    def backrefs(self) -> dict[tuple[str, str], tuple[ModelClass | None, TableRef | None]]:
        """(class name, attribute) -> (related class, secondary table) for the relationships that
        ``backref=`` declares on the other side (``Event.acl_entries`` gives ``EventPrincipal.event``)."""
        if self._backrefs is not None:
            return self._backrefs
        found: dict[tuple[str, str], tuple[ModelClass | None, TableRef | None]] = {}
        for path, name in list(self.project.index.by_path):
            ctx = self.project.context(path)
            cls = ctx.classes.get(name) if ctx else None
            if cls is None:
                continue
            for stmt in cls.body:
                call = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
                if not isinstance(call, ast.Call) or not call.args:
                    continue
                if (dotted(call.func) or "").rsplit(".", 1)[-1] not in ("relationship", "relation"):
                    continue
                target = call.args[0]
                target_name = target.value if isinstance(target, ast.Constant) else dotted(target)
                backref = next((k.value for k in call.keywords if k.arg == "backref"), None)
                if isinstance(backref, ast.Call) and backref.args:
                    backref = backref.args[0]
                if not isinstance(target_name, str) or not isinstance(backref, ast.Constant):
                    continue
                secondary = next((k.value for k in call.keywords if k.arg == "secondary"), None)
                table: TableRef | None = None
                if isinstance(secondary, ast.Constant) and isinstance(secondary.value, str):
                    schema, _, plain = secondary.value.rpartition(".")
                    table = (plain, schema or None)
                elif isinstance(secondary, ast.Name):
                    table = self.project.index.variables.get(secondary.id)
                owner = self.project.model(name)
                found.setdefault((target_name.rsplit(".", 1)[-1], str(backref.value)), (owner, table))
        self._backrefs = found
        return found

    def named_query(self, folder: str, name: str) -> QueryRef | None:
        """Query ``name`` of the named-query ``.sql`` files in ``folder`` (or the file ``folder``)."""
        if folder not in self._query_files:
            found: dict[str, QueryRef] = {}
            prefix = folder.rstrip("/") + "/" if folder else ""
            for path in self.project.sql_paths:
                if path != folder and not path.startswith(prefix):
                    continue
                data = read(self.project.tree, path)
                text = data if isinstance(data, Diagnostic) else decode(path, data)
                if isinstance(text, Diagnostic):
                    self.diagnostics.append(text)
                    continue
                for query in named_queries(text).values():
                    found.setdefault(query.name, QueryRef(path, query.name, query.line, query.sql))
            self._query_files[folder] = found
        return self._query_files[folder].get(name)

    def annotated(self, ctx: ModuleContext, annotation: ast.expr) -> Value | None:
        """An object of the project class a parameter's annotation names (``db: PrefectDBInterface``,
        injected by a decorator): its methods and properties can be followed."""
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return None
        if not isinstance(annotation, (ast.Name, ast.Attribute)):
            return None
        found = self.project.base_class(ctx.path, annotation)
        if found is None or self.project.index.lookup(found[1], found[0]) is not None:
            return None  # a model class: a new or a persistent row, nothing says which
        return ObjectOf(found[0], found[1])

    def global_value(self, ctx: ModuleContext, name: str) -> Value | None:
        """Value of a module-level assignment, evaluated without following its writes."""
        key = (ctx.path, name)
        if key in self._globals:
            return self._globals[key]
        self._globals[key] = None  # cycle guard
        frame = Frame(self, ctx, {}, module_level=True)
        value = frame.eval(ctx.assigns[name], False)
        self._globals[key] = value
        return value

    # --------------------------------------------------------------------------------------------- SQL

    def placeholder(self, node: ast.expr) -> str:
        self.placeholders.append(ast.unparse(node)[:80])
        return f"{UNRESOLVED_PREFIX}{len(self.placeholders) - 1}"

    def __call__(self, sql: Sql, site: CallSite, recogniser: str | None = None) -> list[Hit]:
        hits: list[Hit] = []
        for text in sql.texts:
            if not looks_like_write(text):
                continue
            writes = self._sql.get(text)
            if writes is None:
                try:
                    writes = analyse_sql(text)
                except SqlParseError as exc:
                    writes = str(exc).splitlines()[0][:160]
                self._sql[text] = writes
            if isinstance(writes, str):
                self.diagnostics.append(
                    Diagnostic(f"cannot parse SQL ({writes})", SourceLocation(site.path, site.node.lineno))
                )
                continue
            for write in writes:
                dynamic = None
                if write.table is None and write.placeholder:
                    index = write.placeholder[len(UNRESOLVED_PREFIX) :].split("_")[0]
                    dynamic = self.placeholders[int(index)] if index.isdigit() else write.placeholder
                table = (write.table, write.schema) if write.table is not None else None
                hits.append(
                    Hit(table, recogniser or write.recogniser, site.path, site.node.lineno, False, dynamic)
                )
        return hits
