"""Running the ``dbaudit`` command line from the safety tests, in-process or as a real process.

In-process runs (:func:`run_cli`) call :func:`dbaudit.cli.main` exactly as the console script does and capture
file descriptors 1 and 2, so even output written around Python's ``sys.stdout`` is seen.  They forget the
secrets an earlier run remembered, so one run's scrubbing can never hide another run's leak.  Subprocess runs
(:func:`run_process`, :func:`start_process`) are for tests that must kill or interrupt the process, or that
must see what a fresh interpreter prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    """What one run of the command line did."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("dbaudit: error:")]

    def describe(self) -> str:
        head = f"dbaudit {' '.join(self.args)} -> {self.code}"
        return f"{head}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run_cli(args: Sequence[str], capfd: pytest.CaptureFixture[str]) -> Run:
    """Run ``dbaudit ARGS`` in this process, as the console script would; return exit code and output."""
    from dbaudit import cli

    cli._State.secrets = ()
    cli._State.traceback = False
    capfd.readouterr()
    code: int
    try:
        cli.main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        cli._State.secrets = ()
    out, err = capfd.readouterr()
    return Run(tuple(args), code, out, err)


def subprocess_env(extra: Mapping[str, str] | None = None, drop: Sequence[str] = ()) -> dict[str, str]:
    """The environment for a child ``dbaudit``: no inherited database URL, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("DBAUDIT_URL", "DATABASE_URL", *drop)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def _command(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "dbaudit", *args]


def run_process(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120
) -> Run:
    """Run ``python -m dbaudit ARGS`` as a child process."""
    done = subprocess.run(
        _command(args),
        cwd=cwd,
        env=subprocess_env(env),
        capture_output=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Run(tuple(args), done.returncode, _utf8(done.stdout, "stdout"), _utf8(done.stderr, "stderr"))


def _utf8(data: bytes, stream: str) -> str:
    """dbaudit's output is UTF-8 text (JSON requires it): anything else fails the test, showing where."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        around = data[max(0, exc.start - 60) : exc.end + 20]
        pytest.fail(f"dbaudit wrote invalid UTF-8 to {stream} at byte {exc.start}: {around!r}")


def start_process(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``python -m dbaudit ARGS`` in the background (stdout and stderr piped)."""
    return subprocess.Popen(
        _command(args),
        cwd=cwd,
        env=subprocess_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def finish(process: subprocess.Popen[str], args: Sequence[str], timeout: float = 120) -> Run:
    """Wait for a started process and collect what it printed."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"dbaudit {' '.join(args)} did not finish\n{out}\n{err}")
    return Run(tuple(args), process.returncode, out, err)


def wait_for(
    condition: Callable[[], object],
    what: str,
    *,
    process: subprocess.Popen[str] | None = None,
    limit: float = 60.0,
) -> object:
    """Poll ``condition`` until it returns something truthy (a synchronisation helper, not a timing check)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"dbaudit ended (exit {process.returncode}) before {what}\n{out}\n{err}")
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}")


def assert_clean_failure(run: Run, *, code: int = 2) -> str:
    """Exit ``code``, exactly one ``dbaudit: error:`` line, no traceback; returns the error line."""
    assert run.code == code, run.describe()
    assert "Traceback (most recent call last)" not in run.stderr, run.describe()
    assert len(run.error_lines) == 1, run.describe()
    return run.error_lines[0]
