"""The ``dbaudit`` command line: a thin shell over the library.

Each command parses its options into :class:`~dbaudit.config.Settings`, calls one library function, renders
the result and maps errors to exit codes in one place (:func:`main`): 0 success, 1 findings (a gate failed),
2 could not run.  Heavy modules are imported inside the commands so ``dbaudit --help`` starts fast.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from dbaudit import __version__
from dbaudit.errors import ConfigError, DbauditError
from dbaudit.urls import scrub

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("dbaudit")


class _State:
    traceback = False
    secrets: tuple[str, ...] = ()
    #: set by a command whose process holds much it need not free one object at a time (see console)
    quick_exit = False
    #: set by the console script only: in-process callers (tests, embedding) never get a helper process
    use_helper = False


def _remember_secret(url: str | None) -> None:
    """Keep the password of a URL given on the command line so any message can be scrubbed of it."""
    if not url:
        return
    try:
        from dbaudit.urls import parse_url, url_secrets

        secrets = url_secrets(parse_url(url))
    except DbauditError:
        return
    _State.secrets = (*_State.secrets, *secrets)


def db_options(func: F) -> F:
    """Options every command that talks to a database shares."""
    options = [
        click.option("--url", envvar=None, help="Database URL (else DBAUDIT_URL, DATABASE_URL, config)."),
        click.option(
            "--schema",
            "schemas",
            multiple=True,
            help="Schema to audit; repeatable. Default: the connection's default schema.",
        ),
        click.option("--all-schemas", is_flag=True, default=None, help="Audit every non-system schema."),
        click.option("--include", multiple=True, help="Only tables matching this glob; repeatable."),
        click.option("--exclude", multiple=True, help="Skip tables matching this glob; repeatable."),
        click.option(
            "--project",
            "project_root",
            type=click.Path(file_okay=False, path_type=Path),
            help="Project root (default: nearest folder with pyproject.toml, dbaudit.toml or alembic.ini).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def output_options(formats: tuple[str, ...]) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        func = click.option(
            "--template-dir",
            type=click.Path(file_okay=False, exists=True, path_type=Path),
            help="Folder of Jinja2 templates overriding the bundled ones.",
        )(func)
        func = click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
            help="Write to FILE instead of standard output ('-' is standard output).",
        )(func)
        func = click.option(
            "--format", "fmt", type=click.Choice(formats), default=formats[0], show_default=True
        )(func)
        return func

    return decorate


def color_option(func: F) -> F:
    return click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Colour in the terminal summary (auto: on a terminal, unless NO_COLOR is set).",
    )(func)


#: Options that shape the document: given one, a person asks for the document, not the summary.
DOCUMENT_OPTIONS = ("fmt", "only", "min_rows", "template_dir")


def terminal_summary(output: Path | None) -> bool:
    """Whether to print the compact summary instead of the document: standard output is a terminal and
    neither -o nor an option that shapes the document (--format, --only, --min-rows, --template-dir) was
    given (``-o -`` asks for the document on standard output)."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    chosen = any(
        ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT) for name in DOCUMENT_OPTIONS
    )
    return output is None and not chosen and sys.stdout.isatty()


def use_color(choice: str) -> bool:
    """``--color``: ``always``, ``never``, or ``auto``: on a terminal, unless ``NO_COLOR`` is set."""
    if choice != "auto":
        return choice == "always"
    return not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def emit_summary(audit: Any, color: str, command: str) -> None:
    import shutil

    from dbaudit.render.terminal import render_summary

    width = shutil.get_terminal_size((100, 30)).columns
    emit(render_summary(audit, width=width, color=use_color(color), command=command), None)


def settings_from(**options: Any) -> Any:
    """Resolve :class:`Settings` from command-line options (``None`` / empty means not given)."""
    from dbaudit.config import load_settings

    _remember_secret(options.get("url"))
    settings = load_settings(options)
    _remember_secret(settings.url)
    return settings


def emit(text: str, output: Path | None) -> None:
    """Write a rendered document to ``output`` or stdout; stdout carries nothing else.

    The document is UTF-8 whatever the locale: a file name that is not valid UTF-8 (surrogates from the file
    system) is written with backslash escapes instead of raw bytes or an encoding error.
    """
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DbauditError(f"cannot write {output}: {exc.strerror}", "check the path") from exc
    log.info("wrote %s", output)


