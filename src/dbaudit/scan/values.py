"""What the static evaluator knows about a Python value: a model class, a table object, an insert
statement, SQL text, data loaded from a file, the result of a database read...  All values are small frozen
records so they can key the per-call cache."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

TableRef = tuple[str, "str | None"]
"""``(table, schema)``."""


class Value:
    """Base of every abstract value."""

    __slots__ = ()


@dataclass(frozen=True)
class ModelClass(Value):
    name: str
    table: TableRef
    path: str = ""
    """The module declaring the class (its methods and relationships are read there); empty if unknown."""


@dataclass(frozen=True)
class TableObject(Value):
    """A ``Table``, ``sa.table(...)``, the value of ``op.create_table(...)`` or ``Model.__table__``."""

    table: TableRef | None
    dynamic: str | None = None
    """Source text of the name expression when it could not be resolved."""
    more: tuple[TableRef, ...] = ()
    """Further possible tables: ``sa.table(name, ...)`` in a loop over several literal names."""


@dataclass(frozen=True)
class Instance(Value):
    """A model instance; ``tables[0]`` is its own table, the rest come from nested related instances."""

    tables: tuple[TableRef, ...]
    origin: str = "orm"
    """``json-loop`` when built from rows of a loaded JSON/YAML file."""
    model: ModelClass | None = None
    """The class it was built from (its methods run on it: ``obj.save()``)."""
    data: str | None = None
    """The data file its values were read from (``Role(**row)`` for rows of ``roles.json``)."""


@dataclass(frozen=True)
class Instances(Value):
    items: tuple[Instance, ...] = ()


@dataclass(frozen=True)
class Statement(Value):
    """A Core INSERT statement under construction (executed later, or never)."""

    table: TableRef | None
    recogniser: str
    dynamic: str | None = None
    more: tuple[TableRef, ...] = ()
    """Further possible tables, for ``insert(model)`` with ``model`` one of several (a loop over models)."""


@dataclass(frozen=True)
class Sql(Value):
    """Text that may be SQL, with its possible values (a loop over several strings gives several)."""

    texts: tuple[str, ...]


@dataclass(frozen=True)
class FunctionRef(Value):
    path: str
    qualname: str


@dataclass(frozen=True)
class Functions(Value):
    """Several functions, e.g. a list of seeders a loop calls one by one."""

    refs: tuple[FunctionRef | ClassRef, ...]


@dataclass(frozen=True)
class Models(Value):
    """One of several model classes: the loop variable of ``for model in (User, Role):``."""

    items: tuple[ModelClass, ...]


@dataclass(frozen=True)
class Objects(Value):
    """Instances of several project classes: ``for seeder in (UsersSeeder, RolesSeeder): seeder().run()``."""

    items: tuple[ObjectOf, ...]


@dataclass(frozen=True)
class Pairs(Value):
    """A dict: what its keys and its values may be (``{User: [...], Role: [...]}``)."""

    keys: Value | None
    values: Value | None


@dataclass(frozen=True)
class ClassRef(Value):
    path: str
    name: str


@dataclass(frozen=True)
class ObjectOf(Value):
    """An instance of a project class (a repository, a seeder object)."""

    path: str
    name: str
    attrs: tuple[tuple[str, Value], ...] = ()
    """What its ``__init__`` stored on ``self`` (``self.model = model``)."""

    def attr(self, name: str) -> Value | None:
        return next((value for key, value in self.attrs if key == name), None)


@dataclass(frozen=True)
class ModuleRef(Value):
    path: str


@dataclass(frozen=True)
class Loaded(Value):
    """Data read from a JSON/YAML/CSV file."""

    path: str | None = None
    """The file in the tree it was read from, when the code names it (``open("data/roles.json")``)."""


@dataclass(frozen=True)
class DataFile(Value):
    """A file of the tree the code opens: ``open("data/roles.json")``."""

    path: str


@dataclass(frozen=True)
class DbRead(Value):
    """Something read from the database: a query, its rows, a count."""

    model: ModelClass | None = None
    """The model class of the rows read (``User.query.first()``): a persistent object of that class."""


@dataclass(frozen=True)
class QueryFiles(Value):
    """Named-query SQL files loaded by ``aiosql.from_path(folder, driver)`` (``folder`` in the tree)."""

    folder: str


@dataclass(frozen=True)
class QueryRef(Value):
    """One named query of such a file (``queries.create_user``), callable."""

    path: str
    name: str
    line: int
    sql: str


@dataclass(frozen=True)
class AlembicOp(Value):
    """Alembic's ``op`` or the connection ``op.get_bind()`` returns."""


