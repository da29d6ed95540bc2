"""What the seeder needs to know about the tables it fills, reflected in bulk with SQLAlchemy.

The shared :mod:`dbaudit.model` carries a table's shape for reports; filling a table needs more (enum labels,
array item types, numeric precision, domain checks, partition bounds, how a key is allocated), so the seeder
keeps the SQLAlchemy ``Table`` next to its own :class:`SeedTable` record, inside this package only.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    MetaData,
    Table,
    inspect,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SAWarning
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import Label

from dbaudit.seed.constraints import CheckRules, parse_checks
from dbaudit.seed.postgres_extras import refine_postgres
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
    schema_name: str = ""
    """The schema the table lives in, also when reflected as the connection's default (``schema`` None)."""
    hidden: str | None = None
    """Why this role cannot see every row (PostgreSQL row-level security): never treated as empty."""
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
    metadata: MetaData

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
    schemas: tuple[str, ...],
    system: tuple[str, ...],
    only_tables: dict[str | None, list[str]] | None = None,
) -> SeedSchema:
    """Reflect every table of ``schemas`` (the connection's default schema when empty), in bulk; with
    ``only_tables``, just those tables of each schema (and the tables their foreign keys refer to)."""
    dialect = conn.dialect.name
    metadata = MetaData()
    targets: tuple[str | None, ...] = tuple(only_tables) if only_tables is not None else (schemas or (None,))
    with warnings.catch_warnings():
        # SQLAlchemy warns about types and constraints it reads only partly; the seeder copes (an unknown
        # type makes a table unseedable with a reason), so the warnings are noise to the user.
        warnings.simplefilter("ignore", SAWarning)
        for schema in targets:
            if only_tables is not None:
                present = set(inspect(conn).get_table_names(schema=schema))
                names = [n for n in only_tables[schema] if n in present]
                if names:
                    metadata.reflect(conn, schema=schema, views=False, resolve_fks=True, only=names)
                continue
            metadata.reflect(conn, schema=schema, views=False, resolve_fks=True)
    inspector = inspect(conn)
    domains: dict[str, list[tuple[str | None, str]]] = {}
    if dialect == "postgresql":
        for schema in targets:
            for domain in inspector.get_domains(schema=schema or "*"):  # type: ignore[attr-defined]
                checks = [(c.get("name"), c["check"]) for c in domain.get("constraints", [])]
                domains[domain["name"]] = checks
    extra_checks = _mysql_checks(conn) if dialect == "mysql" else {}
    tables: dict[str, SeedTable] = {}
    for key, sa_table in metadata.tables.items():
        if sa_table.schema is not None and sa_table.schema not in targets:
            continue  # a table of another schema reached through a foreign key: used as a parent only
        checks_raw = _check_constraints(inspector, sa_table)
        known = {text for _name, text in checks_raw}
        checks_raw += [c for c in extra_checks.get(sa_table.name, []) if c[1] not in known]
        tables[key] = _seed_table(key, sa_table, dialect, checks_raw, domains)
        if dialect == "mysql":
            _unescape_backticks(tables[key])
    default_schema = str(conn.dialect.default_schema_name or "main")
    for table in tables.values():
        table.schema_name = table.schema or default_schema
    if dialect == "sqlite":
        _sqlite_uniques(conn, tables)
        _sqlite_table_options(conn, tables)
    if dialect == "postgresql":
        _partitions(conn, tables)
        refine_postgres(conn, tables)  # dbaudit.seed.postgres_extras: domain lengths, exclusion constraints
    probe_tables(conn, list(tables.values()))
    return SeedSchema(dialect=dialect, tables=tables, metadata=metadata)


_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", re.IGNORECASE)
_REPLACE = re.compile(r"\bON\s+CONFLICT\s+REPLACE\b", re.IGNORECASE)


