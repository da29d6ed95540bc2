"""The foreign-key graph of a snapshot's application tables, and how to break its cycles.

Tables are named as the report names them (:meth:`dbaudit.model.DatabaseSnapshot.name_of`): ``schema.name``
when the audit covers several schemas, else the bare name.  A foreign key is *required* when every one of its
columns is NOT NULL: a row of the child cannot exist before a row of the parent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dbaudit.model import DatabaseSnapshot, ForeignKey, TableState, TableStatus


@dataclass(frozen=True)
class Edge:
    """A foreign key from ``child`` to ``parent`` (both report names)."""

    child: str
    parent: str
    columns: tuple[str, ...]
    required: bool
    deferrable: bool = False

    def label(self) -> str:
        """``child.col -> parent``, the way a reader names a foreign key."""
        cols = ", ".join(self.columns)
        return f"{self.child}.{cols} -> {self.parent}"


def report_names(snapshot: DatabaseSnapshot) -> dict[str, TableState]:
    """Application tables by the name the audit gives them (:meth:`DatabaseSnapshot.name_of`)."""
    return {snapshot.name_of(s.ref): s for s in snapshot.tables if s.is_application}


class SchemaGraph:
    """Foreign keys between the application tables of one snapshot."""

    def __init__(self, snapshot: DatabaseSnapshot) -> None:
        self.tables: dict[str, TableState] = report_names(snapshot)
        by_key = {(s.table.schema, s.table.name): name for name, s in self.tables.items()}
        self.edges: list[Edge] = []
        for name, state in self.tables.items():
            table = state.table
            for fk in table.foreign_keys:
                parent = by_key.get((fk.referred_schema or table.schema, fk.referred_table))
                if parent is None:
                    parent = by_key.get((table.schema, fk.referred_table))
                if parent is None:
                    continue
                self.edges.append(
                    Edge(name, parent, fk.columns, _required(state, fk), deferrable=fk.deferrable)
                )
        self._index()
        self.by_bare_name: dict[str, list[str]] = {}
        for name, state in self.tables.items():
            self.by_bare_name.setdefault(state.table.name, []).append(name)

    def parents(self, table: str, *, required_only: bool = False) -> tuple[str, ...]:
        """Parent tables of ``table`` (without itself), in foreign-key order, without repeats."""
        index = self._required_parents if required_only else self._parents
        return index.get(table, ())

    def children(self, table: str) -> tuple[str, ...]:
        return self._children.get(table, ())

    def neighbours(self, table: str) -> set[str]:
        return set(self.parents(table)) | set(self.children(table))

    def _index(self) -> None:
        parents: dict[str, dict[str, None]] = {}
        required: dict[str, dict[str, None]] = {}
        children: dict[str, dict[str, None]] = {}
        for e in self.edges:
            if e.child == e.parent:
                continue
            parents.setdefault(e.child, {})[e.parent] = None
            children.setdefault(e.parent, {})[e.child] = None
            if e.required:
                required.setdefault(e.child, {})[e.parent] = None
        self._parents = {k: tuple(v) for k, v in parents.items()}
        self._required_parents = {k: tuple(v) for k, v in required.items()}
        self._children = {k: tuple(v) for k, v in children.items()}

    def status(self, table: str) -> TableStatus:
        return self.tables[table].status


def _required(state: TableState, fk: ForeignKey) -> bool:
    columns = [state.table.column(c) for c in fk.columns]
    return bool(columns) and all(c is not None and not c.nullable for c in columns)


def break_cycles(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    preference: Callable[[tuple[str, str]], Any] | None = None,
) -> list[tuple[tuple[str, ...], tuple[str, str]]]:
    """Find the cycles of a directed graph and the edge to remove from each, until none is left.

    ``edges`` are ``(dependent, dependency)`` pairs.  Returns ``(cycle, broken)`` pairs: ``cycle`` is the path
    of nodes around the cycle (each depends on the next, the last on the first), ``broken`` the edge of that
    cycle with the smallest ``preference`` key (by default the closing edge).  Removing every ``broken`` edge
    leaves the graph acyclic.  Deterministic for the same input.
    """
    remaining = set(edges)
    ordered = sorted(set(nodes) | {n for e in remaining for n in e})
    found: list[tuple[tuple[str, ...], tuple[str, str]]] = []
    while True:
        cycle = _find_cycle(ordered, remaining)
        if cycle is None:
            return found
        ring = [(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))]
        broken = min(ring, key=preference) if preference else ring[-1]
        found.append((cycle, broken))
        remaining.discard(broken)


def _find_cycle(nodes: list[str], edges: set[tuple[str, str]]) -> tuple[str, ...] | None:
    """A simple cycle of ``edges`` as a path, or None; deterministic (depth-first in name order)."""
    succ: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        succ.setdefault(a, []).append(b)
    state: dict[str, int] = {}
    for root in nodes:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, index = stack[-1]
            nexts = succ.get(node, [])
            if index >= len(nexts):
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            stack[-1] = (node, index + 1)
            nxt = nexts[index]
            if nxt == node:
                continue
            if state.get(nxt) == 1:
                return tuple(path[path.index(nxt) :])
            if not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, 0))
                path.append(nxt)
    return None
