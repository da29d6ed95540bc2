"""Running ``dbaudit report --format json`` as a user would, for the reflection tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dbaudit
from dbaudit.config import Settings
from dbaudit.model import DatabaseSnapshot, TableState, from_dict, to_dict
from dbaudit.reflect import reflect_database


def states(snapshot: DatabaseSnapshot) -> dict[str, TableState]:
    """The snapshot's tables by name."""
    return {state.table.name: state for state in snapshot.tables}


def reflect(url: str, **settings: object) -> DatabaseSnapshot:
    """Reflect ``url`` with ``settings`` and check that the result survives the JSON round trip the report
    prints."""
    snapshot = reflect_database(Settings(url=url).replace(**settings))
    assert from_dict(DatabaseSnapshot, to_dict(snapshot)) == snapshot
    return snapshot


def report_json(url: str, cwd: Path, *args: str) -> dict[str, Any]:
    """The JSON audit ``dbaudit report`` prints for ``url`` (no scan), run in a fresh process in ``cwd``."""
    document: dict[str, Any] = json.loads(report_text(url, cwd, "--format", "json", *args))
    return document


def report_text(url: str, cwd: Path, *args: str) -> str:
    """What ``dbaudit report ARGS`` prints for ``url`` (no scan; Markdown unless ``--format`` is given), run
    in a fresh process in ``cwd``, on the same dbaudit this process imported (a relative ``PYTHONPATH`` would
    not reach it from ``cwd``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DBAUDIT_URL", "DATABASE_URL")}
    package_root = str(Path(dbaudit.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    result = subprocess.run(
        [sys.executable, "-m", "dbaudit", "report", "--no-scan", "--url", url, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def status_and_method(document: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Table name -> (status, count method) as the JSON audit gives them."""
    return {
        state["table"]["name"]: (state["status"], (state["count"] or {}).get("method"))
        for state in document["database"]["tables"]
    }
