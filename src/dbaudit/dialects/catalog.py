"""The catalog of one schema in one pass: SQLAlchemy's multi-table inspection turned into model records.

Each ``Inspector.get_multi_*`` call reads a whole schema at once (on PostgreSQL one catalog query per kind of
object, whatever the number of tables), never a metadata round trip per table.  Partitions and inheritance
children are folded under their top-level parent; views and materialized views are listed apart; tables whose
rows row-level security hides from the role are named (one catalog query per schema) so they get no count.

The same read serves every command: ``report`` takes the model records; ``seed`` and ``purge`` ask for the
*physical* side too (:class:`PhysicalTable`: a SQLAlchemy ``Table`` with the reflected column types to build
statements with, domain checks, partition bounds, the keys declared on partitions), built from the very same
inspection results, never from a second reflection.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column as SAColumn
from sqlalchemy import MetaData, inspect
from sqlalchemy import Table as SATable
from sqlalchemy.engine import Connection
from sqlalchemy.engine.reflection import Inspector, ObjectKind
from sqlalchemy.types import NullType

from dbaudit.dialects.base import CatalogRows, Dialect, PartitionLayout
from dbaudit.model import CheckConstraint, Column, ForeignKey, Table, TableKind, UniqueConstraint, View

Key = tuple[str | None, str]


@dataclass
class PhysicalTable:
    """What writing to a table needs beyond the model: a SQLAlchemy ``Table`` with the reflected column types
    (to build statements with), and the engine details the seeder must respect."""

    sa: SATable
    domain_checks: dict[str, list[tuple[str | None, str]]] = field(default_factory=dict)
    """Column -> the CHECKs of its domain (PostgreSQL)."""
    domain_not_null: set[str] = field(default_factory=set)
    partition_key: str | None = None
    partition_ranges: list[tuple[Any, Any]] = field(default_factory=list)
    partition_keys: tuple[ForeignKey, ...] = ()
    """Foreign keys declared on the partitions rather than on the table: they bind its rows too."""
    inherited: bool = False
    """PostgreSQL: the table has inheritance children (queries say ``ONLY`` to mean its own rows)."""
    extra_checks: list[tuple[str | None, str]] = field(default_factory=list)
    """CHECKs the inspection misses (MariaDB's column-level ones)."""
    extra_uniques: list[tuple[str, ...]] = field(default_factory=list)
    """Unique keys the inspection misses (SQLite's column-level UNIQUE)."""
    domain_bases: dict[str, str] = field(default_factory=dict)
    """Column -> the base type of its domain as the server writes it (``character varying(15)``)."""
    exclusions: list[tuple[str, str]] = field(default_factory=list)
    """Exclusion constraints (PostgreSQL ``EXCLUDE USING ...``): name and definition."""
    without_rowid: bool = False
    replaces_on_conflict: bool = False


@dataclass(frozen=True)
class SchemaCatalog:
    """What one schema holds: its tables (partitions folded in) and its views."""

    tables: tuple[Table, ...] = ()
    views: tuple[View, ...] = ()
    hidden: dict[str, str] = field(default_factory=dict)
    """Tables of ``tables`` whose rows row-level security hides from the role, by name, with the reason."""
    physical: dict[str, PhysicalTable] = field(default_factory=dict)
    """By table name, when asked for (``physical=True``)."""


def matches(patterns: Sequence[str], name: str, schema: str | None) -> bool:
    """Whether ``name`` (or ``schema.name``) matches one of the glob ``patterns``."""
    qualified = f"{schema}.{name}" if schema else name
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(qualified, p) for p in patterns)


