"""The table index: which class or variable declares which table, read statically from the project's code.

Covers ``__tablename__`` (also computed by a ``declared_attr`` naming convention on a base class),
``__table__ = Table(...)``, ``Table("name", metadata, ...)`` bound to a name, ``__table_args__`` with a
schema, SQLModel ``table=True`` classes (lower-case class name) and Flask-SQLAlchemy models without a
``__tablename__`` (snake_case class name).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dbaudit.markdown import code
from dbaudit.model import Finding, Severity, SourceLocation, TableDeclaration

#: Cheap byte-level test: a file containing none of these declares no table and is not parsed for the index.
INDEX_HINTS = (b"__tablename__", b"Table(", b"table=True", b"Model)", b"Model,", b"declared_attr")

_COLUMN_CALLS = {"Column", "mapped_column", "Field", "relationship", "column_property"}


def snake_case(name: str) -> str:
    """Flask-SQLAlchemy's implicit table name: ``CamelCase`` -> ``camel_case``."""
    return re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name).lower().lstrip("_")


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def const_str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def table_call(node: ast.expr) -> tuple[str, str | None] | None:
    """``Table("name", metadata, ..., schema="s")`` -> ``(name, schema)`` for a declaring ``Table`` call."""
    if not isinstance(node, ast.Call):
        return None
    name = dotted(node.func)
    if name is None or name.rsplit(".", 1)[-1] != "Table" or len(node.args) < 2:
        return None
    table = const_str(node.args[0])
    if table is None:
        return None
    if _kw(node, "autoload_with") is not None or _kw(node, "extend_existing") is not None:
        return None  # reflection of an existing table, not a declaration
    return table, const_str(_kw(node, "schema"))


def _table_args_schema(node: ast.expr) -> str | None:
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if const_str(key) == "schema":
                return const_str(value)
    if isinstance(node, ast.Tuple) and node.elts:
        return _table_args_schema(node.elts[-1])
    return None


@dataclass
class ClassFacts:
    """What one class body says about its table."""

    name: str
    path: str
    line: int
    bases: tuple[str, ...]
    table_kw: bool = False
    abstract: bool = False
    tablename: str | None = None
    tablename_dynamic: bool = False
    convention: ast.expr | None = None
    """Return expression of a ``declared_attr`` ``__tablename__`` function."""
    table_call: tuple[str, str | None] | None = None
    table_ref: str | None = None
    schema: str | None = None
    has_columns: bool = False
    bases_full: tuple[str, ...] = ()


@dataclass
class ModuleTables:
    """Declarations found in one module before names are resolved across the project."""

    path: str
    classes: list[ClassFacts] = field(default_factory=list)
    tables: dict[str, tuple[str, str | None, int]] = field(default_factory=dict)
    """Variable name -> (table, schema, line) for ``x = Table("name", metadata, ...)``."""
    mapped: dict[str, str] = field(default_factory=dict)
    """Class name -> table variable, for classical mapping: ``registry.map_imperatively(User, users)``."""


def _class_facts(node: ast.ClassDef, path: str) -> ClassFacts:
    bases_full = tuple(d for d in (dotted(b) for b in node.bases) if d)
    facts = ClassFacts(
        node.name, path, node.lineno, tuple(b.rsplit(".", 1)[-1] for b in bases_full), bases_full=bases_full
    )
    for kw in node.keywords:
        if kw.arg == "table" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
            facts.table_kw = True
    for stmt in node.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value = [stmt.target], stmt.value
            if isinstance(stmt.annotation, ast.Subscript) and dotted(stmt.annotation.value) in (
                "Mapped",
                "orm.Mapped",
                "sa.orm.Mapped",
            ):
                facts.has_columns = True
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            stmt.name == "__table_args__" or stmt.name.endswith("__auto_table_args")
        ):
            # computed: ``return auto_table_args(cls, schema="x")`` or ``({...}, {"schema": "x"})``
            for ret in ast.walk(stmt):
                if isinstance(ret, ast.Return) and ret.value is not None and facts.schema is None:
                    found = _table_args_schema(ret.value)
                    if found is None and isinstance(ret.value, ast.Call):
                        found = const_str(_kw(ret.value, "schema"))
                    facts.schema = found
            continue
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "__tablename__":
            if any("declared_attr" in (dotted(d) or "") for d in stmt.decorator_list) or any(
                isinstance(d, ast.Attribute) and d.attr == "directive" for d in stmt.decorator_list
            ):
                returns = [s.value for s in ast.walk(stmt) if isinstance(s, ast.Return) and s.value]
                facts.convention = returns[0] if returns else None
            continue
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if target.id == "__tablename__":
                text = const_str(value)
                facts.tablename = text
                facts.tablename_dynamic = text is None
            elif target.id == "__abstract__":
                facts.abstract = isinstance(value, ast.Constant) and value.value is True
            elif (
                target.id == "__table_args__" or target.id.endswith("__auto_table_args")
            ) and value is not None:
                facts.schema = _table_args_schema(value) or facts.schema
            elif target.id == "__table__" and value is not None:
                call = table_call(value)
                if call:
                    facts.table_call = call
                else:
                    facts.table_ref = dotted(value)
            elif (
                isinstance(value, ast.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] in _COLUMN_CALLS
            ):
                facts.has_columns = True
    return facts


