"""The recognisers: one small class per way of writing rows (or of building what writes them).

Each has a ``name`` (what a :class:`~dbaudit.model.TableWrite` records), the call names that trigger it and
``recognise(site)``, which returns an :class:`Outcome` or ``None`` (not this pattern).  Recognisers for one
call name are tried in order; the first that answers wins.  Adding a pattern is adding a class to
:data:`RECOGNISERS` and a test.
"""

from __future__ import annotations

import ast
import dataclasses
import posixpath
from collections.abc import Sequence
from typing import ClassVar

from dbaudit.scan.sql_writes import UNRESOLVED_PREFIX
from dbaudit.scan.values import (
    AlembicOp,
    CallSite,
    DataFile,
    DbRead,
    Hit,
    Instance,
    Instances,
    Loaded,
    ModelClass,
    Models,
    Outcome,
    QueryFiles,
    Sql,
    Statement,
    TableObject,
    Value,
)


def static_name(value: Value | None) -> str | None:
    """A name known statically (one string, no unresolved placeholder), else ``None``."""
    if isinstance(value, Sql) and len(value.texts) == 1 and UNRESOLVED_PREFIX not in value.texts[0]:
        text = value.texts[0].strip()
        return text or None
    return None


def static_names(value: Value | None) -> tuple[str, ...]:
    """Every name ``value`` may be, when all are known statically (``for t in ["a", "b"]``), else ``()``."""
    if not isinstance(value, Sql) or any(UNRESOLVED_PREFIX in t or not t.strip() for t in value.texts):
        return ()
    return tuple(t.strip() for t in value.texts)


class Recogniser:
    name: ClassVar[str]
    triggers: ClassVar[frozenset[str]]

    def recognise(self, site: CallSite) -> Outcome | None:
        raise NotImplementedError


def _instances(value: Value | None) -> tuple[Instance, ...]:
    if isinstance(value, Instance):
        return (value,)
    if isinstance(value, Instances):
        return value.items
    return ()


def _instance_outcome(site: CallSite, items: Sequence[Instance], recogniser: str) -> Outcome:
    hits = []
    for item in items:
        for table in item.tables:
            hits.append(dataclasses.replace(site.hit(table, recogniser), data=item.data))
    return Outcome(hits=hits)


def _from_file(hits: list[Hit], rows: Value | None) -> list[Hit]:
    """The hits, marked with the data file their rows were read from (``op.bulk_insert(t, rows)``)."""
    if isinstance(rows, Loaded) and rows.path:
        return [dataclasses.replace(hit, data=rows.path) for hit in hits]
    return hits


def _from_sqlalchemy(site: CallSite) -> bool:
    return site.origin.startswith(("sqlalchemy", "sqlmodel", "flask_sqlalchemy")) or site.origin in (
        "sa",
        "db",
    )


def _is_alembic(site: CallSite) -> bool:
    return isinstance(site.receiver, AlembicOp) or site.origin in ("op", "alembic.op")


# ---------------------------------------------------------------------------------------------------- ORM


class OrmJsonLoop(Recogniser):
    """``session.add(Model(**row))`` for rows of a loaded JSON/YAML file."""

    name = "orm-json-loop"
    triggers = frozenset({"add", "add_all", "merge", "bulk_save_objects"})

    def recognise(self, site: CallSite) -> Outcome | None:
        items = _instances(site.arg(0))
        if items and all(i.origin == "json-loop" for i in items):
            return _instance_outcome(site, items, self.name)
        return None


class OrmAdd(Recogniser):
    """``session.add(Model(...))`` or ``session.add(obj)`` with ``obj`` built earlier."""

    name = "orm-add"
    triggers = frozenset({"add"})

    def recognise(self, site: CallSite) -> Outcome | None:
        value = site.arg(0)
        return _instance_outcome(site, (value,), self.name) if isinstance(value, Instance) else None


class OrmAddAll(Recogniser):
    name = "orm-add-all"
    triggers = frozenset({"add_all"})

    def recognise(self, site: CallSite) -> Outcome | None:
        items = _instances(site.arg(0))
        return _instance_outcome(site, items, self.name) if items else None


class OrmMerge(Recogniser):
    name = "orm-merge"
    triggers = frozenset({"merge"})

    def recognise(self, site: CallSite) -> Outcome | None:
        value = site.arg(0)
        return _instance_outcome(site, (value,), self.name) if isinstance(value, Instance) else None


class OrmBulkSave(Recogniser):
    name = "orm-bulk-save"
    triggers = frozenset({"bulk_save_objects"})

    def recognise(self, site: CallSite) -> Outcome | None:
        items = _instances(site.arg(0))
        return _instance_outcome(site, items, self.name) if items else None


