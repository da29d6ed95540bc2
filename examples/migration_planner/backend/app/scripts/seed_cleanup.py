"""Remove every mock row the seed scripts created, and nothing else.

Run from the backend folder::

    DATABASE_URL=sqlite:///migration_planner.db python -m app.scripts.seed_cleanup

Rows are mock when ``is_mock = TRUE``; price-list rows, which have no such column, when their ``notes``
start with ``MOCK:``.  Real data, the tag catalogue and the rows of the Alembic data revisions stay.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.db import session_factory
from app.models import Base, Engagement, LLMModelPricing

log = logging.getLogger("seed_cleanup")

MOCK_PREFIX = "MOCK:"


def purge_mock_rows(session: Session) -> dict[str, int]:
    """Delete the mock rows of every table, children before parents; return the count per table."""
    # engagements and migration_waves reference each other: unlink the engagement side first.
    session.execute(update(Engagement).where(Engagement.is_mock.is_(True)).values(current_wave_id=None))
    deleted: dict[str, int] = {}
    for table in reversed(Base.metadata.sorted_tables):
        if "is_mock" in table.c:
            result = session.execute(delete(table).where(table.c.is_mock.is_(True)))
            deleted[table.name] = result.rowcount
    result = session.execute(delete(LLMModelPricing).where(LLMModelPricing.notes.startswith(MOCK_PREFIX)))
    deleted[LLMModelPricing.__tablename__] = result.rowcount
    return {name: count for name, count in deleted.items() if count}


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    with session_factory()() as session:
        deleted = purge_mock_rows(session)
        session.commit()
    for table, count in sorted(deleted.items()):
        log.info("%s: %d mock rows deleted", table, count)
    log.info("done: %d rows", sum(deleted.values()))


if __name__ == "__main__":
    main()