def module_tables(tree: ast.Module, path: str) -> ModuleTables:
    """Top-level classes and ``Table(...)`` assignments of one module (no deep walk)."""
    found = ModuleTables(path)
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            mapping = stmt.value
            func = (dotted(mapping.func) or "").rsplit(".", 1)[-1]
            if func in ("map_imperatively", "mapper") and len(mapping.args) >= 2:
                cls, table = (dotted(a) for a in mapping.args[:2])
                if cls and table:
                    found.mapped[cls.rsplit(".", 1)[-1]] = table.rsplit(".", 1)[-1]
        if isinstance(stmt, ast.ClassDef):
            found.classes.append(_class_facts(stmt, path))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            call = table_call(stmt.value)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if call:
                for target in targets:
                    if isinstance(target, ast.Name):
                        found.tables[target.id] = (call[0], call[1], stmt.lineno)
    return found


def _apply_convention(expr: ast.expr | None, class_name: str) -> str | None:
    """Evaluate a naming convention such as ``cls.__name__.lower()`` or ``f"{cls.__name__.lower()}s"``."""
    if expr is None:
        return None
    if isinstance(expr, ast.Attribute) and expr.attr == "__name__":
        return class_name
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute) and not expr.args:
            inner = _apply_convention(func.value, class_name)
            if inner is not None and func.attr in ("lower", "upper", "casefold"):
                return inner.upper() if func.attr == "upper" else inner.lower()
        name = (dotted(func) or "").lower()
        if expr.args and ("snake" in name or "underscore" in name):
            # snake_case(cls.__name__), or a compiled regex's CAMEL_TO_SNAKE.sub("_", cls.__name__)
            subject = expr.args[-1] if name.endswith(".sub") else expr.args[0]
            inner = _apply_convention(subject, class_name)
            return snake_case(inner) if inner is not None else None
        if expr.args and "plural" in name:
            inner = _apply_convention(expr.args[0], class_name)
            return inner + "s" if inner is not None else None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left = _apply_convention(expr.left, class_name)
        right = _apply_convention(expr.right, class_name)
        return left + right if left is not None and right is not None else None
    if isinstance(expr, ast.JoinedStr):
        parts: list[str] = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                inner = _apply_convention(value.value, class_name)
                if inner is None:
                    return None
                parts.append(inner)
        return "".join(parts)
    return None


@dataclass(frozen=True)
class TableIndex:
    """Class and variable names -> table, plus the declarations and the findings about them."""

    classes: dict[str, tuple[str, str | None]]
    """Class name -> (table, schema).  Names declared twice with different tables are left out (ambiguous)."""
    by_path: dict[tuple[str, str], tuple[str, str | None]]
    """(path, class or variable name) -> (table, schema)."""
    variables: dict[str, tuple[str, str | None]]
    declarations: tuple[TableDeclaration, ...]
    findings: tuple[Finding, ...]

    def lookup(self, name: str, path: str | None = None) -> tuple[str, str | None] | None:
        if path is not None and (path, name) in self.by_path:
            return self.by_path[(path, name)]
        return self.classes.get(name)


