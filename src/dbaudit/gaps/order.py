"""Section 6: the order in which to run every seeder, existing and recommended.

A seeder must run after a seeder that writes each required parent of a table it writes, unless it writes
that parent itself.  That is a topological order over the foreign keys of the tables each seeder writes.
Where several seeders write the parent, one of them running earlier is enough: preferably one that runs
earlier anyway (an Alembic revision's ancestor), else the first in rank.
Foreign-key cycles are broken at one named foreign key each (a deferrable one when there is one); two
seeders that need each other are reported too, and the order says which dependency it could not honour.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dbaudit.gaps.graph import Edge
from dbaudit.graphs import break_cycles
from dbaudit.markdown import code
from dbaudit.model import ExecutionStep


@dataclass(frozen=True)
class Job:
    """A seeder to place in the order: an existing source or a recommended one."""

    name: str
    tables: tuple[str, ...]
    existing: bool = True
    command: str | None = None
    rank: tuple[int, ...] = ()
    """Tie-break between jobs free to run: lower first (revisions in history order, then scripts...)."""
    runs_after: tuple[str, ...] = ()
    """Jobs this one must follow for reasons other than foreign keys (an Alembic revision's ancestors)."""


@dataclass(frozen=True)
class Cycle:
    """A cycle of required foreign keys between tables, or of dependencies between seeders."""

    path: tuple[str, ...]
    broken: str
    """The foreign key (``child.col -> parent``) or the dependency (``seeder -> seeder``) set aside."""
    between_seeders: bool = False


@dataclass(frozen=True)
class Order:
    steps: tuple[ExecutionStep, ...]
    cycles: tuple[Cycle, ...] = ()
    broken_edges: frozenset[Edge] = field(default_factory=frozenset)
    """Required foreign keys the order could not honour (set aside to break a cycle)."""


def plan_order(jobs: Sequence[Job], edges: Iterable[Edge]) -> Order:
    """Order ``jobs`` so that none runs before the jobs writing the required parents of its tables."""
    required = sorted(
        {e for e in edges if e.required and e.child != e.parent}, key=lambda e: (e.child, e.parent, e.columns)
    )
    # 1. cycles of required foreign keys between tables: set one foreign key aside per cycle
    by_pair: dict[tuple[str, str], list[Edge]] = {}
    for edge in required:
        by_pair.setdefault((edge.child, edge.parent), []).append(edge)
    cycles: list[Cycle] = []
    broken: set[Edge] = set()

    def fk_preference(pair: tuple[str, str]) -> tuple[bool, str]:
        best = min(by_pair[pair], key=lambda e: (not e.deferrable, e.label()))
        return (not best.deferrable, best.label())

    nodes = {n for pair in by_pair for n in pair}
    for path, pair in break_cycles(nodes, by_pair.keys(), fk_preference):
        set_aside = by_pair[pair]
        broken.update(set_aside)
        cycles.append(Cycle(path, "; ".join(e.label() for e in set_aside)))
    honoured = [e for e in required if e not in broken]

    # 2. dependencies between jobs
    writers: dict[str, list[str]] = {}
    for job in jobs:
        for table in job.tables:
            writers.setdefault(table, []).append(job.name)
    names = [j.name for j in jobs]
    position = {j.name: i for i, j in enumerate(jobs)}
    rank = {j.name: (j.rank, position[j.name]) for j in jobs}
    by_child: dict[str, list[Edge]] = {}
    for edge in honoured:
        by_child.setdefault(edge.child, []).append(edge)
    reasons: dict[tuple[str, str], str] = {}
    for job in jobs:
        own = set(job.tables)
        for edge in (e for t in job.tables for e in by_child.get(t, ())):
            if edge.parent in own:
                continue
            providers = [p for p in writers.get(edge.parent, ()) if p != job.name]
            if not providers:
                continue
            # one provider is enough: one that must run earlier anyway (a revision's ancestor), else the first
            chosen = next((p for p in providers if p in job.runs_after), None) or min(
                providers, key=lambda p: rank[p]
            )
            reasons.setdefault((job.name, chosen), edge.label())
        for before in job.runs_after:
            if before in names and before != job.name:
                reasons.setdefault((job.name, before), "")

    # 3. seeders that need each other: set one dependency aside, preferring a foreign key to a history edge
    for path, pair in break_cycles(names, reasons.keys(), lambda p: (reasons[p] == "", p)):
        cycles.append(Cycle(path, f"{pair[0]} -> {pair[1]}", between_seeders=True))
        del reasons[pair]

    # 4. topological order, free jobs by rank then by their place in the input
    needs: dict[str, set[str]] = {n: set() for n in names}
    for after, before in reasons:
        needs[after].add(before)
    dependents: dict[str, list[str]] = {n: [] for n in names}
    for after, befores in needs.items():
        for before in befores:
            dependents[before].append(after)
    waiting = {n: len(needs[n]) for n in names}
    ready = [(rank[n], n) for n in names if not waiting[n]]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        ordered.append(name)
        for after in dependents[name]:
            waiting[after] -= 1
            if not waiting[after]:
                heapq.heappush(ready, (rank[after], after))

    by_name = {j.name: j for j in jobs}
    notes = _cycle_notes(cycles)
    steps = tuple(
        ExecutionStep(
            seeder=name,
            tables=by_name[name].tables,
            command=by_name[name].command,
            existing=by_name[name].existing,
            after=tuple(sorted(needs[name], key=position.__getitem__)),
            note=notes.get(name),
        )
        for name in ordered
    )
    return Order(steps, tuple(cycles), frozenset(broken))


def _cycle_notes(cycles: Sequence[Cycle]) -> dict[str, str]:
    notes: dict[str, str] = {}
    for cycle in cycles:
        if cycle.between_seeders:
            first, second = cycle.broken.split(" -> ", 1)
            notes[first] = f"runs before {code(second)} although it needs it: the two depend on each other"
    return notes
