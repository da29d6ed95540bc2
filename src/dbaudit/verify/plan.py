"""The steps of a seeder run: the schema build and every existing seed source, in the execution order.

The order is section 6 of the audit (:mod:`dbaudit.gaps.order`), limited to existing sources.  Around it:

* with Alembic, each data revision is its own step (``alembic upgrade <revision>``: the schema revisions
  before it come along); a script that runs while data revisions are still to come gets the schema up to the
  revision before the next one, and once none is left the schema goes to the heads;
* with a ``migrate_command``, that command is the first step and the data revisions run inside it;
* scripts run as ``python -m package.module`` from the folder above their top package, or as ``python path``
  from the project root; SQL files through SQLAlchemy; anything else (fixture files) by the command configured
  for it, else it is listed as not run.

A source the order could not place (it writes no table the schema has, so no foreign key ranks it) runs after
the placed ones, as do sources only the configuration names.
"""

from __future__ import annotations

import configparser
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dbaudit.model import ExecutionStep, ScanResult, SeedSource, SourceKind, StepKind
from dbaudit.verify.config import VerifyConfig

_KIND_RANK = {SourceKind.REVISION: 0, SourceKind.SQL: 1, SourceKind.FIXTURE: 2, SourceKind.SCRIPT: 3}
HEADS = "heads"


@dataclass(frozen=True)
class PlannedStep:
    """One step to run.  Paths are relative to the project root (forward slashes)."""

    seeder: str
    kind: StepKind
    command: str
    """For a person: the command line, and the folder it runs in when that is not the project root."""
    cwd: str = ""
    argv: tuple[str, ...] = ()
    shell: str | None = None
    predicted: tuple[str, ...] = ()
    not_run: str | None = None
    """Why it cannot run (nothing to run it with)."""
    needs_dbaudit: bool = False
    """It runs one of dbaudit's own modules (SQL files), which must be importable in the child."""

    @property
    def builds_schema(self) -> bool:
        """A failure here leaves the schema unfinished: the steps after it are not run."""
        return self.kind in (StepKind.SCHEMA, StepKind.REVISION)


@dataclass(frozen=True)
class Alembic:
    """The project's Alembic setup: its ini file and the folder of its ``env.py``, relative to the root."""

    ini: str
    script_location: str | None = None

    @property
    def folder(self) -> str:
        return self.ini.rpartition("/")[0]

    @property
    def env_py(self) -> str | None:
        return f"{self.script_location}/env.py" if self.script_location else None


def find_alembic(root: Path, ini: Path | None) -> Alembic | None:
    """The Alembic setup of the project at ``root`` whose ini file is ``ini`` (or none)."""
    if ini is None:
        return None
    relative = ini.resolve().relative_to(root.resolve()).as_posix()
    parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
    location = None
    try:
        parser.read(ini, encoding="utf-8")
        raw = parser.get("alembic", "script_location", fallback=None)
    except (configparser.Error, OSError, UnicodeDecodeError):
        raw = None
    if raw and ":" not in raw.replace(str(ini.parent), ""):  # a package resource (pkg:folder) is not a path
        folder = (ini.parent / raw).resolve()
        try:
            location = folder.relative_to(root.resolve()).as_posix()
        except ValueError:
            location = None
    return Alembic(relative, location)


def plan_steps(
    order: Sequence[ExecutionStep],
    scan: ScanResult,
    root: Path,
    config: VerifyConfig,
    alembic: Alembic | None,
) -> list[PlannedStep]:
    """The steps for the project at ``root`` (the copy the steps will run in)."""
    sources = {s.path: s for s in scan.sources}
    placed = [sources[s.seeder] for s in order if s.existing and s.seeder in sources]
    names = {s.path for s in placed}
    rest = sorted(
        (s for s in scan.sources if s.path not in names),
        key=lambda s: (_KIND_RANK[s.kind], s.path),
    )
    sequence = [*placed, *rest]
    known = {s.path for s in sequence}
    extra = [p for p in config.commands if p not in known]
    python = config.python

    steps: list[PlannedStep] = []
    revisions = [s for s in sequence if s.kind is SourceKind.REVISION and s.revision is not None]
    if config.migrate_command:
        folded = tuple(dict.fromkeys(t for s in revisions for t in _predicted(s)))
        steps.append(
            PlannedStep(
                config.migrate_command,
                StepKind.SCHEMA,
                config.migrate_command,
                "",
                (),
                config.migrate_command,
                folded,
            )
        )
        sequence = [s for s in sequence if s.kind is not SourceKind.REVISION]
    applied: set[str] = set()
    at_heads = alembic is None or bool(config.migrate_command)
    upgraded_to: str | None = None
    for source in sequence:
        if source.kind is SourceKind.REVISION and source.revision is not None:
            if alembic is None:
                steps.append(
                    _not_run(source, "no alembic.ini in the project and no migrate_command configured")
                )
                continue
            steps.append(
                _alembic_step(
                    alembic,
                    python,
                    source.revision.revision,
                    StepKind.REVISION,
                    source.path,
                    _predicted(source),
                )
            )
            applied.add(source.path)
            upgraded_to = source.revision.revision
            continue
        if not at_heads and alembic is not None:
            pending = [r for r in revisions if r.path not in applied]
            target = _before(pending[0]) if pending else HEADS
            if target is not None and target != upgraded_to:
                steps.append(_alembic_step(alembic, python, target, StepKind.SCHEMA))
                upgraded_to = target
            at_heads = not pending
        steps.append(_source_step(source, root, config))
    if not at_heads and alembic is not None:
        steps.append(_alembic_step(alembic, python, HEADS, StepKind.SCHEMA))
    for path in extra:
        steps.append(
            PlannedStep(path, StepKind.COMMAND, config.commands[path], "", (), config.commands[path])
        )
    return steps


