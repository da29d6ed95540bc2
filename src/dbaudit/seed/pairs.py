"""Columns that belong together, found by their names: ordered pairs (start/end, from/to, min/max,
created/updated, order/ship/deliver, birth/hire with a minimum working age) and totals that are the sum of
their named parts (``total_tokens`` = ``input_tokens`` + ``output_tokens``).

Applied to freshly generated rows, before the CHECKs are judged: a value moved here that a CHECK rejects is
fixed or the row dropped by the CHECK step, as for any other value; a moved value that breaks the column's
own rules is not kept.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dbaudit.seed.kinds import fits
from dbaudit.seed.semantics import tokens
from dbaudit.seed.values import ColumnSpec

DAY = dt.timedelta(days=1)
YEAR = dt.timedelta(days=365)

#: (earlier word, later word, shortest gap, longest gap or None when any later value is fine).
_WORD_PAIRS: tuple[tuple[str, str, dt.timedelta, dt.timedelta | None], ...] = (
    ("start", "end", dt.timedelta(hours=1), 30 * DAY),
    ("started", "ended", dt.timedelta(hours=1), 30 * DAY),
    ("started", "finished", dt.timedelta(hours=1), 30 * DAY),
    ("started", "completed", dt.timedelta(hours=1), 30 * DAY),
    ("begin", "end", dt.timedelta(hours=1), 30 * DAY),
    ("begin", "finish", dt.timedelta(hours=1), 30 * DAY),
    ("starts", "ends", dt.timedelta(hours=1), 30 * DAY),
    ("from", "to", DAY, YEAR),
    ("from", "until", DAY, YEAR),
    ("valid", "expire", 30 * DAY, 3 * YEAR),
    ("opened", "closed", DAY, 90 * DAY),
    ("order", "ship", DAY, 7 * DAY),
    ("ordered", "shipped", DAY, 7 * DAY),
    ("order", "shipped", DAY, 7 * DAY),
    ("ship", "deliver", DAY, 10 * DAY),
    ("shipped", "delivered", DAY, 10 * DAY),
    ("order", "required", 3 * DAY, 30 * DAY),
    ("rental", "return", dt.timedelta(hours=6), 10 * DAY),
    ("issued", "due", 7 * DAY, 60 * DAY),
    ("invoice", "due", 7 * DAY, 60 * DAY),
    ("issue", "due", 7 * DAY, 60 * DAY),
    ("issued", "expire", 30 * DAY, 3 * YEAR),
    ("birth", "hire", 18 * YEAR, 65 * YEAR),
    ("birth", "death", 40 * YEAR, 95 * YEAR),
    ("first", "last", dt.timedelta(0), None),
    ("created", "updated", dt.timedelta(0), None),
    ("created", "modified", dt.timedelta(0), None),
    ("created", "deleted", dt.timedelta(0), None),
    ("create", "update", dt.timedelta(0), None),
    ("created", "expire", DAY, None),
    ("sent", "received", dt.timedelta(0), DAY),
    ("sent", "read", dt.timedelta(0), 30 * DAY),
)
_NUMERIC_PAIRS = (("min", "max"), ("minimum", "maximum"), ("low", "high"), ("lower", "upper"), ("from", "to"))
#: Words naming when a row was made: every "updated"-like column of the row comes after it.
_CREATED = {"created", "create", "inserted", "registered", "joined", "added"}
_UPDATED = {"updated", "update", "modified", "changed", "edited"}
#: Words of columns that may lie after a row's last update (deadlines, ends, returns still to come).
_NOT_PAST = {
    "due",
    "expire",
    "expiry",
    "expiration",
    "end",
    "ends",
    "until",
    "to",
    "return",
    "birth",
    "hire",
    "deleted",
    "scheduled",
    "next",
    "deliver",
    "delivered",
    "required",
    "valid",
}


@dataclass(frozen=True)
class Pair:
    earlier: str
    later: str
    low_gap: Any
    high_gap: Any
    numeric: bool = False


def _swap_word(words: tuple[str, ...], old: str, new: str) -> tuple[str, ...] | None:
    if old not in words:
        return None
    return tuple(new if w == old else w for w in words)


def find_pairs(columns: dict[str, ColumnSpec], skip: set[str]) -> list[Pair]:
    """The ordered pairs among ``columns`` (names not in ``skip``), in an order that chains them."""
    temporal = {n: tokens(n) for n, s in columns.items() if s.kind in ("date", "datetime") and n not in skip}
    numeric = {
        n: tokens(n) for n, s in columns.items() if s.kind in ("int", "decimal", "float") and n not in skip
    }
    by_words = {words: name for name, words in temporal.items()}
    found: list[Pair] = []
    seen: set[tuple[str, str]] = set()

    def add(pair: Pair) -> None:
        if pair.earlier != pair.later and (pair.earlier, pair.later) not in seen:
            seen.add((pair.earlier, pair.later))
            found.append(pair)

    for early, late, low, high in _WORD_PAIRS:
        for name, words in temporal.items():
            swapped = _swap_word(words, early, late)
            if swapped is not None and swapped in by_words:
                add(Pair(name, by_words[swapped], low, high))
            # hire_date beside birth_date: the pair's other words may differ (birthdate / hire_date)
            if early in words and early in ("birth", "rental", "order", "ordered", "invoice"):
                for other, other_words in temporal.items():
                    if late in other_words:
                        add(Pair(name, other, low, high))
    created = [n for n, w in temporal.items() if set(w) & _CREATED]
    updated = [n for n, w in temporal.items() if set(w) & _UPDATED or w[:2] == ("last", "update")]
    if not created:
        # No creation time: the row's past events (a rental's date, a payment's) come before its last update.
        created = [n for n, w in temporal.items() if n not in updated and not set(w) & _NOT_PAST]
    for first in created:
        for later in updated:
            add(Pair(first, later, dt.timedelta(0), None))
    # Things that happened to the row (accepted_at, revoked_at, last_logged_at) happened after it was made.
    for first in [n for n, w in temporal.items() if set(w) & _CREATED]:
        for later, words in temporal.items():
            happened = (words[0].endswith("ed") or words[0] == "last") and not set(words) & _CREATED
            if happened and not set(words) & _NOT_PAST:
                add(Pair(first, later, dt.timedelta(0), None))
    numeric_words = {words: name for name, words in numeric.items()}
    for low_word, high_word in _NUMERIC_PAIRS:
        for name, words in numeric.items():
            swapped = _swap_word(words, low_word, high_word)
            if swapped is not None and swapped in numeric_words:
                add(Pair(name, numeric_words[swapped], 0, None, numeric=True))
    return found


def find_sums(columns: dict[str, ColumnSpec], skip: set[str]) -> list[tuple[str, tuple[str, ...]]]:
    """``(total, parts)``: a numeric column named ``total_X`` and two or more columns named ``<word>_X``."""
    numeric = {
        n: tokens(n) for n, s in columns.items() if s.kind in ("int", "decimal", "float") and n not in skip
    }
    out = []
    for name, words in numeric.items():
        if "total" not in words:
            continue
        rest = tuple(w for w in words if w != "total")
        if not rest:
            continue
        parts = tuple(
            other
            for other, other_words in numeric.items()
            if other != name and len(other_words) == len(rest) + 1 and other_words[1:] == rest
        )
        if len(parts) >= 2:
            out.append((name, parts))
    return out


def _gap(rng: random.Random, low: Any, high: Any) -> Any:
    if isinstance(low, dt.timedelta):
        top = high if high is not None else low + 180 * DAY
        seconds = rng.uniform(low.total_seconds(), max(low.total_seconds(), top.total_seconds()))
        return dt.timedelta(seconds=int(seconds))
    return low


def _shift(value: Any, gap: dt.timedelta, sign: int) -> Any:
    if isinstance(value, dt.datetime):
        return value + sign * gap
    if isinstance(value, dt.date):
        return value + sign * dt.timedelta(days=max(gap.days, 1 if gap else 0))
    return value


def _like(value: Any, spec: ColumnSpec, rng: random.Random) -> Any:
    """``value`` as the column holds it: a date for a date column, a timestamp in the day for a timestamp."""
    if spec.kind == "date" and isinstance(value, dt.datetime):
        return value.date()
    if spec.kind == "datetime" and not isinstance(value, dt.datetime) and isinstance(value, dt.date):
        value = dt.datetime(value.year, value.month, value.day) + dt.timedelta(
            seconds=rng.randint(28800, 72000)
        )
    if isinstance(value, dt.datetime):
        if spec.timezone and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        if not spec.timezone and value.tzinfo is not None:
            return value.replace(tzinfo=None)
    return value


def _too_far(a: Any, b: Any, pair: Pair) -> bool:
    try:
        gap = _as_datetime(b) - _as_datetime(a)
    except (TypeError, AttributeError):
        return False
    if gap < pair.low_gap or gap < dt.timedelta(0):
        return True
    return bool(pair.high_gap is not None and gap > pair.high_gap)


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime(value.year, value.month, value.day)


def apply_pairs(
    columns: dict[str, ColumnSpec],
    data: dict[str, list[Any]],
    rng: random.Random,
    skip: set[str],
    settled: Callable[[str], bool] = lambda _: False,
) -> None:
    """Put each pair of every row in order (the later column moved after the earlier, else the earlier
    before the later), then every total equal to the sum of its parts, wherever the column's rules allow."""
    pairs = find_pairs(columns, skip)
    # Twice: a column moved by a later pair (created, started) may break an earlier one (started, completed).
    for pair in pairs + pairs:
        first, second = data.get(pair.earlier), data.get(pair.later)
        if first is None or second is None or settled(pair.later):
            continue
        for i, (a, b) in enumerate(zip(first, second, strict=False)):
            if a is None or b is None:
                continue
            if pair.numeric:
                try:
                    if a > b and fits(b, columns[pair.earlier]) and fits(a, columns[pair.later]):
                        first[i], second[i] = b, a
                except TypeError:
                    pass
                continue
            if not _too_far(a, b, pair):
                continue
            gap = _gap(rng, pair.low_gap, pair.high_gap)
            moved = _like(_shift(a, gap, 1), columns[pair.later], rng)
            if fits(moved, columns[pair.later]):
                second[i] = moved
                continue
            back = _like(_shift(b, gap, -1), columns[pair.earlier], rng)
            if fits(back, columns[pair.earlier]):
                first[i] = back
    for total, parts in find_sums(columns, skip):
        values = data.get(total)
        part_values = [data.get(p) for p in parts]
        if values is None or any(p is None for p in part_values):
            continue
        for i in range(len(values)):
            row_parts = [p[i] for p in part_values if p is not None]
            if values[i] is None or any(v is None for v in row_parts):
                continue
            summed = sum(row_parts, decimal.Decimal(0) if isinstance(row_parts[0], decimal.Decimal) else 0)
            if fits(summed, columns[total]):
                values[i] = summed


