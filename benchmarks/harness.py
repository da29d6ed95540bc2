"""Timing and memory measurement of whole processes.

Every measured command (dbaudit and its baseline alike) runs as a child process, so interpreter start-up and
imports are part of both numbers.  ``os.wait4`` returns the resource usage of exactly that child, whose
``ru_maxrss`` is its peak resident memory (kilobytes on Linux).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
BASELINES_DIR = BENCH_DIR / "baselines"


class CommandFailed(RuntimeError):
    """A measured command exited with an unexpected status."""


@dataclass(frozen=True)
class Measurement:
    """One run of one process: wall-clock seconds and peak resident memory in MiB."""

    seconds: float
    peak_mib: float


@dataclass
class Series:
    """Repeated measurements of one command."""

    runs: list[Measurement] = field(default_factory=list)
    error: str | None = None
    """Why the command could not be measured (then ``runs`` may be empty)."""

    @property
    def median(self) -> float:
        return statistics.median(m.seconds for m in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(m.peak_mib for m in self.runs)


def python() -> str:
    """The interpreter of the benchmark run (the project's venv when run as documented)."""
    return sys.executable


def compile_package() -> None:
    """Byte-compile the dbaudit package where it lies (its ``__pycache__`` folders), untimed, before timing:
    dbaudit then runs from bytecode as a copy pip installed does (pip byte-compiles what it installs).  A
    shell or sandbox that sets ``PYTHONDONTWRITEBYTECODE`` would otherwise make every measured run compile
    each dbaudit module from source, while the baselines use only the standard library and installed
    packages, whose bytecode is there: a cost the users of an installed dbaudit never pay."""
    code = "import compileall, os, dbaudit as d; compileall.compile_dir(os.path.dirname(d.__file__), quiet=1)"
    subprocess.run([python(), "-c", code], check=True)


def dbaudit_command(*args: str) -> list[str]:
    """``python -m dbaudit ARGS`` with the current interpreter (what the console script runs too)."""
    return [python(), "-m", "dbaudit", *args]


def baseline_command(script: str, *args: str) -> list[str]:
    """``python baselines/SCRIPT ARGS``."""
    return [python(), str(BASELINES_DIR / script), *args]


def _launched(argv: Sequence[str], peak_file: str) -> list[str]:
    """``python X`` -> ``python launch.py PEAK_FILE X``, so the process records its own peak memory."""
    if len(argv) >= 2 and argv[0] == python():
        return [argv[0], str(BENCH_DIR / "launch.py"), peak_file, *argv[1:]]
    return list(argv)


def _read_peak_kib(path: str) -> float | None:
    try:
        with open(path, encoding="ascii") as fh:
            return float(fh.read().strip())
    except (OSError, ValueError):
        return None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Interrupt a measured child and its children (as Ctrl-C would), then kill it if it lingers."""
    for sig in (signal.SIGINT, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=10)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def measure(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    ok_codes: Sequence[int] = (0,),
    stdout: Path | None = None,
) -> Measurement:
    """Run ``argv`` to completion; its wall time and peak memory.  stdout is discarded; a failure raises.

    ``stdout`` keeps the output (of the last run) for checking that the command did the whole job.
    A Python command runs through ``launch.py``, which records the process's own peak (``VmHWM``); otherwise
    (or if the process ends without running its exit hooks) ``ru_maxrss`` from ``wait4`` is the fallback.
    """
    with (
        tempfile.TemporaryFile() as stderr,
        tempfile.NamedTemporaryFile(suffix=".peak") as peak,
        open(stdout or os.devnull, "wb") as out,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(
            _launched(argv, peak.name),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C or SIGTERM: the child (in its own session) is stopped too
            _stop(proc)
            raise
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok_codes:
            stderr.seek(0)
            lines = [ln for ln in stderr.read().decode("utf-8", "replace").splitlines() if ln.strip()]
            message = " | ".join(lines[-3:])[-400:] or "(no message)"
            shown = " ".join([Path(argv[0]).name, *argv[1:4]])
            raise CommandFailed(f"{shown} ... exited {proc.returncode}: {message}")
        peak_kib = _read_peak_kib(peak.name) or float(usage.ru_maxrss)
    return Measurement(seconds=seconds, peak_mib=peak_kib / 1024)


def interleave(
    times: int,
    first: Callable[[], Measurement],
    second: Callable[[], Measurement],
    *,
    before_first: Callable[[], None] | None = None,
    before_second: Callable[[], None] | None = None,
) -> tuple[Series, Series]:
    """Alternate two measurements (A B A B ...) so drifting machine load hits both alike.

    ``before_*`` run untimed before each measurement (resetting a fixture).  A command that fails is not run
    again; its :attr:`Series.error` says why, and the other one goes on being measured.
    """
    a, b = Series(), Series()
    for _ in range(times):
        for series, run, before in ((a, first, before_first), (b, second, before_second)):
            if series.error is not None:
                continue
            if before is not None:
                before()
            try:
                series.runs.append(run())
            except CommandFailed as exc:
                series.error = str(exc)
    return a, b
