"""PostgreSQL's catalog of one schema read natively: four ``pg_catalog`` queries filtered by the schema's OID.

SQLAlchemy's multi-table inspection asks one query per kind of object, filters by schema *name* after joining
the whole ``pg_class`` (so its cost grows with the database, not the audited schema), and repeats the table
list for constraints and indexes.  Here the schema's OID is looked up once and every query starts from
``pg_class.relnamespace`` (an indexed column): relations, columns, constraints (primary, unique, foreign,
check) and the unique indexes that back no constraint.

The result has the very shape of the inspection's answers (:class:`~dbaudit.dialects.base.CatalogRows`), with
the same values: column types are parsed by the SQLAlchemy dialect's own ``format_type`` parser (once per
distinct type), defaults of serial columns are qualified as the inspection qualifies them, a foreign key's
schema is named exactly when the server's own definition names it (the referred table is not on the
``search_path``), CHECK texts are unwrapped as the inspection unwraps them.  So the model built from it is the
same; ``tests/test_reflect_native.py`` compares the two on real schemas.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.util import strip_outer_parens

from dbaudit.dialects.base import CatalogRows

#: Relation kinds SQLAlchemy lists as tables: ordinary, partitioned, foreign (r, p, f).
_RELATIONS = """
SELECT c.oid, c.relname, c.relkind, d.description
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = c.oid AND d.objsubid = 0 AND d.classoid = 'pg_catalog.pg_class'::regclass
WHERE c.relnamespace = :nsp AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND c.relpersistence <> 't'
"""

# Scalar subqueries rather than outer joins: the planner expects a handful of rows from pg_class and would
# otherwise join every column against whole catalogs.  No ORDER BY: sorting 50,000 wide rows spills to disk;
# Python puts the columns in order.  A collation is returned as its OID (rarely any), named afterwards.
_COLUMNS = """
SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       CASE WHEN a.atthasdef THEN (SELECT pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)
                                   FROM pg_catalog.pg_attrdef ad
                                   WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum) END,
       a.attnotnull,
       (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = a.attrelid
           AND ds.objsubid = a.attnum AND ds.classoid = 'pg_catalog.pg_class'::regclass),
       a.attgenerated, a.attidentity,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> (SELECT t.typcollation FROM pg_catalog.pg_type t
                                                             WHERE t.oid = a.atttypid) THEN a.attcollation END
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = :nsp AND c.relkind IN ('r', 'p', 'f') AND c.relpersistence <> 't'
  AND a.attnum > 0 AND NOT a.attisdropped
"""

# The name of a collation, and its schema where it is not on the search_path (as the inspection gives them).
_COLLATIONS = """
SELECT co.oid, co.collname, CASE WHEN pg_catalog.pg_collation_is_visible(co.oid) THEN NULL ELSE n.nspname END
FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
WHERE co.oid = ANY(:oids)
"""

# Constraint texts are not asked of the server where the columns say it all: deparsing (pg_get_constraintdef)
# costs tens of microseconds a constraint on a cold session.  A CHECK's text is its expression deparsed the
# very way pg_get_constraintdef deparses it (pg_get_expr, pretty), without the "CHECK (...)" around it; a
# foreign key's delete action is confdeltype, and only SET NULL/DEFAULT (of some columns, PostgreSQL 15)
# needs the server's text (asked only for those).  Column numbers become names in Python, from the columns
# already read.
_CONSTRAINTS = """
SELECT x.conrelid, x.contype, x.conname,
       CASE WHEN x.contype = 'c' THEN pg_catalog.pg_get_expr(x.conbin, x.conrelid, true) END,
       x.conkey, x.confrelid, x.confkey, x.confdeltype,
       CASE WHEN x.contype = 'f' AND x.confdeltype IN ('n', 'd')
            THEN pg_catalog.pg_get_constraintdef(x.oid, true) END,
       x.condeferrable,
       r.relname, rn.nspname,
       CASE WHEN x.contype = 'f' THEN pg_catalog.pg_table_is_visible(x.confrelid) END
FROM pg_catalog.pg_constraint x
JOIN pg_catalog.pg_class c ON c.oid = x.conrelid
LEFT JOIN pg_catalog.pg_class r ON r.oid = x.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
WHERE c.relnamespace = :nsp AND c.relkind IN ('r', 'p', 'f') AND c.relpersistence <> 't'
  AND x.contype IN ('p', 'u', 'f', 'c')
