"""What reflection was doing when a statement failed: the one place a driver error gets its words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from dbaudit.dialects.engine import statement_failed


@contextmanager
def step(conn: Connection, doing: str) -> Iterator[None]:
    """Name a statement that fails in the block by what dbaudit was doing (see :func:`statement_failed`)."""
    try:
        yield
    except DBAPIError as exc:
        raise statement_failed(conn.engine.url, exc, doing) from exc
