"""One function invocation (or a module's top level) evaluated statically: statements in order, values of
expressions, calls followed into the project's functions, writes recorded with whether they are conditional.
"""

from __future__ import annotations

import ast
import dataclasses
import posixpath
import re
from collections.abc import Iterable

from dbaudit.scan.evaluation import Evaluator, FunctionResult
from dbaudit.scan.project import Import, ModuleContext, add_import
from dbaudit.scan.sql_writes import UNRESOLVED_PREFIX
from dbaudit.scan.strings import StringBuilding
from dbaudit.scan.tables import dotted
from dbaudit.scan.values import (
    MAX_TEXTS,
    AlembicOp,
    CallSite,
    ClassRef,
    DataFile,
    DbRead,
    FunctionRef,
    Functions,
    Hit,
    Hop,
    Instance,
    Instances,
    Loaded,
    ModelClass,
    Models,
    ModuleRef,
    ObjectOf,
    Objects,
    Pairs,
    QueryFiles,
    QueryRef,
    Sql,
    Statement,
    TableObject,
    TableRef,
    Value,
    element,
    join,
)

_DB_READ_CALLS = frozenset(
    {
        "select",
        "exists",
        "query",
        "get",
        "scalar",
        "scalars",
        "execute",
        "exec",
        "first",
        "one",
        "one_or_none",
        "scalar_one",
        "scalar_one_or_none",
        "count",
        "fetchone",
        "fetchall",
        "fetchval",
        "fetchrow",
        "fetch",
        "all",
        "get_one",
        "filter",
        "filter_by",
    }
)
_RELATIONSHIPS = frozenset({"relationship", "relation", "RelationshipProperty", "dynamic_loader"})
_ALEMBIC_DDL = frozenset(
    {
        "create_table",
        "add_column",
        "alter_column",
        "drop_column",
        "drop_table",
        "create_index",
        "drop_index",
        "create_foreign_key",
        "create_unique_constraint",
        "create_check_constraint",
        "create_primary_key",
        "drop_constraint",
        "rename_table",
        "create_table_comment",
        "drop_table_comment",
    }
)
_SQL_KEEPS = frozenset(
    {"bindparams", "params", "columns", "execution_options", "split", "splitlines", "rstrip", "lstrip"}
)
_FACTORY = re.compile(r"^(?:create|make|new|build)_([a-z][a-z0-9_]*)$")
_PASS_THROUGH = frozenset({"list", "tuple", "sorted", "reversed", "set", "iter"})
_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit"})


def _is_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        (dotted(d) or "").rsplit(".", 1)[-1] in ("property", "cached_property") for d in node.decorator_list
    )


def _model_of(value: Value | None) -> ModelClass | None:
    """The model class whose methods run on ``value``: the class itself, an instance, a persistent row."""
    if isinstance(value, ModelClass):
        return value
    if isinstance(value, (Instance, DbRead)):
        return value.model
    return None


def _exits(body: list[ast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (ast.Return, ast.Continue, ast.Break)):
        return True
    return (
        isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Call)
        and (dotted(last.value.func) or "") in _EXIT_CALLS
    )


