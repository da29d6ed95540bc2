"""What a seeder run found, as :class:`~dbaudit.model.Finding` records with stable ``kind`` slugs.

Per step (first run): ``step-failed``, ``step-timed-out``, ``partial-seed`` (it failed after committing rows
to some tables), ``wrote-nothing`` (it ran, exit 0, and no table changed), ``scanner-miss`` (it wrote a table
the static scan did not predict), ``not-written`` (the scan predicted a table it did not write), and
``step-not-run``.  Second run: ``rerun-failed`` and ``rerun-added-rows``.  After every step: ``still-empty``
for each application table no allowed pattern covers, and ``literal-url`` where ``--allow-literal-urls`` let a
source with a server URL run.  Schema steps that write nothing are not findings: building the schema is
their job.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbaudit.markdown import code, codes, text
from dbaudit.model import Finding, SeederStep, Severity, StepKind, StepOutcome, StepResult

#: How many table names a message lists before "and N more".
LISTED = 8


def _name(step: SeederStep) -> str:
    return code(step.seeder.rsplit("/", 1)[-1]) if step.kind is not StepKind.SCHEMA else code(step.seeder)


def _tables(names: Sequence[str]) -> str:
    shown = codes(names[:LISTED])
    return f"{shown} and {len(names) - LISTED} more" if len(names) > LISTED else shown


def _last_line(result: StepResult) -> str:
    lines = result.error_tail.strip().splitlines()
    return f": {text(lines[-1].strip())}" if lines else ""


def step_findings(step: SeederStep) -> list[Finding]:
    """The findings of one step's first run, compared with what the scan predicted."""
    result = step.first
    source = step.seeder
    found: list[Finding] = []
    if result.outcome is StepOutcome.NOT_RUN:
        found.append(
            Finding("step-not-run", f"{_name(step)} was not run: {text(result.reason or '')}", source=source)
        )
        return found
    committed = list(result.added)
    if result.outcome is StepOutcome.TIMED_OUT:
        found.append(
            Finding(
                "step-timed-out",
                f"{_name(step)} did not finish within its time "
                f"({result.reason or 'the step timeout'}) and was stopped",
                Severity.ERROR,
                source=source,
            )
        )
    elif result.outcome is StepOutcome.FAILED:
        found.append(
            Finding(
                "step-failed",
                f"{_name(step)} failed (exit {result.exit_code}){_last_line(result)}",
                Severity.ERROR,
                source=source,
            )
        )
    if not result.succeeded and committed:
        found.append(
            Finding(
                "partial-seed",
                f"{_name(step)} {'failed' if result.outcome is StepOutcome.FAILED else 'was stopped'} after "
                f"committing rows to {len(committed)} table{'s' if len(committed) != 1 else ''} "
                f"({_tables(committed)}): a half-applied seed; whatever it would have written next is "
                "missing",
                Severity.ERROR,
                source=source,
            )
        )
    if result.succeeded and step.kind is not StepKind.SCHEMA and not any(t.touched for t in result.tables):
        found.append(Finding("wrote-nothing", f"{_name(step)} ran (exit 0) but wrote no rows", source=source))
    predicted = set(step.predicted)
    # a source only the configuration names was never scanned: nothing was predicted, nothing missed
    unscanned = step.kind is StepKind.COMMAND and not step.predicted
    for delta in () if unscanned else result.tables:
        if delta.added and delta.table not in predicted and delta.table.rsplit(".", 1)[-1] not in predicted:
            found.append(
                Finding(
                    "scanner-miss",
                    f"{_name(step)} wrote {code(delta.table)} (+{delta.added} rows), which the static scan "
                    "did not predict: a scanner miss (a table name computed at run time, or a way of writing "
                    "rows dbaudit does not recognise)",
                    Severity.WARNING,
                    table=delta.table,
                    source=source,
                )
            )
    if result.succeeded:
        written = {t.table for t in result.tables if t.added}
        written |= {t.rsplit(".", 1)[-1] for t in written}
        for table in step.predicted:
            if table not in written:
                found.append(
                    Finding(
                        "not-written",
                        f"the scan predicts that {_name(step)} writes {code(table)}, but it added no rows "
                        "there",
                        Severity.WARNING,
                        table=table,
                        source=source,
                    )
                )
    return found


def rerun_findings(step: SeederStep, strict: bool) -> list[Finding]:
    """The findings of one step's second run: it should succeed and add nothing."""
    result = step.second
    if result is None or result.outcome is StepOutcome.NOT_RUN:
        return []
    severity = Severity.ERROR if strict else Severity.WARNING
    found = []
    if result.outcome in (StepOutcome.FAILED, StepOutcome.TIMED_OUT):
        how = f"exit {result.exit_code}" if result.outcome is StepOutcome.FAILED else "timed out"
        found.append(
            Finding(
                "rerun-failed",
                f"{_name(step)} fails when run a second time ({how}){_last_line(result)}: it is not "
                "idempotent",
                severity,
                source=step.seeder,
            )
        )
    added = [t for t in result.tables if t.added]
    if added:
        listed = ", ".join(f"+{t.added} {code(t.table)}" for t in added[:LISTED])
        found.append(
            Finding(
                "rerun-added-rows",
                f"{_name(step)} added rows again when run a second time ({listed}): duplicates on every run",
                severity,
                source=step.seeder,
            )
        )
    return found


def empty_findings(still_empty: Sequence[str]) -> list[Finding]:
    return [
        Finding(
            "still-empty",
            f"{code(table)} is still empty after every seeder ran",
            Severity.ERROR,
            table=table,
        )
        for table in still_empty
    ]
