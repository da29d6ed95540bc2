"""Alembic revision identity and the revision graph, read from module-level assignments."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from dbaudit.model import RevisionInfo

_FIELDS = ("revision", "down_revision", "branch_labels", "depends_on")


def _strings(node: ast.expr | None) -> tuple[str, ...] | None:
    """A string, ``None`` or a tuple/list of strings; ``None`` when the value is something else."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return ()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        out = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return tuple(out) if len(out) == len(node.elts) else None
    return None


def revision_info(tree: ast.Module) -> RevisionInfo | None:
    """Identity of a revision module (``revision``, ``down_revision``... plain or annotated), or ``None``."""
    values: dict[str, tuple[str, ...]] = {}
    for stmt in tree.body:
        value: ast.expr | None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value = [stmt.target], stmt.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in _FIELDS:
                parsed = _strings(value)
                if parsed is not None:
                    values[target.id] = parsed
    if not values.get("revision"):
        return None
    doc = ast.get_docstring(tree)
    message = doc.strip().splitlines()[0].strip() if doc and doc.strip() else None
    return RevisionInfo(
        revision=values["revision"][0],
        down_revision=values.get("down_revision", ()),
        branch_labels=values.get("branch_labels", ()),
        depends_on=values.get("depends_on", ()),
        message=message,
    )


def heads(revisions: Iterable[RevisionInfo]) -> tuple[str, ...]:
    """Revisions no other revision names as its ``down_revision``, sorted."""
    revs = list(revisions)
    downs = {d for r in revs for d in r.down_revision}
    return tuple(sorted(r.revision for r in revs if r.revision not in downs))
