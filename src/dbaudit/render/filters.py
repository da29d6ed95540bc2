"""Jinja2 filters shared by the report templates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tabulate import tabulate


def md_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table; ``|`` inside cells is escaped."""
    safe = [[md_cell(cell) for cell in row] for row in rows]
    return tabulate(safe, headers=list(headers), tablefmt="github", disable_numparse=True)


def md_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


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
