"""``dbaudit diff`` / ``dbaudit check``: compare two audits, gate a change on seeding coverage.

- :func:`load_audit` reads a saved audit, honouring its ``schema_version``;
- :func:`diff_audits` compares a baseline with a newer audit into an :class:`AuditDiff`;
- :func:`evaluate_gates` / :func:`check_audit` turn a diff (or one audit) into gate results;
- :func:`render_diff` writes the delta as a Markdown pull-request comment or JSON;
- :func:`coverage_change` builds section 5 of the report, "Changes since the previous audit".
"""

from __future__ import annotations

from dbaudit.diff.baseline import load_audit
from dbaudit.diff.changes import changes_context
from dbaudit.diff.compare import AuditDiff, CoverageFigures, SourceChange, coverage_change, diff_audits
from dbaudit.diff.gates import (
    FAIL_ON_CHOICES,
    GatePolicy,
    GateResult,
    Outcome,
    any_failed,
    check_audit,
    evaluate_gates,
    parse_fail_on,
)
from dbaudit.diff.output import render_diff

__all__ = [
    "FAIL_ON_CHOICES",
    "AuditDiff",
    "CoverageFigures",
    "GatePolicy",
    "GateResult",
    "Outcome",
    "SourceChange",
    "any_failed",
    "changes_context",
    "check_audit",
    "coverage_change",
    "diff_audits",
    "evaluate_gates",
    "load_audit",
    "parse_fail_on",
    "render_diff",
]
