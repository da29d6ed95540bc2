"""The report's wording as structured inline content, laid out as Markdown and as HTML from one source.

A line of advice is a sequence of parts: dbaudit's own words (a plain ``str``), a name shown as inline
code (:class:`Code`) or as text (:class:`Name`), emphasis (:class:`Strong`), or wording read back from the
model (:class:`Prose`: a finding's message, a recommendation, written with :func:`dbaudit.markdown.code`).
:class:`Inline` joins them: it *is* the Markdown string (so the Markdown templates and filters print it as
before) and its ``__html__`` gives the HTML, which Jinja2's autoescaping calls, so the HTML page is built
from the parts instead of parsing the Markdown again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from markupsafe import escape

from dbaudit import markdown
from dbaudit.markdown import Markdown, inline_spans, one_line, unescape


@dataclass(frozen=True)
class Code:
    """A name shown exactly, as inline code."""

    value: Any


@dataclass(frozen=True)
class Name:
    """A name shown as text: nothing in it is read as markup."""

    value: Any


@dataclass(frozen=True)
class Strong:
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Prose:
    """dbaudit's own wording kept in the model (Markdown whose names went in through ``code``)."""

    value: str


Part: TypeAlias = str | Code | Name | Strong | Prose


class Inline(Markdown):
    """Inline content that is its Markdown string and knows its HTML."""

    parts: tuple[Part, ...]

    def __new__(cls, *parts: Part) -> Inline:
        made = super().__new__(cls, "".join(_markdown(part) for part in parts))
        made.parts = parts
        return made

    def __html__(self) -> str:
        return "".join(_html(part) for part in self.parts)


def codes(values: Any, separator: str = ", ") -> list[Part]:
    """Several names as code, with ``separator`` between them."""
    parts: list[Part] = []
    for index, value in enumerate(values):
        if index:
            parts.append(separator)
        parts.append(Code(value))
    return parts


def _markdown(part: Part) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, Code):
        return markdown.code(part.value)
    if isinstance(part, Name):
        return markdown.text(part.value)
    if isinstance(part, Strong):
        return "**" + "".join(_markdown(p) for p in part.parts) + "**"
    return markdown.prose(part.value)


def _html(part: Part) -> str:
    if isinstance(part, str):
        return str(escape(part))
    if isinstance(part, Code):
        content = one_line(part.value)
        return f"<code>{escape(content)}</code>" if content else "``"
    if isinstance(part, Name):
        return str(escape(one_line(part.value)))
    if isinstance(part, Strong):
        return "<strong>" + "".join(_html(p) for p in part.parts) + "</strong>"
    return prose_html(markdown.prose(part.value))


# ------------------------------------------------------------------------------------------------------------
# Wording read back from the model


def prose_html(source: str) -> str:
    """The model's inline Markdown (code spans of any length, ``**bold**``, backslash escapes) as HTML;
    everything else escaped.  Code spans are found first, as CommonMark does, so nothing inside one (a
    name's ``**``) becomes markup."""
    parts = []
    for kind, value in inline_spans(source):
        parts.append(f"<code>{escape(value)}</code>" if kind == "code" else _text_html(value))
    return "".join(parts)


def _text_html(source: str) -> str:
    """Inline text: ``**`` pairs (not backslash-escaped) as ``<strong>``, ``&lt;`` (how
    :func:`dbaudit.markdown.text` writes ``<``) as ``<``, every character escaped."""
    chars = unescape(source)
    stars = [i for i in range(len(chars) - 1) if chars[i] == ("*", False) and chars[i + 1] == ("*", False)]
    pairs: set[int] = set()
    start = None
    for index in stars:
        if index in pairs or (start is not None and index < start + 2):
            continue
        if start is None:
            start = index
        else:
            pairs.update((start, index))
            start = None
    out = []
    position = 0
    opened = False
    while position < len(chars):
        if position in pairs:
            out.append("</strong>" if opened else "<strong>")
            opened = not opened
            position += 2
            continue
        if chars[position : position + 4] == [("&", False), ("l", False), ("t", False), (";", False)]:
            out.append("&lt;")
            position += 4
            continue
        out.append(str(escape(chars[position][0])))
        position += 1
    return "".join(out)
