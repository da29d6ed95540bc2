"""What ``dbaudit verify`` is told: its command-line options and the ``[tool.dbaudit.verify]`` table.

The table (in ``pyproject.toml``, or ``[verify]`` in ``dbaudit.toml``) says how the project builds its schema
and runs sources dbaudit cannot run itself::

    [tool.dbaudit.verify]
    migrate_command = "make migrate"          # instead of alembic upgrade (run from the project root)
    url_variables = ["APP_DATABASE_URL"]      # set to the scratch URL too, like DATABASE_URL, DBAUDIT_URL
    driver = "postgresql+asyncpg"             # the URL form the steps get (default: the configured one's)
    step_timeout = 300                        # seconds per step
    allow_empty = ["audit_*"]                 # tables meant to stay empty
    python = "python3"                        # the interpreter for scripts (default: the one running dbaudit)

    [tool.dbaudit.verify.commands]
    "seeds/users.json" = "python manage.py loaddata seeds/users.json"

Command-line options win over the table.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbaudit.config import Settings
from dbaudit.errors import ConfigError

DEFAULT_STEP_TIMEOUT = 600.0
_KEYS = {"migrate_command", "url_variables", "driver", "step_timeout", "allow_empty", "python", "commands"}
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class VerifyOptions:
    """Everything ``dbaudit verify`` does differently from run to run; ``None`` means "not given"."""

    scratch_url: str | None = None
    """Server to create the scratch database on (default: the configured database's server)."""
    keep: bool = False
    step_timeout: float | None = None
    allow_empty: tuple[str, ...] = ()
    allow_literal_urls: bool = False
    repeat: bool = True
    """Run every step a second time to see whether it is idempotent."""
    fail_on_rerun: bool = False


@dataclass(frozen=True)
class VerifyConfig:
    """Options and configuration resolved into what the run needs."""

    scratch_url: str | None = None
    keep: bool = False
    step_timeout: float = DEFAULT_STEP_TIMEOUT
    allow_empty: tuple[str, ...] = ()
    allow_literal_urls: bool = False
    repeat: bool = True
    fail_on_rerun: bool = False
    migrate_command: str | None = None
    url_variables: tuple[str, ...] = ()
    driver: str | None = None
    python: str = field(default_factory=lambda: sys.executable)
    commands: Mapping[str, str] = field(default_factory=dict)
    """Shell command per source path (relative to the project root, forward slashes)."""


def resolve_config(settings: Settings, options: VerifyOptions) -> VerifyConfig:
    """Merge ``options`` over ``settings.verify`` (the configuration table); bad values are one clear line."""
    table = dict(settings.verify)
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]!r} in [tool.dbaudit.verify]",
            f"the settings read there are {', '.join(sorted(_KEYS))}",
        )
    timeout = options.step_timeout if options.step_timeout is not None else table.get("step_timeout")
    if timeout is None:
        timeout = DEFAULT_STEP_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 86_400:
        raise ConfigError(f"step_timeout must be a number of seconds over 0 (at most 86400): {timeout!r}")
    variables = _strings(table, "url_variables")
    for name in variables:
        if not _VARIABLE.fullmatch(name):
            raise ConfigError(f"url_variables: {name!r} is not the name of an environment variable")
    commands = table.get("commands", {})
    if not isinstance(commands, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in commands.items()
    ):
        raise ConfigError("[tool.dbaudit.verify.commands] must map source paths to commands (strings)")
    return VerifyConfig(
        scratch_url=options.scratch_url,
        keep=options.keep,
        step_timeout=float(timeout),
        allow_empty=(*_strings(table, "allow_empty"), *options.allow_empty),
        allow_literal_urls=options.allow_literal_urls,
        repeat=options.repeat,
        fail_on_rerun=options.fail_on_rerun,
        migrate_command=_string(table, "migrate_command"),
        url_variables=variables,
        driver=_string(table, "driver"),
        python=_string(table, "python") or sys.executable,
        commands={k.replace("\\", "/").removeprefix("./"): v for k, v in commands.items()},
    )


def _string(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"[tool.dbaudit.verify] {key} must be a non-empty string")
    return value


def _strings(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, ())
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"[tool.dbaudit.verify] {key} must be a string or a list of strings")
    return tuple(value)
