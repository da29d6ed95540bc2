"""Running ``dbaudit`` as a person does, in a terminal: a pseudo-terminal from Python's ``pty`` module.

Standard output, standard error or both are the terminal (of a chosen size); what is not a terminal is a pipe,
as under ``dbaudit report > AUDIT.md``.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TerminalRun:
    code: int
    terminal: str
    """Everything written to the terminal (stdout and/or stderr), byte for byte."""
    stdout: str
    """Standard output when it was a pipe, else ``""``."""
    stderr: str
    """Standard error when it was a pipe, else ``""``."""


def run_in_terminal(
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    columns: int = 100,
    rows: int = 30,
    stdout_tty: bool = True,
    stderr_tty: bool = True,
    timeout: float = 300,
) -> TerminalRun:
    """Run ``python -m dbaudit ARGS`` with a terminal of ``columns`` x ``rows`` on the chosen streams."""
    base = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES", "NO_COLOR", "TERM"}}
    environment = {**base, "TERM": "xterm-256color", **(env or {})}
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    # the terminal's own newline translation would add \r to every line: keep the bytes as written
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.ONLCR
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbaudit", *args],
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=slave if stderr_tty else subprocess.PIPE,
    )
    os.close(slave)
    captured = bytearray()
    piped: dict[str, bytes] = {"stdout": b"", "stderr": b""}
    streams = {name: getattr(proc, name) for name in piped if getattr(proc, name) is not None}
    open_fds = {master, *(s.fileno() for s in streams.values())}
    try:
        while open_fds:
            ready, _, _ = select.select(list(open_fds), [], [], timeout)
            if not ready:
                raise TimeoutError(f"dbaudit {' '.join(args)} wrote nothing for {timeout} s")
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the terminal's other side is closed
                    chunk = b""
                if not chunk:
                    open_fds.discard(fd)
                    continue
                if fd == master:
                    captured += chunk
                else:
                    name = next(n for n, s in streams.items() if s.fileno() == fd)
                    piped[name] += chunk
        code = proc.wait(timeout)
    finally:
        os.close(master)
        for stream in streams.values():
            stream.close()
    return TerminalRun(
        code=code,
        terminal=captured.decode("utf-8", "replace"),
        stdout=piped["stdout"].decode("utf-8", "replace"),
        stderr=piped["stderr"].decode("utf-8", "replace"),
    )
