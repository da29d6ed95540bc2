"""CI gates over an audit diff: each gate passes, fails or is skipped, with a message a reviewer can read.

``--fail-under`` means one thing in ``check`` and ``diff``: the coverage is under the threshold (a project
still under it, raising its coverage step by step, gates on ``--fail-on-drop`` alone).  ``--fail-on-drop``
fails when coverage went down.  The ``--fail-on`` gates name one kind of regression each and fail when it
appears, whatever happened to the percentage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dbaudit.compare import audit_label, figures, uncovered_tables
from dbaudit.errors import BaselineError, ConfigError
from dbaudit.model import (
    Audit,
    AuditDiff,
    CoverageCheck,
    CoverageFigures,
    Finding,
    GateResult,
    Outcome,
    any_failed,
)

#: The regressions ``--fail-on`` can name.
FAIL_ON_CHOICES: tuple[str, ...] = ("newly-empty", "new-uncovered", "stale")

#: Finding kinds the ``stale`` gate fails on: a source writing a table the database does not have, and a
#: table a source covers that is empty in the database (the seed was not run, or is broken).
STALE_FINDING_KINDS: frozenset[str] = frozenset({"stale-reference", "unknown-table", "seeded-but-empty"})


@dataclass(frozen=True)
class GatePolicy:
    """Which gates run.  The defaults are what a pull request gets with no options: coverage must not drop."""

    fail_under: float | None = None
    fail_on_drop: bool = True
    fail_on: tuple[str, ...] = ()


def parse_fail_on(values: Iterable[str]) -> tuple[str, ...]:
    """``("newly-empty,stale", "new-uncovered")`` -> the named gates, in the canonical order, validated."""
    names = {part.strip() for value in values for part in value.split(",") if part.strip()}
    unknown = sorted(names - set(FAIL_ON_CHOICES))
    if unknown:
        raise ConfigError(
            f"unknown --fail-on gate {', '.join(map(repr, unknown))}",
            f"choose from {', '.join(FAIL_ON_CHOICES)}",
        )
    return tuple(name for name in FAIL_ON_CHOICES if name in names)


def check_fail_under(value: float | None) -> None:
    if value is not None and not 0 <= value <= 100:
        raise ConfigError(f"--fail-under {value:g} is not a percentage", "give a number from 0 to 100")


def evaluate_gates(diff: AuditDiff, policy: GatePolicy) -> tuple[GateResult, ...]:
    """Run the gates ``policy`` asks for over ``diff``, in a fixed order."""
    check_fail_under(policy.fail_under)
    results: list[GateResult] = []
    if policy.fail_under is not None:
        results.append(_fail_under(diff.after, policy.fail_under))
    if policy.fail_on_drop:
        results.append(_drop(diff))
    for name in parse_fail_on(policy.fail_on):
        results.append(_REGRESSION_GATES[name](diff))
    return tuple(results)


def check_audit(audit: Audit, fail_under: float) -> tuple[GateResult, ...]:
    """The one-audit gate of ``dbaudit check``: coverage at least ``fail_under`` percent."""
    check_fail_under(fail_under)
    current = figures(audit)
    if current is None:
        raise BaselineError(
            "the audit has no coverage (it ran without a scan of the seed sources)",
            "run the audit with the scan, or pass an audit saved by 'dbaudit report --format json'",
        )
    return (_fail_under(current, fail_under),)


def check_coverage(audit: Audit, fail_under: float) -> CoverageCheck:
    """``dbaudit check``: the gate of :func:`check_audit` with what its report shows."""
    return CoverageCheck(
        label=audit_label(audit),
        coverage=figures(audit),
        uncovered=uncovered_tables(audit),
        gates=check_audit(audit, fail_under),
    )


def _fail_under(after: CoverageFigures | None, threshold: float) -> GateResult:
    if after is None:
        return GateResult("fail-under", Outcome.SKIPPED, "no coverage in the audit (it ran without a scan)")
    figures_text = f"{after.percent:.1f}% ({after.covered}/{after.tables} tables)"
    if after.percent >= threshold:
        return GateResult("fail-under", Outcome.PASSED, f"coverage {figures_text} is at least {threshold:g}%")
    return GateResult("fail-under", Outcome.FAILED, f"coverage {figures_text} is under {threshold:g}%")


def _drop(diff: AuditDiff) -> GateResult:
    if diff.before is None or diff.after is None:
        side = "baseline" if diff.before is None else "current audit"
        return GateResult("drop", Outcome.SKIPPED, f"the {side} has no coverage to compare")
    text = f"{diff.before.percent:.1f}% -> {diff.after.percent:.1f}%"
    if diff.coverage_dropped:
        lost = (*diff.newly_uncovered, *diff.new_uncovered_tables)
        return GateResult("drop", Outcome.FAILED, f"coverage dropped: {text}", lost)
    return GateResult("drop", Outcome.PASSED, f"coverage did not drop: {text}")


def _newly_empty(diff: AuditDiff) -> GateResult:
    if diff.newly_empty:
        count = len(diff.newly_empty)
        return GateResult(
            "newly-empty",
            Outcome.FAILED,
            f"{count} table{'s' if count != 1 else ''} went from populated to empty",
            diff.newly_empty,
        )
    return GateResult("newly-empty", Outcome.PASSED, "no table went from populated to empty")


def _new_uncovered(diff: AuditDiff) -> GateResult:
    tables = (*diff.newly_uncovered, *diff.new_uncovered_tables)
    if tables:
        count = len(tables)
        return GateResult(
            "new-uncovered",
            Outcome.FAILED,
            f"{count} table{'s' if count != 1 else ''} newly without seed data (lost it, or new)",
            tables,
        )
    return GateResult("new-uncovered", Outcome.PASSED, "no table lost its seed data, no new table lacks it")


def is_stale(finding: Finding) -> bool:
    return finding.kind in STALE_FINDING_KINDS or finding.kind.startswith("stale")


def _stale(diff: AuditDiff) -> GateResult:
    stale = tuple(f for f in diff.new_findings if is_stale(f))
    if stale:
        count = len(stale)
        return GateResult(
            "stale",
            Outcome.FAILED,
            f"{count} new stale finding{'s' if count != 1 else ''}",
            tuple(f.message for f in stale),
        )
    return GateResult("stale", Outcome.PASSED, "no new stale references or seeded-but-empty tables")


__all__ = [
    "FAIL_ON_CHOICES",
    "STALE_FINDING_KINDS",
    "GatePolicy",
    "GateResult",
    "Outcome",
    "any_failed",
    "check_audit",
    "check_coverage",
    "evaluate_gates",
    "is_stale",
    "parse_fail_on",
]

_REGRESSION_GATES = {"newly-empty": _newly_empty, "new-uncovered": _new_uncovered, "stale": _stale}
