"""Configuration: where settings come from and which one wins.

Highest first: command-line options; the environment (``DBAUDIT_URL``, then ``DATABASE_URL``);
``[tool.dbaudit]`` in the nearest ``pyproject.toml`` or a ``dbaudit.toml``; ``sqlalchemy.url`` from an
``alembic.ini`` found in the project.
"""

from __future__ import annotations

import configparser
import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbaudit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_SYSTEM_TABLES: tuple[str, ...] = (
    "alembic_version",
    "django_migrations",
    "flyway_schema_history",
    "schema_migrations",
    "spatial_ref_sys",
    "sqlite_sequence",
    "dbaudit_*",
)

#: Where seed sources usually live, as ``.gitignore``-style patterns.  Names only a seed or demo-data module
#: carries: a test suite is not pulled in wholesale (``fake.py`` yes, ``fake_asyncpg_pool.py`` or
#: ``fakeredis_client.py`` no).
DEFAULT_SEED_GLOBS: tuple[str, ...] = (
    "**/seed*.py",
    "**/init_db.py",
    "**/initial_data*",
    "**/populate*.py",
    "**/seeds/**",
    "**/fixtures/**",
    "**/*seed*.sql",
    "**/*.dump",
    "**/create_test_data.py",
    "**/fake.py",
    "**/fakes.py",
    "**/faker.py",
    "**/faker_*.py",
    "**/fake_data*",
    "**/sample*_data*",
    "**/demo*_data*",
)

DEFAULT_SKIP_DIRS: tuple[str, ...] = (
    ".venv",
    "venv",
    "node_modules",
    ".git",
    "site-packages",
    "__pycache__",
    ".tox",
    ".mypy_cache",
)

PROJECT_MARKERS = ("pyproject.toml", "dbaudit.toml", "alembic.ini")


@dataclass(frozen=True)
class Settings:
    """Every setting dbaudit reads, resolved.  ``sources`` records where each non-default value came from."""

    url: str | None = None
    project_root: Path = field(default_factory=Path.cwd)
    schemas: tuple[str, ...] = ()
    all_schemas: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    system_tables: tuple[str, ...] = DEFAULT_SYSTEM_TABLES
    exact_threshold: int = 1_000_000
    count_timeout: float = 2.0
    exact: bool = False
    counts: bool = True
    template_dir: Path | None = None
    # scanning
    seed_globs: tuple[str, ...] = DEFAULT_SEED_GLOBS
    """Seed source patterns; setting them replaces the defaults."""
    extend_seed_globs: tuple[str, ...] = ()
    """Patterns added to ``seed_globs`` (as ruff's ``extend-select`` adds to ``select``)."""
    respect_gitignore: bool = True
    """Leave out what the tree's ``.gitignore`` files ignore (``build/``, ``dist/`` and ``*.egg-info`` are
    always left out)."""
    skip_dirs: tuple[str, ...] = DEFAULT_SKIP_DIRS
    alembic_locations: tuple[str, ...] = ()
    fixture_map: Mapping[str, str] = field(default_factory=dict)
    # gap analysis and seeding
    tenant_columns: tuple[str, ...] = ("client_account_id", "engagement_id")
    mock_column: str = "is_mock"
    mock_prefix: str = "MOCK:"
    seeders_dir: Path | None = None
    protected: bool = False
    lock_timeout: float = 10.0
    """Seconds seed and purge wait for a lock (the run lock, rows another transaction holds) before exit 2."""
    baseline_path: str = "AUDIT.json"
    # the CI gates of ``check`` and ``diff`` (their options override them)
    fail_under: float | None = None
    """Fail (exit 1) when seeding coverage is under this percentage: ``check`` and ``diff`` alike."""
    fail_on_drop: bool = True
    """``diff`` fails when coverage went down."""
    fail_on: tuple[str, ...] = ()
    """``diff`` also fails on these regressions: ``newly-empty``, ``new-uncovered``, ``stale``."""
    verify: Mapping[str, Any] = field(default_factory=dict)
    """The ``[tool.dbaudit.verify]`` table, as written; :mod:`dbaudit.verify.config` reads and checks it."""
    sources: Mapping[str, str] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def all_seed_globs(self) -> tuple[str, ...]:
        """The patterns that pick seed sources: ``seed_globs`` then ``extend_seed_globs``."""
        return self.seed_globs + self.extend_seed_globs


def url_origin(settings: Settings) -> str | None:
    """Where the URL came from, as the report's header says it: ``--url option``, ``environment variable
    DATABASE_URL``, ``pyproject.toml [tool.dbaudit]``, ``dbaudit.toml`` or the alembic.ini's path."""
    source = settings.sources.get("url")
    if source is None:
        return None
    if source == "command line":
        return "--url option"
    if source in ("DBAUDIT_URL", "DATABASE_URL"):
        return f"environment variable {source}"
    return source


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding a pyproject.toml, dbaudit.toml or alembic.ini."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).is_file() for marker in PROJECT_MARKERS):
            return folder
    return here


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path.name}: {exc}", "fix the file or remove it") from exc


