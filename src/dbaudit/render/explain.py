"""``dbaudit scan --explain TABLE``: the paths to each write into a table, or the near misses, as Markdown
(names inert, see :mod:`dbaudit.markdown`) or JSON (the model, see :class:`dbaudit.model.Explanation`)."""

from __future__ import annotations

import json

from dbaudit.errors import ConfigError
from dbaudit.markdown import code, text
from dbaudit.model import SCHEMA_VERSION, Explanation, Hop, SourceKind, to_dict

EXPLAIN_FORMATS = ("md", "json")
_KINDS = {
    SourceKind.SCRIPT: "script",
    SourceKind.REVISION: "Alembic revision",
    SourceKind.SQL: "SQL file",
    SourceKind.FIXTURE: "fixture file",
}


def _hop(number: int, hop: Hop) -> str:
    return f"   {number}. {code(hop.location)} {text(hop.what)}"


def render_explanation(explanation: Explanation, fmt: str = "md") -> str:
    """The explanation as Markdown (``md``) or JSON (``json``)."""
    if fmt == "json":
        data = {"schema_version": SCHEMA_VERSION, **to_dict(explanation)}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt != "md":
        raise ConfigError(f"unknown format {fmt!r}", f"choose one of {', '.join(EXPLAIN_FORMATS)}")
    table = code(explanation.table)
    lines = [f"# How the scan sees {table}", ""]
    if explanation.paths:
        count = len(explanation.paths)
        lines += [f"{count} path{'s' if count != 1 else ''} from an entry point to a write into {table}:", ""]
        for i, path in enumerate(explanation.paths, 1):
            when = "only when a condition on the database holds" if path.conditional else "always"
            lines.append(
                f"{i}. {code(path.source)} ({_KINDS[path.kind]}): {code(path.table)} by "
                f"{text(path.recogniser)}, {when}"
            )
            lines += [_hop(n, hop) for n, hop in enumerate(path.hops, 1)]
            if path.data_file:
                lines.append(f"   - rows read from {code(path.data_file)}")
        return "\n".join(lines) + "\n"
    lines.append(f"No seed source writes {table}.")
    if not explanation.near_misses:
        lines += ["", "The scanner saw no write, update or delete of it anywhere in the project."]
        return "\n".join(lines) + "\n"
    lines += ["", "The nearest writes the scanner saw, and why they do not count:", ""]
    for i, miss in enumerate(explanation.near_misses, 1):
        lines.append(f"{i}. {text(miss.reason.value)}: {code(miss.location)} {text(miss.detail)}")
        lines += [_hop(n, hop) for n, hop in enumerate(miss.hops, 1)]
    return "\n".join(lines) + "\n"
