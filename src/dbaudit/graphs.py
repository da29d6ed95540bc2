"""Graph algorithms shared by the gap analysis's execution order and the seeder's insert and delete order.

Nodes are names; ``edges`` map a node to the nodes it depends on (a child to its parents).  Deterministic: the
same graph always gives the same answer.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from typing import Any


def strongly_connected(nodes: Sequence[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan), iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(sorted(component))
    return result


def topological(nodes: Sequence[str], edges: dict[str, set[str]]) -> list[str] | None:
    """Parents first, ties by name; ``None`` when ``edges`` still has a cycle."""
    remaining = {n: len(edges[n] & set(nodes)) for n in nodes}
    children: dict[str, set[str]] = {n: set() for n in nodes}
    for child in nodes:
        for parent in edges[child]:
            if parent in children:
                children[parent].add(child)
    ready = [n for n, count in remaining.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for child in sorted(children[node]):
            remaining[child] -= 1
            if remaining[child] == 0:
                heapq.heappush(ready, child)
    return order if len(order) == len(nodes) else None


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