class OrmBulkInsertMappings(Recogniser):
    """``session.bulk_insert_mappings(Model, rows)``."""

    name = "orm-bulk-insert-mappings"
    triggers = frozenset({"bulk_insert_mappings"})

    def recognise(self, site: CallSite) -> Outcome | None:
        model = site.arg(0, "mapper")
        if isinstance(model, ModelClass):
            return Outcome(hits=[site.hit(model.table, self.name)])
        if isinstance(model, Models):
            return Outcome(hits=[site.hit(m.table, self.name) for m in model.items])
        return Outcome(hits=[site.hit(None, self.name, site.source_of(0))])


class OrmCreate(Recogniser):
    """``Model.create(**fields)`` of active-record style mixins."""

    name = "orm-create"
    triggers = frozenset({"create"})

    def recognise(self, site: CallSite) -> Outcome | None:
        if isinstance(site.receiver, ModelClass):
            model = site.receiver
            return Outcome(Instance((model.table,), "orm", model), [site.hit(model.table, self.name)])
        if isinstance(site.receiver, Models):
            return Outcome(hits=[site.hit(model.table, self.name) for model in site.receiver.items])
        return None


class ModelConstructor(Recogniser):
    """``Model.model_validate(data)`` and similar class-level constructors build an instance."""

    name = "orm-instance"
    triggers = frozenset(
        {"model_validate", "from_orm", "parse_obj", "model_construct", "construct", "from_dict"}
    )

    def recognise(self, site: CallSite) -> Outcome | None:
        if isinstance(site.receiver, ModelClass):
            return Outcome(Instance((site.receiver.table,)))
        return None


# --------------------------------------------------------------------------------------------------- Core


class TableBuilder(Recogniser):
    """``Table("name", metadata, ...)``, ``sa.table("name", ...)`` and ``op.create_table("name", ...)``."""

    name = "core-table"
    triggers = frozenset({"Table", "table", "create_table", "TableClause"})

    def recognise(self, site: CallSite) -> Outcome | None:
        if site.name == "create_table" and not _is_alembic(site):
            return None
        value = site.arg(0, "name")
        names = static_names(value)
        if names:
            schema = static_name(site.kwargs.get("schema"))
            first, *rest = ((name, schema) for name in names)
            return Outcome(TableObject(first, more=tuple(rest)))
        if site.args or "name" in site.kwargs:
            return Outcome(TableObject(None, site.source_of(0)))
        return None


class CoreUpsert(Recogniser):
    """``postgresql.insert(t)`` / ``mysql.insert(t)`` / ``sqlite.insert(t)`` (upsert-capable inserts)."""

    name = "core-upsert"
    triggers = frozenset({"insert"})

    def recognise(self, site: CallSite) -> Outcome | None:
        if "dialects" not in site.origin and site.origin.rsplit(".", 1)[-1] not in (
            "postgresql",
            "mysql",
            "sqlite",
        ):
            return None
        return _statement(site, site.arg(0, "table"), self.name)


class CoreInsert(Recogniser):
    """``insert(Model)`` / ``insert(table)`` (SQLAlchemy's ``insert`` function)."""

    name = "core-insert"
    triggers = frozenset({"insert"})

    def recognise(self, site: CallSite) -> Outcome | None:
        if isinstance(site.receiver, (TableObject, Statement, Instances)):
            return None
        target = site.arg(0, "table")
        if isinstance(target, (ModelClass, TableObject)) or (site.args and _from_sqlalchemy(site)):
            return _statement(site, target, self.name)
        return None


class CoreTableInsert(Recogniser):
    """``table.insert()`` and ``Model.__table__.insert()``."""

    name = "core-table-insert"
    triggers = frozenset({"insert"})

    def recognise(self, site: CallSite) -> Outcome | None:
        if isinstance(site.receiver, TableObject):
            receiver = site.receiver
            return Outcome(Statement(receiver.table, self.name, receiver.dynamic, receiver.more))
        return None


class UpsertClause(Recogniser):
    """``.on_conflict_do_nothing()`` / ``.on_conflict_do_update()`` / ``.on_duplicate_key_update()``."""

    name = "core-upsert"
    triggers = frozenset({"on_conflict_do_nothing", "on_conflict_do_update", "on_duplicate_key_update"})

    def recognise(self, site: CallSite) -> Outcome | None:
        if isinstance(site.receiver, Statement):
            return Outcome(dataclasses.replace(site.receiver, recogniser=self.name))
        return None


def _statement(site: CallSite, target: Value | None, recogniser: str) -> Outcome | None:
    if isinstance(target, ModelClass):
        return Outcome(Statement(target.table, recogniser))
    if isinstance(target, Models):
        first, *rest = (m.table for m in target.items)
        return Outcome(Statement(first, recogniser, more=tuple(rest)))
    if isinstance(target, TableObject):
        return Outcome(Statement(target.table, recogniser, target.dynamic, target.more))
    if site.args and target is None:
        return Outcome(Statement(None, recogniser, site.source_of(0)))
    return None