def build_index(modules: Iterable[ModuleTables]) -> TableIndex:
    """Resolve class hierarchies, conventions and ``__table__`` references across all modules."""
    all_classes: list[ClassFacts] = []
    variables: dict[str, tuple[str, str | None]] = {}
    declarations: list[TableDeclaration] = []
    by_path: dict[tuple[str, str], tuple[str, str | None]] = {}
    mapped: dict[str, str] = {}
    for mod in modules:
        all_classes.extend(mod.classes)
        mapped.update(mod.mapped)
        for var, (table, schema, line) in mod.tables.items():
            variables[var] = (table, schema)
            by_path[(mod.path, var)] = (table, schema)
            declarations.append(TableDeclaration(table, var, schema, SourceLocation(mod.path, line)))
    facts_by_name: dict[str, list[ClassFacts]] = {}
    for facts in all_classes:
        facts_by_name.setdefault(facts.name, []).append(facts)

    resolved: dict[int, tuple[str, str | None] | None] = {}

    def base_facts(facts: ClassFacts) -> list[ClassFacts]:
        out: list[ClassFacts] = []
        for base in facts.bases:
            candidates = facts_by_name.get(base, [])
            same = [c for c in candidates if c.path == facts.path]
            out.extend(same or candidates[:1])
        return out

    def ancestors(facts: ClassFacts, seen: set[int] | None = None) -> Iterable[ClassFacts]:
        seen = seen if seen is not None else {id(facts)}
        for base in base_facts(facts):
            if id(base) in seen:
                continue
            seen.add(id(base))
            yield base
            yield from ancestors(base, seen)

    def flask_model(facts: ClassFacts) -> bool:
        if any(b.endswith(".Model") and b.count(".") == 1 for b in facts.bases_full):
            return True
        return any(any(b.endswith(".Model") for b in a.bases_full) for a in ancestors(facts))

    def table_of(facts: ClassFacts) -> tuple[str, str | None] | None:
        key = id(facts)
        if key in resolved:
            return resolved[key]
        resolved[key] = None  # cycle guard
        result = _own_table(facts)
        resolved[key] = result
        return result

    def schema_of(facts: ClassFacts) -> str | None:
        if facts.schema:
            return facts.schema
        for anc in ancestors(facts):
            if anc.schema:
                return anc.schema
        return None

    def _own_table(facts: ClassFacts) -> tuple[str, str | None] | None:
        if facts.abstract:
            return None
        if facts.table_call:
            return facts.table_call[0], facts.table_call[1] or schema_of(facts)
        if facts.table_ref:
            ref = facts.table_ref.rsplit(".", 1)[-1]
            if ref in variables:
                return variables[ref]
        if facts.tablename:
            return facts.tablename, schema_of(facts)
        if facts.name in mapped and mapped[facts.name] in variables:
            return variables[mapped[facts.name]]
        if facts.table_kw:
            return facts.name.lower(), schema_of(facts)
        parents = list(ancestors(facts))
        mapped_parent = next((p for p in base_facts(facts) if table_of(p) is not None), None)
        convention = next((p.convention for p in parents if p.convention is not None), None)
        if convention is not None and (mapped_parent is None or facts.has_columns):
            name = _apply_convention(convention, facts.name)
            if name:
                return name, schema_of(facts)
        if mapped_parent is not None:
            return table_of(mapped_parent)  # single-table inheritance
        # a plain __tablename__ of an abstract base or mixin is inherited like any class attribute
        inherited = next((p.tablename for p in parents if p.tablename), None)
        if inherited and (facts.has_columns or flask_model(facts)):
            return inherited, schema_of(facts)
        if facts.has_columns and flask_model(facts):
            return snake_case(facts.name), schema_of(facts)
        return None

    classes: dict[str, tuple[str, str | None]] = {}
    ambiguous: set[str] = set()
    for facts in all_classes:
        result = table_of(facts)
        if result is None:
            continue
        by_path[(facts.path, facts.name)] = result
        if facts.name in classes and classes[facts.name] != result:
            ambiguous.add(facts.name)
        classes.setdefault(facts.name, result)
        inherited = any(table_of(p) == result for p in base_facts(facts))
        if not inherited and not facts.table_ref and facts.name not in mapped:
            declarations.append(
                TableDeclaration(result[0], facts.name, result[1], SourceLocation(facts.path, facts.line))
            )
    for name in ambiguous:
        classes.pop(name, None)
    findings: list[Finding] = []
    grouped: dict[tuple[str, str | None], list[TableDeclaration]] = {}
    for decl in declarations:
        grouped.setdefault((decl.table, decl.schema), []).append(decl)
    for (table, schema), decls in grouped.items():
        if len(decls) < 2:
            continue
        names = ", ".join(f"{code(d.declared_by)} ({code(d.location)})" for d in decls)
        full = f"{schema}.{table}" if schema else table
        findings.append(
            Finding(
                "duplicate-declaration",
                f"table {code(full)} is declared more than once: {names}",
                Severity.WARNING,
                table=full,
                location=decls[-1].location,
            )
        )
    return TableIndex(classes, by_path, variables, tuple(declarations), tuple(findings))
