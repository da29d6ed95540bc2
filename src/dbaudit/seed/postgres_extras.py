"""What SQLAlchemy's reflection leaves out on PostgreSQL and the seeder needs: a domain's base type with its
length and precision (``"AccountNumber"`` is ``varchar(15)``, reflected as a bare VARCHAR), and exclusion
constraints (``EXCLUDE USING gist (room WITH =, during WITH &&)``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection

from dbaudit.seed.constraints import Exclusion

if TYPE_CHECKING:
    from dbaudit.seed.schema import SeedTable

_DOMAIN_COLUMNS = text(
    "SELECT n.nspname, c.relname, a.attname, format_type(t.typbasetype, t.typtypmod) "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE t.typtype = 'd' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') "
    "AND n.nspname = ANY (:schemas)"
)
_EXCLUSIONS = text(
    "SELECT n.nspname, c.relname, x.conname, pg_get_constraintdef(x.oid) FROM pg_constraint x "
    "JOIN pg_class c ON c.oid = x.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE x.contype = 'x' AND n.nspname = ANY (:schemas) ORDER BY x.conname"
)
_MODIFIERS = re.compile(r"\((\d+)(?:\s*,\s*(\d+))?\)")
_ELEMENT = re.compile(r'^\s*("(?:[^"]|"")+"|\w+)\s+WITH\s+(\S+)\s*$', re.IGNORECASE)


def refine_postgres(conn: Connection, tables: dict[str, SeedTable]) -> None:
    """Give domain columns their base type's length, precision and scale, and tables their exclusion
    constraints (in ``table.rules.exclusions``)."""
    by_name = {(t.schema_name, t.name): t for t in tables.values()}
    schemas = sorted({t.schema_name for t in tables.values()})
    if not schemas:
        return
    for schema, name, column, base in conn.execute(_DOMAIN_COLUMNS, {"schemas": schemas}):
        table = by_name.get((schema, name))
        spec = table.columns.get(column) if table is not None else None
        match = _MODIFIERS.search(str(base or ""))
        if spec is None or match is None:
            continue
        first, second = int(match.group(1)), match.group(2)
        if spec.kind == "str" and spec.length is None:
            spec.length = first
        elif spec.kind == "decimal" and spec.precision is None:
            spec.precision = first
            spec.scale = int(second) if second is not None else 0
    for schema, name, constraint, definition in conn.execute(_EXCLUSIONS, {"schemas": schemas}):
        table = by_name.get((schema, name))
        if table is not None:
            table.rules.exclusions.append(parse_exclusion(str(constraint), str(definition)))


def parse_exclusion(name: str, definition: str) -> Exclusion:
    """``EXCLUDE USING gist (room WITH =, during WITH &&)`` -> elements (room, =), (during, &&)."""
    match = re.search(r"\((.*)\)", definition)
    elements: list[tuple[str | None, str]] = []
    body = match.group(1) if match else ""
    if re.search(r"\)\s*WHERE\s*\(", definition, re.IGNORECASE):
        body = body.split(") WHERE (")[0]
    for part in _split_top(body):
        found = _ELEMENT.match(part)
        if found is None:
            elements.append((None, part.strip()))
            continue
        column = found.group(1)
        if column.startswith('"'):
            column = column[1:-1].replace('""', '"')
        elements.append((column, found.group(2)))
    return Exclusion(name, definition, tuple(elements))


def _split_top(body: str) -> list[str]:
    """``a WITH =, f(b, c) WITH &&`` split at the commas outside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        parts.append("".join(current))
    return [p for p in parts if p.strip()]
