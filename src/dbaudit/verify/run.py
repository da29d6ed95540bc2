"""``run_verify``: build a scratch database the project's way, run every seeder in the execution order, twice,
and record what each one wrote.

The configured database is never connected to for writing: on PostgreSQL and MariaDB its server is only asked
to ``CREATE DATABASE`` a scratch one (or the ``--scratch-url`` server is), on SQLite it is not opened at all.
The steps run in a temporary copy of the project, with ``DATABASE_URL`` and friends pointing at the scratch
database.  The run goes like this:

1. scan the project and refuse sources with a literal server URL (:mod:`dbaudit.verify.literals`);
2. show what will run and ask (the caller's ``confirm``);
3. a planning build: the schema at its heads in a first scratch database, reflected and joined with the scan
   into an audit whose section 6 is the execution order; that database is dropped;
4. a second scratch database: every step in order, counting each table's rows before and after it; the
   application tables still empty after the last step; then every step again (idempotence);
5. the findings and the gate, in a :class:`~dbaudit.model.SeederRun`.
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType

from dbaudit import __version__
from dbaudit.config import Settings, alembic_ini
from dbaudit.errors import DbauditError
from dbaudit.model import (
    DatabaseSnapshot,
    ExecutionStep,
    Finding,
    ScanResult,
    SeederRun,
    SeederStep,
    SeedSource,
    Severity,
    StepKind,
    StepOutcome,
    StepResult,
    TableState,
    TableStatus,
)
from dbaudit.progress import stage
from dbaudit.urls import mask_url, parse_url
from dbaudit.verify.accounting import Accountant, deltas
from dbaudit.verify.config import VerifyConfig, VerifyOptions, resolve_config
from dbaudit.verify.findings import empty_findings, rerun_findings, step_findings
from dbaudit.verify.literals import LiteralUrl, find_literal_urls
from dbaudit.verify.plan import HEADS, Alembic, PlannedStep, find_alembic, literal_url_paths, plan_steps
from dbaudit.verify.runner import Command, run_step, step_environment
from dbaudit.verify.scratch import ScratchDatabase, ScratchServer, scratch_database, scratch_server
from dbaudit.verify.workspace import copy_project, point_alembic_at, remove_tree, sqlite_files

log = logging.getLogger("dbaudit.verify")

Confirm = Callable[[str], None]


class LiteralUrlRefused(DbauditError):
    """A source holds a literal server URL and ``--allow-literal-urls`` was not given; nothing ran."""


def run_verify(settings: Settings, options: VerifyOptions, *, confirm: Confirm | None = None) -> SeederRun:
    """Run the project's seeders in a scratch database and return what each one did.

    ``confirm`` is called with a description of what will run before anything does; it raises to stop.
    Raises :class:`~dbaudit.errors.DbauditError` when the run cannot happen (exit 2); a run whose gate fails
    is returned like any other (``SeederRun.passed``).
    """
    from dbaudit.scan import scan_sources

    config = resolve_config(settings, options)
    root = settings.project_root
    with stage("Scanning seed scripts and migrations"):
        scan = scan_sources(root, settings)
    alembic = None if config.migrate_command else find_alembic(root, alembic_ini(root))
    literals = find_literal_urls(root, literal_url_paths(scan, alembic, config.commands))
    if literals and not config.allow_literal_urls:
        named = "; ".join(str(u) for u in literals[:3]) + (
            f" and {len(literals) - 3} more" if len(literals) > 3 else ""
        )
        raise LiteralUrlRefused(
            f"refusing to run: a database server URL is written into the code ({named}), so a step could "
            "reach that server instead of the scratch database",
            "read it from DATABASE_URL instead, or pass --allow-literal-urls if it reaches no real database",
        )
    work = Path(tempfile.mkdtemp(prefix="dbaudit-verify-"))
    try:
        server = scratch_server(settings.url, config.scratch_url, work)
        if confirm is not None:
            confirm(describe(scan.sources, alembic, config, server, root))
        with _terminate_as_interrupt():
            return _run(settings, config, scan, alembic, literals, server, work)
    finally:
        if config.keep:
            log.warning("kept the working copy of the project in %s (--keep)", work)
        else:
            remove_tree(work, log.warning)


def describe(
    sources: Sequence[SeedSource],
    alembic: Alembic | None,
    config: VerifyConfig,
    server: ScratchServer,
    root: Path,
) -> str:
    """What will run, for the confirmation: where, the schema build, every seed source."""

    where = (
        f"a new database on {mask_url(server.admin)}"
        if hasattr(server, "admin")
        else "a temporary SQLite file"
    )
    lines = [
        f"dbaudit verify runs the project's code, in a temporary copy of {root}, on {where} "
        "(the configured database is not written), and drops it afterwards"
        + (" (--keep: kept)" if config.keep else "")
        + ":"
    ]
    if config.migrate_command:
        lines.append(f"  schema: {config.migrate_command}")
    elif alembic is not None:
        lines.append(f"  schema: alembic upgrade, with {alembic.ini}")
    rank = {"revision": 0, "sql": 1, "fixture": 2, "script": 3}
    runnable = sorted(sources, key=lambda s: (rank.get(s.kind.value, 4), s.path))
    times = "twice (the second time for idempotence)" if config.repeat else "once"
    lines.append(f"  then {len(runnable)} seed sources, {times}, in the execution order:")
    lines.extend(f"    {s.path} ({s.kind.value})" for s in runnable)
    lines.extend(
        f"    {path} (configured: {command})"
        for path, command in config.commands.items()
        if path not in {s.path for s in runnable}
    )
    return "\n".join(lines)


def _run(
    settings: Settings,
    config: VerifyConfig,
    scan: ScanResult,
    alembic: Alembic | None,
    literals: list[LiteralUrl],
    server: ScratchServer,
    work: Path,
) -> SeederRun:
    root = settings.project_root
    skip = sqlite_files(_sqlite_database(settings.url))
    driver = config.driver or _driver(config.scratch_url or settings.url)
    context = _Context(settings, config, driver)

    # 1. the planning build: the schema at its heads, reflected, joined with the scan: section 6
    planning = work / "planning"
    copy_project(root, planning, settings.skip_dirs, skip)
    with stage("Building the schema to plan the order"), scratch_database(server) as db:
        schema_step = _schema_to_heads(alembic, config)
        if schema_step is not None:
            result = context.execute(schema_step, planning, db, None, alembic)
            if not result.succeeded:
                step = SeederStep(1, schema_step.seeder, schema_step.kind, schema_step.command, (), result)
                return context.finish(db, (step,), (), 0, literals)
        snapshot = _reflect(settings, db)
        order = _execution_order(snapshot, scan, settings)
    remove_tree(planning, log.warning)

    # 2. the run, in a fresh scratch database
    project = work / "project"
    copy_project(root, project, settings.skip_dirs, skip)
    planned = plan_steps(order, scan, project, config, alembic)
    log.info("the execution order: %d steps", len(planned))
    with scratch_database(server, keep=config.keep) as db:
        accountant = Accountant(db.url, settings.system_tables)
        first = context.run_pass(planned, project, db, accountant, alembic, "")
        snapshot = _reflect(settings, db)
        empty = tuple(_label(snapshot, s) for s in snapshot.tables if s.status is TableStatus.EMPTY)
        application = sum(1 for s in snapshot.tables if s.status is not TableStatus.SYSTEM)
        second: list[StepResult | None] = [None] * len(planned)
        schema_failed = any(p.builds_schema and not r.succeeded for p, r in zip(planned, first, strict=True))
        if config.repeat and not schema_failed:
            second = list(context.run_pass(planned, project, db, accountant, alembic, "again "))
        steps = tuple(
            SeederStep(n, p.seeder, p.kind, p.command, p.predicted, r1, r2)
            for n, (p, r1, r2) in enumerate(zip(planned, first, second, strict=True), start=1)
        )
        return context.finish(db, steps, empty, application, literals)


class _Context:
    """What every step of one run shares: settings, configuration, the URL form the steps get."""

    def __init__(self, settings: Settings, config: VerifyConfig, driver: str | None) -> None:
        self.settings = settings
        self.config = config
        self.driver = driver

    def environment(self, step: PlannedStep, db: ScratchDatabase) -> dict[str, str]:
        redirect = [self.settings.url] if self.settings.url else []
        env = step_environment(
            os.environ, db.url_for_steps(self.driver), self.config.url_variables, self.config.python, redirect
        )
        if (
            step.needs_dbaudit
        ):  # the SQL runner is dbaudit's own module: importable whatever the project's path
            import dbaudit

            here = str(Path(dbaudit.__file__).resolve().parent.parent)
            env["PYTHONPATH"] = os.pathsep.join(
                [here, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
            )
        return env

    def execute(
        self,
        step: PlannedStep,
        project: Path,
        db: ScratchDatabase,
        accountant: Accountant | None,
        alembic: Alembic | None,
    ) -> StepResult:
        if step.not_run:
            return StepResult(StepOutcome.NOT_RUN, reason=step.not_run)
        if alembic is not None:
            point_alembic_at(project / alembic.ini, db.url_for_steps(None))
        before = accountant.figures() if accountant else {}
        command = Command(project / step.cwd if step.cwd else project, step.argv, step.shell)
        done = run_step(command, self.environment(step, db), self.config.step_timeout, db.secrets)
        after = accountant.figures() if accountant else {}
        reason = f"{self.config.step_timeout:g} s" if done.outcome is StepOutcome.TIMED_OUT else None
        return StepResult(
            done.outcome, done.exit_code, done.seconds, done.error_tail, deltas(before, after), reason
        )

    def run_pass(
        self,
        planned: Sequence[PlannedStep],
        project: Path,
        db: ScratchDatabase,
        accountant: Accountant,
        alembic: Alembic | None,
        label: str,
    ) -> list[StepResult]:
        results: list[StepResult] = []
        blocked: str | None = None
        for number, step in enumerate(planned, start=1):
            head = f"[{label}{number}/{len(planned)}] {step.command or step.seeder}"
            if blocked:
                results.append(StepResult(StepOutcome.NOT_RUN, reason=blocked))
                log.info("%s: not run (%s)", head, blocked)
                continue
            log.info("%s", head)
            with stage(f"Running {step.seeder}"):
                result = self.execute(step, project, db, accountant, alembic)
            log.info("  %s", summary(result))
            results.append(result)
            # the first time, the steps after a failed schema step would only fail on missing tables; the
            # second time the schema is there, and each step is judged on its own
            if (
                not label
                and step.builds_schema
                and not result.succeeded
                and result.outcome is not StepOutcome.NOT_RUN
            ):
                blocked = f"the schema step {step.command} failed"
        return results

    def finish(
        self,
        db: ScratchDatabase,
        steps: tuple[SeederStep, ...],
        empty: tuple[str, ...],
        application: int,
        literals: list[LiteralUrl],
    ) -> SeederRun:
        from dbaudit.audit import utc_now

        findings: list[Finding] = [
            Finding(
                "literal-url",
                f"{u.path} holds a database server URL ({u.url}); it ran because of --allow-literal-urls",
                Severity.INFO,
                source=u.path,
            )
            for u in literals
        ]
        for step in steps:
            findings.extend(step_findings(step))
        for step in steps:
            findings.extend(rerun_findings(step, self.config.fail_on_rerun))
        run = SeederRun(
            generated_at=utc_now(),
            tool_version=__version__,
            dialect=db.dialect,
            scratch=db.shown,
            steps=steps,
            application_tables=application,
            empty_tables=empty,
            allowed_empty=self.config.allow_empty,
            step_timeout=self.config.step_timeout,
            repeated=self.config.repeat and any(s.second is not None for s in steps),
            strict_repeat=self.config.fail_on_rerun,
            kept=self.config.keep,
        )
        findings.extend(empty_findings(run.still_empty))
        return replace(run, findings=tuple(dict.fromkeys(findings)))


def summary(result: StepResult) -> str:
    """One progress line: the outcome, the time, the rows per table."""
    rows = ", ".join(f"+{t.added} {t.table}" for t in result.tables if t.added)
    if result.outcome is StepOutcome.OK:
        head = f"ok in {result.seconds:.1f} s"
    elif result.outcome is StepOutcome.FAILED:
        head = f"failed (exit {result.exit_code}) in {result.seconds:.1f} s"
    elif result.outcome is StepOutcome.TIMED_OUT:
        head = f"timed out after {result.reason}, stopped"
    else:
        return f"not run: {result.reason}"
    lines = result.error_tail.strip().splitlines()
    tail = f"; {lines[-1].strip()}" if lines and result.outcome is not StepOutcome.OK else ""
    return f"{head}: {rows or 'no rows added'}{tail}"


def _schema_to_heads(alembic: Alembic | None, config: VerifyConfig) -> PlannedStep | None:
    if config.migrate_command:
        return PlannedStep(
            config.migrate_command, StepKind.SCHEMA, config.migrate_command, "", (), config.migrate_command
        )
    if alembic is None:
        return None
    ini = alembic.ini.rpartition("/")[2]
    return PlannedStep(
        f"alembic upgrade {HEADS}",
        StepKind.SCHEMA,
        f"alembic upgrade {HEADS}",
        alembic.folder,
        (config.python, "-m", "alembic", "-c", ini, "upgrade", HEADS),
    )


def _reflect(settings: Settings, db: ScratchDatabase) -> DatabaseSnapshot:
    from dbaudit.reflect import reflect_database

    return reflect_database(settings.replace(url=db.url.render_as_string(hide_password=False), exact=True))


def _execution_order(
    snapshot: DatabaseSnapshot, scan: object, settings: Settings
) -> tuple[ExecutionStep, ...]:
    from dbaudit.audit import join_audit
    from dbaudit.model import ScanResult

    assert isinstance(scan, ScanResult)
    return join_audit(snapshot, scan, settings).execution_order


def _label(snapshot: DatabaseSnapshot, state: TableState) -> str:
    return state.table.key if len(snapshot.schemas) > 1 else state.table.name


def _sqlite_database(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parsed = parse_url(url)
    except DbauditError:
        return None
    from dbaudit.dialects import dialect_for

    return parsed.database if dialect_for(parsed.get_backend_name()).database_is_a_file else None


def _driver(url: str | None) -> str | None:
    """The driver of the URL the project is configured with (``postgresql+asyncpg``), kept for the steps."""
    if not url:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url.strip()).drivername
    except (ArgumentError, ValueError):
        return None


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) ends the run as Ctrl-C does: step stopped, scratch database dropped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
