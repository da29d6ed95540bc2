"""What the seeder needs to know about the tables it fills, built on the catalog read every command shares.

The shared :mod:`dbaudit.model` carries a table's shape; filling a table needs more (enum labels, array item
types, numeric precision, domain checks, partition bounds, how a key is allocated, parsed CHECKs).  The one
catalog read of :mod:`dbaudit.dialects.catalog` gives both the model records and their physical side (a
SQLAlchemy ``Table`` with the reflected types); :func:`reflect_schema` joins them into :class:`SeedTable`
records, inside this package only.  Nothing here reflects the database a second time.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, literal, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import Label

from dbaudit.config import Settings
from dbaudit.dialects import Dialect
from dbaudit.dialects.catalog import PhysicalTable
from dbaudit.model import Table as ModelTable
from dbaudit.seed.catalog_text import apply_base_type, parse_exclusion
from dbaudit.seed.constraints import CheckRules, parse_checks
from dbaudit.seed.values import ColumnSpec, classify

LEDGER_TABLE = "dbaudit_ledger"
LEDGER_TABLES = "dbaudit_ledger_tables"
PROTECTED_TABLE = "dbaudit_protected"


@dataclass(frozen=True)
class ForeignKeyInfo:
    columns: tuple[str, ...]
    parent: str
    """Key of the referred table in the :class:`SeedSchema`."""
    referred: tuple[str, ...]
    name: str | None = None
    nullable: bool = False
    """Every column of the key accepts NULL, so a row may leave the reference empty."""
    deferrable: bool = False
    ondelete: str | None = None
    parent_ref: tuple[str, str] = ("", "")
    """The referred table as ``(schema, name)``."""


@dataclass
class SeedTable:
    """One table as the seeder sees it."""

    key: str
    name: str
    schema: str | None
    sa: Table
    columns: dict[str, ColumnSpec]
    primary_key: tuple[str, ...]
    uniques: list[tuple[str, ...]]
    foreign_keys: list[ForeignKeyInfo]
    rules: CheckRules
    sequences: dict[str, str | None] = field(default_factory=dict)
    """Integer key columns the database numbers: column -> sequence name (PostgreSQL) or None."""
    partition_key: str | None = None
    partition_ranges: list[tuple[Any, Any]] = field(default_factory=list)
    is_partition: bool = False
    inherited: bool = False
    """PostgreSQL: the table has inheritance children, so queries say ``ONLY`` to mean its own rows."""
    has_rows: bool = False
    one_row: bool = False
    """Holds exactly one row.  Probed only for a parent of which an empty table needs two different rows
    (:func:`distinct_parents`); ``False`` elsewhere."""
    schema_name: str = ""
    """The schema the table lives in, also when reflected as the connection's default (``schema`` None)."""
    hidden: str | None = None
    """Why this role cannot see every row (PostgreSQL row-level security): never treated as empty."""
    selected: bool = True
    """Within ``--include``/``--exclude``: only selected tables are written; the others are parents only."""
    excluded: bool = False
    """In a schema the run covers, but left out by ``--include``/``--exclude``: never written, not even as a
    required parent or by a trigger."""
    without_rowid: bool = False
    """SQLite ``WITHOUT ROWID``."""
    replaces_on_conflict: bool = False
    """SQLite: a constraint resolves conflicts by REPLACE, so an insert may delete an existing row."""

    @property
    def qualified(self) -> tuple[str, str]:
        return (self.schema_name or self.schema or "", self.name)

    @property
    def identity_key(self) -> tuple[str, ...]:
        """Columns that identify one row: the primary key, else the first unique key over NOT NULL columns,
        else every column (:attr:`keyless`)."""
        if self.primary_key:
            return self.primary_key
        for unique in self.uniques:
            if all(c in self.columns and not self.columns[c].nullable for c in unique):
                return unique
        return tuple(name for name, spec in self.columns.items() if not spec.skip)

    @property
    def keyless(self) -> bool:
        """No primary key and no unique key over NOT NULL columns: equal rows cannot be told apart."""
        if self.primary_key:
            return False
        return not any(
            all(c in self.columns and not self.columns[c].nullable for c in u) for u in self.uniques
        )

    def restrict(self, stmt: Any) -> Any:
        """``stmt`` limited to this table's own rows (``ONLY`` when it has inheritance children)."""
        return only(stmt, self)

    def writable(self) -> list[str]:
        return [name for name, spec in self.columns.items() if not spec.skip]


