"""The progress indication shows only on a terminal, only after a moment, and clears its line."""

from __future__ import annotations

import io
import time

from dbaudit.progress import stage


def test_nothing_is_written_when_not_forced_and_not_a_terminal() -> None:
    out = io.StringIO()
    with stage("Reflecting", stream=out, delay=0.0, interval=0.01):
        time.sleep(0.05)
    assert out.getvalue() == ""


def test_a_slow_stage_on_a_terminal_shows_and_clears() -> None:
    out = io.StringIO()
    with stage("Reflecting the database", stream=out, force=True, delay=0.01, interval=0.01):
        time.sleep(0.1)
    text = out.getvalue()
    assert "Reflecting the database…" in text
    assert text.endswith("\r\033[K")


def test_a_quick_stage_shows_nothing_even_on_a_terminal() -> None:
    out = io.StringIO()
    with stage("Scanning", stream=out, force=True, delay=5.0):
        pass
    assert out.getvalue() == ""
