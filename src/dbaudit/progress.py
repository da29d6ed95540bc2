"""A quiet progress indication on standard error.

Only when stderr is a terminal, and only once a stage has taken more than a moment: piped or redirected runs
(CI, ``dbaudit report > AUDIT.md``) see nothing but the report on stdout and log lines on stderr.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class _Spinner:
    def __init__(self, label: str, stream: TextIO, delay: float, interval: float) -> None:
        self.label = label
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.started = time.monotonic()
        self.shown = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dbaudit-progress", daemon=True)

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        frame = 0
        while not self._stop.is_set():
            elapsed = time.monotonic() - self.started
            self.stream.write(f"\r{FRAMES[frame % len(FRAMES)]} {self.label}… {elapsed:.1f}s ")
            self.stream.flush()
            self.shown = True
            frame += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> _Spinner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


@contextmanager
def stage(
    label: str,
    *,
    stream: TextIO | None = None,
    force: bool | None = None,
    delay: float = 0.5,
    interval: float = 0.1,
) -> Iterator[None]:
    """Show ``label`` with a spinner while the block runs, on a terminal, once it takes over ``delay``."""
    out = stream or sys.stderr
    enabled = force if force is not None else (out.isatty() and not _disabled())
    if not enabled:
        yield
        return
    with _Spinner(label, out, delay, interval):
        yield


_DISABLED = threading.local()


def _disabled() -> bool:
    return bool(getattr(_DISABLED, "value", False))


def disable() -> None:
    """Turn the indication off for this thread (``--quiet``)."""
    _DISABLED.value = True


def enable() -> None:
    """Turn the indication back on (a new command line in the same process)."""
    _DISABLED.value = False
