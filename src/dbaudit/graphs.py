"""Graph algorithms shared by the gap analysis's execution order and the seeder's insert and delete order.

Nodes are names; ``edges`` map a node to the nodes it depends on (a child to its parents).  Deterministic: the
same graph always gives the same answer.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence


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
