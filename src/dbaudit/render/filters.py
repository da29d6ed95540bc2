"""Jinja2 filters shared by the report templates.

Names reach Markdown only through these (see :mod:`dbaudit.markdown`): ``code`` (an inline code span sized
to the name), ``md_text`` (escaped text), ``md_cell``/``md_table`` (table cells) and ``fence`` (a fenced
block).  A plain string is text to escape; a :class:`~dbaudit.markdown.Markdown` string is kept as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dbaudit import markdown
from dbaudit.markdown import Markdown

#: A cell wider than this stops the table from being aligned (see :func:`md_table`).
WIDE_CELL = 1_000
#: Column width in a table that has such a cell: narrower cells are padded to it, wider ones stick out.
PAD_LIMIT = 120


def md_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table; every cell goes through :func:`md_cell`.

    Columns are padded to their widest cell, except in a table with a cell wider than :data:`WIDE_CELL`
    (the list of 2,000 tables one seed script writes): padding every row to that width made the report of
    10,000 tables 58 MB, so there columns are padded to at most :data:`PAD_LIMIT` characters.
    """
    safe = [[md_cell(cell) for cell in row] for row in rows]
    if any(len(cell) > WIDE_CELL for row in safe for cell in row):
        return _loose_table(safe, headers)
    from tabulate import tabulate  # on first use: `dbaudit scan` renders no table through it

    return tabulate(safe, headers=list(headers), tablefmt="github", disable_numparse=True)


def _loose_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """Tabulate's GitHub layout (a header at least two wider than its name) with widths capped."""
    widths = [
        min(PAD_LIMIT, max([len(h) + 2, *(len(row[i]) for row in rows if i < len(row))]))
        for i, h in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out.extend(line(row) for row in rows)
    return "\n".join(out)


def md_cell(value: Any) -> Markdown:
    """A Markdown table cell: one line, ``|`` escaped; a plain string is escaped as text, so a name taken
    from the database (``x|<script>``) stays text instead of markup."""
    return markdown.cell(value)


def md_text(value: Any) -> Markdown:
    """A name as Markdown text: one line, nothing in it read as markup."""
    return markdown.text(value)


def code(value: Any) -> Markdown:
    """Inline code that shows the value exactly, whatever backticks or line breaks it holds."""
    return markdown.code(value)


def thousands(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def percent(value: float) -> str:
    return f"{value:.0f}%"


FILTERS: dict[str, Callable[..., Any]] = {
    "md_table": md_table,
    "md_cell": md_cell,
    "md_text": md_text,
    "code": code,
    "codes": markdown.codes,
    "texts": markdown.texts,
    "fence": markdown.fence,
    "thousands": thousands,
    "percent": percent,
}
