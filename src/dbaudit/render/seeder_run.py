"""The "Seeder run" section: what ``dbaudit verify`` saw each seeder write, shaped for the templates.

:func:`seeder_run_context` is the section of the audit (``report --verify FILE``); :func:`render_seeder_run`
renders a run on its own (``dbaudit verify``) as Markdown, JSON or HTML.  Every wording that depends on the
data is decided here; the templates (``md/seeder_run.md.j2``, ``html/seeder_run.html.j2``) lay it out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbaudit.errors import ConfigError
from dbaudit.markdown import Markdown, code, codes, fence, prose
from dbaudit.model import SeederRun, SeederStep, Severity, StepKind, StepOutcome, StepResult, TableDelta

if TYPE_CHECKING:
    from dbaudit.model import Audit
    from dbaudit.render import RenderOptions

SEVERITY_ICONS = {Severity.ERROR: "⛔", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}
FORMATS = ("md", "json", "html")


def result_label(result: StepResult | None) -> str:
    """``ok, 1.2 s`` / ``failed (exit 1), 0.4 s`` / ``timed out after 2 s`` / ``not run: why``."""
    if result is None:
        return "not repeated"
    if result.outcome is StepOutcome.OK:
        return f"ok, {result.seconds:.1f} s"
    if result.outcome is StepOutcome.FAILED:
        return f"failed (exit {result.exit_code}), {result.seconds:.1f} s"
    if result.outcome is StepOutcome.TIMED_OUT:
        return f"timed out after {result.reason or f'{result.seconds:.0f} s'}, stopped"
    return f"not run: {result.reason}" if result.reason else "not run"


def rows_added(result: StepResult | None) -> Markdown:
    if result is None:
        return Markdown("")
    parts = [f"+{t.added} {code(t.table)}" for t in result.tables if t.added]
    parts += [f"−{t.removed} {code(t.table)}" for t in result.tables if t.removed]
    return Markdown(", ".join(parts) or "none")


def _short(step: SeederStep) -> str:
    return step.seeder if step.kind is StepKind.SCHEMA else step.seeder.rsplit("/", 1)[-1]


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _table_rows(step: SeederStep, statistics: bool) -> list[list[Any]]:
    predicted = set(step.predicted)
    rows = []
    for delta in step.first.tables:
        yes = delta.table in predicted or delta.table.rsplit(".", 1)[-1] in predicted
        row: list[Any] = [code(delta.table), _count(delta.before), _count(delta.after), _change(delta)]
        if statistics:
            row += [_count(delta.inserted), _count(delta.updated), _count(delta.deleted)]
        rows.append([*row, "yes" if yes else "no"])
    written = {t.table for t in step.first.tables} | {t.table.rsplit(".", 1)[-1] for t in step.first.tables}
    for table in step.predicted:
        if table not in written:
            blank = ["", "", "", ""] if not statistics else ["", "", "", "", "", "", ""]
            rows.append([code(table), *blank[1:], "yes (not written)"])
    return rows


def _change(delta: TableDelta) -> str:
    if delta.added:
        return f"+{delta.added:,}"
    if delta.removed:
        return f"−{delta.removed:,}"
    return "0"


def run_context(run: SeederRun) -> dict[str, Any]:
    """Everything the section shows, as plain data."""
    statistics = any(t.inserted is not None for s in run.steps for t in s.first.tables)
    headers = ["Table", "Before", "After", "Rows"]
    if statistics:
        headers += ["Inserted", "Updated", "Deleted"]
    headers.append("Predicted by the scan")
    by_source: dict[str, list[dict[str, Any]]] = {}
    for finding in run.findings:
        if finding.source:
            by_source.setdefault(finding.source, []).append(_finding(finding))
    steps = []
    for step in run.steps:
        first = step.first
        tail = first.error_tail if first.outcome in (StepOutcome.FAILED, StepOutcome.TIMED_OUT) else ""
        steps.append(
            {
                "number": step.number,
                "name": _short(step),
                "seeder": step.seeder,
                "kind": step.kind.value,
                "command": step.command,
                "outcome": first.outcome.value,
                "result": result_label(first),
                "added": rows_added(first),
                "predicted": codes(step.predicted) if step.predicted else Markdown("nothing"),
                "rows": _table_rows(step, statistics),
                "error_tail": fence(tail, "text") if tail else None,
                "error_lines": tail,
                "findings": by_source.get(step.seeder, []),
                "second": result_label(step.second),
                "second_outcome": step.second.outcome.value if step.second else None,
                "added_again": rows_added(step.second),
            }
        )
    reasons = []
    if run.failed_steps:
        names = codes(_short(s) for s in run.failed_steps)
        reasons.append(
            f"{len(run.failed_steps)} step{'s' if len(run.failed_steps) != 1 else ''} failed ({names})"
        )
    if run.still_empty:
        reasons.append(
            f"{len(run.still_empty)} application table{'s' if len(run.still_empty) != 1 else ''} still empty"
        )
    if run.strict_repeat and run.unrepeatable_steps:
        reasons.append(f"{len(run.unrepeatable_steps)} step(s) not idempotent (--fail-on-rerun)")
    allowed = [t for t in run.empty_tables if t not in run.still_empty]
    return {
        "passed": run.passed,
        "gate": Markdown("**Gate: passed**" if run.passed else "**Gate: failed**: " + "; ".join(reasons)),
        "intro": Markdown(
            f"Every existing seeder, in the execution order, run in a scratch database ({code(run.scratch)}, "
            f"{run.dialect}) built the project's way, with a step timeout of {run.step_timeout:g} s"
            + (" (kept: `--keep`)" if run.kept else ", dropped afterwards")
            + ". Rows are counted before and after each step"
            + (
                "; Inserted / Updated / Deleted come from PostgreSQL's statistics, which also count rows "
                "of transactions rolled back"
                if statistics
                else ""
            )
            + "."
        ),
        "headers": headers,
        "summary_headers": ["#", "Step", "Command", "Result", "Rows"],
        "summary": [
            [s["number"], code(s["name"]), code(s["command"]), s["result"], s["added"]] for s in steps
        ],
        "steps": steps,
        "repeated": run.repeated,
        "idempotence_headers": ["#", "Step", "Second run", "Rows added again"],
        "idempotence": [
            [str(s["number"]), code(s["name"]), s["second"], s["added_again"]]
            for s in steps
            if s["second_outcome"]
        ],
        "application_tables": run.application_tables,
        "still_empty": codes(run.still_empty) if run.still_empty else None,
        "allowed_empty": codes(allowed) if allowed else None,
        "allowed_patterns": codes(run.allowed_empty) if run.allowed_empty else None,
        "findings": [_finding(f) for f in run.findings],
    }


def _finding(finding: Any) -> dict[str, Any]:
    return {
        "icon": SEVERITY_ICONS[finding.severity],
        "severity": finding.severity.value,
        "kind": finding.kind,
        "message": prose(finding.message),
    }


def seeder_run_context(audit: Audit, options: RenderOptions) -> dict[str, Any] | None:
    """The audit's "Seeder run" section: only with a saved run (``report --verify FILE``)."""
    return None if audit.seeder_run is None else run_context(audit.seeder_run)


def render_seeder_run(run: SeederRun, fmt: str, options: RenderOptions | None = None) -> str:
    """A seeder run on its own, as ``md``, ``json`` (the saved form ``report --verify`` reads) or ``html``."""
    import jinja2

    from dbaudit.render import RenderOptions, environment

    if fmt == "json":
        from dbaudit.render.jsondoc import to_json

        return to_json(run.to_dict())
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}", f"choose one of {', '.join(FORMATS)}")
    options = options or RenderOptions()
    env = environment(options.template_dir)
    context: dict[str, Any] = {"run": run, "data": run_context(run)}
    if fmt == "html":
        from markupsafe import Markup

        from dbaudit.render.inline import prose_html

        context["md"] = lambda source: Markup(prose_html(str(source)))
    name = "verify.md.j2" if fmt == "md" else "verify.html.j2"
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        raise ConfigError(
            f"template {name} failed: {exc}",
            "fix the template, or drop --template-dir to use the bundled ones",
        ) from exc
