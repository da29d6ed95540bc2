"""Baseline of ``dbaudit scan`` on a real project: ``ast.parse`` of every ``.py`` file of the tree.

Usage: ``python ast_parse_python.py ROOT``.  Skips the folders dbaudit skips; a file that does not parse
(newer syntax than this interpreter's) is counted and skipped, as the scan makes it a diagnostic.
"""

from __future__ import annotations

import ast
import os
import sys

SKIP = {".venv", "venv", "node_modules", ".git", "site-packages", "__pycache__", ".tox", ".mypy_cache"}


def main(root: str) -> None:
    parsed = failed = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.endswith(".egg-info"))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(folder, name), "rb") as fh:
                data = fh.read()
            try:
                ast.parse(data, filename=name)
                parsed += 1
            except (SyntaxError, ValueError):
                failed += 1
    print(f"{parsed} parsed, {failed} did not parse")


if __name__ == "__main__":
    main(sys.argv[1])