@dataclass
class SeedSchema:
    dialect: str
    tables: dict[str, SeedTable]
    engine: Dialect = field(default_factory=Dialect)
    """The dialect's capabilities (how a foreign-key cycle can be broken...)."""
    trigger_fills: dict[str, set[str]] = field(default_factory=dict)
    """Table key -> keys of the other tables its INSERT triggers insert into (read from their text)."""

    def find(self, name: str) -> SeedTable | None:
        if name in self.tables:
            return self.tables[name]
        matches = [t for t in self.tables.values() if t.name == name]
        return matches[0] if len(matches) == 1 else None


def is_system(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


_NEXTVAL = re.compile(r"nextval\('((?:[^']|'')+)'")


def reflect_schema(
    conn: Connection,
    dialect: Dialect,
    settings: Settings,
    only_tables: dict[str, list[str]] | None = None,
) -> SeedSchema:
    """The tables a run works on, from the one catalog read every command shares (``dialects.catalog``).

    The schemas are resolved as ``report`` resolves them (``--schema``, ``--all-schemas``, else the default
    schema).  Every table of them is read, so a table that ``--include``/``--exclude`` leaves out is still
    there as a parent to point at (:attr:`SeedTable.selected` says which may be written).  Tables of other
    schemas that a foreign key refers to are read too, as parents only.  With ``only_tables`` (schema ->
    names), just those tables (purge).  Every table is probed for rows; a table whose rows row-level security
    hides is never taken for empty.
    """
    from dbaudit.dialects.catalog import read_schema, selected
    from dbaudit.reflect.snapshot import resolve_schemas

    if only_tables is not None:
        schemas = sorted(only_tables)
        qualify = True
    else:
        shown = str(conn.engine.url.render_as_string(hide_password=True))
        schemas = resolve_schemas(conn, dialect, settings, shown)
        qualify = bool(settings.schemas or settings.all_schemas)
    tables: dict[str, SeedTable] = {}
    pending: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    with warnings.catch_warnings():
        # SQLAlchemy warns about types and constraints it reads only partly; the seeder copes (an unknown
        # type makes a table unseedable with a reason), so the warnings are noise to the user.
        warnings.simplefilter("ignore", SAWarning)
        for schema in schemas:
            schema_arg = schema if dialect.has_schemas else None
            catalog = read_schema(
                conn,
                dialect,
                schema_arg,
                label=schema,
                physical=True,
                only=only_tables[schema] if only_tables is not None else None,
            )
            owned = dialect.module_tables(conn, schema_arg)
            for model_table in catalog.tables:
                table = _seed_table(model_table, catalog.physical[model_table.name], dialect, schema, qualify)
                # a table a virtual table's module keeps (SQLite's full-text shadow tables) is never written
                table.selected = model_table.name not in owned and selected(
                    model_table.name, schema, settings.include, settings.exclude
                )
                table.excluded = not table.selected
                table.hidden = catalog.hidden.get(model_table.name)
                tables[table.key] = table
                seen.add((schema, model_table.name))
        # Parents in schemas the run does not cover: read alone, used as parents only.
        for table in list(tables.values()):
            for fk in table.foreign_keys:
                if fk.parent not in tables and fk.parent_ref not in seen:
                    pending.append(fk.parent_ref)
        while pending:
            ref_schema, ref_name = pending.pop()
            if (ref_schema, ref_name) in seen:
                continue
            seen.add((ref_schema, ref_name))
            catalog = read_schema(conn, dialect, ref_schema, label=ref_schema, physical=True, only=[ref_name])
            for model_table in catalog.tables:
                table = _seed_table(
                    model_table, catalog.physical[model_table.name], dialect, ref_schema, True
                )
                table.selected = False
                tables[table.key] = table
    keys = {t.qualified: t.key for t in tables.values()}
    for table in tables.values():
        table.foreign_keys = [
            dataclasses.replace(fk, parent=keys.get(fk.parent_ref, fk.parent)) for fk in table.foreign_keys
        ]
    probe_tables(conn, [t for t in tables.values() if t.hidden is None], dialect)
    for table in tables.values():
        if table.hidden is not None:
            table.has_rows = True  # whatever this role sees of it, it may hold rows
    _probe_single_rows(conn, tables)
    fills = {} if only_tables is not None else _trigger_fills(conn, dialect, tables)
    return SeedSchema(dialect=dialect.name, tables=tables, engine=dialect, trigger_fills=fills)


def _trigger_fills(conn: Connection, dialect: Dialect, tables: dict[str, SeedTable]) -> dict[str, set[str]]:
    """Which tables each table's INSERT triggers fill, resolved to keys of ``tables`` (an unqualified name
    first in the trigger's own schema, as its search path would find it)."""
    by_name: dict[str, list[SeedTable]] = {}
    for table in tables.values():
        by_name.setdefault(table.name.lower(), []).append(table)
    out: dict[str, set[str]] = {}
    for key, targets in dialect.insert_trigger_targets(conn, list(tables.values())).items():
        home = tables[key].qualified[0].lower()
        for schema, name in targets:
            found = [
                t for t in by_name.get(name.lower(), []) if (schema or home).lower() == t.qualified[0].lower()
            ]
            if schema is None and not found and len(by_name.get(name.lower(), [])) == 1:
                found = by_name[name.lower()]
            for target in found:
                if target.key != key:
                    out.setdefault(key, set()).add(target.key)
    return out


def _seed_table(
    model: ModelTable, physical: PhysicalTable, dialect: Dialect, schema: str, qualify: bool
) -> SeedTable:
    """A :class:`SeedTable` from the model record and its physical side."""
    sa_table = physical.sa
    names = {c.name for c in sa_table.columns}
    checks = [(c.name, c.sqltext) for c in model.check_constraints] + list(physical.extra_checks)
    rules = parse_checks(checks, dialect.name, names)
    primary_key = tuple(model.primary_key)
    specs: dict[str, ColumnSpec] = {}
    sequences: dict[str, str | None] = {}
    by_name = {c.name: c for c in model.columns}
    for column in sa_table.columns:
        info = by_name[column.name]
        spec = classify(column.name, column.type, dialect)
        spec.nullable = bool(info.nullable) and column.name not in primary_key
        spec.has_default = info.default is not None
        if column.name in physical.domain_checks:
            parse_checks(
                physical.domain_checks[column.name], dialect.name, names, rules, value_column=column.name
            )
        if column.name in physical.domain_not_null:
            spec.nullable = False
        if column.name in physical.domain_bases:
            apply_base_type(spec, physical.domain_bases[column.name])
        if info.computed is not None:
            spec.skip = True
        elif info.identity:
            if column.name in primary_key:
                sequences[column.name] = _sequence_of(info.default)
            else:
                spec.skip = True
        specs[column.name] = spec
    rules.exclusions.extend(parse_exclusion(name, definition) for name, definition in physical.exclusions)
    for name, rule in rules.columns.items():
        if name in specs:
            specs[name].rule = rule
            if rule.not_null:
                specs[name].nullable = False
    uniques: list[tuple[str, ...]] = []
    for unique in [*(u.columns for u in model.unique_constraints), *physical.extra_uniques]:
        # A partial unique index is treated as unique over every row: stricter, so always safe.  A unique
        # index on expressions (not plain columns) is left to the database.
        if unique and all(c in specs for c in unique) and unique not in uniques:
            uniques.append(tuple(unique))
    fks: list[ForeignKeyInfo] = []
    for fk in sorted(
        [*model.foreign_keys, *physical.partition_keys], key=lambda k: (k.columns, k.name or "")
    ):
        parent_schema = fk.referred_schema or schema
        fks.append(
            ForeignKeyInfo(
                columns=tuple(fk.columns),
                parent=f"{parent_schema}.{fk.referred_table}",
                referred=tuple(fk.referred_columns),
                name=fk.name,
                nullable=all(specs[c].nullable for c in fk.columns if c in specs),
                deferrable=fk.deferrable,
                ondelete=fk.ondelete,
                parent_ref=(parent_schema, fk.referred_table),
            )
        )
    key = f"{schema}.{model.name}" if qualify else model.name
    return SeedTable(
        key=key,
        name=model.name,
        schema=sa_table.schema,
        sa=sa_table,
        columns=specs,
        primary_key=primary_key,
        uniques=uniques,
        foreign_keys=fks,
        rules=rules,
        sequences=sequences,
        partition_key=physical.partition_key,
        partition_ranges=list(physical.partition_ranges),
        inherited=physical.inherited,
        schema_name=schema,
        without_rowid=physical.without_rowid,
        replaces_on_conflict=physical.replaces_on_conflict,
    )


def _sequence_of(default: str | None) -> str | None:
    """The sequence a ``nextval('...')`` default draws from (PostgreSQL), else ``None``."""
    if default and "nextval(" in default:
        match = _NEXTVAL.search(default)
        if match:
            return match.group(1).replace("''", "'")
    return None


def only(stmt: Any, table: SeedTable) -> Any:
    """``stmt`` restricted to ``table``'s own rows when it has PostgreSQL inheritance children."""
    if not table.inherited:
        return stmt
    if isinstance(stmt, Select):
        return stmt.with_hint(table.sa, "ONLY", "postgresql")
    return stmt.with_hint("ONLY", dialect_name="postgresql")


def probe_tables(conn: Connection, tables: list[SeedTable], dialect: Any = None, batch: int = 200) -> None:
    """Set ``has_rows`` on every table, probing up to ``batch`` tables per statement.

    Each probe is written out as ``EXISTS (SELECT 1 FROM <table>)`` with the name quoted by the dialect's
    identifier preparer: building, cache-keying and compiling a construct per table cost more than the
    server's answer.
    """
    format_table = conn.dialect.identifier_preparer.format_table
    del dialect  # the probe is plain SQL; ONLY is set where inheritance children exist (PostgreSQL)
    for start in range(0, len(tables), batch):
        chunk = tables[start : start + batch]
        probes: list[Label[Any]] = []
        for index, t in enumerate(chunk):
            if t.inherited:
                probe = f"EXISTS (SELECT 1 FROM ONLY {format_table(t.sa)})"  # not its children
            else:
                probe = f"EXISTS (SELECT 1 FROM {format_table(t.sa)})"
            probes.append(literal_column(probe).label(f"p{index}"))
        row = conn.execute(select(*probes)).one()
        for index, table in enumerate(chunk):
            table.has_rows = bool(row[index])


def distinct_parents(table: SeedTable) -> dict[str, tuple[str, str]]:
    """Parents of which each row of ``table`` needs two different rows: a CHECK ``a <> b`` over two foreign
    keys into the same table (a label related to another label): parent key -> the two columns."""
    single = {fk.columns[0]: fk.parent for fk in table.foreign_keys if len(fk.columns) == 1}
    out: dict[str, tuple[str, str]] = {}
    for a, b in table.rules.distinct:
        parent = single.get(a)
        if parent is not None and parent == single.get(b) and parent != table.key:
            out.setdefault(parent, (a, b))
    return out


def _probe_single_rows(conn: Connection, tables: dict[str, SeedTable]) -> None:
    """Set ``one_row`` on each populated parent an empty table needs two different rows of."""
    wanted = {
        parent
        for table in tables.values()
        if table.selected and not table.has_rows
        for parent in distinct_parents(table)
        if parent in tables and tables[parent].has_rows and tables[parent].hidden is None
    }
    for key in sorted(wanted):
        parent = tables[key]
        first_two = only(select(literal(1)).select_from(parent.sa).limit(2), parent).subquery()
        parent.one_row = conn.execute(select(func.count()).select_from(first_two)).scalar_one() == 1


def has_rows(conn: Connection, table: SeedTable) -> bool:
    stmt = only(select(literal(1)).select_from(table.sa).limit(1), table)
    return conn.execute(stmt).first() is not None
