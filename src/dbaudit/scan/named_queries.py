"""Named-query SQL files (aiosql, PugSQL, anosql): ``-- name: create-user<!`` blocks a program loads with
``aiosql.from_path("sql/", "asyncpg")`` and calls as ``queries.create_user(conn, ...)``.

Such a file is no seed source by itself (its queries usually serve requests); its INSERTs count for the seed
source whose code calls them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^--\s*name:\s*([\w-]+)", re.MULTILINE)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    """As the program calls it: ``create-new-user<!`` -> ``create_new_user``."""
    line: int
    """1-based line of the query's first SQL line in its file."""
    sql: str


def named_queries(text: str) -> dict[str, NamedQuery]:
    """The queries of one named-query file, by the name the program calls them by."""
    found: dict[str, NamedQuery] = {}
    matches = list(_NAME.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[match.end() : end]
        name = match.group(1).replace("-", "_")
        # the block's own comment lines (a docstring) are not SQL
        rows = ["" if row.lstrip().startswith("--") else row for row in body.split("\n")[1:]]
        first = next((i for i, row in enumerate(rows) if row.strip()), 0)
        line = text.count("\n", 0, match.start()) + 2 + first
        found.setdefault(name, NamedQuery(name, line, "\n".join(rows)))
    return found
