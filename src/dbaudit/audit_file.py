"""Reading a saved audit back: the JSON document is a contract, versioned by ``schema_version``.

It sits next to the model (and its JSON Schema, :mod:`dbaudit.audit_schema`) so that every command that
reads an audit (``report --baseline``, ``diff``, ``check --audit``) reads it the same way, below them all.

A reader accepts any document of its own major version or older (fields missing from an older document take
their defaults, unknown fields of a newer minor are ignored) and refuses a newer major with a message naming
the dbaudit release that wrote it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dbaudit import __version__
from dbaudit.errors import BaselineError
from dbaudit.model import SCHEMA_VERSION, Audit, from_dict

#: What a document without ``schema_version`` is taken to be: the first published layout.
ASSUMED_VERSION = "1.0"


def parse_version(text: str) -> tuple[int, int]:
    """``"1.2"`` -> ``(1, 2)``; a bare major (``"1"``) has minor 0.  Anything else: :class:`BaselineError`."""
    parts = str(text).strip().split(".")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        numbers = []
    if not 1 <= len(numbers) <= 2 or any(n < 0 for n in numbers):
        raise BaselineError(
            f"schema_version {text!r} is not MAJOR.MINOR",
            "the file was not written by dbaudit, or was edited",
        )
    return numbers[0], numbers[1] if len(numbers) == 2 else 0


def check_schema_version(document: dict[str, Any], label: str) -> str:
    """The document's schema version, after making sure this dbaudit can read it."""
    raw = document.get("schema_version", ASSUMED_VERSION)
    version = parse_version(str(raw))
    supported_major = parse_version(SCHEMA_VERSION)[0]
    if version[0] > supported_major:
        writer = document.get("tool_version")
        written_by = f"dbaudit {writer}" if isinstance(writer, str) and writer else "a newer dbaudit"
        upgrade = (
            f"pip install 'dbaudit>={writer}'" if isinstance(writer, str) and writer else "upgrade dbaudit"
        )
        raise BaselineError(
            f"{label} uses audit schema {raw}, written by {written_by}; this dbaudit {__version__} reads "
            f"schema {supported_major}.x and older",
            f"read it with {written_by} or later: {upgrade}",
        )
    return str(raw)


def load_audit(source: str | Path | bytes, *, label: str | None = None) -> Audit:
    """Load a saved audit (``dbaudit report --format json``) from a file path, JSON text or bytes.

    A ``str`` that starts with ``{`` is JSON text, any other ``str`` a path.  Raises :class:`BaselineError`
    when the input is not JSON, not an audit, or uses a newer major schema version than this dbaudit reads.
    """
    text, name = _read(source, label)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{name} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            "save the audit with: dbaudit report --format json -o AUDIT.json",
        ) from exc
    except RecursionError as exc:  # the decoder recurses once per nested list or object
        raise _too_deep(name) from exc
    if not isinstance(document, dict) or not ("generated_at" in document or "schema_version" in document):
        raise BaselineError(
            f"{name} is JSON but not a dbaudit audit",
            "save the audit with: dbaudit report --format json -o AUDIT.json",
        )
    check_schema_version(document, name)
    document.setdefault("generated_at", "")
    document.setdefault("tool_version", "unknown")
    try:
        return from_dict(Audit, document)
    except (TypeError, ValueError, KeyError) as exc:
        raise BaselineError(f"{name} does not match the audit schema: {exc}", "regenerate it") from exc
    except RecursionError as exc:
        raise _too_deep(name) from exc


def _too_deep(name: str) -> BaselineError:
    # An audit nests a few levels; thousands of nested lists are not one, and must not crash the reader.
    return BaselineError(
        f"{name} nests lists or objects too deeply to be a saved audit",
        "save the audit with: dbaudit report --format json -o AUDIT.json",
    )


def _read(source: str | Path | bytes, label: str | None) -> tuple[str, str]:
    if isinstance(source, bytes):
        return _decode(source, label or "the baseline"), label or "the baseline"
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return source, label or "the baseline"
    path = Path(source)
    name = label or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise BaselineError(f"{name} does not exist", "check the path of the saved audit") from exc
    except OSError as exc:
        raise BaselineError(f"cannot read {name}: {exc.strerror}", "check the path and permissions") from exc
    return _decode(data, name), name


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BaselineError(
            f"{name} is not UTF-8 text, so not a saved audit", "point at the JSON audit"
        ) from exc
