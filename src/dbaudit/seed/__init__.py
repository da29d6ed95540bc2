"""Fill empty tables with marked mock rows in foreign-key order, and purge exactly those rows.

Entry points (each opens its own connection from :class:`~dbaudit.config.Settings`):

- :func:`plan_seed` -> :class:`SeedPlan` (reads only),
- :func:`run_seed` -> :class:`SeedReport` (one transaction; ``dry_run`` rolls it back),
- :func:`purge` -> :class:`PurgeReport`.

Seeders (which tables get which rows) are plug-ins: see :mod:`dbaudit.seed.api` and the bundled ``seeders/``.
"""

from __future__ import annotations

from dbaudit.model import (
    BlockingReference,
    CycleBreak,
    PurgeReport,
    PurgeResult,
    SeedPlan,
    SeedReport,
    SkippedTable,
    TablePlan,
    TableResult,
)
from dbaudit.seed.plan import DEFAULT_ROWS, PlanRequest
from dbaudit.seed.purge import purge
from dbaudit.seed.run import plan_seed, run_seed

__all__ = [
    "DEFAULT_ROWS",
    "BlockingReference",
    "CycleBreak",
    "PlanRequest",
    "PurgeReport",
    "PurgeResult",
    "SeedPlan",
    "SeedReport",
    "SkippedTable",
    "TablePlan",
    "TableResult",
    "plan_seed",
    "purge",
    "run_seed",
]
