"""Building SQL text the way the code does: f-strings, ``.format()``, ``%`` and ``+``.

A piece that cannot be known statically becomes an ``dbaudit_unresolved_<n>`` placeholder, so sqlglot can
still parse the statement and a table named by a placeholder is reported, never guessed.
"""

from __future__ import annotations

import ast
import re
import string
from typing import TYPE_CHECKING

from dbaudit.scan.values import MAX_TEXTS, Sql, Value

if TYPE_CHECKING:
    from dbaudit.scan.evaluation import Evaluator

_PERCENT = re.compile(r"%(?:\((\w+)\))?[sdrif]|%%")


class StringBuilding:
    """Mixin of :class:`~dbaudit.scan.frame.Frame`: string expressions."""

    ev: Evaluator

    def eval(self, node: ast.expr | None, cond: bool) -> Value | None:
        raise NotImplementedError

    def percent(self, template: Sql, right: ast.expr, cond: bool) -> Value | None:
        nodes = list(right.elts) if isinstance(right, ast.Tuple) else [right]
        values = [self.eval(n, cond) for n in nodes]
        named: dict[str, tuple[ast.expr, Value | None]] = {}
        if isinstance(right, ast.Dict):
            for k, v in zip(right.keys, right.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    named[k.value] = (v, self.eval(v, cond))
        out: list[str] = []
        for text in template.texts:
            position = 0

            def substitute(match: re.Match[str]) -> str:
                nonlocal position
                if match.group(0) == "%%":
                    return "%"
                if match.group(1):
                    node, value = named.get(match.group(1), (right, None))
                else:
                    index = position
                    position += 1
                    node = nodes[index] if index < len(nodes) else right
                    value = values[index] if index < len(values) else None
                if isinstance(value, Sql) and len(value.texts) == 1:
                    return value.texts[0]
                return self.ev.placeholder(node)

            out.append(_PERCENT.sub(substitute, text))
        return Sql(tuple(out))

    def fstring(self, node: ast.JoinedStr, cond: bool) -> Value | None:
        texts = [""]
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                texts = [t + part.value for t in texts]
            elif isinstance(part, ast.FormattedValue):
                value = self.eval(part.value, cond)
                if isinstance(value, Sql):
                    texts = [t + v for t in texts for v in value.texts][:MAX_TEXTS]
                else:
                    token = self.ev.placeholder(part.value)
                    texts = [t + token for t in texts]
        return Sql(tuple(texts))

    def format(
        self, template: Sql, node: ast.Call, args: list[Value | None], kwargs: dict[str, Value | None]
    ) -> Sql:
        formatter = string.Formatter()
        out: list[str] = []
        for text in template.texts:
            pieces: list[str] = []
            auto = 0
            try:
                parsed = list(formatter.parse(text))
            except ValueError:
                return template
            for literal, field_name, _spec, _conv in parsed:
                pieces.append(literal)
                if field_name is None:
                    continue
                if field_name == "":
                    field_name = str(auto)
                    auto += 1
                value: Value | None = None
                source: ast.expr = node
                if field_name.isdigit():
                    index = int(field_name)
                    value = args[index] if index < len(args) else None
                    source = node.args[index] if index < len(node.args) else node
                elif field_name in kwargs:
                    value = kwargs[field_name]
                    source = next((k.value for k in node.keywords if k.arg == field_name), node)
                if isinstance(value, Sql) and len(value.texts) == 1:
                    pieces.append(value.texts[0])
                else:
                    pieces.append(self.ev.placeholder(source))
            out.append("".join(pieces))
        return Sql(tuple(out))
