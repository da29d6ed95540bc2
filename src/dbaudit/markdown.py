"""Inert Markdown: names from the database and the code printed as data, whatever they hold.

A table or file name may hold a newline, backticks, ``|``, ``<img onerror>``, ``*``/``_``/``[`` punctuation
or a leading ``#``.  Pasted into Markdown as it is, such a name ends a code span or a table row, opens a
fence or an HTML tag, and the rest of it becomes live markup.  Every renderer goes through these functions
instead:

- :func:`code`: an inline code span sized to its content (CommonMark: a backtick run longer than any run
  inside, padded where the content starts or ends with a backtick);
- :func:`text`: plain text with every character Markdown could read as markup escaped (``<`` as ``&lt;``);
- :func:`cell`: a GFM table cell (``|`` escaped so that both cmark-gfm and markdown-it keep the row whole);
- :func:`fence`: a fenced block whose fence is longer than any backtick run inside.

Line breaks in a name become a visible ``⏎`` (other control characters a ``\\xNN`` escape): a newline can end
a table row, a list item or a shell comment, and no Markdown construct can carry one inline.

What these functions return is a :class:`Markdown` string, so a later :func:`cell` or :func:`text` knows it
is markup to keep, not text to escape: anything else, a plain ``str``, is treated as text.  The report's own
wording (finding messages, recommendations) is Markdown made with :func:`code`, and marked where it is read.

This module imports nothing of dbaudit's: the scanner and the gap analysis word their findings with it too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

#: What a line break inside a name is shown as.
LINE_BREAK = "⏎"


class Markdown(str):
    """A string that is already Markdown (made here, or dbaudit's own wording): printed as it is."""

    __slots__ = ()


_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
#: A string neither of the two expressions above changes: no character below a space but tab, none of
#: U+007F-U+009F, U+2028, U+2029.
_PLAIN_LINE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]*")
#: Text that :func:`text` leaves as it is: ASCII letters and digits, space, ``.,/:-``, and ``_`` between two
#: ASCII letters or digits (the common names; anything else takes the character-by-character way).
_PLAIN_TEXT = re.compile(r"(?:[A-Za-z0-9 .,/:-]|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))*")


def one_line(value: Any) -> str:
    """``value`` as one line: line breaks as ``⏎``, other control characters (not tab) as ``\\xNN``."""
    plain = str(value)
    if _PLAIN_LINE.fullmatch(plain):
        return plain  # the common case, checked in one pass: nothing to replace
    line = _LINE_BREAKS.sub(LINE_BREAK, plain)
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group(0)):02x}", line)


def code(value: Any) -> Markdown:
    """An inline code span that shows ``value`` exactly (line breaks as ``⏎``), whatever it holds."""
    content = one_line(value)
    if not content:
        return Markdown("``")  # no empty code span exists; two backticks read as literal text
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0) if "`" in content else 0
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end when both ends have one: pad so that removes only ours.
    pad = content[0] == "`" or content[-1] == "`" or (content[0] == " " and content[-1] == " ")
    pad = pad and content.strip(" ") != ""
    space = " " if pad else ""
    return Markdown(f"{fence}{space}{content}{space}{fence}")


def codes(values: Iterable[Any], separator: str = ", ") -> Markdown:
    """Several code spans, joined."""
    return Markdown(separator.join(code(v) for v in values))


#: Characters that may start markup anywhere inline.  ``_`` is handled apart (inside a word it is inert);
#: ``|`` is left to :func:`cell`, since only a table row splits on it.
_INLINE_SPECIAL = frozenset("\\`*[]&~")
#: Characters that start a block at the start of a line; escaped there too, though text is never put there.
_LEADING_SPECIAL = frozenset("#>")