# ----------------------------------------------------------------------------------------------- Alembic


class AlembicBulkInsert(Recogniser):
    """``op.bulk_insert(table, rows)`` with a ``sa.table``, a ``Table`` or ``op.create_table``'s value."""

    name = "alembic-bulk-insert"
    triggers = frozenset({"bulk_insert"})

    def recognise(self, site: CallSite) -> Outcome | None:
        target = site.arg(0, "table")
        rows = site.arg(1, "rows")
        if isinstance(target, TableObject):
            hits = [site.hit(target.table, self.name, target.dynamic)]
            return Outcome(hits=_from_file(hits + [site.hit(t, self.name) for t in target.more], rows))
        if isinstance(target, ModelClass):
            return Outcome(hits=_from_file([site.hit(target.table, self.name)], rows))
        if _is_alembic(site):
            return Outcome(hits=[site.hit(None, self.name, site.source_of(0))])
        return None


class AlembicExecute(Recogniser):
    """``op.execute(sql)`` and ``op.get_bind().execute(sql)`` with SQL text in a revision."""

    name = "alembic-execute"
    triggers = frozenset({"execute"})

    def recognise(self, site: CallSite) -> Outcome | None:
        value = site.arg(0)
        if _is_alembic(site) and isinstance(value, Sql):
            return Outcome(hits=site.sql_hits(value, site, self.name))
        return None


# -------------------------------------------------------------------------------------------- executing

_EXECUTORS = frozenset(
    {
        "execute",
        "executemany",
        "exec",
        "scalar",
        "scalars",
        "exec_driver_sql",
        "executescript",
        "execute_async",
    }
)


class ExecuteStatement(Recogniser):
    """``conn.execute(insert(...))``, ``await session.execute(stmt)``, ``op.execute(table.insert())``."""

    name = "execute-statement"
    triggers = _EXECUTORS

    def recognise(self, site: CallSite) -> Outcome | None:
        value = site.arg(0, "statement")
        if value is None and isinstance(site.receiver, Statement):  # legacy: table.insert().execute()
            value = site.receiver
        if isinstance(value, Statement):
            hits = [site.hit(value.table, value.recogniser, value.dynamic)]
            hits.extend(site.hit(table, value.recogniser) for table in value.more)
            return Outcome(hits=_from_file(hits, site.arg(1, "parameters")))
        return None


class ExecuteSql(Recogniser):
    """SQL text executed by a connection, session or DB-API cursor (``sql-insert``, ``sql-copy``...)."""

    name = "sql-insert"
    triggers = _EXECUTORS

    def recognise(self, site: CallSite) -> Outcome | None:
        value = site.arg(0, "statement")
        if isinstance(value, Sql):
            hits = site.sql_hits(value, site)
            return Outcome(None if hits else DbRead(), hits)
        if isinstance(value, DbRead):
            return Outcome(value)  # session.execute(select(User)): rows of User
        return Outcome(DbRead())


class CopyCalls(Recogniser):
    """psycopg2 ``copy_from(f, "t")`` / ``copy_expert(sql, f)``, psycopg ``cursor.copy(sql)``, asyncpg
    ``copy_records_to_table("t", ...)`` / ``copy_to_table("t", ...)``."""

    name = "sql-copy"
    triggers = frozenset({"copy_from", "copy_expert", "copy", "copy_records_to_table", "copy_to_table"})

    def recognise(self, site: CallSite) -> Outcome | None:
        if site.name in ("copy_expert", "copy"):
            value = site.arg(0, "sql")
            return Outcome(hits=site.sql_hits(value, site)) if isinstance(value, Sql) else None
        index, keyword = (1, "table") if site.name == "copy_from" else (0, "table_name")
        name = static_name(site.arg(index, keyword))
        if name is not None:
            schema, _, table = name.rpartition(".")
            return Outcome(hits=[site.hit((table, schema or None), self.name)])
        if site.name == "copy_from" and len(site.args) < 2 and "table" not in site.kwargs:
            return None
        return Outcome(hits=[site.hit(None, self.name, site.source_of(index))])


class PandasToSql(Recogniser):
    """``dataframe.to_sql("table", con)``."""

    name = "pandas-to-sql"
    triggers = frozenset({"to_sql"})

    def recognise(self, site: CallSite) -> Outcome | None:
        name = static_name(site.arg(0, "name"))
        if name is not None:
            return Outcome(hits=[site.hit((name, static_name(site.kwargs.get("schema"))), self.name)])
        return Outcome(hits=[site.hit(None, self.name, site.source_of(0))])