class _Verbosity:
    """The global options as given so far: before the command (``dbaudit -v report``) and after it
    (``dbaudit report -v``), as pytest and alembic users type them."""

    verbose = 0
    quiet = False


def _configure_logging() -> None:
    verbose, quiet = _Verbosity.verbose, _Verbosity.quiet
    _State.traceback = _State.traceback or verbose >= 2
    level = logging.ERROR if quiet else (logging.DEBUG if verbose >= 2 else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ScrubbingFormatter("%(message)s"))
    root = logging.getLogger("dbaudit")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    if quiet:
        from dbaudit.progress import disable

        disable()


def _add_verbose(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value:
        _Verbosity.verbose += value
        _configure_logging()
    return value


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        _Verbosity.quiet = True
        _configure_logging()
    return value


def _set_traceback(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        _State.traceback = True
    return value


def global_options(func: F) -> F:
    """``--traceback``, ``-v`` and ``-q``: accepted before the command and after it."""
    options = [
        click.option(
            "--traceback",
            is_flag=True,
            expose_value=False,
            callback=_set_traceback,
            help="Show the full stack trace of an error.",
        ),
        click.option(
            "-v",
            "--verbose",
            count=True,
            expose_value=False,
            callback=_add_verbose,
            help="More log output on stderr (-vv for debug); more detail in seed and purge summaries.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_set_quiet,
            help="Only errors on stderr.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def verbosity() -> int:
    """How many ``-v`` were given, before and after the command."""
    return _Verbosity.verbose


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="dbaudit")
@global_options
def cli() -> None:
    """Audit which tables are populated, which seed sources fill them, and fill the gaps.

    Shell completion (bash, zsh, fish): eval "$(_DBAUDIT_COMPLETE=bash_source dbaudit)".
    """
    _configure_logging()


class _ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record), _State.secrets)


@cli.command()
@global_options
@db_options
@output_options(("md", "json", "html"))
@click.option("--exact", is_flag=True, default=None, help="Exact COUNT(*) for every table.")
@click.option("--no-counts", "no_counts", is_flag=True, help="Only probe: populated or empty.")
@click.option("--scan/--no-scan", default=True, help="Scan the project's seed sources (section 2).")
@click.option(
    "--only",
    type=click.Choice(["empty", "populated", "uncovered"]),
    help="Only list tables of this kind in section 1.",
)
@click.option("--min-rows", type=int, help="Only list tables with at least N rows in section 1.")
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A saved JSON audit: adds 'Changes since the previous audit'.",
)
@click.option(
    "--verify",
    "verify_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A saved seeder run (dbaudit verify --format json): adds the 'Seeder run' section.",
)
@color_option
def report(
    color: str,
    fmt: str,
    output: Path | None,
    template_dir: Path | None,
    exact: bool | None,
    no_counts: bool,
    scan: bool,
    only: str | None,
    min_rows: int | None,
    baseline: Path | None,
    verify_file: Path | None,
    **options: Any,
) -> None:
    """Audit the database (and the project's seed sources) and print the report.

    Never writes to the database: everything runs in a read-only transaction.
    """
    from dbaudit.audit import build_audit
    from dbaudit.audit_file import load_audit
    from dbaudit.render import RenderOptions, render

    settings = settings_from(
        exact=exact, counts=False if no_counts else None, template_dir=template_dir, **options
    )
    # a baseline that cannot be read fails before the database work, not after
    previous = load_audit(baseline) if baseline is not None else None
    label = baseline.name if baseline is not None else None
    run = None
    if verify_file is not None:  # as with the baseline: a bad file fails before the database work
        from dbaudit.verify import load_run

        run = load_run(verify_file)
    # On a terminal the scan shows its progress (files scanned), which only this process can draw: it scans
    # here then.  Elsewhere it runs in a helper process while the database is read.
    from dbaudit.progress import shown

    scanned = start_report_scan(settings) if scan and _State.use_helper and not shown() else None
    from dbaudit.reflect import collector_relaxed

    with collector_relaxed():
        audit = build_audit(
            settings, scan=scan, baseline=previous, baseline_label=label, seeder_run=run, scanned=scanned
        )
        if terminal_summary(output):
            emit_summary(audit, color, "dbaudit report")
            return
        text = render(
            audit, fmt, RenderOptions(template_dir=settings.template_dir, only=only, min_rows=min_rows)
        )
    emit(text, output)


