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


def md_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table; every cell goes through :func:`md_cell`."""
    safe = [[md_cell(cell) for cell in row] for row in rows]
    from tabulate import tabulate  # on first use: `dbaudit scan` renders no table through it

    return tabulate(safe, headers=list(headers), tablefmt="github", disable_numparse=True)


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