# ------------------------------------------------------------------------------------- plain values


class SqlText(Recogniser):
    """``text("...")`` / ``sa.text(...)`` / ``DDL(...)`` keep their SQL text."""

    name = "sql-text"
    triggers = frozenset({"text", "DDL", "literal_column", "dedent", "strip"})

    def recognise(self, site: CallSite) -> Outcome | None:
        if site.name == "strip" and isinstance(site.receiver, Sql):
            return Outcome(Sql(tuple(t.strip() for t in site.receiver.texts)))
        value = site.arg(0)
        return Outcome(value) if isinstance(value, Sql) else None


class LoadData(Recogniser):
    """``json.load(...)``, ``yaml.safe_load(...)``, ``csv.DictReader(...)``: rows read from a data file."""

    name = "load-data"
    triggers = frozenset(
        {"load", "loads", "safe_load", "full_load", "safe_load_all", "load_all", "DictReader"}
    )

    def recognise(self, site: CallSite) -> Outcome | None:
        module = site.origin.rsplit(".", 1)[-1]
        if module in (
            "json",
            "yaml",
            "csv",
            "tomllib",
            "tomli",
            "orjson",
            "ujson",
            "simplejson",
        ) or site.name in (
            "safe_load",
            "DictReader",
        ):
            opened = site.arg(0, "stream")
            return Outcome(Loaded(opened.path if isinstance(opened, (DataFile, Loaded)) else None))
        return None


class NamedQueryFiles(Recogniser):
    """``aiosql.from_path(Path(__file__).parent / "sql", "asyncpg")``: the folder of named-query files."""

    name = "sql-named-query"
    triggers = frozenset({"from_path"})

    def recognise(self, site: CallSite) -> Outcome | None:
        if not site.origin.startswith("aiosql") or not site.node.args:
            return None
        expr = site.node.args[0]
        parts = [n.value for n in ast.walk(expr) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        relative_to_module = any(isinstance(n, ast.Name) and n.id == "__file__" for n in ast.walk(expr))
        if not parts and not relative_to_module:
            return None
        base = posixpath.dirname(site.path) if relative_to_module else ""
        folder = posixpath.normpath(posixpath.join(base, *parts))
        return Outcome(QueryFiles("" if folder == "." else folder))


class DatabaseRead(Recogniser):
    """Reading the database: ``select(...)``, ``session.query(...)``, ``session.get(Model, pk)``..."""

    name = "db-read"
    triggers = frozenset(
        {
            "select",
            "exists",
            "query",
            "get",
            "filter",
            "filter_by",
            "first",
            "one",
            "one_or_none",
            "scalar_one",
            "scalar_one_or_none",
            "fetchone",
            "fetchall",
            "fetchmany",
            "fetchval",
            "fetchrow",
            "fetch",
            "get_one",
            "count",
        }
    )

    def recognise(self, site: CallSite) -> Outcome | None:
        name = site.name
        first = site.arg(0)
        model = first if isinstance(first, ModelClass) else None
        if name in ("select", "exists"):
            reads = _from_sqlalchemy(site) or site.origin == "" or model is not None
        elif name == "query" or name.startswith("fetch"):
            reads = True
        elif name == "get":
            reads = model is not None or isinstance(site.receiver, DbRead)
        else:
            reads = isinstance(site.receiver, DbRead)
        if not reads:
            return None
        if model is None and isinstance(site.receiver, DbRead):
            model = site.receiver.model  # User.query.filter_by(...).first(): still rows of User
        return Outcome(DbRead(model if name != "count" else None))


RECOGNISERS: tuple[Recogniser, ...] = (
    OrmJsonLoop(),
    OrmAdd(),
    OrmAddAll(),
    OrmMerge(),
    OrmBulkSave(),
    OrmBulkInsertMappings(),
    OrmCreate(),
    ModelConstructor(),
    TableBuilder(),
    CoreUpsert(),
    CoreTableInsert(),
    CoreInsert(),
    UpsertClause(),
    AlembicBulkInsert(),
    AlembicExecute(),
    ExecuteStatement(),
    ExecuteSql(),
    CopyCalls(),
    PandasToSql(),
    SqlText(),
    LoadData(),
    NamedQueryFiles(),
    DatabaseRead(),
)
"""Every recogniser, in the order they are tried."""


def by_trigger(recognisers: Sequence[Recogniser] = RECOGNISERS) -> dict[str, tuple[Recogniser, ...]]:
    table: dict[str, list[Recogniser]] = {}
    for recogniser in recognisers:
        for trigger in recogniser.triggers:
            table.setdefault(trigger, []).append(recogniser)
    return {k: tuple(v) for k, v in table.items()}
