"""Progress on standard error: what a long stage is doing, with counts.

Only when stderr is a terminal, and only once a stage has taken more than a moment: piped or redirected runs
(CI, ``dbaudit report > AUDIT.md``) and ``-q`` see nothing but the report on stdout and log lines on stderr.

A stage (:func:`stage`) draws one line, redrawn in place: its label, the current step (:func:`phase`:
"probing tables", "files", "rows"), the count so far (:func:`advance`) out of the total when known, and a rate
for rows (``12,000 rows · 48,000 rows/s``).  The work calls :func:`phase` and :func:`advance` wherever it is:
they go to the innermost running stage, and do nothing when no stage runs or the indication is off, so the
stages of dbaudit (reflection, the scan, the seeder, the purge) report without knowing who shows it.

``DBAUDIT_PROGRESS_DELAY`` (seconds, default 0.5) is how long a stage runs before its line appears.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
DEFAULT_DELAY = 0.5


class _Spinner:
    def __init__(self, label: str, stream: TextIO, delay: float, interval: float) -> None:
        self.label = label
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.started = time.monotonic()
        self.shown = False
        self.step = ""
        self.unit = ""
        self.done = 0
        self.total: int | None = None
        self.step_started = self.started
        self._frame = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dbaudit-progress", daemon=True)

    def phase(self, step: str, total: int | None, unit: str) -> None:
        self.step, self.total, self.unit, self.done = step, total, unit, 0
        self.step_started = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count

    def line(self) -> str:
        """``⠸ Seeding: 58,000 rows inserted · 5,488 rows/s · 10.6s``, ``⠋ Reflecting: 120/2,000 tables
        probed · 3.1s``, or the label alone before a step starts."""
        now = time.monotonic()
        head = f"{FRAMES[self._frame % len(FRAMES)]} {self.label}"
        if not self.step:
            return f"{head}… {now - self.started:.1f}s"
        of = f"/{self.total:,}" if self.total is not None else ""
        parts = [f"{head}: {self.done:,}{of} {self.step}"]
        if self.unit == "rows" and now > self.step_started:
            parts.append(f"{self.done / (now - self.step_started):,.0f} rows/s")
        parts.append(f"{now - self.started:.1f}s")
        return " · ".join(parts)

    def width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):  # not a real terminal (a test's stream)
            return 100
        return columns if columns >= 20 else 100  # a terminal that does not tell its size says 0

    def draw(self) -> None:
        with self._lock:
            line = self.line()
            room = self.width() - 1  # a line as wide as the terminal wraps, and \r would not reach its start
            if len(line) > room:
                line = line[: max(0, room - 1)] + "…"
            self.stream.write(f"\r\033[K{line}")
            self.stream.flush()
            self.shown = True
            self._frame += 1

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        while not self._stop.is_set():
            self.draw()
            self._stop.wait(self.interval)

    def __enter__(self) -> _Spinner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if time.monotonic() - self.started >= self.delay:
            self.draw()  # the final counts, also of a stage that ended between two frames
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


_ACTIVE: list[_Spinner] = []


def delay_setting(default: float = DEFAULT_DELAY) -> float:
    """Seconds before a stage's line appears: ``DBAUDIT_PROGRESS_DELAY``, else ``default``."""
    raw = os.environ.get("DBAUDIT_PROGRESS_DELAY")
    try:
        return max(0.0, float(raw)) if raw else default
    except ValueError:
        return default


@contextmanager
def stage(
    label: str,
    *,
    stream: TextIO | None = None,
    force: bool | None = None,
    delay: float | None = None,
    interval: float = 0.1,
) -> Iterator[None]:
    """Show ``label`` and the counts of the work inside while the block runs, on a terminal, once it takes
    over ``delay`` seconds."""
    out = stream or sys.stderr
    enabled = force if force is not None else shown(out)
    if not enabled:
        yield
        return
    spinner = _Spinner(label, out, delay_setting() if delay is None else delay, interval)
    _ACTIVE.append(spinner)
    try:
        with spinner:
            yield
    finally:
        _ACTIVE.remove(spinner)


def shown(stream: TextIO | None = None) -> bool:
    """Whether a :func:`stage` of this thread draws its line on ``stream`` (standard error by default)."""
    return (stream or sys.stderr).isatty() and not _disabled()


def phase(step: str, total: int | None = None, unit: str = "") -> None:
    """The running stage starts a step (``"probing tables"``, ``total`` of them); the count restarts."""
    if _ACTIVE:
        _ACTIVE[-1].phase(step, total, unit)


def advance(count: int = 1) -> None:
    """``count`` more done in the running stage's step."""
    if _ACTIVE and count:
        _ACTIVE[-1].advance(count)


_DISABLED = threading.local()


def _disabled() -> bool:
    return bool(getattr(_DISABLED, "value", False))


def disable() -> None:
    """Turn the indication off for this thread (``--quiet``)."""
    _DISABLED.value = True


def enable() -> None:
    """Turn the indication back on (a new command line in the same process)."""
    _DISABLED.value = False
