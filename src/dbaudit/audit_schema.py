"""The JSON Schema of a saved audit, derived from the model's type hints and field docstrings.

``src/dbaudit/audit.schema.json`` is this function's output, committed; a test keeps the two equal, so the
published schema never drifts from :mod:`dbaudit.model`.  Regenerate it with
``python -m dbaudit.audit_schema > src/dbaudit/audit.schema.json``.
"""

from __future__ import annotations

import ast
import collections.abc
import dataclasses
import enum
import functools
import inspect
import itertools
import json
import sys
import types
import typing
from typing import Any, Union

from dbaudit.model import SCHEMA_VERSION, Audit

_PRIMITIVES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def field_docs(cls: type) -> dict[str, str]:
    """The docstrings written under the fields of a dataclass (``x: int`` then ``\"\"\"...\"\"\"``)."""
    classes = _module_classes(cls.__module__)
    docs: dict[str, str] = {}
    body = classes[cls.__name__].body if cls.__name__ in classes else []
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


@functools.cache
def _module_classes(module: str) -> dict[str, ast.ClassDef]:
    """The top-level classes of ``module``'s source, parsed once (``inspect.getsource`` of a class parses the
    whole module again on every call)."""
    try:
        tree = ast.parse(inspect.getsource(sys.modules[module]))
    except (OSError, TypeError):  # pragma: no cover - source not shipped
        return {}
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def of(self, tp: Any) -> dict[str, Any]:
        origin = typing.get_origin(tp)
        if origin is Union or origin is types.UnionType:
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            inner = self.of(members[0]) if len(members) == 1 else {"anyOf": [self.of(a) for a in members]}
            return {"anyOf": [inner, {"type": "null"}]}
        if origin is tuple:
            args = typing.get_args(tp)
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.of(args[0])}
            return {
                "type": "array",
                "prefixItems": [self.of(a) for a in args],
                "minItems": len(args),
                "maxItems": len(args),
            }
        if origin in (dict, collections.abc.Mapping):
            return {"type": "object", "additionalProperties": self.of(typing.get_args(tp)[1])}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return {"type": "string", "enum": [member.value for member in tp]}
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            self.record(tp)
            return {"$ref": f"#/$defs/{tp.__name__}"}
        if tp in _PRIMITIVES:
            return {"type": _PRIMITIVES[tp]}
        if tp is Any:
            return {}
        raise TypeError(f"no JSON Schema for {tp!r}")

    def record(self, cls: type) -> dict[str, Any]:
        if cls.__name__ in self.defs:
            return typing.cast(dict[str, Any], self.defs[cls.__name__])
        schema: dict[str, Any] = {"type": "object"}
        self.defs[cls.__name__] = schema  # placed first: records may refer to themselves
        hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
        docs = field_docs(cls)
        if cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}("):
            schema["description"] = " ".join(cls.__doc__.split())
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f in dataclasses.fields(cls):
            prop = self.of(hints[f.name])
            if f.name in docs:
                prop = {**prop, "description": docs[f.name]}
            properties[f.name] = prop
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        for name in getattr(cls, "json_derived", ()):
            getter = getattr(cls, name).fget
            returns = typing.get_type_hints(getter, vars(sys.modules[cls.__module__]))["return"]
            prop = self.of(returns)
            if getter.__doc__:
                prop = {**prop, "description": " ".join(getter.__doc__.split())}
            properties[name] = prop
        schema["properties"] = properties
        schema["required"] = required
        return schema


def audit_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``dbaudit report --format json`` at :data:`SCHEMA_VERSION`.

    Objects allow properties the schema does not name: a newer minor version may add fields, and readers
    ignore what they do not know.
    """
    builder = _Builder()
    root = builder.record(Audit)
    root["properties"]["schema_version"] = {
        **root["properties"]["schema_version"],
        "pattern": r"^[0-9]+(\.[0-9]+)?$",
    }
    defs = {name: builder.defs[name] for name in sorted(builder.defs) if name != "Audit"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"dbaudit audit, schema version {SCHEMA_VERSION}",
        **root,
        "$defs": defs,
    }


def render_schema() -> str:
    return json.dumps(audit_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(render_schema())