def _predicted(source: SeedSource) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"{w.schema}.{w.table}" if w.schema else w.table for w in source.writes))


def _before(revision: SeedSource) -> str | None:
    """The revision just before a data revision, when it has exactly one."""
    assert revision.revision is not None
    down = revision.revision.down_revision
    return down[0] if len(down) == 1 else None


def _alembic_step(
    alembic: Alembic,
    python: str,
    target: str,
    kind: StepKind,
    seeder: str | None = None,
    predicted: tuple[str, ...] = (),
) -> PlannedStep:
    ini_name = alembic.ini.rpartition("/")[2]
    shown = f"alembic upgrade {shlex.quote(target)}"
    where = f" (in {alembic.folder}/)" if alembic.folder else ""
    return PlannedStep(
        seeder or shown,
        kind,
        shown + where,
        alembic.folder,
        (python, "-m", "alembic", "-c", ini_name, "upgrade", target),
        predicted=predicted,
    )


def _not_run(source: SeedSource, why: str) -> PlannedStep:
    kind = StepKind.REVISION if source.kind is SourceKind.REVISION else StepKind.COMMAND
    return PlannedStep(source.path, kind, "", predicted=_predicted(source), not_run=why)


def _source_step(source: SeedSource, root: Path, config: VerifyConfig) -> PlannedStep:
    predicted = _predicted(source)
    configured = config.commands.get(source.path)
    if configured:
        return PlannedStep(source.path, StepKind.COMMAND, configured, "", (), configured, predicted)
    if source.kind is SourceKind.SQL:
        return PlannedStep(
            source.path,
            StepKind.SQL,
            f"SQL file {source.path} through SQLAlchemy, in one transaction",
            "",
            (config.python, "-m", "dbaudit.verify.sqlfile", source.path),
            predicted=predicted,
            needs_dbaudit=True,
        )
    if source.kind is SourceKind.SCRIPT and source.path.endswith(".py"):
        return _script_step(source, root, config.python, predicted)
    return _not_run(
        source,
        f'no command to run it with: name one under [tool.dbaudit.verify.commands] ("{source.path}" = "...")',
    )


def _script_step(source: SeedSource, root: Path, python: str, predicted: tuple[str, ...]) -> PlannedStep:
    parts = source.path.split("/")
    top = len(parts) - 1
    while top > 0 and (root.joinpath(*parts[:top]) / "__init__.py").is_file():
        top -= 1
    if top < len(parts) - 1:  # a module of a package: run it as one, from the folder above the top package
        module = ".".join([*parts[top:-1], parts[-1].removesuffix(".py")])
        folder = "/".join(parts[:top])
        where = f" (in {folder}/)" if folder else ""
        return PlannedStep(
            source.path,
            StepKind.SCRIPT,
            f"python -m {shlex.quote(module)}{where}",
            folder,
            (python, "-m", module),
            predicted=predicted,
        )
    return PlannedStep(
        source.path,
        StepKind.SCRIPT,
        f"python {shlex.quote(source.path)}",
        "",
        (python, source.path),
        predicted=predicted,
    )


def literal_url_paths(scan: ScanResult, alembic: Alembic | None, commands: Mapping[str, str]) -> list[str]:
    """The files whose literal URLs matter: every seed source that may run, and Alembic's ``env.py``."""
    paths = [s.path for s in scan.sources]
    paths.extend(p for p in commands if p not in paths)
    if alembic is not None and alembic.env_py:
        paths.append(alembic.env_py)
    return paths
