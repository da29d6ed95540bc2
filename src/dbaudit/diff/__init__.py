"""``dbaudit diff`` / ``dbaudit check``: compare two audits, gate a change on seeding coverage.

- :func:`load_audit` reads a saved audit, honouring its ``schema_version`` (:mod:`dbaudit.audit_file`);
- :func:`diff_audits` compares a baseline with a newer audit into an :class:`AuditDiff`
  (:mod:`dbaudit.compare`, which also builds section 5 of the report: :func:`coverage_change`);
- :func:`evaluate_gates` / :func:`check_audit` turn a diff (or one audit) into gate results;
- :mod:`dbaudit.diff.run` finds the two audits (a file, a git ref or a fresh audit) and runs it all;
- the documents themselves are rendered by :mod:`dbaudit.render.diff`.
"""

from __future__ import annotations

from dbaudit.audit_file import load_audit
from dbaudit.compare import coverage_change, diff_audits
from dbaudit.diff.gates import (
    FAIL_ON_CHOICES,
    GatePolicy,
    check_audit,
    check_coverage,
    evaluate_gates,
    parse_fail_on,
)
from dbaudit.model import (
    AuditDiff,
    CoverageCheck,
    CoverageFigures,
    GateResult,
    Outcome,
    SourceChange,
    any_failed,
)

__all__ = [
    "FAIL_ON_CHOICES",
    "AuditDiff",
    "CoverageCheck",
    "CoverageFigures",
    "GatePolicy",
    "GateResult",
    "Outcome",
    "SourceChange",
    "any_failed",
    "check_audit",
    "check_coverage",
    "coverage_change",
    "diff_audits",
    "evaluate_gates",
    "load_audit",
    "parse_fail_on",
]
