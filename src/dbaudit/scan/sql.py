"""Which tables a piece of SQL inserts into: the light interface of :mod:`dbaudit.scan.sql_parser`.

sqlglot is imported only when a string that may write rows is actually parsed, so scanning (and reporting
on) a project without SQL strings never pays for it; from ``dbaudit scan`` of an Alembic project it is
imported and run in :mod:`dbaudit.helper`'s process instead.

Only INSERT (plain, ``INSERT ... SELECT``, ``WITH ... INSERT``, upserts), ``COPY ... FROM`` and ``MERGE``
count; UPDATE, DELETE and DDL never do.  What is found is a :class:`~dbaudit.scan.sql_writes.SqlWrite`.
"""

from __future__ import annotations

import re

from dbaudit import helper
from dbaudit.scan.sql_writes import SqlWrite

# A cheap gate, not a parser: strings without one of these words cannot insert anything, so sqlglot is
# spared the many SQL strings that only select, update or delete.
_WRITE_WORDS = re.compile(r"\b(?:insert|copy|merge|replace)\b", re.IGNORECASE)


def looks_like_write(text: str) -> bool:
    return bool(_WRITE_WORDS.search(text))


class SqlParseError(ValueError):
    """The SQL text could not be parsed (with any of the dialects tried)."""


def analyse_sql(text: str, base_line: int = 1) -> list[SqlWrite]:
    """Tables ``text`` writes rows into; raises :class:`SqlParseError` when it cannot be parsed.

    Parsed in :mod:`dbaudit.helper`'s process where one runs (``dbaudit scan`` of an Alembic project): it
    imported sqlglot beside Alembic while this process read the project, so this one never imports it."""
    if not looks_like_write(text):
        return []
    if helper.running():
        return helper.call(parse, text, base_line)
    return parse(text, base_line)


def parse(text: str, base_line: int) -> list[SqlWrite]:
    """:func:`analyse_sql` without the cheap gate, in whichever process it runs."""
    from sqlglot.errors import SqlglotError

    from dbaudit.scan.sql_parser import parse_writes

    try:
        return parse_writes(text, base_line)
    except SqlglotError as exc:
        raise SqlParseError(str(exc)) from None
