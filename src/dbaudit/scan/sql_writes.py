"""What the SQL analysis finds, shared by its light front (:mod:`dbaudit.scan.sql`) and the sqlglot parser
(:mod:`dbaudit.scan.sql_parser`) without either importing the other's importer.

Placeholders the caller could not resolve arrive as ``dbaudit_unresolved_<n>`` identifiers: a table named by
one is reported as unresolved, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

UNRESOLVED_PREFIX = "dbaudit_unresolved_"


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
