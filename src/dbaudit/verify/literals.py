"""Literal database-server URLs in the code of a step: what could make a seeder escape the scratch database.

``dbaudit verify`` points ``DATABASE_URL`` and friends at the scratch database, but a URL written into the
code (``create_engine("postgresql://app@db/prod")``, a default such as ``os.getenv("DATABASE_URL",
"mysql://...")``) would reach a real server whatever the environment says.  Such a source is refused unless
``--allow-literal-urls``.  Python is read with :mod:`ast`: only string literals count (docstrings and comments
do not, they run nothing); other files are read as text.  SQLite URLs name files, not servers, and the
steps' working folder is a temporary copy of the project, so they are left alone.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dbaudit.urls import mask_url

#: A URL of a database server: a SQLAlchemy dialect that talks to one, then ``://`` and something after it.
SERVER_URL = re.compile(
    r"\b(?:postgres(?:ql)?|mysql|mariadb|mssql|oracle|cockroachdb|redshift|snowflake|clickhouse)"
    r"(?:\+[A-Za-z0-9_]+)?://[^\s'\"<>]+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LiteralUrl:
    path: str
    """Relative to the project root, forward slashes."""
    line: int
    url: str
    """The URL, password masked."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.url})"


def find_literal_urls(root: Path, paths: Iterable[str]) -> list[LiteralUrl]:
    """Server URLs written as literals in the files ``paths`` (relative to ``root``), in path order."""
    found: list[LiteralUrl] = []
    for path in sorted(set(paths)):
        try:
            text = (root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found.extend(LiteralUrl(path, line, mask_url(url)) for line, url in _urls(path, text))
    return found


def _urls(path: str, text: str) -> Iterator[tuple[int, str]]:
    if path.endswith(".py"):
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            pass  # unparseable Python is read as text: better a false alarm than a miss
        else:
            yield from _python_urls(tree)
            return
    for number, line in enumerate(text.splitlines(), start=1):
        for match in SERVER_URL.finditer(line):
            yield number, match.group(0)


def _python_urls(tree: ast.Module) -> Iterator[tuple[int, str]]:
    skipped = set()
    for owner in _with_docstring(tree):
        first = owner.body[0]
        if isinstance(first, ast.Expr):
            skipped.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            for match in SERVER_URL.finditer(node.value):
                yield node.lineno, match.group(0)


def _with_docstring(
    tree: ast.Module,
) -> Iterator[ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
            and isinstance(node.body[0].value.value, str)
        ):
            yield node
