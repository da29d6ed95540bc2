"""The compact summary ``report`` and ``demo`` print to a terminal: what a person reads before anything else.

A full audit is hundreds of lines of Markdown, its key line scrolled away; on a terminal (standard output a
tty, no ``--format`` or ``-o``) the CLI prints this instead, sized to the terminal (at most 100 columns):
the totals, the seeding coverage with a bar (within the first lines), the gaps with their recommended
seeders, the findings, and how to get the full report.  Redirected output stays the Markdown audit.

Colour comes from click's styling; the caller decides whether to use it (``NO_COLOR``, ``--color``).  Every
name goes through :func:`dbaudit.markdown.one_line`, so no control character from a table or file name
reaches the terminal.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import click

from dbaudit.markdown import one_line
from dbaudit.model import Audit, Severity, TableStatus

#: The widest summary, whatever the terminal: lines people can read at a glance.
MAX_WIDTH = 100
MIN_WIDTH = 40
#: How many recommended seeders and findings the summary lists before pointing at the full report.
MAX_ITEMS = 8
BAR_WIDTH = 30


@dataclass(frozen=True)
class _Span:
    text: str
    style: dict[str, Any]


def _cells(char: str) -> int:
    """Columns a character takes: two for wide East Asian characters, none for combining marks."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal, colour codes left out."""
    return sum(_cells(c) for c in click.unstyle(text))


class _Lines:
    def __init__(self, width: int, color: bool) -> None:
        self.width = width
        self.color = color
        self.lines: list[str] = []

    def add(self, *spans: _Span | str) -> None:
        """One line of spans, cut to the width (with ``…``) before it is styled."""
        room = self.width
        out: list[str] = []
        for span in spans:
            piece = span if isinstance(span, _Span) else _Span(span, {})
            text = one_line(piece.text).replace("\t", " ")
            taken = 0
            kept: list[str] = []
            for char in text:
                if taken + _cells(char) > room:
                    break
                kept.append(char)
                taken += _cells(char)
            cut = len(kept) < len(text)
            if cut:
                while kept and taken + 1 > room:
                    taken -= _cells(kept.pop())
                kept.append("…")
                taken += 1
            chunk = "".join(kept)
            out.append(click.style(chunk, **piece.style) if self.color and piece.style else chunk)
            room -= taken
            if cut or room <= 0:
                break
        self.lines.append("".join(out).rstrip())

    def blank(self) -> None:
        self.lines.append("")


def _coverage_style(percent: float) -> dict[str, Any]:
    if percent >= 80:
        return {"fg": "green"}
    if percent >= 50:
        return {"fg": "yellow"}
    return {"fg": "red"}


_SEVERITY_STYLE: dict[Severity, dict[str, Any]] = {
    Severity.ERROR: {"fg": "red", "bold": True},
    Severity.WARNING: {"fg": "yellow"},
    Severity.INFO: {"fg": "cyan"},
}
_SEVERITY_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}


def render_summary(audit: Audit, *, width: int, color: bool, command: str = "dbaudit report") -> str:
    """``audit`` as a summary at most ``width`` columns wide (capped at :data:`MAX_WIDTH`).

    ``command`` is how the user ran it, for the closing line that says how to get the full report.
    """
    out = _Lines(max(MIN_WIDTH, min(width, MAX_WIDTH)), color)
    bold: dict[str, Any] = {"bold": True}
    db = audit.database
    if db is not None:
        origin = f" · URL from {db.url_source}" if db.url_source else ""
        out.add(_Span("dbaudit", bold), f" · {db.dialect} {db.server_version}{origin}")
        out.add(db.url)
        counts = {status: sum(1 for t in db.tables if t.status is status) for status in TableStatus}
        out.add(
            _Span(f"{len(db.tables)} tables: ", bold),
            _Span(f"{counts[TableStatus.POPULATED]} populated", {"fg": "green"}),
            ", ",
            _Span(f"{counts[TableStatus.EMPTY]} empty", {"fg": "red"} if counts[TableStatus.EMPTY] else {}),
            f", {counts[TableStatus.SYSTEM]} system meta, {counts[TableStatus.UNREADABLE]} unreadable",
        )
    else:
        out.add(_Span("dbaudit", bold), " · no database in this audit")
    out.blank()

    coverage = audit.coverage
    if coverage is None:
        out.add(_Span("Seeding coverage: ", bold), "not measured (the audit ran without the scan)")
    else:
        style = _coverage_style(coverage.percent)
        out.add(
            _Span("Seeding coverage: ", bold),
            _Span(f"{coverage.percent:.1f}%", {**style, "bold": True}),
            f" ({coverage.covered_count} of {coverage.tables} application tables have a seed source)",
        )
        filled = round(BAR_WIDTH * coverage.percent / 100)
        out.add("[", _Span("█" * filled, style), "░" * (BAR_WIDTH - filled), "]")
    out.blank()

    if audit.recommendations:
        uncovered = sum(len(r.tables) for r in audit.recommendations)
        out.add(
            _Span(f"Gaps: {uncovered} table{'s' if uncovered != 1 else ''} to seed", bold),
            " · recommended seeders:",
        )
        column = min(32, max(len(one_line(r.seeder)) for r in audit.recommendations[:MAX_ITEMS]) + 2)
        for rec in audit.recommendations[:MAX_ITEMS]:
            name = one_line(rec.seeder)
            out.add("  ", _Span(name.ljust(column), {"fg": "cyan"}), ", ".join(rec.tables))
        _more(out, len(audit.recommendations), "seeders")
    elif coverage is not None:
        out.add(_Span("Gaps: ", bold), "none: every application table has a seed source")
    out.blank()

    if audit.findings:
        out.add(_Span(f"Findings: {len(audit.findings)}", bold))
        for finding in audit.findings[:MAX_ITEMS]:
            where = f" ({finding.location})" if finding.location else ""
            out.add(
                "  ",
                _Span(
                    f"{_SEVERITY_MARK[finding.severity]} {finding.kind}", _SEVERITY_STYLE[finding.severity]
                ),
                f"  {finding.message}{where}",
            )
        _more(out, len(audit.findings), "findings")
    else:
        out.add(_Span("Findings: ", bold), "none")
    out.blank()

    out.add(_Span("Full report: ", bold), f"{command} -o AUDIT.md  (or --format md|html|json)")
    return "\n".join(out.lines) + "\n"


def _more(out: _Lines, total: int, noun: str) -> None:
    if total > MAX_ITEMS:
        out.add(f"  … and {total - MAX_ITEMS} more {noun} in the full report")