def _sqlite_table_options(conn: Connection, tables: dict[str, SeedTable]) -> None:
    """``WITHOUT ROWID`` tables, and tables whose constraints resolve conflicts by REPLACE."""
    definitions = {
        str(name): str(sql or "")
        for name, sql in conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    }
    for table in tables.values():
        sql = definitions.get(table.name, "")
        table.without_rowid = bool(_WITHOUT_ROWID.search(sql))
        table.replaces_on_conflict = bool(_REPLACE.search(sql))


def _check_constraints(inspector: Any, sa_table: Table) -> list[tuple[str | None, str]]:
    """The CHECK constraints reflection already attached to the table (no extra round trip)."""
    out = []
    for constraint in sorted(
        sa_table.constraints, key=lambda c: (str(c.name), str(getattr(c, "sqltext", "")))
    ):
        if isinstance(constraint, CheckConstraint):
            name = constraint.name if isinstance(constraint.name, str) else None
            out.append((name, str(constraint.sqltext)))
    return out


def _mysql_checks(conn: Connection) -> dict[str, list[tuple[str | None, str]]]:
    """MariaDB's column-level CHECKs (``json_valid`` of a JSON column among them), which reflection misses."""
    out: dict[str, list[tuple[str | None, str]]] = {}
    try:
        rows = conn.execute(
            text(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                "WHERE CONSTRAINT_SCHEMA = DATABASE()"
            )
        ).all()
    except DBAPIError:  # MySQL 8 has no TABLE_NAME there; its table-level checks are reflected already
        conn.rollback()
        return out
    for table, name, clause in rows:
        out.setdefault(table, []).append((name, clause))
    return out


def _seed_table(
    key: str,
    sa_table: Table,
    dialect: str,
    checks: list[tuple[str | None, str]],
    domains: dict[str, list[tuple[str | None, str]]],
) -> SeedTable:
    names = {c.name for c in sa_table.columns}
    rules = parse_checks(checks, dialect, names)
    primary_key = tuple(c.name for c in sa_table.primary_key.columns)
    specs: dict[str, ColumnSpec] = {}
    sequences: dict[str, str | None] = {}
    for column in sa_table.columns:
        spec = classify(column.name, column.type, dialect)
        spec.nullable = bool(column.nullable) and column.name not in primary_key
        default = _default_text(column)
        spec.has_default = default is not None
        if type(column.type).__name__ == "DOMAIN":
            domain_checks = domains.get(getattr(column.type, "name", ""), [])
            parse_checks(domain_checks, dialect, names, rules, value_column=column.name)
            if getattr(column.type, "not_null", False):
                spec.nullable = False
        numbered = _numbered_by_database(column, default, dialect, primary_key)
        if column.computed is not None:
            spec.skip = True
        elif numbered is not False:
            if column.name in primary_key:
                sequences[column.name] = numbered if isinstance(numbered, str) else None
            else:
                spec.skip = True
        specs[column.name] = spec
    for name, rule in rules.columns.items():
        if name in specs:
            specs[name].rule = rule
            if rule.not_null:
                specs[name].nullable = False
    uniques: list[tuple[str, ...]] = []
    for constraint in sorted(
        sa_table.constraints,
        # Column names, not the columns' reprs (a repr per column is costly on a thousand tables).
        key=lambda c: (type(c).__name__, str(c.name), tuple(col.name for col in getattr(c, "columns", ()))),
    ):
        if type(constraint).__name__ == "UniqueConstraint":
            cols = tuple(c.name for c in constraint.columns)  # type: ignore[attr-defined]
            if cols and cols not in uniques:
                uniques.append(cols)
    for index in sorted(sa_table.indexes, key=lambda i: str(i.name)):
        if index.unique:
            cols = tuple(c.name for c in index.columns if isinstance(c, Column))
            # A partial unique index is treated as unique over every row: stricter, so always safe.
            if cols and len(cols) == len(index.expressions) and cols not in uniques:
                uniques.append(cols)
    fks: list[ForeignKeyInfo] = []
    # Constraint collections are sets: sort them, so every run walks them in the same order.
    for fk in sorted(sa_table.foreign_key_constraints, key=lambda c: (tuple(c.column_keys), str(c.name))):
        referred_table = fk.referred_table
        parent_key = referred_table.key
        cols = tuple(fk.column_keys)
        fks.append(
            ForeignKeyInfo(
                columns=cols,
                parent=parent_key,
                referred=tuple(e.column.name for e in fk.elements),
                name=fk.name if isinstance(fk.name, str) else None,
                nullable=all(specs[c].nullable for c in cols),
                deferrable=bool(fk.deferrable),
                ondelete=fk.ondelete,
            )
        )
    return SeedTable(
        key=key,
        name=sa_table.name,
        schema=sa_table.schema,
        sa=sa_table,
        columns=specs,
        primary_key=primary_key,
        uniques=uniques,
        foreign_keys=fks,
        rules=rules,
        sequences=sequences,
    )


