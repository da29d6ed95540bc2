"""Fixture files: JSON/YAML/CSV data whose shape or name says which table it fills."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Collection, Mapping
from typing import Any

from dbaudit.model import Diagnostic, SourceLocation
from dbaudit.scan.discovery import matches

RECOGNISER = "fixture-file"
_ORDER_PREFIX = re.compile(r"^\d+[_-]")


def _line(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _django_table(label: str, classes: Mapping[str, str]) -> str:
    """``"app.Model"`` -> the table a declared class of that name maps to, else Django's ``app_model``.

    ``classes`` maps lower-case class names to tables."""
    app, _, model = label.rpartition(".")
    table = classes.get(model.lower())
    if table is not None:
        return table
    return f"{app}_{model}".lower() if app else model.lower()


def _rows(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(isinstance(r, dict) for r in data)


def fixture_tables(
    path: str,
    text: str,
    known_tables: Collection[str],
    classes: Mapping[str, str],
    fixture_map: Mapping[str, str],
) -> list[tuple[str, int]] | Diagnostic:
    """``(table, line)`` pairs a fixture file fills; ``classes`` maps lower-case class names to tables."""
    for pattern, table in fixture_map.items():
        if matches(pattern, path):
            return [(table, 1)]
    stem = posixpath.basename(path).rsplit(".", 1)[0]
    stem = _ORDER_PREFIX.sub("", stem)
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix == "csv":
        return [(stem, 1)] if stem in known_tables else []
    import yaml  # only for YAML fixtures: a scan without any never pays for the import

    try:
        data = json.loads(text) if suffix == "json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        line = getattr(exc, "lineno", None)
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        return Diagnostic(
            f"cannot parse {suffix.upper()} fixture: {str(exc).splitlines()[0][:120]}",
            SourceLocation(path, line),
        )
    if (
        isinstance(data, list)
        and data
        and all(isinstance(r, dict) and isinstance(r.get("model"), str) for r in data)
    ):
        found: dict[str, int] = {}
        for record in data:
            table = _django_table(record["model"], classes)
            found.setdefault(table, _line(text, record["model"]))
        return list(found.items())
    if isinstance(data, dict):
        tables = [k for k, v in data.items() if isinstance(k, str) and k in known_tables and _rows(v)]
        if tables:
            return [(t, _line(text, t)) for t in tables]
    if stem in known_tables and (_rows(data) or isinstance(data, dict)):
        return [(stem, 1)]
    if _rows(data) and not known_tables:
        return [(stem, 1)]
    return []
