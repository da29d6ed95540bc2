"""Which tables a piece of SQL inserts into: the light interface of :mod:`dbaudit.scan.sql_parser`.

sqlglot is imported only when a string that may write rows is actually parsed, so scanning (and reporting
on) a project without SQL strings never pays for it.

Only INSERT (plain, ``INSERT ... SELECT``, ``WITH ... INSERT``, upserts), ``COPY ... FROM`` and ``MERGE``
count; UPDATE, DELETE and DDL never do.  Placeholders the caller could not resolve arrive as
``dbaudit_unresolved_<n>`` identifiers: a table named by one is reported as unresolved, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNRESOLVED_PREFIX = "dbaudit_unresolved_"

# A cheap gate, not a parser: strings without one of these words cannot insert anything, so sqlglot is
# spared the many SQL strings that only select, update or delete.
_WRITE_WORDS = re.compile(r"\b(?:insert|copy|merge|replace)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SqlWrite:
    """One INSERT/COPY/MERGE target found in SQL text."""

    table: str | None
    """``None`` when the name is a placeholder that could not be resolved."""
    schema: str | None
    recogniser: str
    line: int
    """1-based line within the SQL text."""
    placeholder: str | None = None
    """The unresolved placeholder index (``dbaudit_unresolved_3``) when ``table`` is ``None``."""


def looks_like_write(text: str) -> bool:
    return bool(_WRITE_WORDS.search(text))


def strip_copy_data(text: str) -> str:
    """Blank the data lines of ``COPY ... FROM stdin;`` blocks (pg_dump), keeping line numbers."""
    if "stdin" not in text.lower():
        return text
    lines = text.split("\n")
    in_data = False
    for i, line in enumerate(lines):
        if in_data:
            if line.strip() == "\\.":
                in_data = False
            lines[i] = ""
        elif line.lstrip().lower().startswith("copy ") and line.rstrip().lower().endswith("from stdin;"):
            in_data = True
    return "\n".join(lines)


class SqlParseError(ValueError):
    """The SQL text could not be parsed (with any of the dialects tried)."""


def analyse_sql(text: str, base_line: int = 1) -> list[SqlWrite]:
    """Tables ``text`` writes rows into; raises :class:`SqlParseError` when it cannot be parsed."""
    if not looks_like_write(text):
        return []
    from sqlglot.errors import SqlglotError

    from dbaudit.scan.sql_parser import parse_writes

    try:
        return parse_writes(text, base_line)
    except SqlglotError as exc:
        raise SqlParseError(str(exc)) from exc
