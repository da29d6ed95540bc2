"""Jinja2 filters shared by the report templates."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from tabulate import tabulate


def md_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table; ``|`` inside cells is escaped."""
    safe = [[md_cell(cell) for cell in row] for row in rows]
    return tabulate(safe, headers=list(headers), tablefmt="github", disable_numparse=True)


#: An inline code span: a run of backticks, then anything up to the same run (CommonMark).
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")


def md_cell(value: Any) -> str:
    """A Markdown table cell: ``|`` escaped, one line, and ``<`` outside code spans as ``&lt;`` (no tag can
    open without it), so a name taken from the database (``x|<script>``) stays text instead of markup."""
    text = "" if value is None else str(value)
    return _escape_markup(text.replace("|", "\\|").replace("\n", " "))


def _escape_markup(text: str) -> str:
    parts: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_entities(text[position : span.start()]))
        parts.append(span.group(0))
        position = span.end()
    parts.append(_entities(text[position:]))
    return "".join(parts)


def _entities(text: str) -> str:
    return text.replace("<", "&lt;")


def code(value: Any) -> str:
    """Inline code that survives backticks in the value."""
    text = str(value)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def thousands(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def percent(value: float) -> str:
    return f"{value:.0f}%"


FILTERS: dict[str, Callable[..., Any]] = {
    "md_table": md_table,
    "md_cell": md_cell,
    "code": code,
    "thousands": thousands,
    "percent": percent,
}