Hop = tuple[str, int, str]
"""One step of the way to a write: ``(path, line, what)``, e.g. ``("app/cli.py", 12, "seed_users()")``."""


@dataclass(frozen=True)
class Hit:
    """One write found: ``table`` is ``None`` when its name could not be resolved (``dynamic`` says how)."""

    table: TableRef | None
    recogniser: str
    path: str
    line: int
    conditional: bool = False
    dynamic: str | None = None
    via: tuple[Hop, ...] = ()
    """The calls that led here, outermost first (``scan --explain`` prints them)."""
    data: str | None = None
    """The data file in the tree the written rows were read from, when known."""


@dataclass
class Outcome:
    """What a recogniser made of a call: a value for the expression, and writes."""

    value: Value | None = None
    hits: list[Hit] = field(default_factory=list)


@dataclass
class CallSite:
    """A call as the recognisers see it, its arguments already evaluated."""

    node: ast.Call
    name: str
    """The called name (attribute name, or the original name of an imported function)."""
    origin: str
    """Where the callee comes from: the receiver's dotted text or the import's module (``sqlalchemy``...)."""
    receiver: Value | None
    args: list[Value | None]
    kwargs: dict[str, Value | None]
    path: str
    sql_hits: SqlHits

    def arg(self, index: int, keyword: str | None = None) -> Value | None:
        if index < len(self.args):
            return self.args[index]
        return self.kwargs.get(keyword) if keyword else None

    def hit(self, table: TableRef | None, recogniser: str, dynamic: str | None = None) -> Hit:
        return Hit(table, recogniser, self.path, self.node.lineno, False, dynamic)

    def source_of(self, index: int) -> str:
        """Source text of argument ``index`` (for messages about names that cannot be resolved)."""
        if index < len(self.node.args):
            return ast.unparse(self.node.args[index])[:80]
        return "?"


class SqlHits(Protocol):
    """Turns SQL text into hits; provided by the evaluator (it knows the placeholders and diagnostics)."""

    def __call__(self, sql: Sql, site: CallSite, recogniser: str | None = None) -> list[Hit]: ...


MAX_TEXTS = 16
"""How many alternative strings one value keeps (a loop over SQL strings)."""


def join(values: Iterable[Value | None]) -> Value | None:
    """The value of a list/tuple literal: instances, several strings, several functions."""
    items: list[Instance] = []
    texts: list[str] = []
    refs: list[FunctionRef | ClassRef] = []
    models: list[ModelClass] = []
    other = False
    for value in values:
        if isinstance(value, ModelClass):
            models.append(value)
        elif isinstance(value, Models):
            models.extend(value.items)
        elif isinstance(value, ClassRef):
            refs.append(value)
        elif isinstance(value, Instance):
            items.append(value)
        elif isinstance(value, Instances):
            items.extend(value.items)
        elif isinstance(value, Sql):
            texts.extend(value.texts)
        elif isinstance(value, FunctionRef):
            refs.append(value)
        elif isinstance(value, Functions):
            refs.extend(value.refs)
        else:
            other = True
    if items:
        return Instances(tuple(items))
    if refs:
        return Functions(tuple(dict.fromkeys(refs)))
    if models:
        unique = tuple(dict.fromkeys(models))
        return unique[0] if len(unique) == 1 else Models(unique)
    if texts and not other:
        return Sql(tuple(dict.fromkeys(texts))[:MAX_TEXTS])
    if not items and not texts and not refs and not models and not other:
        return Instances(())
    return None


def element(value: Value | None) -> Value | None:
    """The value of one item when iterating over ``value``."""
    if isinstance(value, (Loaded, DbRead)):
        return value
    if isinstance(value, Instances) and value.items:
        tables = tuple(dict.fromkeys(t for item in value.items for t in item.tables))
        origin = "json-loop" if all(i.origin == "json-loop" for i in value.items) else "orm"
        models = {i.model for i in value.items}
        data = {i.data for i in value.items}
        return Instance(
            tables, origin, models.pop() if len(models) == 1 else None, data.pop() if len(data) == 1 else None
        )
    if isinstance(value, (Sql, Functions, Models, ModelClass)):
        return value
    if isinstance(value, Pairs):
        return value.keys
    return None