def selected(name: str, schema: str | None, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Include/exclude globs: included when no include pattern is given or one matches, and none excludes."""
    if include and not matches(include, name, schema):
        return False
    return not matches(exclude, name, schema)


def _multi(call: Callable[..., Any], **kwargs: Any) -> dict[Key, Any]:
    """One multi-table inspection call; a dialect that cannot reflect this kind of object yields nothing."""
    try:
        return dict(call(**kwargs))
    except NotImplementedError:
        return {}


def _folded(conn: Connection, dialect: Dialect, schema: str | None, names: set[str]) -> dict[str, str]:
    """Partitions and inheritance children among ``names``, each with its top-level parent."""
    return {c: p for c, p in dialect.partition_children(conn, schema).items() if c in names and p in names}


def _audited(
    names: set[str],
    children: Mapping[str, str],
    include: Sequence[str],
    exclude: Sequence[str],
    label: str | None,
) -> set[str]:
    """The tables a read of the schema returns: partitions folded into their parents, the globs applied."""
    return {n for n in names if n not in children and selected(n, label, include, exclude)}


def audited_table_names(
    conn: Connection,
    dialect: Dialect,
    schema: str | None,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    label: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The names of the tables :func:`read_schema` returns for ``schema`` (sorted), and those of them whose
    rows row-level security hides, with the reason: what counting needs, without reading the columns and
    keys (so that the counts can start on another connection while the catalog is read)."""
    label = label or schema
    names = set(dialect.catalog_table_names(conn, schema)) | set(dialect.internal_tables(conn, schema))
    wanted = _audited(names, _folded(conn, dialect, schema, names), include, exclude, label)
    hidden = {n: why for n, why in dialect.rows_hidden(conn, schema).items() if n in wanted}
    return sorted(wanted), hidden


def read_schema(
    conn: Connection,
    dialect: Dialect,
    schema: str | None,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    label: str | None = None,
    physical: bool = False,
    only: Sequence[str] | None = None,
) -> SchemaCatalog:
    """Reflect every table and view of ``schema`` (``None``: the default, for engines without schemas).

    ``label`` is the schema name the include/exclude globs see (SQLite's unnamed schema is ``main``);
    ``physical`` adds what writing needs (:class:`PhysicalTable`); ``only`` limits the read to those tables.
    """
    label = label or schema
    inspector = inspect(conn)
    args: dict[str, Any] = {"schema": schema, "kind": ObjectKind.TABLE}
    # The engine's own catalog where the dialect reads it natively (the same column descriptions as the
    # inspection's, types parsed by the same parser: writing builds SQLAlchemy's tables from them too).
    native = dialect.native_catalog(conn, schema)
    columns: dict[Key, Any] = (
        native.columns if native is not None else _multi(inspector.get_multi_columns, **args)
    )
    for internal in dialect.internal_tables(conn, schema):
        columns[(schema, internal)] = inspector.get_columns(internal, schema=schema)
    names = {name for (_schema, name) in columns}
    children = _folded(conn, dialect, schema, names)
    layout = dialect.partition_layout(conn, schema) if physical else None
    if layout is not None:
        # For writing, an inheritance child is a table of its own; only declarative partitions fold.
        children = {c: p for c, p in children.items() if c in layout.partitions}
    wanted = _audited(names, children, include, exclude, label)
    if only is not None:
        wanted &= set(only)
    if not wanted:
        return SchemaCatalog(views=_views(inspector, dialect, schema, include, exclude, label, native))
    filter_names = sorted(wanted)
    if wanted != names:  # otherwise read the whole schema, without a long IN list to build
        args["filter_names"] = filter_names
    if native is not None:
        primary_keys, foreign_keys, uniques = native.primary_keys, native.foreign_keys, native.uniques
        checks, indexes, comments = native.checks, native.indexes, native.comments
    else:
        primary_keys = _multi(inspector.get_multi_pk_constraint, **args)
        foreign_keys = _multi(inspector.get_multi_foreign_keys, **args)
        uniques = _multi(inspector.get_multi_unique_constraints, **args)
        checks = _multi(inspector.get_multi_check_constraints, **args)
        indexes = _multi(inspector.get_multi_indexes, **args)
        comments = _multi(inspector.get_multi_table_comment, **args)
    quote = dialect.doubled_quote_in_names
    if quote:
        columns, primary_keys, foreign_keys, uniques, indexes = _undoubled(
            quote, columns, primary_keys, foreign_keys, uniques, indexes
        )
    partitioned = dialect.partitioned_parents(conn, schema)
    hidden = {n: why for n, why in dialect.rows_hidden(conn, schema).items() if n in wanted}
    actions = dialect.foreign_key_actions(conn, schema)
    partitions_of: dict[str, list[str]] = {}
    for child, parent in children.items():
        partitions_of.setdefault(parent, []).append(child)

    type_compiler = conn.engine.dialect
    # Type name by type object: a native read shares one object among the columns of one type, so each
    # distinct type is compiled once (the inspection's objects are compiled once each, as before).
    compiled: dict[int, str] = {}
    # Read for the model only (nothing physical): each table's rows are dropped once its model is built, so
    # the rows of the whole schema and its model are never all held at once.
    keep = layout is not None

    def take(found: Any, key: Key, default: Any) -> Any:
        return found.get(key, default) if keep else found.pop(key, default)

    tables = []
    for name in filter_names:
        key = (schema, name)
        pk_columns = tuple(take(primary_keys, key, {}).get("constrained_columns") or ())
        kind = TableKind.PARTITIONED if name in partitioned else TableKind.TABLE
        tables.append(
            Table(
                name=name,
                schema=schema if dialect.has_schemas else None,
                kind=kind,
                columns=tuple(
                    _column(c, pk_columns, dialect, type_compiler, compiled) for c in take(columns, key, ())
                ),
                primary_key=pk_columns,
                foreign_keys=_foreign_keys(take(foreign_keys, key, ()), schema, name, actions),
                unique_constraints=_uniques(take(uniques, key, ()), take(indexes, key, ())),
                check_constraints=tuple(
                    sorted(
                        (
                            CheckConstraint(sqltext=str(c["sqltext"]), name=c.get("name"))
                            for c in take(checks, key, ())
                        ),
                        key=lambda c: (c.name or "", c.sqltext),
                    )
                ),
                partitions=tuple(sorted(partitions_of.get(name, ()))),
                comment=(take(comments, key, None) or {}).get("text"),
            )
        )
    return SchemaCatalog(
        tables=tuple(tables),
        views=_views(inspector, dialect, schema, include, exclude, label, native),
        hidden=hidden,
        physical=(
            _physical(conn, inspector, dialect, schema, tables, columns, children, actions, layout)
            if layout is not None
            else {}
        ),
    )


def _physical(
    conn: Connection,
    inspector: Inspector,
    dialect: Dialect,
    schema: str | None,
    tables: Sequence[Table],
    columns: dict[Key, Any],
    children: dict[str, str],
    actions: Mapping[tuple[str, tuple[str, ...]], str],
    layout: PartitionLayout,
) -> dict[str, PhysicalTable]:
    """The physical side of ``tables``, from the inspection already done (and a few engine queries)."""
    metadata = MetaData()
    domains = dialect.domains(conn, schema)
    extra_checks = dialect.column_checks(conn, schema)
    extra_uniques = dialect.column_uniques(conn, schema, [t.name for t in tables])
    options = dialect.table_options(conn, schema)
    exclusions = dialect.exclusion_constraints(conn, schema)
    # Keys declared on partitions: read for the partitions themselves, reported on their top-level table.
    partition_keys: dict[str, list[ForeignKey]] = {}
    if children:
        found = _multi(
            inspector.get_multi_foreign_keys,
            schema=schema,
            kind=ObjectKind.TABLE,
            filter_names=sorted(children),
        )
        for (_schema, child), infos in found.items():
            partition_keys.setdefault(children[child], []).extend(
                _foreign_keys(infos, schema, child, actions)
            )
    out: dict[str, PhysicalTable] = {}
    for table in tables:
        key = (schema, table.name)
        sa = SATable(
            table.name,
            metadata,
            *(
                SAColumn(
                    str(info["name"]),
                    info["type"],
                    nullable=bool(info.get("nullable", True)),
                    primary_key=str(info["name"]) in table.primary_key,
                    autoincrement=False,
                )
                for info in columns[key]
            ),
            schema=schema,
        )
        checks: dict[str, list[tuple[str | None, str]]] = {}
        not_null: set[str] = set()
        bases: dict[str, str] = {}
        for info in columns[key]:
            domain = domains.get(getattr(info["type"], "name", None) or "") if domains else None
            if type(info["type"]).__name__ == "DOMAIN" and domain is not None:
                checks[str(info["name"])] = list(domain[0])
                if domain[1]:
                    not_null.add(str(info["name"]))
                if domain[2]:
                    bases[str(info["name"])] = domain[2]
        bounds = layout.bounds.get(table.name)
        own_keys = {
            (fk.columns, fk.referred_schema, fk.referred_table, fk.referred_columns)
            for fk in table.foreign_keys
        }
        extra_keys = []
        for fk in partition_keys.get(table.name, []):
            mark = (fk.columns, fk.referred_schema, fk.referred_table, fk.referred_columns)
            if mark not in own_keys:
                own_keys.add(mark)
                extra_keys.append(fk)
        option = options.get(table.name, {})
        out[table.name] = PhysicalTable(
            sa=sa,
            domain_checks=checks,
            domain_not_null=not_null,
            partition_key=bounds[0] if bounds else None,
            partition_ranges=list(bounds[1]) if bounds else [],
            partition_keys=tuple(extra_keys),
            inherited=table.name in layout.inherited,
            extra_checks=[
                c
                for c in extra_checks.get(table.name, [])
                if c[1] not in {x.sqltext for x in table.check_constraints}
            ],
            extra_uniques=[
                u
                for u in extra_uniques.get(table.name, [])
                if u not in {x.columns for x in table.unique_constraints}
            ],
            domain_bases=bases,
            exclusions=list(exclusions.get(table.name, [])),
            without_rowid=bool(option.get("without_rowid")),
            replaces_on_conflict=bool(option.get("replaces_on_conflict")),
        )
    return out


def _undoubled(
    quote: str,
    columns: dict[Key, Any],
    primary_keys: dict[Key, Any],
    foreign_keys: dict[Key, Any],
    uniques: dict[Key, Any],
    indexes: dict[Key, Any],
) -> tuple[dict[Key, Any], ...]:
    """Column names as the catalog spells them, where the reflection left an escaped quote doubled
    (MySQL: a column named ``a`b`` comes back as ``a``b``); new dicts, the inspector's cache is left alone."""
    doubled = quote * 2

    def name(value: Any) -> Any:
        return value.replace(doubled, quote) if isinstance(value, str) else value

    def names(info: dict[str, Any], *keys: str) -> dict[str, Any]:
        return {k: ([name(c) for c in v] if k in keys and v is not None else v) for k, v in info.items()}

    return (
        {key: [{**c, "name": name(c["name"])} for c in infos] for key, infos in columns.items()},
        {key: names(pk, "constrained_columns") for key, pk in primary_keys.items()},
        {
            key: [names(fk, "constrained_columns", "referred_columns") for fk in fks]
            for key, fks in foreign_keys.items()
        },
        {key: [names(uc, "column_names") for uc in ucs] for key, ucs in uniques.items()},
        {key: [names(ix, "column_names") for ix in ixs] for key, ixs in indexes.items()},
    )


def _type_name(type_: Any, engine_dialect: Any) -> str:
    if isinstance(type_, NullType):  # no declared type (SQLite allows that)
        return ""
    try:
        return str(type_.compile(dialect=engine_dialect))
    except Exception:  # a reflected type the dialect cannot render
        return str(getattr(type_, "name", None) or type(type_).__name__)


def _column(
    info: dict[str, Any],
    pk: Sequence[str],
    dialect: Dialect,
    engine_dialect: Any,
    compiled: dict[int, str] | None = None,
) -> Column:
    computed = info.get("computed")
    default = info.get("default")
    memo = {} if compiled is None else compiled
    type_name = memo.get(id(info["type"]))
    if type_name is None:
        type_name = memo[id(info["type"])] = _type_name(info["type"], engine_dialect)
    return Column(
        name=str(info["name"]),
        type=type_name,
        nullable=bool(info.get("nullable", True)),
        default=None if default is None else str(default),
        identity=dialect.is_identity(info, pk),
        computed=str(computed["sqltext"]) if computed else None,
        comment=info.get("comment"),
    )


def _foreign_keys(
    infos: Sequence[dict[str, Any]],
    schema: str | None,
    table_name: str,
    actions: Mapping[tuple[str, tuple[str, ...]], str],
) -> tuple[ForeignKey, ...]:
    keys = []
    for fk in infos:
        options = fk.get("options") or {}
        ondelete = options.get("ondelete") or actions.get((table_name, tuple(fk["constrained_columns"])))
        referred_schema = fk.get("referred_schema")
        keys.append(
            ForeignKey(
                columns=tuple(fk["constrained_columns"]),
                referred_table=str(fk["referred_table"]),
                referred_columns=tuple(fk["referred_columns"]),
                # ``None`` means "the referring table's own schema".
                referred_schema=None if referred_schema in (None, schema) else str(referred_schema),
                name=fk.get("name"),
                ondelete=str(ondelete).upper() if ondelete else None,
                deferrable=bool(options.get("deferrable")),
            )
        )
    return tuple(sorted(keys, key=lambda k: (k.name or "", k.columns)))


def _uniques(
    constraints: Sequence[dict[str, Any]], indexes: Sequence[dict[str, Any]]
) -> tuple[UniqueConstraint, ...]:
    found: dict[tuple[tuple[str, ...], str | None], UniqueConstraint] = {}
    for uc in constraints:
        cols = tuple(str(c) for c in uc["column_names"])
        found.setdefault((cols, None), UniqueConstraint(columns=cols, name=uc.get("name")))
    for index in indexes:
        if not index.get("unique") or index.get("duplicates_constraint"):
            continue
        expressions = index.get("expressions") or index.get("column_names") or ()
        cols = tuple(str(c) for c in expressions if c is not None)
        options = index.get("dialect_options") or {}
        where = options.get("postgresql_where") or options.get("sqlite_where")
        where_text = None if where is None else str(where)
        found.setdefault(
            (cols, where_text), UniqueConstraint(columns=cols, name=index.get("name"), where=where_text)
        )
    return tuple(sorted(found.values(), key=lambda u: (u.columns, u.where or "", u.name or "")))


def _views(
    inspector: Inspector,
    dialect: Dialect,
    schema: str | None,
    include: Sequence[str],
    exclude: Sequence[str],
    label: str | None,
    native: CatalogRows | None = None,
) -> tuple[View, ...]:
    shown_schema = schema if dialect.has_schemas else None
    names = native.views if native is not None else inspector.get_view_names(schema=schema)
    views = [View(name=n, schema=shown_schema) for n in names]
    if dialect.has_materialized_views:
        materialized = (
            native.materialized_views
            if native is not None
            else inspector.get_materialized_view_names(schema=schema)
        )
        views += [View(name=n, schema=shown_schema, kind=TableKind.MATERIALIZED_VIEW) for n in materialized]
    return tuple(
        sorted(
            (v for v in views if selected(v.name, label, include, exclude)),
            key=lambda v: (v.name, v.kind.value),
        )
    )