def start_report_scan(settings: Any) -> Callable[[], Any] | None:
    """From the console script: scan the project in a helper process (see dbaudit.helper) while this one
    reads the database; what gives the scan's result, or ``None`` where no helper could start (the audit then
    scans in this process).  The scanner is imported there, never here."""
    from dbaudit import helper

    # nothing to import ahead there: the scan starts at once and imports what it needs (Alembic only for a
    # project configured for it)
    if not helper.start("dbaudit.scan.scanner"):
        return None
    return helper.submit(_scan_project, settings.project_root, settings).result


def _scan_project(root: Path, settings: Any) -> Any:
    # a module-level function of this module, so that the call names no scanner module (see _render_scan)
    from dbaudit.scan import scan_sources

    return scan_sources(root, settings)


def start_scan_helper(root: Path, skip_dirs: Iterable[str], fmt: str, template_dir: Path | None) -> None:
    """Start the helper process of a scan (see dbaudit.helper), importing on the other core what the scan
    calls into there: Alembic where the project may hold an Alembic configuration (it imports SQLAlchemy, the
    largest import of all), sqlglot for the SQL strings (dbaudit.scan.sql), and what renders the result.  The
    scanner's own modules are not imported yet, so that their import overlaps these."""
    from dbaudit import helper
    from dbaudit.scan.alembic_config import may_be_configured

    # in the order the scan needs them: the configuration is read first, SQL strings while following
    # writes, the rendering last
    modules = ["alembic.config"] if may_be_configured(root, skip_dirs) else []
    modules += ["dbaudit.scan.sql_parser", "dbaudit.render.scan"]
    if fmt == "md":
        modules += ["jinja2", "tabulate"]
    helper.start(
        *modules, prepare=functools.partial(_prepare_scan_markdown, template_dir) if fmt == "md" else None
    )


def _prepare_scan_markdown(template_dir: Path | None) -> None:
    from dbaudit.render.templates import environment

    environment(template_dir).get_template("scan.md.j2")


def _render_scan(result: Any, fmt: str, template_dir: Path | None) -> str:
    # imported here, not at the call: from the command line this runs in the helper, and this process never
    # imports the renderer at all
    from dbaudit.render.scan import render_scan

    return render_scan(result, fmt, template_dir)


@cli.command()
@global_options
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--explain",
    metavar="TABLE",
    help="Show each path from an entry point to each write into TABLE (file:line per hop), or, when no "
    "source writes it, the nearest writes seen and why they do not count.",
)
@output_options(("md", "json"))
def scan(
    path: Path | None, explain: str | None, fmt: str, output: Path | None, template_dir: Path | None
) -> None:
    """Scan PATH's seed scripts, SQL and fixture files and Alembic revisions: which tables each populates.

    Static analysis only: no database is needed and the project's code is never imported or run.
    PATH defaults to the project root (the nearest folder with pyproject.toml, dbaudit.toml or alembic.ini).
    """
    settings = settings_from(project_root=path, template_dir=template_dir)
    if _State.use_helper:
        # A process that ends when the scan does: the cyclic collector would walk the growing heap of imported
        # modules and parsed files again and again (a tenth of the time of a large scan) to free almost
        # nothing, since syntax trees hold no cycles; what little it could free goes back at exit anyway.
        gc.disable()
        start_scan_helper(settings.project_root, settings.skip_dirs, fmt, settings.template_dir)
    if explain is not None:
        from dbaudit.render.explain import render_explanation
        from dbaudit.scan.explain import explain_table

        if not explain.strip():
            raise ConfigError("--explain needs a table name", "pass a table, e.g. --explain users")
        emit(render_explanation(explain_table(settings.project_root, settings, explain.strip()), fmt), output)
        return
    from dbaudit import helper
    from dbaudit.scan import scan_sources

    result = scan_sources(settings.project_root, settings)
    # rendered in the helper when one runs, which imported the renderer and Jinja2 meanwhile
    emit(helper.call(_render_scan, result, fmt, settings.template_dir), output)
    _State.quick_exit = True


