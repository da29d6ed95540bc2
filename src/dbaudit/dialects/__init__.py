"""The one dialect layer: every difference between PostgreSQL, MySQL/MariaDB and SQLite, read side and write
side, as one class per engine registered by ``engine.dialect.name`` (:func:`dialect_for`).
"""

from __future__ import annotations

from dbaudit.dialects.base import Dialect, Effects, Estimate, Reference, TableLike
from dbaudit.dialects.mysql import MySQLDialect
from dbaudit.dialects.postgresql import PostgresDialect
from dbaudit.dialects.sqlite import SQLiteDialect

DIALECTS: tuple[type[Dialect], ...] = (PostgresDialect, MySQLDialect, SQLiteDialect)


def dialect_for(engine_dialect_name: str) -> Dialect:
    """The :class:`Dialect` for ``engine.dialect.name`` (``mariadb`` is MySQL's); the default otherwise."""
    name = "mysql" if engine_dialect_name == "mariadb" else engine_dialect_name
    for cls in DIALECTS:
        if cls.name == name:
            return cls()
    return Dialect()


__all__ = [
    "DIALECTS",
    "Dialect",
    "Effects",
    "Estimate",
    "MySQLDialect",
    "PostgresDialect",
    "Reference",
    "SQLiteDialect",
    "TableLike",
    "dialect_for",
]
