"""Column values: what kind of value a column holds, and realistic values of that kind, column-wise.

Faker is only used to fill *pools* (a few hundred names, cities, phone numbers... per seed); the generators
then draw from the pools with the run's ``random.Random``, so generating 200,000 rows costs list
comprehensions,not 200,000 Faker calls, and the same seed gives the same values.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import random
import re
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import types as sqltypes

from dbaudit.seed.constraints import ColumnRule, like_example

#: Generated dates fall in the three years before this day (fixed, so runs are reproducible).
ANCHOR = dt.datetime(2025, 1, 1, 9, 0, 0)
SPAN_SECONDS = 3 * 365 * 24 * 3600
POOL_SIZE = 400
UTC = dt.timezone.utc


@dataclass
class ColumnSpec:
    """What the seeder knows about one column: its kind of value and every limit on it."""

    name: str
    kind: str
    """int, float, decimal, bool, str, date, datetime, time, interval, uuid, json, bytes, enum, set, array,
    inet, cidr, macaddr, tsvector or unknown."""
    nullable: bool = True
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    int_bits: int = 32
    unsigned: bool = False
    timezone: bool = False
    choices: list[Any] | None = None
    item: ColumnSpec | None = None
    has_default: bool = False
    skip: bool = False
    """Filled by the database (identity, serial, computed): never written."""
    uuid_as_text: bool = False
    rule: ColumnRule = field(default_factory=ColumnRule)


_KIND_BY_CLASS = {
    "INET": "inet",
    "CIDR": "cidr",
    "MACADDR": "macaddr",
    "MACADDR8": "macaddr",
    "TSVECTOR": "tsvector",
    "INTERVAL": "interval",
    "CITEXT": "str",
    "MONEY": "decimal",
    "YEAR": "year",
    "XML": "str",
}


_RANGE_ITEMS = {
    "INT4RANGE": "int",
    "INT8RANGE": "int",
    "NUMRANGE": "decimal",
    "DATERANGE": "date",
    "TSRANGE": "datetime",
    "TSTZRANGE": "datetime",
}


def classify(column_name: str, sa_type: Any, dialect: Any) -> ColumnSpec:
    """A :class:`ColumnSpec` (without nullability and rules) for a reflected SQLAlchemy type; ``dialect`` (the
    dialect layer's class) says whether the engine stores UUIDs natively and takes anything in an untyped
    column."""
    spec = ColumnSpec(name=column_name, kind="unknown")
    inner = getattr(sa_type, "data_type", None)
    if type(sa_type).__name__ == "DOMAIN" and inner is not None:
        return classify(column_name, inner, dialect)
    name = type(sa_type).__name__.upper()
    if name in _RANGE_ITEMS:
        spec.kind = "range"
        spec.item = ColumnSpec(name=column_name, kind=_RANGE_ITEMS[name], timezone=name == "TSTZRANGE")
        return spec
    if name in _KIND_BY_CLASS:
        spec.kind = _KIND_BY_CLASS[name]
        return spec
    if name == "SET" and hasattr(sa_type, "values"):
        spec.kind, spec.choices = "set", list(sa_type.values)
        return spec
    if isinstance(sa_type, sqltypes.Enum):
        spec.kind, spec.choices = "enum", list(sa_type.enums)
        return spec
    if isinstance(sa_type, sqltypes.ARRAY):
        spec.kind = "array"
        spec.item = classify(column_name, sa_type.item_type, dialect)
        return spec
    if name == "TINYINT" and getattr(sa_type, "display_width", None) == 1:
        spec.kind = "bool"
        return spec
    if isinstance(sa_type, sqltypes.Boolean):
        spec.kind = "bool"
    elif isinstance(sa_type, sqltypes.Integer):
        spec.kind = "int"
        spec.unsigned = bool(getattr(sa_type, "unsigned", False))
        if isinstance(sa_type, sqltypes.SmallInteger) or name in {"TINYINT", "SMALLINT"}:
            spec.int_bits = 8 if name == "TINYINT" else 16
        elif isinstance(sa_type, sqltypes.BigInteger):
            spec.int_bits = 64
    elif isinstance(sa_type, sqltypes.Float):
        spec.kind = "float"
    elif isinstance(sa_type, sqltypes.Numeric):
        spec.kind = "decimal"
        spec.precision, spec.scale = sa_type.precision, sa_type.scale
    elif isinstance(sa_type, sqltypes.DateTime):
        spec.kind, spec.timezone = "datetime", bool(getattr(sa_type, "timezone", False))
    elif isinstance(sa_type, sqltypes.Date):
        spec.kind = "date"
    elif isinstance(sa_type, sqltypes.Time):
        spec.kind = "time"
    elif isinstance(sa_type, sqltypes.Interval):
        spec.kind = "interval"
    elif isinstance(sa_type, sqltypes.JSON):
        spec.kind = "json"
    elif isinstance(sa_type, sqltypes.Uuid):
        spec.kind = "uuid"
        spec.uuid_as_text = not getattr(sa_type, "native_uuid", True) or not dialect.native_uuid
    elif isinstance(sa_type, sqltypes._Binary):
        spec.kind = "bytes"
        spec.length = getattr(sa_type, "length", None)
    elif isinstance(sa_type, sqltypes.String):
        spec.kind = "str"
        spec.length = sa_type.length
    elif dialect.untyped_columns_take_anything and isinstance(sa_type, sqltypes.NullType):
        spec.kind = "bytes"  # SQLite: a column without a declared type has BLOB affinity and takes anything
    return spec


# ------------------------------------------------------------------------------------------------------------
# Pools


@dataclass
class Pools:
    """Pre-generated realistic values, drawn from by the generators.  One per seed."""

    seed: int
    _cache: dict[str, list[Any]] = field(default_factory=dict)
    _faker: Any = None

    def get(self, kind: str) -> list[Any]:
        if kind not in self._cache:
            if self._faker is None:
                from faker import Faker

                self._faker = Faker("en_US")
            fake = self._faker
            fake.seed_instance(
                f"{self.seed}:{kind}"
            )  # reseeded per pool: each pool is the same whatever came first
            maker = _POOL_MAKERS[kind]
            self._cache[kind] = [maker(fake) for _ in range(POOL_SIZE)]
        return self._cache[kind]


def _phrase(fake: Any) -> str:
    return str(fake.catch_phrase())


_POOL_MAKERS: dict[str, Callable[[Any], Any]] = {
    "first_name": lambda f: f.first_name(),
    "last_name": lambda f: f.last_name(),
    "city": lambda f: f.city(),
    "country": lambda f: f.country(),
    "country_code": lambda f: f.country_code(),
    "state": lambda f: f.state(),
    "street": lambda f: f.street_address(),
    "postcode": lambda f: f.postcode(),
    "phone": lambda f: f.numerify("+1-###-###-####"),
    "company": lambda f: f.company(),
    "job": lambda f: f.job(),
    "word": lambda f: f.word(),
    "title": _phrase,
    "sentence": lambda f: f.sentence(nb_words=10),
    "domain": lambda f: f.domain_word(),
    "user": lambda f: f.user_name(),
    "color": lambda f: f.color_name(),
    "currency": lambda f: f.currency_code(),
}


@functools.lru_cache(maxsize=8)
def pools_for(seed: int) -> Pools:
    return Pools(seed)


# ------------------------------------------------------------------------------------------------------------
# Semantic categories by column name

_PERSON_TABLES = re.compile(
    r"(user|customer|employee|staff|person|people|member|actor|artist|author|contact|client|"
    r"student|teacher|patient|player|account_holder|owner|manager|driver)",
    re.I,
)
_COMPANY_TABLES = re.compile(r"(compan|vendor|supplier|organi[sz]ation|org$|tenant|partner|brand)", re.I)

_SEMANTIC: list[tuple[str, str]] = [
    (r"e_?mail", "email"),
    (r"^(first_?name|given_?name|forename|fname)$", "first_name"),
    (r"^(last_?name|surname|family_?name|lname)$", "last_name"),
    (r"^(full_?name|display_?name|contact_?name|person_?name)$", "full_name"),
    (r"(phone|mobile|fax|tel)", "phone"),
    (r"(url|website|homepage|link|href)$", "url"),
    (r"(^|_)city$", "city"),
    (r"country_?code$", "country_code"),
    (r"(^|_)country$", "country"),
    (r"(^|_)(state|province|region)$", "state"),
    (r"(postal_?code|zip_?code|^zip$|postcode)", "postcode"),
    (r"(^|_)(address|address1|address_?line_?1|street)$", "street"),
    (r"(address2|address_?line_?2)$", "street2"),
    (r"(user_?name|login|handle|nickname)$", "user"),
    (r"(password|passwd|pwd|secret|token|hash)", "hex"),
    (r"(company|organi[sz]ation|employer)", "company"),
    (r"(job_?title|occupation|position)", "job"),
    (r"(description|notes?|comments?|summary|bio|body|content|remarks|details|message|text)$", "sentence"),
    (r"(^|_)title$", "title"),
    (r"(^|_)status$", "status"),
    (r"(^|_)(currency|currency_?code)$", "currency"),
    (r"(colou?r)$", "color"),
    (r"(slug)$", "slug"),
    (r"(^|_)(ip|ip_?address)$", "ip"),
    (r"(uuid|guid)$", "uuid"),
    (r"(^|_)name$", "name"),
    (r"(^|_)(code|sku|reference|ref)$", "code"),
    (r"(^|_)(age)$", "age"),
    (r"(^|_)(year)$", "year"),
    (r"(quantity|qty|count|number_of|num_)", "quantity"),
    (r"(price|amount|cost|total|balance|salary|fee|rate)", "money"),
    (r"(rating|score|stars)$", "rating"),
    (r"(latitude|(^|_)lat)$", "latitude"),
    (r"(longitude|(^|_)(lng|lon))$", "longitude"),
]
_SEMANTIC_RE = [(re.compile(pattern, re.I), category) for pattern, category in _SEMANTIC]
_STATUSES = ["active", "pending", "inactive", "archived", "draft"]


def semantic_category(column: str, table: str) -> str | None:
    """The kind of real-world value a column name suggests (``email``, ``city``...), or ``None``."""
    for pattern, category in _SEMANTIC_RE:
        if pattern.search(column):
            if category == "name":
                if _PERSON_TABLES.search(table):
                    return "full_name"
                if _COMPANY_TABLES.search(table):
                    return "company"
                if re.search(r"cit(y|ies)", table, re.I):
                    return "city"
                if re.search(r"countr", table, re.I):
                    return "country"
            return category
    return None


# ------------------------------------------------------------------------------------------------------------
# Generators: n values of one column at once


def picks(rng: random.Random, pool: list[Any], n: int) -> list[Any]:
    """``n`` draws from ``pool`` (``rng.choice`` is ~5x slower in bulk)."""
    rnd = rng.random
    size = len(pool)
    return [pool[int(rnd() * size)] for _ in range(n)]


def ints_between(rng: random.Random, lo: int, hi: int, n: int) -> list[int]:
    """``n`` integers in ``[lo, hi]``."""
    rnd = rng.random
    span = hi - lo + 1
    return [lo + int(rnd() * span) for _ in range(n)]


@dataclass
class GenContext:
    rng: random.Random
    pools: Pools
    table: str
    pattern_misses: dict[tuple[tuple[str, str, bool], ...], int] = field(default_factory=dict)
    """Patterns of this table that gave nothing fitting, and how many times in a row: two patterns no string
    matches at once (``~ '^[a-z]+$' AND ~ '^[0-9]+$'``) then cost one draw per value, not eight."""


def generate_column(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    """``n`` values for ``spec`` (never ``None``; the caller decides about NULLs)."""
    rule = spec.rule
    rng = ctx.rng
    if rule.choices:
        converted = [as_kind(c, spec) for c in rule.choices]
        choices = [c for c in converted if c not in rule.excluded and within(c, rule)] or converted
        return picks(rng, choices, n)
    kind = spec.kind
    if kind == "str":
        return _strings(spec, n, ctx)
    maker = _KIND_GENERATORS.get(kind)
    if maker is None:
        raise ValueError(f"no generator for {kind}")
    values = maker(spec, n, ctx)
    if rule.excluded:
        values = [v if v not in rule.excluded else _bump(v) for v in values]
    return values


def as_kind(value: Any, spec: ColumnSpec) -> Any:
    """A CHECK's constant as the column holds it (``(x)::text IN ('1', '2')`` on an integer column: 1, 2)."""
    kind = spec.kind
    try:
        if kind == "bool" and not isinstance(value, bool):
            if isinstance(value, str):
                return value.strip().lower() in ("t", "true", "y", "yes", "on", "1")
            return bool(value)
        if (
            kind in ("int", "year")
            and isinstance(value, (str, decimal.Decimal))
            and not isinstance(value, bool)
        ):
            return int(str(value).strip())
        if kind == "decimal" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return decimal.Decimal(str(value).strip())
        if kind == "float" and isinstance(value, (str, decimal.Decimal)):
            return float(value)
        if kind == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value.strip()[:10])
        if kind == "datetime" and isinstance(value, str):
            return dt.datetime.fromisoformat(value.strip())
        if kind in ("str", "enum") and not isinstance(value, str) and value is not None:
            return str(value)
    except (ValueError, decimal.InvalidOperation):
        return value
    return value


