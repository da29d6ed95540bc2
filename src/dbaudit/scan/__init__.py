"""The static scanner: which seed script, SQL file, fixture or Alembic revision fills which table.

Pure static analysis (:mod:`ast` and sqlglot): scanned code is never imported or run.
"""

from __future__ import annotations

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