class Frame(StringBuilding):
    """One function invocation (or a module's top level) being evaluated."""

    def __init__(self, ev: Evaluator, ctx: ModuleContext, env: dict[str, Value], module_level: bool) -> None:
        self.ev = ev
        self.ctx = ctx
        self.env: dict[str, Value | None] = dict(env)
        self.module_level = module_level
        self.hits: list[Hit] = []
        self.returns: list[Value | None] = []
        self.imports: dict[str, object] = {}
        self.line = 0
        """Line of the call being dispatched (the hop recorded for the writes a callee makes)."""

    # ------------------------------------------------------------------------------------- statements

    def run(self, body: list[ast.stmt], cond: bool) -> None:
        for stmt in body:
            kind = type(stmt)
            if kind is ast.Expr:
                self.eval(stmt.value, cond)  # type: ignore[attr-defined]
            elif kind is ast.Assign:
                assign: ast.Assign = stmt  # type: ignore[assignment]
                value = self.eval(assign.value, cond)
                for target in assign.targets:
                    self.bind(target, value)
            elif kind is ast.AnnAssign:
                ann: ast.AnnAssign = stmt  # type: ignore[assignment]
                if ann.value is not None:
                    self.bind(ann.target, self.eval(ann.value, cond))
            elif kind is ast.AugAssign:
                aug: ast.AugAssign = stmt  # type: ignore[assignment]
                value = self.eval(aug.value, cond)
                key = dotted(aug.target)
                if key is not None and isinstance(aug.op, ast.Add):
                    self.env[key] = join([self.lookup(key), value])
            elif kind is ast.Return:
                ret: ast.Return = stmt  # type: ignore[assignment]
                self.returns.append(self.eval(ret.value, cond) if ret.value is not None else None)
            elif kind is ast.If:
                branch: ast.If = stmt  # type: ignore[assignment]
                self.eval(branch.test, cond)
                depends = self.depends_on_db(branch.test)
                self.run(branch.body, cond or depends)
                self.run(branch.orelse, cond or depends)
                if depends and not branch.orelse and _exits(branch.body):
                    cond = True  # a guard: "if already seeded: return"
            elif kind in (ast.For, ast.AsyncFor):
                loop: ast.For = stmt  # type: ignore[assignment]
                iterated = self.eval(loop.iter, cond)
                self.bind_item(loop.target, iterated)
                self.run(loop.body, cond or isinstance(iterated, DbRead))
                self.run(loop.orelse, cond)
            elif kind is ast.While:
                wloop: ast.While = stmt  # type: ignore[assignment]
                self.eval(wloop.test, cond)
                self.run(wloop.body, cond or self.depends_on_db(wloop.test))
                self.run(wloop.orelse, cond)
            elif kind in (ast.With, ast.AsyncWith):
                block: ast.With = stmt  # type: ignore[assignment]
                for item in block.items:
                    value = self.eval(item.context_expr, cond)
                    if item.optional_vars is not None:
                        self.bind(item.optional_vars, value)
                self.run(block.body, cond)
            elif kind is ast.Try or kind.__name__ == "TryStar":
                attempt: ast.Try = stmt  # type: ignore[assignment]
                self.run(attempt.body, cond)
                for handler in attempt.handlers:
                    self.run(handler.body, cond)
                self.run(attempt.orelse, cond)
                self.run(attempt.finalbody, cond)
            elif kind is ast.Match:
                match: ast.Match = stmt  # type: ignore[assignment]
                self.eval(match.subject, cond)
                for case in match.cases:
                    self.run(case.body, cond)
            elif kind in (ast.FunctionDef, ast.AsyncFunctionDef):
                if not self.module_level:
                    fn: ast.FunctionDef = stmt  # type: ignore[assignment]
                    ref = FunctionRef(self.ctx.path, f"{fn.name}@{fn.lineno}")
                    self.ev.nested[ref] = fn
                    self.env[fn.name] = ref
            elif kind in (ast.Import, ast.ImportFrom) and not self.module_level:
                local: dict[str, object] = {}
                add_import(local, stmt, self.ctx.package)  # type: ignore[arg-type]
                for name in local:
                    self.env.pop(name, None)
                    self.imports[name] = local[name]

    def bind(self, target: ast.expr, value: Value | None) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            inner = value if isinstance(value, (Loaded, DbRead)) else None
            for elt in target.elts:
                self.bind(elt.value if isinstance(elt, ast.Starred) else elt, inner)
        elif isinstance(target, ast.Attribute):
            key = dotted(target)
            if key is not None:
                self.env[key] = value
                if value is not None and isinstance(target.value, ast.Name):
                    self.assign_relation(target.value.id, target.attr, value)
        elif isinstance(target, ast.Subscript):  # waves[number] = MigrationWave(...)
            self.accumulate(target.value, value)

    def bind_item(self, target: ast.expr, iterated: Value | None) -> None:
        """Bind the target of ``for target in iterated``; ``for key, value in d.items()`` splits a dict."""
        if isinstance(iterated, Pairs) and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            self.bind(target.elts[0], iterated.keys)
            self.bind(target.elts[1], iterated.values)
            return
        self.bind(target, element(iterated))

    def depends_on_db(self, test: ast.expr) -> bool:
        """The condition reads the database, or tests something read from it."""
        for node in ast.walk(test):
            if isinstance(node, ast.Name):
                if isinstance(self.env.get(node.id), DbRead):
                    return True
            elif isinstance(node, ast.Call):
                if self._reads_db(node):
                    return True
            elif isinstance(node, ast.Attribute) and node.attr == "query":
                return True
        return False

    def _reads_db(self, call: ast.Call) -> bool:
        """``select(...)``, ``session.scalar(...)``, ``session.get(Model, pk)``, a project function that
        returned something read from the database... (``all(...)``, ``data.get(key)`` do not)."""
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in ("select", "exists"):
                return True
            value = self.lookup(func.id)
        elif isinstance(func, ast.Attribute):
            if func.attr == "get":
                return bool(call.args) and isinstance(self.lookup_quiet(call.args[0]), ModelClass)
            if func.attr in _DB_READ_CALLS:
                return True
            base = self.lookup_quiet(func.value)
            value = self.ev.project.resolve(base.path, func.attr) if isinstance(base, ModuleRef) else None
        else:
            return False
        return isinstance(value, FunctionRef) and isinstance(self.ev.last_returns.get(value), DbRead)

    # ------------------------------------------------------------------------------------ expressions

    def lookup(self, name: str) -> Value | None:
        if name in self.env:
            return self.env[name]
        if name in self.imports:
            imp = self.imports[name]
            if isinstance(imp, Import):
                return self.ev.project._resolve_import(imp, self.ctx.path, 0)
        if "." in name:
            return None
        return self.ev.project.resolve(self.ctx.path, name)

    def lookup_quiet(self, node: ast.expr) -> Value | None:
        return self.lookup(node.id) if isinstance(node, ast.Name) else None

    def origin(self, node: ast.expr) -> str:
        """Where ``node`` comes from: its import's module (``sqlalchemy.dialects.postgresql``) or its text."""
        text = dotted(node)
        if text is None:
            return ""
        base, _, rest = text.partition(".")
        imp = self.imports.get(base) or self.ctx.imports.get(base)
        if imp is None or base in self.env:
            return text
        assert isinstance(imp, Import)
        prefix = f"{imp.module}.{imp.name}" if imp.name else imp.module
        return f"{prefix}.{rest}" if rest else prefix

    def eval(self, node: ast.expr | None, cond: bool) -> Value | None:
        if node is None:
            return None
        kind = type(node)
        if kind is ast.Call:
            return self.call(node, cond)  # type: ignore[arg-type]
        if kind is ast.Name:
            return self.lookup(node.id)  # type: ignore[attr-defined]
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            return Sql((value,)) if isinstance(value, str) else None
        if kind is ast.Attribute:
            return self.attribute(node, cond)  # type: ignore[arg-type]
        if kind is ast.JoinedStr:
            return self.fstring(node, cond)  # type: ignore[arg-type]
        if kind is ast.BinOp:
            return self.binop(node, cond)  # type: ignore[arg-type]
        if kind in (ast.List, ast.Tuple, ast.Set):
            return join([self.eval(e, cond) for e in node.elts])  # type: ignore[attr-defined]
        if kind in (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp):
            return self.comprehension(node, cond)  # type: ignore[arg-type]
        if kind is ast.Dict:
            keys = [self.eval(k, cond) for k in node.keys if k is not None]  # type: ignore[attr-defined]
            values = [self.eval(v, cond) for v in node.values]  # type: ignore[attr-defined]
            return Pairs(join(keys), join(values))
        if kind is ast.Await:
            return self.eval(node.value, cond)  # type: ignore[attr-defined]
        if kind is ast.IfExp:
            self.eval(node.test, cond)  # type: ignore[attr-defined]
            first = self.eval(node.body, cond)  # type: ignore[attr-defined]
            second = self.eval(node.orelse, cond)  # type: ignore[attr-defined]
            return first if first is not None else second
        if kind is ast.BoolOp:
            values = [self.eval(v, cond) for v in node.values]  # type: ignore[attr-defined]
            return next((v for v in reversed(values) if v is not None), None)
        if kind is ast.Subscript:
            return self.subscript(node, cond)  # type: ignore[arg-type]
        if kind is ast.Starred:
            return self.eval(node.value, cond)  # type: ignore[attr-defined]
        if kind is ast.NamedExpr:
            value = self.eval(node.value, cond)  # type: ignore[attr-defined]
            self.bind(node.target, value)  # type: ignore[attr-defined]
            return value
        if kind is ast.Lambda:
            return self.lambda_value(node, cond)  # type: ignore[arg-type]
        if kind is ast.Compare:
            self.eval(node.left, cond)  # type: ignore[attr-defined]
            for comparator in node.comparators:  # type: ignore[attr-defined]
                self.eval(comparator, cond)
            return None
        if kind is ast.UnaryOp:
            self.eval(node.operand, cond)  # type: ignore[attr-defined]
            return None
        return None

    def data_file(self, expr: ast.expr) -> Value | None:
        """``open("data/roles.json")``, ``open(Path(__file__).parent / "roles.json")``: the file of the tree
        it names (relative to the module's folder or to the tree's root), when there is one."""
        parts = [n.value for n in ast.walk(expr) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        if not parts:
            value = self.lookup_quiet(expr)
            return value if isinstance(value, DataFile) else None
        folder = posixpath.dirname(self.ctx.path)
        for base in (folder, ""):
            path = posixpath.normpath(posixpath.join(base, *parts))
            if path in self.ev.project.all_paths:
                return DataFile(path)
        return None

    def lambda_value(self, node: ast.Lambda, cond: bool) -> Value | None:
        """A lambda is a function its receiver may call (``get_event=lambda p: p.event``)."""
        self.eval(node.body, cond)  # what it does when called with unknown arguments
        ref = FunctionRef(self.ctx.path, f"lambda@{node.lineno}:{node.col_offset}")
        if ref not in self.ev.nested:
            body: list[ast.stmt] = [ast.Return(node.body, lineno=node.lineno, col_offset=node.col_offset)]
            definition = ast.FunctionDef(name="lambda", args=node.args, body=body, decorator_list=[])
            definition.lineno, definition.col_offset = node.lineno, node.col_offset
            self.ev.nested[ref] = definition
        return ref

    def subscript(self, node: ast.Subscript, cond: bool) -> Value | None:
        base = self.eval(node.value, cond)
        key = self.eval(node.slice, cond)
        if isinstance(base, (Loaded, DbRead)):
            return base
        if isinstance(base, Instances) and base.items:
            return element(base)
        if isinstance(base, Pairs):
            return element(base.values)
        if isinstance(node.value, ast.Attribute) and node.value.attr == "tables" and isinstance(key, Sql):
            name = key.texts[0] if len(key.texts) == 1 else None
            if name and UNRESOLVED_PREFIX not in name:
                schema, _, table = name.rpartition(".")
                return TableObject((table, schema or None))
        return None

    def attribute(self, node: ast.Attribute, cond: bool) -> Value | None:
        key = dotted(node)
        if key is not None and key in self.env:
            return self.env[key]
        base = self.eval(node.value, cond)
        attr = node.attr
        if isinstance(base, ModelClass):
            if attr == "__table__":
                return TableObject(base.table)
            if attr == "__tablename__":
                return Sql((base.table[0],))
            if attr == "query":
                return DbRead(base)
            return None
        if isinstance(base, TableObject):
            if attr in ("name", "fullname") and base.table is not None:
                table, schema = base.table
                return Sql((f"{schema}.{table}" if attr == "fullname" and schema else table,))
            return None
        if isinstance(base, ModuleRef):
            return self.ev.project.resolve(base.path, attr)
        if isinstance(base, QueryFiles):
            return self.ev.named_query(base.folder, attr)
        if isinstance(base, ObjectOf) and base.attr(attr) is not None:
            return base.attr(attr)
        if isinstance(base, (ObjectOf, ClassRef)):
            method = self.ev.project.method(base.path, base.name, attr)
            if method is not None:
                definition = self.ev.function_node(method)
                if isinstance(base, ObjectOf) and definition is not None and _is_property(definition):
                    return self.invoke(method, [], {}, cond, base)
                return method
            return self.class_value(base, attr, cond)
        if isinstance(base, DbRead) and base.model is not None:
            # a persistent object's relationship is persistent objects of the related class
            related = self.relation(base.model, attr)
            return DbRead(related[0]) if related is not None else DbRead()
        if isinstance(base, (Loaded, DbRead)):
            return base
        return None

    def relation(self, model: ModelClass, attr: str) -> tuple[ModelClass | None, TableRef | None] | None:
        """``attr`` of ``model`` when it is a relationship: the related class and the association table
        (``secondary=``) it fills, each ``None`` when unknown."""
        key = (model, attr)
        if key in self.ev.relations:
            return self.ev.relations[key]
        self.ev.relations[key] = None  # cycle guard
        found: tuple[ModelClass | None, TableRef | None] | None = None
        expr = self.ev.project.class_attribute(model.path, model.name, attr) if model.path else None
        context = self.ev.project.context(model.path) if model.path else None
        if (
            isinstance(expr, ast.Call)
            and context is not None
            and (dotted(expr.func) or "").rsplit(".", 1)[-1] in _RELATIONSHIPS
        ):
            frame = Frame(self.ev, context, {}, module_level=True)
            target: ModelClass | None = None
            if expr.args:
                first = expr.args[0]
                name = first.value if isinstance(first, ast.Constant) else None
                if isinstance(name, str):
                    target = self.ev.project.model(name.rsplit(".", 1)[-1])
                else:
                    value = frame.eval(first.body if isinstance(first, ast.Lambda) else first, False)
                    target = value if isinstance(value, ModelClass) else None
            secondary: TableRef | None = None
            for kw in expr.keywords:
                if kw.arg != "secondary":
                    continue
                node = kw.value.body if isinstance(kw.value, ast.Lambda) else kw.value
                value = frame.eval(node, False)
                if isinstance(value, Sql) and len(value.texts) == 1:
                    schema, _, table = value.texts[0].rpartition(".")
                    secondary = (table, schema or None)
                elif isinstance(value, TableObject):
                    secondary = value.table
                elif isinstance(node, ast.Name) and node.id in self.ev.project.index.variables:
                    secondary = self.ev.project.index.variables[node.id]
            found = (target, secondary)
        if found is None:
            found = self.ev.backrefs().get((model.name, attr))
        self.ev.relations[key] = found
        return found

    def class_value(self, owner: ObjectOf | ClassRef, attr: str, cond: bool) -> Value | None:
        """The value a class body (or a project base class's) assigns to ``attr``."""
        expr = self.ev.project.class_attribute(owner.path, owner.name, attr)
        context = self.ev.project.context(owner.path)
        if expr is None or context is None:
            return None
        return Frame(self.ev, context, {}, module_level=True).eval(expr, cond)

    def binop(self, node: ast.BinOp, cond: bool) -> Value | None:
        left = self.eval(node.left, cond)
        if isinstance(node.op, ast.Mod) and isinstance(left, Sql):
            return self.percent(left, node.right, cond)
        right = self.eval(node.right, cond)
        if isinstance(node.op, ast.Add):
            if isinstance(left, Sql) and isinstance(right, Sql):
                texts = tuple(a + b for a in left.texts for b in right.texts)[:MAX_TEXTS]
                return Sql(texts)
            if isinstance(left, Sql) or isinstance(right, Sql):
                sql = left if isinstance(left, Sql) else right
                other = node.right if sql is left else node.left
                token = self.ev.placeholder(other)
                assert isinstance(sql, Sql)
                return Sql(tuple(t + token if sql is left else token + t for t in sql.texts))
            if isinstance(left, (Instances, Instance)) or isinstance(right, (Instances, Instance)):
                return join([left, right])
        return None

    def comprehension(
        self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp, cond: bool
    ) -> Value | None:
        saved = dict(self.env)
        loop_cond = cond
        for gen in node.generators:
            iterated = self.eval(gen.iter, cond)
            loop_cond = loop_cond or isinstance(iterated, DbRead)
            self.bind_item(gen.target, iterated)
            for test in gen.ifs:
                self.eval(test, loop_cond)
        if isinstance(node, ast.DictComp):
            self.eval(node.value, loop_cond)
            result: Value | None = None
        else:
            result = join([self.eval(node.elt, loop_cond)])
        self.env = saved
        return result

    # -------------------------------------------------------------------------------------------- calls

    def record(self, hits: Iterable[Hit], cond: bool, hop: Hop | None = None) -> None:
        for hit in hits:
            if hop is not None:
                hit = dataclasses.replace(hit, via=(hop, *hit.via))
            self.hits.append(
                dataclasses.replace(hit, conditional=True) if cond and not hit.conditional else hit
            )

    def call(self, node: ast.Call, cond: bool) -> Value | None:
        func = node.func
        receiver: Value | None = None
        callee: Value | None = None
        origin = ""
        if isinstance(func, ast.Attribute):
            name = func.attr
            receiver = self.eval(func.value, cond)
            origin = self.origin(func.value)
            if isinstance(receiver, ModuleRef):
                callee = self.ev.project.resolve(receiver.path, name)
            elif isinstance(receiver, QueryFiles):
                callee = self.ev.named_query(receiver.folder, name)
            elif isinstance(receiver, (ObjectOf, ClassRef)) and not self.ev.project.method(
                receiver.path, receiver.name, name
            ):
                stored = receiver.attr(name) if isinstance(receiver, ObjectOf) else None
                callee = stored if stored is not None else self.class_value(receiver, name, cond)
        elif isinstance(func, ast.Name):
            name = func.id
            callee = self.lookup(name)
            imp = self.imports.get(name) or (None if name in self.env else self.ctx.imports.get(name))
            if imp is not None:
                origin = getattr(imp, "module", "") or ""
                name = getattr(imp, "name", None) or name
        else:
            name = ""
            callee = self.eval(func, cond)
        if isinstance(receiver, AlembicOp) and name in _ALEMBIC_DDL:
            # op.create_table("t", sa.Column(...), ...): only the name and schema matter; columns, types and
            # constraints (most of a revision) write nothing
            args = [self.eval(node.args[0], cond) if node.args else None] + [None] * (len(node.args) - 1)
            kwargs = {
                kw.arg: self.eval(kw.value, cond) for kw in node.keywords if kw.arg in ("schema", "name")
            }
        else:
            args = [self.eval(a, cond) for a in node.args]
            kwargs = {}
            for kw in node.keywords:
                kwargs[kw.arg or "**"] = self.eval(kw.value, cond)
        self.line = node.lineno

        recognisers = self.ev.triggers.get(name)
        if recognisers and not (isinstance(func, ast.Name) and isinstance(callee, (FunctionRef, Functions))):
            # (a project function that happens to be called query() or add() is followed, not recognised)
            site = CallSite(node, name, origin, receiver, args, kwargs, self.ctx.path, self.ev)
            for recogniser in recognisers:
                outcome = recogniser.recognise(site)
                if outcome is not None:
                    self.record(outcome.hits, cond)
                    return outcome.value

        if isinstance(func, ast.Attribute):
            if isinstance(receiver, (ObjectOf, ClassRef)):
                method = self.ev.project.method(receiver.path, receiver.name, name)
                if method is not None:
                    self_value = receiver if isinstance(receiver, ObjectOf) else None
                    return self.invoke(method, args, kwargs, cond, self_value)
            model = _model_of(receiver)
            if model is not None and model.path:
                method = self.ev.project.method(model.path, model.name, name)
                if method is not None:
                    return self.invoke(method, args, kwargs, cond, receiver)
            if isinstance(receiver, Models):
                # model = MODELS[name]; model.create_from_import(...): the method of each possible class
                results = []
                for each in receiver.items:
                    method = self.ev.project.method(each.path, each.name, name) if each.path else None
                    if method is not None:
                        results.append(self.invoke(method, args, kwargs, cond, each))
                if results:
                    return join(results)
            if isinstance(receiver, Sql) and name == "format":
                return self.format(receiver, node, args, kwargs)
            if isinstance(receiver, Sql) and name in _SQL_KEEPS:
                # text(...).bindparams(...), .columns(...), .execution_options(...): the same SQL; and
                # SQL.split(";") looped over executes every statement of the text
                return receiver
            if isinstance(receiver, AlembicOp):
                return AlembicOp() if name == "get_bind" else None
            if name in ("append", "extend", "add", "insert") and args:
                self.accumulate(func.value, args[-1])
            if isinstance(receiver, Statement):
                return receiver  # .values(), .returning(), .prefix_with()...
            if isinstance(receiver, Instances) and name in ("values", "copy"):
                return receiver
            if isinstance(receiver, Pairs):
                if name in ("items", "copy"):
                    return receiver
                if name in ("values", "get", "setdefault", "pop"):
                    return receiver.values
                if name == "keys":
                    return receiver.keys
            if isinstance(receiver, Objects):
                result: Value | None = None
                for obj in receiver.items:
                    method = self.ev.project.method(obj.path, obj.name, name)
                    if method is not None:
                        value = self.invoke(method, args, kwargs, cond, obj)
                        result = result if result is not None else value
                return result
            if isinstance(receiver, (Loaded, DbRead)):
                return receiver
        if isinstance(callee, (ModelClass, Models)):
            return self.construct(callee, node, args, kwargs)
        if isinstance(callee, QueryRef):
            # queries.create_user(conn, ...): the INSERT of the named query, located in its .sql file
            site = CallSite(node, name, origin, receiver, args, kwargs, self.ctx.path, self.ev)
            hits = self.ev(Sql((callee.sql,)), site, "sql-named-query")
            located = [dataclasses.replace(h, path=callee.path, line=callee.line) for h in hits]
            self.record(located, cond, (self.ctx.path, node.lineno, f"{callee.name}() (named query)"))
            return DbRead()
        if isinstance(func, ast.Name) and callee is None and func.id == "open" and node.args:
            return self.data_file(node.args[0])
        if isinstance(func, ast.Name) and callee is None and func.id in ("zip", "enumerate"):
            # for a, b in zip(names, values): the first target takes the first iterable's items
            if func.id == "zip" and len(args) == 2:
                return Pairs(element(args[0]), element(args[1]))
            return Pairs(None, element(args[0])) if func.id == "enumerate" and args else None
        if isinstance(func, ast.Name) and func.id in _PASS_THROUGH and args and callee is None:
            return args[0] if isinstance(args[0], (Instances, Sql, Loaded, DbRead)) else None
        if isinstance(callee, (FunctionRef, Functions)):
            refs = callee.refs if isinstance(callee, Functions) else (callee,)
            returned: Value | None = None
            objects: list[ObjectOf] = []
            for ref in refs:
                if isinstance(ref, ClassRef):
                    objects.append(self.instantiate(ref, args, kwargs, cond))
                    continue
                value = self.invoke(ref, args, kwargs, cond, None)
                if isinstance(returned, Sql) and isinstance(value, Sql):
                    returned = join([returned, value])  # a list of query builders, each called
                returned = returned if returned is not None else value
            if objects:
                return Objects(tuple(objects))
            if isinstance(func, ast.Name):
                self.registered(func.id, cond)
            return returned
        if isinstance(callee, ClassRef):
            return self.instantiate(callee, args, kwargs, cond)
        for value in (*args, *kwargs.values()):  # callbacks: run_sync(seed), Thread(target=seed)
            if isinstance(value, FunctionRef):
                self.invoke(value, [], {}, cond, None)
        if isinstance(func, ast.Name) and callee is None:
            self.registered(func.id, cond)
            return self.factory(func.id, args, kwargs)
        return None

    def factory(self, name: str, args: list[Value | None], kwargs: dict[str, Value | None]) -> Value | None:
        """``create_user(...)`` imported from a module the tree does not hold: by its name, a new ``User``,
        with the new objects handed to it attached (``create_user(email, data, Identity(...))``)."""
        match = _FACTORY.match(name)
        if match is None or not isinstance(self.ctx.imports.get(name) or self.imports.get(name), Import):
            return None
        model = self.ev.project.model("".join(part.title() for part in match.group(1).split("_")))
        if model is None:
            return None
        tables = [model.table]
        for value in (*args, *kwargs.values()):
            if isinstance(value, Instance):
                tables.extend(value.tables)
        return Instance(tuple(dict.fromkeys(tables)), "orm", model)

    def instantiate(
        self, cls: ClassRef, args: list[Value | None], kwargs: dict[str, Value | None], cond: bool
    ) -> ObjectOf:
        init = self.ev.project.method(cls.path, cls.name, "__init__")
        instance = ObjectOf(cls.path, cls.name)
        if init is None:
            return instance
        result = self.call_function(init, args, kwargs, cond, instance)
        return ObjectOf(cls.path, cls.name, result.self_attrs) if result is not None else instance

    def registered(self, name: str, cond: bool) -> None:
        """``app()`` of a typer/click app runs the commands registered with ``@app.command()``."""
        if not self.module_level:
            return
        for function in self.ctx.decorated.get(name, ()):
            self.invoke(FunctionRef(self.ctx.path, function), [], {}, cond, None)

    def accumulate(self, target: ast.expr, value: Value | None) -> None:
        """``objs.append(Model(...))`` grows a list of instances; ``user.roles.append(Role())`` a parent."""
        key = dotted(target)
        if key is None or not isinstance(value, (Instance, Instances, DbRead)):
            return
        if isinstance(value, DbRead) or (key not in self.env and "." in key):
            owner, _, attr = key.rpartition(".")
            parent = self.lookup(owner) if "." not in owner else self.env.get(owner)
            if isinstance(parent, DbRead) and parent.model is not None:
                # parent.children.append(child) on a persistent parent: the flush inserts the child, and
                # the association row when the relationship has a secondary table
                self.attach(parent.model, attr, value)
                return
            if isinstance(parent, Instance) and parent.model is not None and "." not in owner:
                related = self.relation(parent.model, attr)
                if related is not None and related[1] is not None:
                    self.env[owner] = dataclasses.replace(
                        parent, tables=tuple(dict.fromkeys((*parent.tables, related[1])))
                    )
            if isinstance(value, DbRead):
                return
        if key in self.env or "." not in key:
            current = self.lookup(key)
            if isinstance(current, Pairs):
                self.env[key] = Pairs(current.keys, join([current.values or Instances(()), value]))
            elif isinstance(current, Instance):
                extra = (
                    value.tables
                    if isinstance(value, Instance)
                    else tuple(t for i in value.items for t in i.tables)
                )
                self.env[key] = Instance(tuple(dict.fromkeys(current.tables + extra)), current.origin)
            elif current is None or isinstance(current, Instances):
                self.env[key] = join([current if current is not None else Instances(()), value])
            return
        owner = key.split(".")[0]
        parent = self.env.get(owner)
        if isinstance(parent, Instance):
            extra = (
                value.tables
                if isinstance(value, Instance)
                else tuple(t for i in value.items for t in i.tables)
            )
            self.env[owner] = Instance(tuple(dict.fromkeys(parent.tables + extra)), parent.origin)

    def construct(
        self,
        model: ModelClass | Models,
        node: ast.Call,
        args: list[Value | None],
        kwargs: dict[str, Value | None],
    ) -> Instance:
        """``Model(...)``: an instance, with related instances built inline (``User(roles=[Role(...)])``)."""
        tables = [m.table for m in model.items] if isinstance(model, Models) else [model.table]
        loaded = any(isinstance(v, Loaded) for v in (*args, *kwargs.values()))
        data = next((v.path for v in (*args, *kwargs.values()) if isinstance(v, Loaded) and v.path), None)
        if isinstance(model, ModelClass) and model.path:
            tables.extend(self.cascade(model, node, kwargs))
            init = self.ev.project.method(model.path, model.name, "__init__")
            if init is not None:
                # the model's own constructor runs: its side effects (User.__init__ -> self.follow(self))
                self.call_function(init, args, kwargs, False, Instance((model.table,), "orm", model))
        inline = [*node.args, *(k.value for k in node.keywords)]
        for value_node, value in zip(inline, (*args, *kwargs.values()), strict=False):
            if not isinstance(value_node, (ast.Call, ast.List, ast.Tuple, ast.ListComp)):
                continue  # a related object built elsewhere was added (or not) on its own
            if isinstance(value, Instance):
                tables.extend(value.tables)
            elif isinstance(value, Instances):
                tables.extend(t for item in value.items for t in item.tables)
        return Instance(
            tuple(dict.fromkeys(tables)),
            "json-loop" if loaded else "orm",
            model if isinstance(model, ModelClass) else None,
            data,
        )

    def cascade(self, model: ModelClass, node: ast.Call, kwargs: dict[str, Value | None]) -> list[TableRef]:
        """``Child(parent=p)`` with ``p`` a persistent object: the backref puts the new row in ``p``'s session
        (save-update cascade), so the flush inserts it.  Returns the secondary tables the keywords fill
        (``User(groups=[...])``): written when the new object is."""
        secondary: list[TableRef] = []
        for key, value in kwargs.items():
            if key == "**":
                continue
            if isinstance(value, DbRead) and value.model is not None:
                # only a relationship holds a model object (maybe a backref declared on the other class)
                self.record([Hit(model.table, "orm-cascade", self.ctx.path, node.lineno)], False)
            related = self.relation(model, key)
            if related is not None and related[1] is not None and value is not None:
                secondary.append(related[1])
        return secondary

    def assign_relation(self, owner: str, attr: str, value: Value) -> None:
        """``obj.groups = [...]`` on a relationship with a secondary table: the flush of ``obj`` fills it."""
        parent = self.env.get(owner)
        if not isinstance(parent, (Instance, DbRead)) or parent.model is None:
            return
        related = self.relation(parent.model, attr)
        if related is None or related[1] is None:
            return
        if isinstance(parent, DbRead):
            self.record([Hit(related[1], "orm-secondary", self.ctx.path, self.line)], False)
        else:
            self.env[owner] = dataclasses.replace(
                parent, tables=tuple(dict.fromkeys((*parent.tables, related[1])))
            )

    def attach(self, model: ModelClass, attr: str, value: Value | None) -> None:
        """``persistent.children.append(child)``: the child's rows and the association row."""
        # appending a new object to an attribute of a persistent row: a relationship collection, maybe a
        # backref declared on the other class
        related = self.relation(model, attr)
        hits: list[Hit] = []
        items = (
            (value,) if isinstance(value, Instance) else value.items if isinstance(value, Instances) else ()
        )
        for item in items:
            hits.extend(
                Hit(table, "orm-relationship-append", self.ctx.path, self.line) for table in item.tables
            )
        if related is not None and related[1] is not None:
            hits.append(Hit(related[1], "orm-secondary", self.ctx.path, self.line))
        self.record(hits, False)

    def invoke(
        self,
        ref: FunctionRef,
        args: list[Value | None],
        kwargs: dict[str, Value | None],
        cond: bool,
        self_value: Value | None,
    ) -> Value | None:
        result = self.call_function(ref, args, kwargs, cond, self_value)
        return result.returns if result is not None else None

    def call_function(
        self,
        ref: FunctionRef,
        args: list[Value | None],
        kwargs: dict[str, Value | None],
        cond: bool,
        self_value: Value | None,
    ) -> FunctionResult | None:
        """Bind the arguments, evaluate the function (cached) and record its writes here."""
        node = self.ev.function_node(ref)
        if node is None:
            return None
        params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        bound: dict[str, Value] = {}
        if (
            "." in ref.qualname
            and params
            and not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
        ):
            if self_value is not None:
                bound[params[0]] = self_value
            params = params[1:]
        for param, value in zip(params, args, strict=False):
            if value is not None:
                bound[param] = value
        names = set(params) | {a.arg for a in node.args.kwonlyargs}
        for key, value in kwargs.items():
            if key in names and value is not None:
                bound[key] = value
        result = self.ev.invoke(ref, tuple(sorted(bound.items(), key=lambda kv: kv[0])))
        self.record(result.hits, cond, (self.ctx.path, self.line, f"{ref.qualname.split('@')[0]}()"))
        return result