def within(value: Any, rule: ColumnRule) -> bool:
    """Whether ``value`` keeps the rule's bounds and lengths (a value that cannot be compared does)."""
    from dbaudit.seed.predicates import compare

    try:
        if rule.low is not None and not compare(value, ">=" if rule.low_inclusive else ">", rule.low):
            return False
        if rule.high is not None and not compare(value, "<=" if rule.high_inclusive else "<", rule.high):
            return False
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        if rule.min_length is not None and len(value) < rule.min_length:
            return False
        if rule.max_length is not None and len(value) > rule.max_length:
            return False
    return True


def _bump(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, decimal.Decimal, float)):
        return value + 1
    return value


def _int_bounds(spec: ColumnSpec, ctx: GenContext) -> tuple[int, int]:
    category = semantic_category(spec.name, ctx.table)
    lo, hi = {
        "age": (18, 90),
        "year": (1950, 2025),
        "quantity": (1, 20),
        "rating": (1, 5),
        "money": (1, 500),
    }.get(category or "", (1, 1000))
    type_hi = (1 << (spec.int_bits - (0 if spec.unsigned else 1))) - 1
    return _apply_bounds(spec.rule, lo, min(hi, type_hi), integer=True)


def _apply_bounds(rule: ColumnRule, lo: Any, hi: Any, integer: bool) -> tuple[Any, Any]:
    step = 1 if integer else decimal.Decimal("0.01")
    if rule.low is not None and not isinstance(rule.low, str):
        low = rule.low if rule.low_inclusive else rule.low + step
        lo = low if integer is False or isinstance(low, int) else int(low) + 1
        if hi < lo:
            hi = lo + 100
    if rule.high is not None and not isinstance(rule.high, str):
        high = rule.high if rule.high_inclusive else rule.high - step
        hi = high if integer is False or isinstance(high, int) else int(high)
        if lo > hi:
            lo = hi - 100 if rule.low is None else lo
    return lo, hi


