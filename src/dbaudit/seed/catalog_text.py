"""What the catalog read gives as text and the seeder needs parsed: a domain's base type with its length and
precision (``"AccountNumber"`` is ``varchar(15)``, reflected as a bare VARCHAR), and exclusion constraints
(``EXCLUDE USING gist (room WITH =, during WITH &&)``).  The text comes from the dialect layer
(``PhysicalTable.domain_bases``, ``PhysicalTable.exclusions``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dbaudit.seed.constraints import Exclusion

if TYPE_CHECKING:
    from dbaudit.seed.values import ColumnSpec

_MODIFIERS = re.compile(r"\((\d+)(?:\s*,\s*(\d+))?\)")
_ELEMENT = re.compile(r'^\s*("(?:[^"]|"")+"|\w+)\s+WITH\s+(\S+)\s*$', re.IGNORECASE)


def apply_base_type(spec: ColumnSpec, base: str) -> None:
    """A domain column gets its base type's length, precision and scale (``character varying(15)``)."""
    match = _MODIFIERS.search(base)
    if match is None:
        return
    first, second = int(match.group(1)), match.group(2)
    if spec.kind == "str" and spec.length is None:
        spec.length = first
    elif spec.kind == "decimal" and spec.precision is None:
        spec.precision = first
        spec.scale = int(second) if second is not None else 0


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
