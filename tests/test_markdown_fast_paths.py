"""The quick checks of :mod:`dbaudit.markdown` and of the shell lines of the gaps section change no output.

``one_line``, ``text``, ``code`` and ``cell`` return a plain string as it is after one check, instead of
walking it character by character (a 10,000-table report calls them a few hundred thousand times); the shell
line of a recommended command skips the quote analysis when the command holds no quote or backslash.  Each
gives exactly what the full way gives, for any string: compared here with the quick checks turned off.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbaudit import markdown
from dbaudit.render import gaps_context

NEVER = re.compile(r"(?!)")  # a pattern that matches nothing: the quick check always says "no"

# names as they come: plain identifiers, underscores at every place, markup, controls, line breaks, pipes
ALPHABET = st.sampled_from(
    list("ab_Z09 .,/:-|`*[]&~<>#\\'\"\t\n\r\x0b\x0c\x1c\x1f\x7f\x85\x9f\u2028\u2029é$;()")
)
NAMES = st.one_of(
    st.text(ALPHABET, max_size=24),
    st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
    st.text(max_size=12),
)


def _slow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown, "_PLAIN_LINE", NEVER)
    monkeypatch.setattr(markdown, "_PLAIN_TEXT", NEVER)


@settings(max_examples=400, deadline=None)
@given(value=NAMES)
def test_markdown_quick_checks_give_what_the_full_escaping_gives(value: str) -> None:
    quick = [markdown.one_line(value), markdown.text(value), markdown.code(value), markdown.cell(value)]
    with pytest.MonkeyPatch.context() as patch:
        _slow(patch)
        full = [markdown.one_line(value), markdown.text(value), markdown.code(value), markdown.cell(value)]
        # cell's own quick check (no "|"): the same as escaping a line without one
        assert re.sub(r"(\\*)\|", lambda m: m.group(0), full[3]) == full[3]
    assert quick == full
    assert [type(v) for v in quick[1:]] == [markdown.Markdown] * 3


@settings(max_examples=400, deadline=None)
@given(command=st.text(ALPHABET, max_size=40))
def test_the_shell_part_of_a_command_is_the_same_without_the_quote_analysis(command: str) -> None:
    assert gaps_context._outside_single_quotes(command) == gaps_context._analysed(command)


def test_the_common_names_take_the_quick_way() -> None:
    for name in ("users", "order_lines", "audit_10000.t_0042", "a-b c/d:e,f."):
        assert markdown._PLAIN_TEXT.fullmatch(name) and markdown.text(name) == name
    for name in ("_private", "trailing_", "a__b", "#tag", "x<y", "é"):
        assert not markdown._PLAIN_TEXT.fullmatch(name)