"""

_OTHER_COLUMNS = """
SELECT attrelid, attnum, attname FROM pg_catalog.pg_attribute
WHERE attrelid = ANY(:oids) AND attnum > 0 AND NOT attisdropped
"""

#: ``pg_constraint.confdeltype`` -> the action as the server's definition (and so the inspection) writes it.
_DELETE_ACTIONS = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

# Unique indexes that back no constraint (a constraint's own index is read as the constraint): their key
# elements (a column name, or the expression as the server prints it) and their predicate.
_UNIQUE_INDEXES = """
SELECT i.indrelid, ic.relname,
       ARRAY(SELECT CASE WHEN k.num = 0 THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.pos::int, true)
                         ELSE a.attname::text END
             FROM unnest(i.indkey) WITH ORDINALITY k(num, pos)
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
             WHERE k.pos <= i.indnkeyatts ORDER BY k.pos),
       CASE WHEN i.indpred IS NOT NULL THEN pg_catalog.pg_get_expr(i.indpred, i.indrelid) END
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
WHERE c.relnamespace = :nsp AND c.relkind IN ('r', 'p', 'f') AND c.relpersistence <> 't'
  AND i.indisunique AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint x WHERE x.conrelid = i.indrelid
                  AND x.conindid = i.indexrelid AND x.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname
