"""What a frame needs from the project-wide evaluation, as an interface.

:class:`~dbaudit.scan.flow.Evaluator` drives frames and frames call back into it (to follow a call, resolve a
relationship, parse SQL). Naming that contract here, below both, keeps the imports one-way:
``flow -> frame -> evaluation`` and ``strings -> evaluation``, with no module importing its own importer.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Protocol

from dbaudit.scan.project import Project
from dbaudit.scan.recognisers import Recogniser
from dbaudit.scan.values import FunctionRef, Hit, ModelClass, QueryRef, SqlHits, TableRef, Value


@dataclasses.dataclass(frozen=True)
class FunctionResult:
    hits: tuple[Hit, ...]
    returns: Value | None
    self_attrs: tuple[tuple[str, Value], ...] = ()
    """For a method: the attributes it left on ``self`` (read by the constructor's caller)."""


Relation = tuple[ModelClass | None, TableRef | None]
"""A relationship's target: the related class and, for many-to-many, the secondary table."""


class Evaluator(SqlHits, Protocol):
    """The project-wide state a frame reads and the calls it makes back (``flow.Evaluator`` has them)."""

    project: Project
    triggers: dict[str, tuple[Recogniser, ...]]
    nested: dict[FunctionRef, ast.FunctionDef | ast.AsyncFunctionDef]
    last_returns: dict[FunctionRef, Value | None]
    relations: dict[tuple[ModelClass, str], Relation | None]

    def function_node(self, ref: FunctionRef) -> ast.FunctionDef | ast.AsyncFunctionDef | None: ...

    def invoke(self, ref: FunctionRef, bound: tuple[tuple[str, Value], ...]) -> FunctionResult: ...

    def backrefs(self) -> dict[tuple[str, str], Relation]: ...

    def named_query(self, folder: str, name: str) -> QueryRef | None: ...

    def placeholder(self, node: ast.expr) -> str: ...
