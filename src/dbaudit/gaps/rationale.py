"""Why each step of the execution order runs where it does, decided with the order and kept in the model.

Section 6 of the report explains every step that follows others ("``seed_b.py`` runs after ``seed_a.py``
(writes ``accounts``)"); the renderer words it from :attr:`dbaudit.model.ExecutionStep.reasons` and never
rebuilds the schema graph.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from dbaudit.gaps.graph import SchemaGraph
from dbaudit.model import ExecutionStep, StepDependency


def with_reasons(steps: Sequence[ExecutionStep], graph: SchemaGraph) -> tuple[ExecutionStep, ...]:
    """``steps`` with their :class:`~dbaudit.model.StepDependency` reasons: for each step it runs after,
    the required parents of its tables that step writes, or else that both are migrations in history order.
    A step it runs after for neither reason gets no entry."""
    by_name = {s.seeder: s for s in steps}
    return tuple(dataclasses.replace(step, reasons=_reasons(step, by_name, graph)) for step in steps)


def _reasons(
    step: ExecutionStep, by_name: dict[str, ExecutionStep], graph: SchemaGraph
) -> tuple[StepDependency, ...]:
    parents = {p for t in step.tables if t in graph.tables for p in graph.parents(t, required_only=True)}
    own = set(step.tables)  # a step may write thousands of tables: looked up, not scanned, per earlier table
    reasons = []
    for before in step.after:
        earlier = by_name[before]
        provided = tuple(t for t in earlier.tables if t in parents and t not in own)
        if provided:
            reasons.append(StepDependency(before, writes=provided))
        elif _is_migration(earlier) and _is_migration(step):
            reasons.append(StepDependency(before, migration_order=True))
    return tuple(reasons)


def _is_migration(step: ExecutionStep) -> bool:
    return (step.command or "").startswith("alembic ")