def event_column(columns: dict[str, ColumnSpec], skip: set[str]) -> str | None:
    """The column saying when a row happened: its creation time, else its first past event (a rental's
    date, a payment's), never an update, deadline or birth date."""
    temporal = {n: tokens(n) for n, s in columns.items() if s.kind in ("date", "datetime") and n not in skip}
    for name, words in temporal.items():
        if set(words) & _CREATED:
            return name
    for name, words in temporal.items():
        if not set(words) & (_UPDATED | _NOT_PAST) and words[:2] != ("last", "update"):
            return name
    return None


def after_parents(
    columns: dict[str, ColumnSpec],
    data: dict[str, list[Any]],
    parent_times: list[Any],
    rng: random.Random,
    skip: set[str],
) -> None:
    """A child row happens after its parent row (a payment after its rental): the child's event column is
    moved after the parent's time where it came out earlier, then its own pairs are put in order again."""
    column = event_column(columns, skip)
    values = data.get(column) if column else None
    if column is None or values is None:
        return
    spec = columns[column]
    for i, (mine, theirs) in enumerate(zip(values, parent_times, strict=False)):
        if mine is None or theirs is None:
            continue
        try:
            early = _as_datetime(mine) < _as_datetime(theirs)
        except (TypeError, AttributeError):
            continue
        if early:
            moved = _like(_shift(theirs, _gap(rng, dt.timedelta(minutes=5), 3 * DAY), 1), spec, rng)
            if fits(moved, spec):
                values[i] = moved
    apply_pairs(columns, data, rng, skip)
