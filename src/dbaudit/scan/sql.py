"""Which tables a piece of SQL inserts into: the light interface of :mod:`dbaudit.scan.sql_parser`.

sqlglot is imported only when a string that may write rows is actually parsed, so scanning (and reporting
on) a project without SQL strings never pays for it.

Only INSERT (plain, ``INSERT ... SELECT``, ``WITH ... INSERT``, upserts), ``COPY ... FROM`` and ``MERGE``
count; UPDATE, DELETE and DDL never do.  What is found is a :class:`~dbaudit.scan.sql_writes.SqlWrite`.
"""

from __future__ import annotations

import re

from dbaudit.scan.sql_writes import SqlWrite

# A cheap gate, not a parser: strings without one of these words cannot insert anything, so sqlglot is
# spared the many SQL strings that only select, update or delete.
_WRITE_WORDS = re.compile(r"\b(?:insert|copy|merge|replace)\b", re.IGNORECASE)


def looks_like_write(text: str) -> bool:
    return bool(_WRITE_WORDS.search(text))


#: In a file's bytes: a statement that inserts (``looks_like_write`` also takes Python's ``.copy()``).
_INSERT_STATEMENT = re.compile(rb"\b(?:insert|replace|merge)\s+(?:ignore\s+)?into\b", re.IGNORECASE)


def will_parse_sql(data: bytes) -> bool:
    """Whether a file holds SQL that inserts, which the scan will parse (with sqlglot)."""
    return bool(_INSERT_STATEMENT.search(data))


def import_parser() -> None:
    """Import sqlglot now rather than at the first SQL string: for a scan that has time to spare now."""
    import dbaudit.scan.sql_parser  # noqa: F401


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
