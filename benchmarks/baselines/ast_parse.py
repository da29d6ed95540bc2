"""Baseline of ``dbaudit scan``: read every file of the tree and ``ast.parse`` the Python ones.

Usage: ``python ast_parse.py ROOT``.  Skips the same folders dbaudit skips; prints how many files it read.
"""

from __future__ import annotations

import ast
import os
import sys

SKIP = {".venv", "venv", "node_modules", ".git", "site-packages", "__pycache__", ".tox", ".mypy_cache"}


def main(root: str) -> None:
    parsed = read = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP)
        for name in sorted(files):
            with open(os.path.join(folder, name), "rb") as fh:
                data = fh.read()
            read += 1
            if name.endswith(".py"):
                ast.parse(data, filename=name)
                parsed += 1
    print(f"{read} files read, {parsed} parsed")


if __name__ == "__main__":
    main(sys.argv[1])