@cli.command()
@global_options
@click.argument("target", required=False, type=click.Path(file_okay=False, path_type=Path))
@output_options(("md", "json", "html"))
@color_option
def demo(target: Path | None, color: str, fmt: str, output: Path | None, template_dir: Path | None) -> None:
    """Build the bundled example application on SQLite and print its audit.

    TARGET is the folder to copy the example into (default: a temporary folder, removed afterwards).
    """
    from dbaudit.demo import run_demo
    from dbaudit.render import RenderOptions, render

    audit = run_demo(target)
    if terminal_summary(output):
        emit_summary(audit, color, "dbaudit demo")
        return
    emit(render(audit, fmt, RenderOptions(template_dir=template_dir)), output)


#: The one meaning of ``--fail-under``, in ``check`` and ``diff`` alike.
FAIL_UNDER_HELP = (
    "Fail (exit 1) when seeding coverage is under PCT percent "
    "(default: setting fail_under in [tool.dbaudit])."
)


@cli.command("render")
@global_options
@click.argument("audit_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@output_options(("md", "html", "json"))
@color_option
def render_saved(
    audit_file: Path, color: str, fmt: str, output: Path | None, template_dir: Path | None
) -> None:
    """Re-render a saved audit (dbaudit report --format json -o AUDIT.json) as Markdown, HTML or JSON.

    No database and no project needed: the document is read, checked against its schema version and
    rendered as report would have rendered it.
    """
    from dbaudit.audit_file import load_audit
    from dbaudit.render import RenderOptions, render

    audit = load_audit(audit_file)
    if terminal_summary(output):
        emit_summary(audit, color, f"dbaudit render {audit_file.name}")
        return
    emit(render(audit, fmt, RenderOptions(template_dir=template_dir)), output)


def gate_options(func: F) -> F:
    """The CI gates ``diff`` shares: ``--fail-under``, ``--fail-on-drop`` and ``--fail-on``."""
    options = [
        click.option(
            "--fail-under",
            type=click.FloatRange(0, 100),
            metavar="PCT",
            help=FAIL_UNDER_HELP,
        ),
        click.option(
            "--fail-on-drop/--no-fail-on-drop",
            default=None,
            help="Fail when coverage went down (default: on; setting fail_on_drop).",
        ),
        click.option(
            "--fail-on",
            multiple=True,
            metavar="GATES",
            help="Also fail on these regressions, comma-separated: newly-empty, new-uncovered, stale "
            "(setting fail_on).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.command()
@global_options
@click.argument("base", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("head", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--base-ref", metavar="REF", help="Take the baseline from this git ref instead of a BASE file.")
@click.option(
    "--baseline-path",
    metavar="PATH",
    help="The audit committed at --base-ref, relative to the project (default: setting baseline_path, "
    "AUDIT.json). Without it at REF, the ref's seed sources are scanned from git.",
)
@gate_options
@db_options
@output_options(("md", "json"))
def diff(
    base: Path | None,
    head: Path | None,
    base_ref: str | None,
    baseline_path: str | None,
    fail_under: float | None,
    fail_on_drop: bool | None,
    fail_on: tuple[str, ...],
    fmt: str,
    output: Path | None,
    template_dir: Path | None,
    **options: Any,
) -> int:
    """Compare a baseline audit with a newer one and gate on seeding coverage (exit 1 when a gate fails).

    BASE and HEAD are saved JSON audits (dbaudit report --format json). HEAD defaults to a fresh audit of
    the project and database. With --base-ref, the baseline comes from git history and a single file
    argument is the HEAD.
    """
    from dbaudit.diff import GatePolicy, parse_fail_on
    from dbaudit.diff.run import run_diff
    from dbaudit.gitrepo import repository_prefix
    from dbaudit.render.diff import render_diff, render_diff_markdown
    from dbaudit.render.github import in_github_actions, publish

    settings = settings_from(
        template_dir=template_dir,
        fail_under=fail_under,
        fail_on_drop=fail_on_drop,
        fail_on=fail_on,
        **options,
    )
    policy = GatePolicy(
        fail_under=settings.fail_under,
        fail_on_drop=settings.fail_on_drop,
        fail_on=parse_fail_on(settings.fail_on),
    )
    result = run_diff(settings, policy, base=base, head=head, base_ref=base_ref, baseline_path=baseline_path)
    emit(render_diff(result.diff, result.gates, fmt, settings.template_dir), output)
    if in_github_actions(os.environ):
        summary = render_diff_markdown(result.diff, result.gates, settings.template_dir)
        prefix = repository_prefix(settings.project_root)
        publish(summary, result.diff.new_findings, os.environ, sys.stderr, prefix)
    return EXIT_OK if result.passed else EXIT_FINDINGS


@cli.command()
@global_options
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help=FAIL_UNDER_HELP,
)
@click.option(
    "--audit",
    "audit_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Check this saved JSON audit instead of auditing now.",
)
@db_options
@output_options(("md", "json"))
def check(
    fail_under: float | None,
    audit_file: Path | None,
    fmt: str,
    output: Path | None,
    template_dir: Path | None,
    **options: Any,
) -> int:
    """Gate one audit on its seeding coverage: exit 1 when it is under --fail-under."""
    from dbaudit.diff.run import run_check
    from dbaudit.render.diff import render_check
    from dbaudit.render.github import append_step_summary, in_github_actions

    settings = settings_from(template_dir=template_dir, fail_under=fail_under, **options)
    if settings.fail_under is None:
        raise ConfigError(
            "check needs a threshold", "pass --fail-under PCT or set fail_under in [tool.dbaudit]"
        )
    result = run_check(settings, settings.fail_under, audit=audit_file)
    emit(render_check(result.check, fmt, settings.template_dir), output)
    if in_github_actions(os.environ):
        append_step_summary(render_check(result.check, "md", settings.template_dir), os.environ)
    return EXIT_OK if result.passed else EXIT_FINDINGS


@cli.command()
@global_options
@db_options
@click.option("--missing", is_flag=True, help="Seed every empty application table (and parents it needs).")
@click.option("--tables", "tables", multiple=True, metavar="A,B", help="Seed these tables (comma-separated).")
@click.option("--rows", "rows", multiple=True, metavar="N|TABLE=N", help="Rows per table; TABLE=N for one.")
@click.option(
    "--seed", "seed_value", type=int, default=0, show_default=True, help="Seed of every random choice."
)
@click.option("--dry-run", is_flag=True, help="Print the plan, run the inserts, roll everything back.")
@click.option(
    "--show",
    type=click.IntRange(min=0, max=1000),
    default=0,
    metavar="N",
    help="Print N sample rows of every table (with --dry-run: see the rows before writing them).",
)
@click.option("--force", is_flag=True, help="Purge the tables' earlier mock rows first.")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--tenant", help="Tenant (value of a tenant column) the new rows belong to.")
@click.option(
    "--allow-trigger-inserts",
    is_flag=True,
    help="Let rows that triggers insert into other tables in (recorded and purged with the rest).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="All or nothing: a table that cannot be filled rolls the whole run back (exit 2).",
)
@click.option(
    "--lock-timeout",
    "lock_timeout",
    type=click.FloatRange(min=0, min_open=True, max=86_400),
    help="Seconds to wait for a lock held by another run or transaction (default 10).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def seed(
    fmt: str,
    missing: bool,
    tables: tuple[str, ...],
    rows: tuple[str, ...],
    seed_value: int,
    dry_run: bool,
    force: bool,
    assume_yes: bool,
    tenant: str | None,
    allow_trigger_inserts: bool,
    strict: bool,
    show: int,
    **options: Any,
) -> int:
    """Fill empty tables with realistic mock rows, marked and recorded so `dbaudit purge` can remove them.

    Exit 0 when every target table was filled, 1 when some were skipped (each listed with its reason code and
    the database's own message), 2 when the run could not start (or, with --strict, stopped).
    """
    from dbaudit.render.seed_text import render_plan, render_seed_json, render_seed_report
    from dbaudit.seed import PlanRequest, plan_seed, run_seed
    from dbaudit.seed.plan import parse_rows_options, parse_table_list

    default_rows, per_table = parse_rows_options(rows)
    request = PlanRequest(
        tables=parse_table_list(tables),
        missing=missing,
        rows=default_rows,
        rows_per_table=per_table,
        seed=seed_value,
        tenant=tenant,
        strict=strict,
        show=show,
    )
    settings = settings_from(**options)
    if not dry_run and not assume_yes:
        if not sys.stdin.isatty():
            raise DbauditError("seed writes to the database: pass --yes to confirm (no terminal to ask on)")
        emit(render_plan(plan_seed(settings, request)), None)
        click.confirm("Insert these rows?", abort=True)
    from dbaudit.progress import phase, stage

    with stage("Seeding"):
        phase("rows inserted", unit="rows")
        report = run_seed(
            settings, request, dry_run=dry_run, force=force, allow_trigger_inserts=allow_trigger_inserts
        )
    # a dry run is asked for to see what would be written: every table, as -v
    every_table = verbosity() >= 1 or dry_run
    text = render_seed_report(report, every_table=every_table) if fmt == "text" else render_seed_json(report)
    emit(text, None)
    return EXIT_FINDINGS if report.plan.skipped else EXIT_OK


@cli.command()
@global_options
@db_options
@click.option("--tables", "tables", multiple=True, metavar="A,B", help="Only these tables (comma-separated).")
@click.option("--run", "run_id", metavar="RUN_ID", help="Only the rows of this seed run.")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; delete nothing.")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--lock-timeout",
    "lock_timeout",
    type=click.FloatRange(min=0, min_open=True, max=86_400),
    help="Seconds to wait for a lock held by another run or transaction (default 10).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def purge(
    tables: tuple[str, ...], run_id: str | None, dry_run: bool, assume_yes: bool, fmt: str, **options: Any
) -> int:
    """Delete the mock rows `dbaudit seed` inserted (children first); refuse if real rows point at them.

    Exit 0 when every selected mock row is gone, 1 when some were kept with their ledger entries (a table
    re-created, renamed or without its mark column since the seed, row-level security, rows changed since
    the seed), 2 when the purge was refused as a whole (nothing deleted) or could not run.
    """
    from dbaudit.errors import SeedError
    from dbaudit.render.seed_text import render_purge_report, render_seed_json
    from dbaudit.seed import purge as purge_rows
    from dbaudit.seed.plan import parse_table_list

    settings = settings_from(**options)
    selected = parse_table_list(tables) or None
    if not dry_run and not assume_yes:
        if not sys.stdin.isatty():
            raise DbauditError("purge deletes rows: pass --yes to confirm (no terminal to ask on)")
        emit(render_purge_report(purge_rows(settings, tables=selected, run_id=run_id, dry_run=True)), None)
        click.confirm("Delete these mock rows?", abort=True)
    from dbaudit.progress import phase, stage

    with stage("Purging"):
        phase("rows deleted", unit="rows")
        report = purge_rows(settings, tables=selected, run_id=run_id, dry_run=dry_run)
    every_table = verbosity() >= 1 or dry_run
    text = render_purge_report(report, every_table=every_table) if fmt == "text" else render_seed_json(report)
    emit(text, None)
    if report.blocked:
        tables_named = ", ".join(sorted({b.table for b in report.blocked}))
        raise SeedError(f"purge refused: real rows in {tables_named} reference mock rows (listed above)")
    return EXIT_OK if report.complete else EXIT_FINDINGS


@cli.command()
@global_options
@db_options
@click.option(
    "--scratch-url",
    metavar="URL",
    help="Server to make the scratch database on (default: the configured database's; sqlite:// for a "
    "temporary SQLite file).",
)
@click.option("--keep", is_flag=True, help="Keep the scratch database and the working copy afterwards.")
@click.option(
    "--step-timeout",
    type=click.FloatRange(min=0, min_open=True, max=86_400),
    metavar="SECONDS",
    help="Stop a step that runs longer (default 600, or step_timeout in [tool.dbaudit.verify]).",
)
@click.option("--allow-empty", multiple=True, metavar="GLOB", help="A table meant to stay empty; repeatable.")
@click.option(
    "--allow-literal-urls", is_flag=True, help="Run sources even if their code holds a database server URL."
)
@click.option("--once", is_flag=True, help="Run every step once: no second run for idempotence.")
@click.option(
    "--fail-on-rerun", is_flag=True, help="Also fail when a step fails or adds rows on its second run."
)
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask for confirmation.")
@output_options(("md", "json", "html"))
def verify(
    scratch_url: str | None,
    keep: bool,
    step_timeout: float | None,
    allow_empty: tuple[str, ...],
    allow_literal_urls: bool,
    once: bool,
    fail_on_rerun: bool,
    assume_yes: bool,
    fmt: str,
    output: Path | None,
    template_dir: Path | None,
    **options: Any,
) -> int:
    """Run every seeder, in the execution order, in a scratch database, and record what each one wrote.

    The schema is built the project's way (alembic upgrade, or migrate_command), then each existing seed
    source runs with DATABASE_URL pointing at the scratch database, in a temporary copy of the project, and
    again to check it is idempotent. The configured database is never written. Exit 0 when every step
    succeeded and no application table is left empty (but --allow-empty ones), 1 when not, 2 when it could
    not run.
    """
    from dbaudit.render import RenderOptions
    from dbaudit.render.seeder_run import render_seeder_run
    from dbaudit.verify import VerifyOptions, run_verify

    settings = settings_from(template_dir=template_dir, **options)
    _remember_secret(scratch_url)

    def confirm(description: str) -> None:
        click.echo(scrub(description, _State.secrets), err=True)
        if assume_yes:
            return
        if not sys.stdin.isatty():
            raise DbauditError(
                "verify runs the project's code: pass --yes to confirm (no terminal to ask on)"
            )
        click.confirm("Run them?", abort=True, err=True)

    run = run_verify(
        settings,
        VerifyOptions(
            scratch_url=scratch_url,
            keep=keep,
            step_timeout=step_timeout,
            allow_empty=allow_empty,
            allow_literal_urls=allow_literal_urls,
            repeat=not once,
            fail_on_rerun=fail_on_rerun,
        ),
        confirm=confirm,
    )
    emit(render_seeder_run(run, fmt, RenderOptions(template_dir=settings.template_dir)), output)
    return EXIT_OK if run.passed else EXIT_FINDINGS


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every error into one scrubbed line and exit code 2."""
    _State.traceback = False
    _State.quick_exit = False
    _Verbosity.verbose, _Verbosity.quiet = 0, False
    from dbaudit.progress import enable

    enable()
    try:
        code = cli.main(args=argv, prog_name="dbaudit", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            click.echo("dbaudit: interrupted; nothing was committed", err=True)
            sys.exit(130)
        click.echo("dbaudit: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except DbauditError as exc:
        _fail(exc, str(exc))
    except KeyboardInterrupt:
        click.echo("dbaudit: interrupted; nothing was committed", err=True)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: still one line, still no password
        _fail(exc, f"internal error: {type(exc).__name__}: {exc} (run with --traceback for details)")
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def console() -> None:
    """The console script: :func:`main`, where a scan may use a helper process (dbaudit.helper); then,
    after a scan, the process ends without freeing its objects one by one.  A scan keeps every parsed
    module of the project; freeing them at exit takes a tenth of a second on a large project and gives
    back nothing the system would not take back anyway.  In-process callers (tests, embedding) call
    :func:`main`, which never starts a helper and exits normally."""
    _State.use_helper = True
    try:
        main()
    except SystemExit as done:
        if not _State.quick_exit:
            raise
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else EXIT_ERROR)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe or stream: nothing more to say there
                code = code or EXIT_ERROR
        from dbaudit import helper

        helper.stop()
        os._exit(code)


def _fail(exc: BaseException, message: str) -> None:
    if _State.traceback:
        import traceback

        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        sys.stderr.write(scrub(text, _State.secrets))
    click.echo(f"dbaudit: error: {scrub(message, _State.secrets)}", err=True)
    code = getattr(exc, "exit_code", EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else EXIT_ERROR)
