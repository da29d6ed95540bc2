"""Reflection: a live database turned into a :class:`~dbaudit.model.DatabaseSnapshot`.

:func:`connect` opens the configured database (failures become one-line :class:`~dbaudit.errors.DbauditError`
messages); :func:`reflect_database` reads the catalog in one pass, probes and counts every table inside a
read-only transaction, and returns the snapshot the rest of dbaudit works from.
"""

from __future__ import annotations

from dbaudit.dialects import Dialect, dialect_for
from dbaudit.dialects.engine import connect
from dbaudit.reflect.snapshot import collector_relaxed, reflect_database

__all__ = ["Dialect", "collector_relaxed", "connect", "dialect_for", "reflect_database"]
