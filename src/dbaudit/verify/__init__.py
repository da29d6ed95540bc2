"""``dbaudit verify``: run the project's seeders in a scratch database and record what each one really wrote.

:func:`run_verify` returns a :class:`~dbaudit.model.SeederRun`; :func:`load_run` reads one saved with
``dbaudit verify --format json`` (for ``dbaudit report --verify FILE``).
"""

from __future__ import annotations

import json
from pathlib import Path

from dbaudit.errors import BaselineError
from dbaudit.model import SeederRun
from dbaudit.verify.config import VerifyOptions
from dbaudit.verify.run import LiteralUrlRefused, run_verify

__all__ = ["LiteralUrlRefused", "VerifyOptions", "load_run", "run_verify"]


def load_run(path: Path) -> SeederRun:
    """A seeder run saved as JSON; anything else is one clear :class:`~dbaudit.errors.BaselineError`."""
    from dbaudit.audit_file import parse_version
    from dbaudit.model import SCHEMA_VERSION

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read {path}: {exc}", "check the path") from exc
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{path} is not JSON ({exc.msg}, line {exc.lineno})",
            "pass the file dbaudit verify --format json wrote",
        ) from exc
    if not isinstance(data, dict) or "steps" not in data or "scratch" not in data:
        raise BaselineError(
            f"{path} is not a saved seeder run", "pass the file dbaudit verify --format json wrote"
        )
    version = str(data.get("schema_version", "1.1"))
    if parse_version(version)[0] > parse_version(SCHEMA_VERSION)[0]:
        raise BaselineError(
            f"{path} uses schema {version}, newer than this dbaudit reads ({SCHEMA_VERSION})",
            "upgrade dbaudit",
        )
    try:
        return SeederRun.from_dict(data)
    except (TypeError, ValueError, KeyError) as exc:
        raise BaselineError(
            f"{path} does not match the seeder run schema: {exc}",
            "pass the file dbaudit verify --format json wrote",
        ) from exc