"""

# As the inspection parses them (sqlalchemy.dialects.postgresql.base).
_ON_DELETE = re.compile(r" ON DELETE (CASCADE|RESTRICT|SET (?:NULL|DEFAULT)(?:\s\(.+\))?)")
_NEXTVAL = re.compile(r"""(nextval\(')([^']+)('.*$)""")


def type_parser(conn: Connection) -> Any:
    """The SQLAlchemy dialect's parser of ``format_type`` text (``(format_type, collation, collation_schema)``
    -> type), or ``None`` when the installed SQLAlchemy has none we know how to call (then the inspection is
    used instead)."""
    engine_dialect = conn.dialect
    try:
        from sqlalchemy.dialects.postgresql.base import _NamedTypeLoader
    except ImportError:
        return None
    reflect = getattr(engine_dialect, "_reflect_type", None)
    if reflect is None:
        return None
    loader = _NamedTypeLoader(engine_dialect, conn, {})  # type: ignore[arg-type]
    cache: dict[tuple[str | None, str | None, str | None], Any] = {}

    def parse(format_type: str | None, collation: str | None, collation_schema: str | None) -> Any:
        key = (format_type, collation, collation_schema)
        found = cache.get(key)
        if found is None:
            found = cache[key] = reflect(
                format_type,
                loader,
                type_description=f"type {format_type!r}",
                collation=collation,
                collation_schema=collation_schema,
            )
        return found

    return parse


def read_catalog(conn: Connection, schema: str) -> CatalogRows | None:
    """Every table of ``schema`` with its columns, keys, checks, unique indexes and comment (and the names
    of its views), keyed as the inspection keys them (``(schema, name)``); ``None`` (read it through the
    inspection) before PostgreSQL 12 or when this SQLAlchemy cannot parse the types for us."""
    if (conn.dialect.server_version_info or (0,)) < (12,):
        return None  # no attgenerated before PostgreSQL 12: the inspection knows each version's catalog
    parse = type_parser(conn)
    if parse is None:
        return None
    nsp = conn.execute(
        text("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = :schema"), {"schema": schema}
    ).scalar()
    rows = CatalogRows()
    if nsp is None:
        return rows
    names: dict[int, tuple[str, str]] = {}
    for oid, name, kind, comment in conn.execute(text(_RELATIONS), {"nsp": nsp}):
        if kind in ("v", "m"):
            (rows.views if kind == "v" else rows.materialized_views).append(str(name))
            continue
        key = (schema, str(name))
        names[oid] = key
        rows.columns[key] = []
        rows.primary_keys[key] = {"constrained_columns": [], "name": None}
        rows.foreign_keys[key] = []
        rows.uniques[key] = []
        rows.checks[key] = []
        rows.indexes[key] = []
        rows.comments[key] = {"text": comment}
    attnames: dict[int, dict[int, str]] = {oid: {} for oid in names}
    # Each row is turned into its column as it comes (no list of every row: at 10,000 tables the rows held
    # together were most of the read's peak memory); a column with a collation waits for the collation's name.
    by_table: dict[int, list[tuple[int, dict[str, Any]]]] = {oid: [] for oid in names}
    waiting: list[tuple[Any, ...]] = []
    for row in conn.execute(text(_COLUMNS), {"nsp": nsp}):
        oid, attnum, name, format_type, default, not_null, comment, generated, identity, collation_oid = row
        if oid not in names:
            continue
        attnames[oid][attnum] = name
        if collation_oid is not None:
            waiting.append(tuple(row))
            continue
        by_table[oid].append(
            (
                attnum,
                _column(schema, parse, name, format_type, default, not_null, comment, generated, identity),
            )
        )
    if waiting:
        collations: dict[int, tuple[str | None, str | None]] = {}
        oids = sorted({row[-1] for row in waiting})
        for oid, collation, collation_schema in conn.execute(text(_COLLATIONS), {"oids": oids}):
            collations[oid] = (collation, collation_schema)
        for oid, attnum, name, format_type, default, not_null, comment, generated, identity, coll in waiting:
            column = _column(
                schema,
                parse,
                name,
                format_type,
                default,
                not_null,
                comment,
                generated,
                identity,
                *collations[coll],
            )
            by_table[oid].append((attnum, column))
    for oid, found in by_table.items():
        found.sort(key=lambda item: item[0])
        rows.columns[names[oid]] = [column for _attnum, column in found]
    del by_table, waiting
    constraints = conn.execute(text(_CONSTRAINTS), {"nsp": nsp}).all()
    outside = sorted({row[5] for row in constraints if row[1] == "f" and row[5] not in attnames})
    if outside:
        attnames.update({oid: {} for oid in outside})
        for oid, attnum, attname in conn.execute(text(_OTHER_COLUMNS), {"oids": outside}):
            attnames[oid][attnum] = attname
    for row in constraints:
        oid, kind, name, check, conkey, confrelid, confkey, deltype, definition, deferrable = row[:10]
        table, nspname, visible = row[10:]
        owner = names.get(oid)
        if owner is None:
            continue
        key, own = owner, attnames[oid]
        columns = [own[n] for n in conkey or ()]
        if kind == "p":
            rows.primary_keys[key] = {"constrained_columns": columns, "name": name}
        elif kind == "u":
            rows.uniques[key].append({"name": name, "column_names": columns})
        elif kind == "c":
            rows.checks[key].append({"name": name, "sqltext": strip_outer_parens(check or "")})
        else:
            options: dict[str, Any] = {}
            on_delete = _ON_DELETE.search(definition) if definition else None
            action = on_delete.group(1) if on_delete else _DELETE_ACTIONS.get(deltype)
            if action:
                options["ondelete"] = action
            if deferrable:
                options["deferrable"] = True
            theirs = attnames[confrelid]
            rows.foreign_keys[key].append(
                {
                    "name": name,
                    "constrained_columns": columns,
                    # The inspection reads the schema from the definition, which names it only when the
                    # table is not on the search_path; otherwise it keeps the schema only if it is ours.
                    "referred_schema": None if visible and nspname != schema else str(nspname),
                    "referred_table": str(table),
                    "referred_columns": [theirs[n] for n in confkey or ()],
                    "options": options,
                }
            )
    for oid, name, elements, where in conn.execute(text(_UNIQUE_INDEXES), {"nsp": nsp}):
        owner = names.get(oid)
        if owner is None:
            continue
        index: dict[str, Any] = {"name": name, "unique": True, "column_names": list(elements)}
        if where:
            index["dialect_options"] = {"postgresql_where": where}
        rows.indexes[owner].append(index)
    return rows


def _column(
    schema: str,
    parse: Any,
    name: str,
    format_type: str | None,
    default: str | None,
    not_null: bool,
    comment: str | None,
    generated: str | None,
    identity: str | None,
    collation: str | None = None,
    collation_schema: str | None = None,
) -> dict[str, Any]:
    """One column as the inspection describes it (see ``PGDialect._get_columns_info``)."""
    coltype = parse(format_type, collation, collation_schema)
    nullable = not not_null
    if type(coltype).__name__ == "DOMAIN":
        if not default and getattr(coltype, "default", None) is not None:
            default = coltype.default
        nullable = nullable and not getattr(coltype, "not_null", False)
    computed = None
    if generated not in (None, "", b"\x00"):
        computed = {"sqltext": default, "persisted": generated in ("s", b"s")}
        default = None
    if default is not None:
        match = _NEXTVAL.search(default)
        if match is not None and "." not in match.group(2):
            default = f'{match.group(1)}"{schema}".{match.group(2)}{match.group(3)}'
    info: dict[str, Any] = {
        "name": name,
        "type": coltype,
        "nullable": nullable,
        "default": default,
        "comment": comment,
    }
    if computed is not None:
        info["computed"] = computed
    if identity:
        info["identity"] = {"always": identity == "a"}
    return info
