"""Log and audit tables: events ordered in time.

Claims a table whose name says it records events (``*_log``, ``audit*``, ``*_event(s)``, ``*_history``,
``activity``) and that has a timestamp column.  Rows come with that column increasing from the oldest to the
newest event, a few minutes to a few hours apart, so the table reads like a real journal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from dbaudit.seed.api import SeederContext, TableShape

_EVENTS = re.compile(
    r"(log|logs|audit|audits|event|events|history|histories|activity|activities|journal|trail)$", re.I
)
_TIME_NAMES = ("created_at", "occurred_at", "timestamp", "logged_at", "event_time", "at", "time", "date")
START = dt.datetime(2024, 1, 1, 8, 0, 0)


def _time_column(table: TableShape) -> str | None:
    times = table.time_columns()
    for wanted in _TIME_NAMES:
        for column in times:
            if column.lower() == wanted or column.lower().endswith("_" + wanted):
                return column
    return times[0] if times else None


class EventLogSeeder:
    name = "event-log"
    priority = 5

    def claims(self, table: TableShape) -> bool:
        return bool(_EVENTS.search(table.name)) and _time_column(table) is not None

    def rows(self, ctx: SeederContext) -> Iterator[dict[str, Any]]:
        column = _time_column(ctx.table)
        assert column is not None
        moment = START
        date_only = ctx.table.column_kinds.get(column) == "date"
        for _ in range(ctx.rows):
            moment += dt.timedelta(minutes=ctx.rng.randint(3, 240))
            yield {column: moment.date() if date_only else moment}


SEEDERS = [EventLogSeeder()]