def file_settings(root: Path) -> tuple[dict[str, Any], str | None]:
    """The ``[tool.dbaudit]`` table of ``root/pyproject.toml``, or the whole of ``root/dbaudit.toml``."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("dbaudit")
        if isinstance(table, dict):
            return table, "pyproject.toml [tool.dbaudit]"
    standalone = root / "dbaudit.toml"
    if standalone.is_file():
        data = _read_toml(standalone)
        table = data.get("tool", {}).get("dbaudit", data) if "tool" in data else data
        return table, "dbaudit.toml"
    return {}, None


def alembic_ini(root: Path) -> Path | None:
    """The project's alembic.ini: at the root, or one level down (``backend/alembic.ini``)."""
    direct = root / "alembic.ini"
    if direct.is_file():
        return direct
    for candidate in sorted(root.glob("*/alembic.ini")):
        return candidate
    return None


def alembic_url(ini: Path) -> str | None:
    """``sqlalchemy.url`` of ``ini``, read as Alembic reads it: ``%(here)s`` is the ini's folder and ``%%`` a
    literal ``%`` (as a URL-encoded password must be written there)."""
    parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
    try:
        parser.read(ini, encoding="utf-8")
        if not parser.has_option("alembic", "sqlalchemy.url"):
            return None
        value = parser.get("alembic", "sqlalchemy.url").strip()
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None  # an unknown %(name)s, as Alembic's template writes it, leaves the URL unset
    if value and "driver://" not in value:
        return _anchor_sqlite(value, ini.parent)
    return None


def _anchor_sqlite(url: str, folder: Path) -> str:
    """A relative SQLite path in alembic.ini is relative to the ini's folder, where Alembic runs."""
    scheme, sep, rest = url.partition(":///")
    if not sep or not scheme.startswith("sqlite") or not rest or rest.startswith(("/", ":memory:")):
        return url
    path, qmark, query = rest.partition("?")
    return f"{scheme}:///{(folder / path).resolve()}{qmark}{query}"


_TUPLE_KEYS = {
    "schemas",
    "include",
    "exclude",
    "system_tables",
    "seed_globs",
    "extend_seed_globs",
    "skip_dirs",
    "alembic_locations",
    "tenant_columns",
    "fail_on",
}
_PATH_KEYS = {"template_dir", "seeders_dir"}


def _coerce(key: str, value: Any, root: Path) -> Any:
    if key in _TUPLE_KEYS:
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"setting {key!r} must be a string or a list of strings")
        return tuple(value)
    if key in _PATH_KEYS:
        return (root / str(value)).resolve()
    if key == "extra_system_tables":
        return tuple(value)
    if key == "respect_gitignore" and not isinstance(value, bool):
        raise ConfigError(f"setting 'respect_gitignore' must be true or false: {value!r}")
    if key == "verify" and not isinstance(value, dict):
        raise ConfigError("setting 'verify' must be a table ([tool.dbaudit.verify])")
    if key == "fail_under":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise ConfigError(f"setting 'fail_under' must be a percentage from 0 to 100: {value!r}")
        return float(value)
    if key == "fail_on_drop" and not isinstance(value, bool):
        raise ConfigError(f"setting 'fail_on_drop' must be true or false: {value!r}")
    if key == "lock_timeout":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 86_400:
            raise ConfigError(f"setting 'lock_timeout' must be a number of seconds, over 0: {value!r}")
        return float(value)
    return value


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings from ``overrides`` (the command line), the environment, config files and alembic.ini.

    ``overrides`` values of ``None`` or ``()`` mean "not given" and fall through to the next source.
    """
    env = os.environ if environ is None else environ
    given = {k: v for k, v in (overrides or {}).items() if v is not None and v != ()}
    root_hint = given.pop("project_root", None)
    root = Path(root_hint).resolve() if root_hint else find_project_root(cwd)

    values: dict[str, Any] = {"project_root": root}
    sources: dict[str, str] = {}
    known = {f.name for f in dataclasses.fields(Settings)}

    # lowest first, so higher sources overwrite
    ini = alembic_ini(root)
    if ini is not None:
        url = alembic_url(ini)
        if url:
            values["url"] = url
            sources["url"] = ini.relative_to(root).as_posix()
    table, origin = file_settings(root)
    extra_system: tuple[str, ...] = ()
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key == "extra_system_tables":
            extra_system = _coerce(key, value, root)
            continue
        if key not in known or key in {"sources", "project_root"}:
            raise ConfigError(
                f"unknown setting {raw_key!r} in {origin}",
                "see the Configuration section of the README for the settings dbaudit reads",
            )
        values[key] = _coerce(key, value, root)
        sources[key] = origin or "config"
    for var in ("DATABASE_URL", "DBAUDIT_URL"):
        if env.get(var):
            values["url"] = env[var]
            sources["url"] = var
    for key, value in given.items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r}")
        values[key] = value
        sources[key] = "command line"
    if extra_system:
        values["system_tables"] = tuple(values.get("system_tables", DEFAULT_SYSTEM_TABLES)) + extra_system
    values["sources"] = sources
    return Settings(**values)