def _ints(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    lo, hi = _int_bounds(spec, ctx)
    return ints_between(ctx.rng, lo, hi, n)


def _year(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    lo, hi = _apply_bounds(spec.rule, 1990, 2024, integer=True)
    return [ctx.rng.randint(lo, hi) for _ in range(n)]


def _floats(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    category = semantic_category(spec.name, ctx.table)
    lo, hi = {"latitude": (-80.0, 80.0), "longitude": (-179.0, 179.0), "rating": (1.0, 5.0)}.get(
        category or "", (0.0, 1000.0)
    )
    lo, hi = _apply_bounds(spec.rule, lo, hi, integer=False)
    uniform = ctx.rng.uniform
    return [round(uniform(float(lo), float(hi)), 4) for _ in range(n)]


def _decimals(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    scale = spec.scale if spec.scale is not None else 2
    limit = decimal.Decimal(10) ** ((spec.precision or 12) - scale) - decimal.Decimal(1).scaleb(-scale)
    category = semantic_category(spec.name, ctx.table)
    lo, hi = {"latitude": (-80, 80), "longitude": (-179, 179), "rating": (1, 5)}.get(
        category or "", (decimal.Decimal("0.5"), decimal.Decimal(500))
    )
    lo, hi = _apply_bounds(spec.rule, decimal.Decimal(lo), min(decimal.Decimal(hi), limit), integer=False)
    lo, hi = decimal.Decimal(lo), decimal.Decimal(hi)
    quantum = decimal.Decimal(1).scaleb(-scale)
    lo_units = int((lo / quantum).to_integral_value(rounding=decimal.ROUND_CEILING))
    hi_units = int((hi / quantum).to_integral_value(rounding=decimal.ROUND_FLOOR))
    if hi_units < lo_units:
        hi_units = lo_units
    make = decimal.Decimal
    return [make(units).scaleb(-scale) for units in ints_between(ctx.rng, lo_units, hi_units, n)]


def _bools(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    # Flags such as is_active are mostly true in real data; others are even.
    p = 0.8 if re.search(r"(active|enabled|visible|valid|published)", spec.name, re.I) else 0.5
    rnd = ctx.rng.random
    return [rnd() < p for _ in range(n)]


def datetime_bounds(rule: ColumnRule) -> tuple[dt.datetime, dt.datetime]:
    """The interval generated timestamps fall into: the CHECK bounds if any, else three years to ANCHOR."""
    lo, hi = ANCHOR - dt.timedelta(seconds=SPAN_SECONDS), ANCHOR
    low, high = _as_datetime(rule.low), _as_datetime(rule.high)
    if low is not None:
        lo = low if rule.low_inclusive else low + dt.timedelta(seconds=1)
        if hi <= lo:
            hi = lo + dt.timedelta(days=365)
    if high is not None:
        hi = high if rule.high_inclusive else high - dt.timedelta(seconds=1)
        if lo >= hi:
            lo = hi - dt.timedelta(days=365) if low is None else lo
    return lo, hi


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def _datetimes(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    lo, hi = datetime_bounds(spec.rule)
    span = max(1, int((hi - lo).total_seconds()))
    tz = UTC if spec.timezone else None
    base = lo.replace(tzinfo=tz)
    delta = dt.timedelta
    return [base + delta(seconds=s) for s in ints_between(ctx.rng, 0, span, n)]


def _dates(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    lo, hi = datetime_bounds(spec.rule)
    days = max(0, (hi.date() - lo.date()).days)
    start = lo.date() if lo.time() == dt.time() else lo.date() + dt.timedelta(days=1)
    randint = ctx.rng.randint
    return [start + dt.timedelta(days=randint(0, max(0, days - 1))) for _ in range(n)]


def _times(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    randint = ctx.rng.randint
    return [dt.time(randint(7, 20), randint(0, 59), randint(0, 59)) for _ in range(n)]


def _intervals(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    randint = ctx.rng.randint
    return [dt.timedelta(days=randint(0, 30), hours=randint(0, 23), minutes=randint(0, 59)) for _ in range(n)]


def _uuids(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    bits = ctx.rng.getrandbits
    values = [uuid.UUID(int=bits(128), version=4) for _ in range(n)]
    return [str(v) for v in values] if spec.uuid_as_text else values


def _jsons(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    words = ctx.pools.get("word")
    rng = ctx.rng
    wanted = spec.rule.json_type
    if wanted == "array":
        return [[rng.choice(words), rng.randint(1, 100)] for _ in range(n)]
    if wanted == "string":
        return picks(rng, words, n)
    if wanted == "number":
        return ints_between(rng, 1, 1000, n)
    if wanted == "boolean":
        return [rng.random() < 0.5 for _ in range(n)]
    if wanted == "null":
        return [None] * n
    return [
        {"label": rng.choice(words), "value": rng.randint(1, 100), "tags": [rng.choice(words)]}
        for _ in range(n)
    ]


def _bytes(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    size = min(16, spec.length or 16)
    bits = ctx.rng.getrandbits
    return [bits(size * 8).to_bytes(size, "big") for _ in range(n)]


def _enums(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    return picks(ctx.rng, spec.choices or [""], n)


def _sets(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    choices = [c for c in (spec.choices or []) if c] or [""]
    rng = ctx.rng
    return [",".join(sorted(rng.sample(choices, rng.randint(1, len(choices))))) for _ in range(n)]


def _arrays(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    assert spec.item is not None
    rng = ctx.rng
    low = spec.rule.min_items or 0
    high = spec.rule.max_items if spec.rule.max_items is not None else max(3, low)
    sizes = [rng.randint(low, max(low, high)) for _ in range(n)]
    flat = generate_column(spec.item, sum(sizes), ctx) if spec.item.kind != "unknown" else []
    out, at = [], 0
    for size in sizes:
        out.append(flat[at : at + size])
        at += size
    return out


RANGE_STEP: dict[str, Any] = {
    "int": 10,
    "decimal": decimal.Decimal(10),
    "date": dt.timedelta(days=1),
    "datetime": dt.timedelta(hours=1),
}
RANGE_START: dict[str, Any] = {
    "int": 1,
    "decimal": decimal.Decimal(1),
    "date": dt.date(2020, 1, 1),
    "datetime": dt.datetime(2020, 1, 1),
}


def range_text(item: ColumnSpec, low: Any, high: Any) -> str:
    """A PostgreSQL range literal ``[low,high)``."""
    if item.timezone and isinstance(low, dt.datetime):
        low, high = low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)
    return f"[{low},{high})" if not isinstance(low, dt.datetime) else f'["{low}","{high}")'


def disjoint_ranges(item: ColumnSpec, n: int, after: Any = None) -> list[str]:
    """``n`` ranges that overlap neither each other nor anything up to ``after`` (an exclusion's ``&&``)."""
    step = RANGE_STEP[item.kind]
    start = RANGE_START[item.kind]
    if after is not None:
        if isinstance(after, dt.datetime) and item.kind == "datetime":
            start = max(start, after.replace(tzinfo=None) + step)
        elif (isinstance(after, dt.date) and item.kind == "date") or isinstance(
            after, (int, decimal.Decimal)
        ):
            start = max(start, after + step)
    return [range_text(item, start + step * (2 * i), start + step * (2 * i + 1)) for i in range(n)]


def _ranges(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    assert spec.item is not None
    item = spec.item
    step = RANGE_STEP[item.kind]
    offsets = ints_between(ctx.rng, 0, 500, n)
    widths = ints_between(ctx.rng, 1, 5, n)
    start = RANGE_START[item.kind]
    return [
        range_text(item, start + step * o, start + step * (o + w))
        for o, w in zip(offsets, widths, strict=True)
    ]


def _inets(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    r = ctx.rng.randint
    return [f"10.{r(0, 255)}.{r(0, 255)}.{r(1, 254)}" for _ in range(n)]


def _cidrs(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    r = ctx.rng.randint
    return [f"10.{r(0, 255)}.{r(0, 255)}.0/24" for _ in range(n)]


def _macs(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    r = ctx.rng.randint
    return [":".join(f"{r(0, 255):02x}" for _ in range(6)) for _ in range(n)]


def _tsvectors(spec: ColumnSpec, n: int, ctx: GenContext) -> list[Any]:
    words = [w.lower() for w in ctx.pools.get("word") if w.isalpha()]
    rng = ctx.rng
    return [" ".join(sorted(set(rng.sample(words, 3)))) for _ in range(n)]


_KIND_GENERATORS: dict[str, Callable[[ColumnSpec, int, GenContext], list[Any]]] = {
    "int": _ints,
    "year": _year,
    "float": _floats,
    "decimal": _decimals,
    "bool": _bools,
    "datetime": _datetimes,
    "date": _dates,
    "time": _times,
    "interval": _intervals,
    "uuid": _uuids,
    "json": _jsons,
    "bytes": _bytes,
    "enum": _enums,
    "set": _sets,
    "array": _arrays,
    "inet": _inets,
    "cidr": _cidrs,
    "macaddr": _macs,
    "tsvector": _tsvectors,
    "range": _ranges,
}

GENERATABLE = frozenset(_KIND_GENERATORS) | {"str"}


def _strings(spec: ColumnSpec, n: int, ctx: GenContext) -> list[str]:
    category = semantic_category(spec.name, ctx.table)
    rng = ctx.rng
    pools = ctx.pools

    def pool(kind: str) -> list[Any]:
        return picks(rng, pools.get(kind), n)

    values: list[str]
    if spec.rule.patterns:
        return [pattern_example(spec, ctx, value) for value in _plain_words(n, ctx)]
    if spec.rule.json or spec.rule.json_type:
        values = [json.dumps(v) for v in _jsons(spec, n, ctx)]
    elif category == "email":
        first = [x.lower().replace(" ", "") for x in pools.get("first_name")]
        last = [x.lower().replace(" ", "") for x in pools.get("last_name")]
        doms = picks(rng, ["com", "org", "net"], n)
        values = [
            f"{a}.{b}@example.{c}"
            for a, b, c in zip(picks(rng, first, n), picks(rng, last, n), doms, strict=True)
        ]
    elif category in _POOL_MAKERS:
        values = pool(category)
    elif category == "full_name":
        values = [f"{a} {b}" for a, b in zip(pool("first_name"), pool("last_name"), strict=True)]
    elif category == "url":
        values = [f"https://{d}.example.com/" for d in pool("domain")]
    elif category == "street2":
        values = [f"Suite {i}" for i in ints_between(rng, 1, 999, n)]
    elif category == "user":
        values = [f"{u}{i}" for u, i in zip(pool("user"), ints_between(rng, 1, 99, n), strict=True)]
    elif category == "hex":
        bits = rng.getrandbits
        values = [f"{bits(128):032x}" for _ in range(n)]
    elif category == "status":
        values = picks(rng, _STATUSES, n)
    elif category == "slug":
        values = [
            f"{a}-{b}-{i}"
            for a, b, i in zip(pool("word"), pool("word"), ints_between(rng, 1, 999, n), strict=True)
        ]
    elif category == "ip":
        values = _inets(spec, n, ctx)
    elif category == "uuid":
        values = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]
    elif category == "code":
        letters = list("ABCDEFGHJKLMNPQRSTUVWXYZ")
        parts = zip(picks(rng, letters, n), picks(rng, letters, n), picks(rng, letters, n), strict=True)
        values = [
            f"{a}{b}{c}{i:04d}" for (a, b, c), i in zip(parts, ints_between(rng, 0, 9999, n), strict=True)
        ]
    else:
        values = [f"{a.capitalize()} {b}" for a, b in zip(pool("word"), pool("word"), strict=True)]
    if not _needs_fit(spec):
        return values
    limit = max_length(spec)
    return [fit_text(v, spec, limit) for v in values]


def _plain_words(n: int, ctx: GenContext) -> list[str]:
    return picks(ctx.rng, ctx.pools.get("word"), n)


#: Characters a regular expression's ``.`` and negated classes are drawn from: no control characters.
_REGEX_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_"
PATTERN_TRIES = 8
PATTERN_GIVE_UP = 3
"""After this many values in a row with nothing fitting, one draw per value (the server judges the rows)."""


def pattern_example(spec: ColumnSpec, ctx: GenContext, word: str) -> str:
    """A string matching the column's patterns (LIKE, GLOB, regular expressions) within its length: drawn
    from the first, candidates that miss the others are drawn again a few times (verification judges last)."""
    rule = spec.rule
    patterns = ([("like", rule.like, False)] if rule.like else []) + rule.patterns
    limit = max_length(spec)
    key = tuple(patterns)
    tries = 1 if ctx.pattern_misses.get(key, 0) >= PATTERN_GIVE_UP else PATTERN_TRIES
    best: str | None = None
    for _ in range(tries):
        value = _one_pattern(patterns[0], ctx, word)
        fits = (limit is None or len(value) <= limit) and len(value) >= (rule.min_length or 0)
        if fits and all(_matches(p, value) for p in patterns[1:]):
            ctx.pattern_misses.pop(key, None)
            return value
        if best is None or len(value) < len(best):
            best = value
    ctx.pattern_misses[key] = ctx.pattern_misses.get(key, 0) + 1
    # Nothing fitted: cut to the column's length (the row is then judged, and dropped, not sent as too long).
    return (best or "")[: limit or None]


def _one_pattern(pattern: tuple[str, str, bool], ctx: GenContext, word: str) -> str:
    kind, text, _ignore_case = pattern
    if kind == "like":
        return like_example(text, word)
    if kind == "glob":
        return glob_example(text, word, ctx.rng)
    return _xeger(ctx.rng).xeger(text)  # type: ignore[no-any-return]


_XEGERS: weakref.WeakKeyDictionary[random.Random, Any] = weakref.WeakKeyDictionary()


def _xeger(rng: random.Random) -> Any:
    """rstr's generator drawing from ``rng`` (the run's seed decides the strings), printable letters only."""
    import rstr

    if rng not in _XEGERS:
        _XEGERS[rng] = rstr.Rstr(rng, printable=_REGEX_ALPHABET, whitespace=" ")
    return _XEGERS[rng]


def _matches(pattern: tuple[str, str, bool], value: str) -> bool:
    from dbaudit.seed.predicates import Match, Term

    regex = Match(Term("_"), pattern[0], pattern[1], ignore_case=pattern[2]).regex()
    if regex is None:
        return True
    return bool(regex.search(value) if pattern[0] == "regex" else regex.fullmatch(value))


def glob_example(pattern: str, fill: str, rng: random.Random) -> str:
    """A string matching the GLOB ``pattern``: ``*`` becomes ``fill``, ``?`` a letter, ``[...]`` one of its
    characters."""
    out: list[str] = []
    used_fill = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if not used_fill:
                out.append(fill)
                used_fill = True
        elif ch == "?":
            out.append((fill or "x")[0])
        elif ch == "[" and pattern.find("]", i + 2) != -1:
            end = pattern.find("]", i + 2)
            out.append(_class_member(pattern[i + 1 : end], rng))
            i = end
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _class_member(body: str, rng: random.Random) -> str:
    negated = body.startswith("^")
    if negated:
        body = body[1:]
    members: set[str] = set()
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            members.update(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            members.add(body[i])
            i += 1
    pool = sorted(set(_REGEX_ALPHABET) - members) if negated else sorted(members)
    return rng.choice(pool) if pool else "x"


def _needs_fit(spec: ColumnSpec) -> bool:
    rule = spec.rule
    return bool(spec.length or rule.max_length or rule.min_length or rule.like)


def max_length(spec: ColumnSpec) -> int | None:
    limits = [x for x in (spec.length, spec.rule.max_length) if x]
    return min(limits) if limits else None


def fit_text(value: str, spec: ColumnSpec, limit: int | bool | None = False) -> str:
    """Shape ``value`` to the column's LIKE pattern and length limits (``limit``: precomputed max length)."""
    rule = spec.rule
    if rule.like is None and not rule.min_length:
        if limit is False:
            limit = max_length(spec)
        if limit and len(value) > limit:
            return value[:limit].rstrip() or value[:limit]
        return value
    if rule.like:
        value = like_example(rule.like, value.replace("%", "").replace("_", "")[:12])
    if rule.min_length and len(value) < rule.min_length:
        value = value + "x" * (rule.min_length - len(value))
    limit = max_length(spec)
    if limit and len(value) > limit:
        value = value[:limit].rstrip() or value[:limit]
    return value
