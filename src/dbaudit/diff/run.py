"""What ``dbaudit diff`` and ``dbaudit check`` do, callable from Python: find the two audits, compare, gate.

A baseline is a saved audit file or a git ref; the newer side is a saved audit or a fresh audit of the working
tree and the database (:func:`dbaudit.audit.build_audit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dbaudit.audit_file import load_audit
from dbaudit.compare import diff_audits
from dbaudit.diff.gates import GatePolicy, check_coverage, evaluate_gates
from dbaudit.errors import ConfigError
from dbaudit.model import Audit, AuditDiff, CoverageCheck, GateResult, any_failed

if TYPE_CHECKING:
    from dbaudit.config import Settings


@dataclass(frozen=True)
class DiffRun:
    """A finished ``dbaudit diff``: the two audits, their diff and the gate results."""

    base: Audit
    head: Audit
    diff: AuditDiff
    gates: tuple[GateResult, ...]

    @property
    def passed(self) -> bool:
        return not any_failed(self.gates)


@dataclass(frozen=True)
class CheckRun:
    """A finished ``dbaudit check``: one audit and what its gate found."""

    audit: Audit
    check: CoverageCheck

    @property
    def gates(self) -> tuple[GateResult, ...]:
        return self.check.gates

    @property
    def passed(self) -> bool:
        return self.check.passed


def fresh_audit(settings: Settings) -> Audit:
    from dbaudit.audit import build_audit

    return build_audit(settings)


def run_diff(
    settings: Settings,
    policy: GatePolicy,
    *,
    base: Path | None = None,
    head: Path | None = None,
    base_ref: str | None = None,
    baseline_path: str | None = None,
) -> DiffRun:
    """Compare a baseline (``base`` file or ``base_ref``) with ``head`` (a file, else a fresh audit); gate.

    With ``base_ref``, a single file given as ``base`` is taken as the head: ``dbaudit diff --base-ref main
    head.json``.
    """
    if base_ref is not None and base is not None:
        if head is not None:
            raise ConfigError("give either a BASE audit file or --base-ref, not both", "drop one of them")
        base, head = None, base
    if base is None and base_ref is None:
        raise ConfigError(
            "nothing to compare with",
            "give a saved audit (dbaudit diff AUDIT.json) or a git ref (dbaudit diff --base-ref origin/main)",
        )
    if base_ref is not None:
        from dbaudit.gitrepo import commit_of

        commit_of(settings.project_root, base_ref)  # a wrong ref fails now, not after a whole audit
    head_audit = load_audit(head) if head is not None else fresh_audit(settings)
    if base is not None:
        base_audit = load_audit(base)
        base_label = str(base)
    else:
        from dbaudit.diff.gitbaseline import baseline_at_ref

        assert base_ref is not None
        base_audit, base_label = baseline_at_ref(settings, base_ref, head_audit, baseline_path)
    head_label = str(head) if head is not None else _working_tree_label(head_audit)
    diff = diff_audits(base_audit, head_audit, base_label=base_label, head_label=head_label)
    return DiffRun(base_audit, head_audit, diff, evaluate_gates(diff, policy))


def run_check(settings: Settings, fail_under: float, *, audit: Path | None = None) -> CheckRun:
    """Gate one audit (a saved file, else a fresh audit) on its coverage."""
    current = load_audit(audit) if audit is not None else fresh_audit(settings)
    return CheckRun(current, check_coverage(current, fail_under))


def _working_tree_label(audit: Audit) -> str:
    if audit.git is None:
        return "the working tree"
    changes = ", with uncommitted changes" if audit.git.dirty else ""
    return f"the working tree ({audit.git.commit[:12]}{changes})"