def text(value: Any) -> Markdown:
    """``value`` as inline Markdown text (not at the start of a line) that renders as exactly ``value`` on one
    line and never as markup.  Ordinary names (letters, digits, ``_`` inside a word, ``.``, ``-``, ``/``) come
    out unchanged.
    """
    if isinstance(value, Markdown):
        return value
    line = one_line(value)
    if _PLAIN_TEXT.fullmatch(line):
        return Markdown(line)
    out = []
    for i, char in enumerate(line):
        if char == "<":
            out.append("&lt;")  # no tag or autolink opens without it (an entity, as the HTML-minded expect)
        elif char in _INLINE_SPECIAL or (i == 0 and char in _LEADING_SPECIAL):
            out.append("\\" + char)
        elif char == "_" and not (0 < i < len(line) - 1 and line[i - 1].isalnum() and line[i + 1].isalnum()):
            out.append("\\_")  # an underscore at a word's edge could open or close emphasis
        else:
            out.append(char)
    return Markdown("".join(out))


def texts(values: Iterable[Any], separator: str = ", ") -> Markdown:
    """Several names as text, joined."""
    return Markdown(separator.join(text(v) for v in values))


def cell(value: Any) -> Markdown:
    """A GFM table cell: one line, and every ``|`` escaped (Markdown is kept, anything else is text).

    cmark-gfm reads a backslash before a backslash as an escape of its own, markdown-it does not: a ``|``
    after an odd number of backslashes is escaped for both, so the run before each ``|`` is made odd.
    """
    if value is None:
        return Markdown("")
    markdown = value if isinstance(value, Markdown) else text(value)
    line = one_line(markdown)
    if "|" not in line:
        return Markdown(line)

    def escape(match: re.Match[str]) -> str:
        run = match.group(1)
        return run + ("\\" if len(run) % 2 == 0 else "\\\\") + "|"

    return Markdown(re.sub(r"(\\*)\|", escape, line))


def prose(value: Any) -> Markdown:
    """dbaudit's own wording read back from the model (a finding's message, a recommendation): Markdown whose
    names went in through :func:`code`, kept on one line (a line break reads as the space it renders as)."""
    return Markdown(one_line(_LINE_BREAKS.sub(" ", str(value))))


def fence(content: str, info: str = "") -> Markdown:
    """A fenced code block holding ``content`` (which ends with a newline) verbatim."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    marks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") or not content else content + "\n"
    return Markdown(f"{marks}{info}\n{body}{marks}")


# ------------------------------------------------------------------------------------------------------------
# Reading the report's own inline Markdown back (for the HTML page)


def inline_spans(markdown: str) -> Iterator[tuple[str, str]]:
    """Split inline Markdown into ``("code", content)`` and ``("text", source)`` pieces, as CommonMark does:
    a backtick run opens a code span closed by the next run of the same length, a backslash-escaped
    backtick opens nothing, and an unmatched run is text."""
    position = 0
    start = 0
    length = len(markdown)
    while position < length:
        char = markdown[position]
        if char == "\\" and position + 1 < length:
            position += 2
            continue
        if char != "`":
            position += 1
            continue
        run_end = position
        while run_end < length and markdown[run_end] == "`":
            run_end += 1
        run = run_end - position
        closing = _closing_run(markdown, run_end, run)
        if closing is None:
            position = run_end
            continue
        if start < position:
            yield ("text", markdown[start:position])
        content = markdown[run_end:closing].replace("\n", " ")
        if len(content) > 1 and content[0] == " " and content[-1] == " " and content.strip(" "):
            content = content[1:-1]
        yield ("code", content)
        position = start = closing + run
    if start < length:
        yield ("text", markdown[start:])


def _closing_run(markdown: str, begin: int, run: int) -> int | None:
    for match in re.finditer(r"`+", markdown[begin:]):
        if len(match.group(0)) == run:
            return begin + match.start()
    return None


def unescape(source: str) -> list[tuple[str, bool]]:
    """Inline text source as ``(character, escaped)`` pairs: ``\\*`` is a literal ``*``."""
    chars: list[tuple[str, bool]] = []
    position = 0
    while position < len(source):
        char = source[position]
        nxt = source[position + 1] if position + 1 < len(source) else ""
        if char == "\\" and nxt and _is_ascii_punctuation(nxt):
            chars.append((nxt, True))
            position += 2
        else:
            chars.append((char, False))
            position += 1
    return chars


def _is_ascii_punctuation(char: str) -> bool:
    return len(char) == 1 and ord(char) < 128 and unicodedata.category(char).startswith(("P", "S"))
