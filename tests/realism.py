"""The realism rules over seeded rows (docs/realism.md lists them): each checks one kind of cell and counts
the cells it checked and the ones that break it."""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from dbaudit.seed.pairs import event_column, find_pairs
from dbaudit.seed.schema import SeedTable
from dbaudit.seed.semantics import Semantic, classify_table

EMAIL = re.compile(r"^[a-z0-9._%+'-]+@example\.(com|org|net)$")
MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", re.I)
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$", re.I)
ANCHOR = dt.datetime(2025, 1, 1)


@dataclass
class Tally:
    checked: Counter[str] = field(default_factory=Counter)
    broken: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def judge(self, rule: str, ok: bool, where: str) -> None:
        self.checked[rule] += 1
        if not ok:
            self.broken[rule] += 1
            self.examples.setdefault(rule, [])
            if len(self.examples[rule]) < 3:
                self.examples[rule].append(where)

    def table(self) -> str:
        lines = [f"{'rule':<34} {'checked':>8} {'broken':>7} {'share':>7}"]
        for rule in sorted(self.checked):
            checked, broken = self.checked[rule], self.broken[rule]
            lines.append(f"{rule:<34} {checked:>8} {broken:>7} {broken / checked:>7.2%}")
            lines.extend(f"    e.g. {e}" for e in self.examples.get(rule, []))
        return "\n".join(lines)

    def over(self, limit: float) -> dict[str, float]:
        return {
            rule: self.broken[rule] / self.checked[rule]
            for rule in self.checked
            if self.broken[rule] / self.checked[rule] > limit
        }


def _naive(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _url_ok(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def _ip_ok(value: Any) -> bool:
    try:
        ipaddress.ip_interface(str(value))
    except ValueError:
        return False
    return True


def check_cell(tally: Tally, sem: Semantic, type_kind: str, value: Any, marker: str, where: str) -> None:
    """The rules of one cell's kind."""
    kind = sem.kind
    if type_kind == "str" and isinstance(value, str):
        if not sem.free_text:
            tally.judge("marker only in free text", marker not in value, where)
        if kind == "email":
            tally.judge("email valid, example domain", bool(EMAIL.match(value)), where)
        elif kind in ("ipv4", "ipv6"):
            tally.judge("ip address valid", _ip_ok(value), where)
        elif kind == "mac":
            tally.judge("mac address valid", bool(MAC.match(value)), where)
        elif kind == "url":
            tally.judge("url valid", _url_ok(value), where)
        elif kind == "hostname":
            tally.judge("hostname valid", bool(HOSTNAME.match(value)), where)
        elif kind == "year_text":
            year = _number(value)
            tally.judge("year plausible", year is not None and 1900 <= year <= 2030, where)
        return
    if type_kind in ("inet", "cidr"):
        tally.judge("ip address valid", _ip_ok(value), where)
        return
    if type_kind == "macaddr":
        tally.judge("mac address valid", bool(MAC.match(str(value))), where)
        return
    number = _number(value) if type_kind in ("int", "decimal", "float", "year") else None
    if number is not None:
        if kind == "percent":
            tally.judge("percentage within 0-100", 0 <= number <= 100, where)
        elif kind == "ratio":
            tally.judge("ratio within 0-1", 0 <= number <= 1, where)
        elif kind in ("year", "expiry_year"):
            tally.judge("year plausible", 1900 <= number <= 2035, where)
        elif kind == "age":
            tally.judge("age plausible", 0 <= number <= 120, where)
        elif kind == "money":
            tally.judge("money not negative", number >= 0, where)
        elif kind in ("month", "expiry_month"):
            tally.judge("month within 1-12", 1 <= number <= 12, where)
        return
    when = _naive(value) if type_kind in ("date", "datetime") else None
    if when is not None and kind == "birth_date":
        age = (ANCHOR - when).days / 365.25
        tally.judge("age plausible", 14 <= age <= 110, where)


def check_rows(
    tally: Tally,
    table: SeedTable,
    rows: Sequence[Mapping[str, Any]],
    marker: str,
    existing: Mapping[str, Sequence[Any]] | None = None,
) -> None:
    """Every rule over the new ``rows`` of ``table``; ``existing`` holds the table's earlier values per column
    (new dates must fall within their span)."""
    specs = table.columns
    kinds = classify_table(table.name, {n: (s.kind, s.length) for n, s in specs.items()})
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    spans: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    for name, values in (existing or {}).items():
        if specs[name].kind in ("date", "datetime") and name not in fk_columns:
            seen = [w for w in (_naive(v) for v in values) if w is not None]
            if len(seen) >= 2:
                spans[name] = (min(seen), max(seen))
    pairs = find_pairs(specs, fk_columns | set(table.sequences))
    for index, row in enumerate(rows):
        for name, value in row.items():
            if value is None or name in fk_columns or name not in specs:
                continue
            where = f"{table.name}.{name}={value!r}"
            check_cell(tally, kinds[name], specs[name].kind, value, marker, where)
            if name in spans:
                when = _naive(value)
                low, high = spans[name]
                inside = when is not None and low <= when <= high
                tally.judge("new dates within existing span", inside, where)
        for pair in pairs:
            first, second = row.get(pair.earlier), row.get(pair.later)
            if first is None or second is None:
                continue
            where = f"{table.name}[{index}] {pair.earlier}={first!r} {pair.later}={second!r}"
            if pair.numeric:
                tally.judge("ordered pair holds", first <= second, where)
            else:
                a, b = _naive(first), _naive(second)
                tally.judge("ordered pair holds", a is not None and b is not None and a <= b, where)


def new_rows(before: Iterable[tuple[Any, ...]], after: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows of ``after`` that ``before`` did not have (as a multiset)."""
    left = Counter(repr(row) for row in before)  # repr: rows may hold lists and dicts
    out = []
    for row in after:
        if left[repr(row)]:
            left[repr(row)] -= 1
        else:
            out.append(row)
    return out


def check_lineage(
    tally: Tally,
    table: SeedTable,
    parent: SeedTable,
    referred: tuple[str, ...],
    columns: tuple[str, ...],
    rows: Sequence[Mapping[str, Any]],
    parent_rows: Sequence[Mapping[str, Any]],
) -> None:
    """A child row's event comes after its parent row's (a payment after its rental)."""
    skip = {c for fk in table.foreign_keys for c in fk.columns}
    mine = event_column(table.columns, skip | ({table.partition_key} if table.partition_key else set()))
    theirs = event_column(parent.columns, {c for fk in parent.foreign_keys for c in fk.columns})
    if mine is None or theirs is None:
        return
    when = {tuple(r[c] for c in referred): r[theirs] for r in parent_rows}
    for row in rows:
        key = tuple(row[c] for c in columns)
        child, parent_time = _naive(row.get(mine)), _naive(when.get(key))
        if child is None or parent_time is None:
            continue
        where = f"{table.name}.{mine}={child} before {parent.name}.{theirs}={parent_time}"
        tally.judge("child after its parent", child >= parent_time, where)