def _unescape_backticks(table: SeedTable) -> None:
    """SQLAlchemy reads MySQL column names from ``SHOW CREATE TABLE`` with their backticks still doubled."""
    names = [c.name for c in table.sa.columns]
    if not any("``" in n for n in names):
        return

    def fix(name: str) -> str:
        return name.replace("``", "`")

    def fix_all(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(fix(n) for n in names)

    table.sa = Table(
        table.sa.name,
        MetaData(),
        *(
            Column(fix(c.name), c.type, primary_key=c.primary_key, nullable=c.nullable, key=fix(c.name))
            for c in table.sa.columns
        ),
        schema=table.sa.schema,
    )
    for spec in table.columns.values():
        spec.name = fix(spec.name)
    table.columns = {fix(n): spec for n, spec in table.columns.items()}
    table.primary_key = fix_all(table.primary_key)
    table.uniques = [fix_all(u) for u in table.uniques]
    table.foreign_keys = [
        dataclasses.replace(fk, columns=fix_all(fk.columns), referred=fix_all(fk.referred))
        for fk in table.foreign_keys
    ]
    table.sequences = {fix(n): s for n, s in table.sequences.items()}
    table.rules.columns = {fix(n): r for n, r in table.rules.columns.items()}


def _default_text(column: Column[Any]) -> str | None:
    default = column.server_default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    return str(getattr(arg, "text", arg)) if arg is not None else None


def _numbered_by_database(
    column: Column[Any], default: str | None, dialect: str, primary_key: tuple[str, ...]
) -> str | bool:
    """The sequence filling an integer column (PostgreSQL), True for other auto-numbering, else False."""
    if column.identity is not None:
        return True
    if default and "nextval(" in default:
        match = _NEXTVAL.search(default)
        return match.group(1).replace("''", "'") if match else True
    if dialect == "mysql" and column.autoincrement is True and column.name in primary_key:
        return True
    if dialect == "sqlite" and primary_key == (column.name,) and type(column.type).__name__ == "INTEGER":
        return True  # an alias of the rowid
    return bool(dialect == "mysql" and column.autoincrement is True)


_RANGE = re.compile(r"FOR VALUES FROM \((.+)\) TO \((.+)\)$")


def _partitions(conn: Connection, tables: dict[str, SeedTable]) -> None:
    """Mark declarative partitions, and give partitioned parents the range bounds of their partitions."""
    rows = conn.execute(
        text(
            "SELECT n.nspname, c.relname, p.relname AS parent, pg_get_expr(c.relpartbound, c.oid), "
            "pg_get_partkeydef(p.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relispartition ORDER BY c.relname"
        )
    ).all()
    by_name = {(t.schema, t.name): t for t in tables.values()}
    default_schema = conn.execute(text("SELECT current_schema()")).scalar()
    parents = conn.execute(
        text(
            "SELECT DISTINCT n.nspname, p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
            "WHERE NOT c.relispartition"
        )
    ).all()
    for schema, name in parents:
        found = by_name.get((schema, name)) or (
            by_name.get((None, name)) if schema == default_schema else None
        )
        if found is not None:
            found.inherited = True
    for schema, name, parent, bound, keydef in rows:
        table = by_name.get((schema, name)) or (
            by_name.get((None, name)) if schema == default_schema else None
        )
        parent_table = by_name.get((schema, parent)) or (
            by_name.get((None, parent)) if schema == default_schema else None
        )
        if table is not None:
            table.is_partition = True
        if parent_table is None or not keydef:
            continue
        if table is not None:
            # Foreign keys declared on the partitions bind rows inserted through the parent too.
            known = {(fk.columns, fk.parent, fk.referred) for fk in parent_table.foreign_keys}
            for fk in table.foreign_keys:
                if (fk.columns, fk.parent, fk.referred) not in known:
                    parent_table.foreign_keys.append(fk)
                    known.add((fk.columns, fk.parent, fk.referred))
        key_match = re.match(r"RANGE \((\w+)\)$", keydef)
        bound_match = _RANGE.match(bound or "")
        if key_match and bound_match:
            parent_table.partition_key = key_match.group(1)
            lo, hi = (_unquote(v) for v in bound_match.groups())
            parent_table.partition_ranges.append((lo, hi))


def _unquote(value: str) -> Any:
    value = value.strip()
    if value.startswith("'") and value.endswith("'"):
        return value[1:-1]
    try:
        return int(value)
    except ValueError:
        return value


def _sqlite_uniques(conn: Connection, tables: dict[str, SeedTable]) -> None:
    """SQLAlchemy misses a column-level ``UNIQUE`` on SQLite: read its automatic index instead."""
    for table in tables.values():
        indexes = conn.execute(
            text('SELECT name, "unique", origin FROM pragma_index_list(:t)'), {"t": table.name}
        ).all()
        for name, unique, origin in indexes:
            if not unique or origin != "u":
                continue
            cols = tuple(
                r[0]
                for r in conn.execute(
                    text("SELECT name FROM pragma_index_info(:i) ORDER BY seqno"), {"i": name}
                )
            )
            if cols and None not in cols and cols not in table.uniques:
                table.uniques.append(cols)


def only(stmt: Any, table: SeedTable) -> Any:
    """``stmt`` restricted to ``table``'s own rows when it has PostgreSQL inheritance children."""
    if not table.inherited:
        return stmt
    if isinstance(stmt, Select):
        return stmt.with_hint(table.sa, "ONLY", "postgresql")
    return stmt.with_hint("ONLY", dialect_name="postgresql")


def probe_tables(conn: Connection, tables: list[SeedTable], batch: int = 200) -> None:
    """Set ``has_rows`` on every table, probing up to ``batch`` tables per statement.

    Each probe is written out as ``EXISTS (SELECT 1 FROM <table>)`` with the name quoted by the dialect's
    identifier preparer: building, cache-keying and compiling a construct per table cost more than the
    server's answer.
    """
    format_table = conn.dialect.identifier_preparer.format_table
    for start in range(0, len(tables), batch):
        chunk = tables[start : start + batch]
        probes: list[Label[Any]] = []
        for index, t in enumerate(chunk):
            if t.inherited and conn.dialect.name == "postgresql":
                probe = f"EXISTS (SELECT 1 FROM ONLY {format_table(t.sa)})"  # not its children
            else:
                probe = f"EXISTS (SELECT 1 FROM {format_table(t.sa)})"
            probes.append(literal_column(probe).label(f"p{index}"))
        row = conn.execute(select(*probes)).one()
        for index, table in enumerate(chunk):
            table.has_rows = bool(row[index])


def has_rows(conn: Connection, table: SeedTable) -> bool:
    stmt = only(select(literal(1)).select_from(table.sa).limit(1), table)
    return conn.execute(stmt).first() is not None
