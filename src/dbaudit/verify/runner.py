"""Running one step: a child process with the scratch database in its environment, a time limit, and its own
process group, so that a timeout or Ctrl-C stops everything it started.

Standard output is logged at debug level; the tail of standard error is kept for the report (passwords
masked).  A step that outlives its time is sent SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from dbaudit.errors import DbauditError
from dbaudit.model import StepOutcome
from dbaudit.urls import scrub

log = logging.getLogger("dbaudit.verify")

#: Lines of standard error kept for the report.
TAIL_LINES = 15
#: Seconds between SIGTERM and SIGKILL for a step that outlived its time.
GRACE = 5.0


@dataclass(frozen=True)
class Command:
    """What a step runs: an argument vector, or a shell line (configured commands), from ``cwd``."""

    cwd: Path
    argv: tuple[str, ...] = ()
    shell: str | None = None


@dataclass(frozen=True)
class Completed:
    outcome: StepOutcome
    exit_code: int | None
    seconds: float
    error_tail: str


def step_environment(
    base: Mapping[str, str],
    url: str,
    variables: Sequence[str],
    python: str,
    redirect: Sequence[str] = (),
) -> dict[str, str]:
    """The environment of a step: ``base`` with every database variable pointing at the scratch database.

    ``DATABASE_URL``, ``DBAUDIT_URL`` and ``variables`` are set to ``url``; so is any variable of ``base``
    whose value is one of ``redirect`` (the configured database's URL, under a name dbaudit does not know).
    The interpreter's folder comes first on ``PATH``, so ``python`` and ``alembic`` in a command are the ones
    of dbaudit's environment; no ``.pyc`` files are written.
    """
    env = dict(base)
    for name, value in base.items():
        if value and value in redirect:
            env[name] = url
    for name in ("DATABASE_URL", "DBAUDIT_URL", *variables):
        env[name] = url
    folder = str(Path(python).parent) if os.sep in python else None
    if folder:
        env["PATH"] = os.pathsep.join([folder, *([base["PATH"]] if base.get("PATH") else [])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_step(command: Command, env: Mapping[str, str], timeout: float, secrets: Sequence[str]) -> Completed:
    """Run ``command`` to its end or for ``timeout`` seconds; a Ctrl-C stops it and is raised again."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                command.shell if command.shell is not None else list(command.argv),
                shell=command.shell is not None,
                cwd=command.cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: stopped as a whole, untouched by our Ctrl-C
            )
        except OSError as exc:
            raise DbauditError(
                f"cannot start {command.shell or command.argv[0]}: {exc.strerror}",
                "check the interpreter or the command configured for the step",
            ) from exc
        outcome = StepOutcome.OK
        try:
            code: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            outcome = StepOutcome.TIMED_OUT
            _stop(process)
            code = None
        except BaseException:
            _stop(process)
            raise
        finally:
            _kill_group(process.pid, signal.SIGKILL)  # whatever it left running in the background
        seconds = time.monotonic() - started
        if outcome is StepOutcome.OK and code != 0:
            outcome = StepOutcome.FAILED
        out.seek(0)
        for line in out.read().decode("utf-8", "replace").splitlines():
            log.debug("  | %s", scrub(line, tuple(secrets)))
        err.seek(0)
        tail = _tail(err.read().decode("utf-8", "replace"), secrets)
    return Completed(outcome, code, round(seconds, 2), tail)


def _tail(text: str, secrets: Sequence[str]) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return scrub("\n".join(lines[-TAIL_LINES:]), tuple(secrets))


def _stop(process: subprocess.Popen[bytes]) -> None:
    _kill_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=GRACE)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid, signal.SIGKILL)
        process.wait()


def _kill_group(pid: int, sig: signal.Signals) -> None:
    if sys.platform == "win32":  # pragma: no cover - no process groups; the child alone
        return
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
