"""The static scanner: which seed script, SQL file, fixture or Alembic revision fills which table.

Pure static analysis (:mod:`ast` and sqlglot): scanned code is never imported or run.

The names below are imported on first use: ``dbaudit scan`` starts Alembic's helper process
(:mod:`dbaudit.scan.alembic_config`) before the scanner's own modules are imported, so that their import
overlaps Alembic's.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbaudit.scan.recognisers import RECOGNISERS, Recogniser
    from dbaudit.scan.scanner import scan_sources, scan_tree
    from dbaudit.scan.tree import (
        MAX_FILE_BYTES,
        FileSystemTree,
        FileTooLarge,
        MemoryTree,
        NotRegularFile,
        ReportsProblems,
        SourceTree,
    )

_HOME = {
    "RECOGNISERS": "dbaudit.scan.recognisers",
    "Recogniser": "dbaudit.scan.recognisers",
    "scan_sources": "dbaudit.scan.scanner",
    "scan_tree": "dbaudit.scan.scanner",
    "MAX_FILE_BYTES": "dbaudit.scan.tree",
    "FileSystemTree": "dbaudit.scan.tree",
    "FileTooLarge": "dbaudit.scan.tree",
    "MemoryTree": "dbaudit.scan.tree",
    "NotRegularFile": "dbaudit.scan.tree",
    "ReportsProblems": "dbaudit.scan.tree",
    "SourceTree": "dbaudit.scan.tree",
}

__all__ = [
    "MAX_FILE_BYTES",
    "RECOGNISERS",
    "FileSystemTree",
    "FileTooLarge",
    "MemoryTree",
    "NotRegularFile",
    "Recogniser",
    "ReportsProblems",
    "SourceTree",
    "scan_sources",
    "scan_tree",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
