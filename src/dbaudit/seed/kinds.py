"""Values of each column kind (:mod:`dbaudit.seed.semantics`), and the one entry point the row generator
calls: :func:`column_values`.

Faker's providers make the pools (names, addresses, companies, card numbers, MIME types...); the run's
``random.Random`` draws from them, so the same seed gives the same values.  What no provider gives safely is
written here: emails on the reserved example domains, phone numbers in the 555-01xx range kept for fiction,
IP addresses in the documentation ranges (RFC 5737, RFC 3849), locally administered MAC addresses.

CHECKs and types win over meaning: a value of the column's kind that breaks one of its rules (bounds,
lengths, the type's range) is replaced by the constraint-driven generator's value for that row.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import math
import random
import string
import uuid
from collections.abc import Callable
from typing import Any

from dbaudit.seed.semantics import FREE_TEXT, Semantic, classify_column, classify_table
from dbaudit.seed.values import (
    ANCHOR,
    UTC,
    ColumnSpec,
    GenContext,
    fit_text,
    generate_column,
    max_length,
    within,
)

POOL_SIZE = 300
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
"""Reserved for documentation (RFC 2606): no mail ever reaches a real person."""
STATUSES = ("active", "active", "active", "pending", "inactive", "archived")

_FAKER: Any = None


def _faker() -> Any:
    global _FAKER
    if _FAKER is None:
        from faker import Faker

        _FAKER = Faker("en_US")
    return _FAKER


def _title(fake: Any) -> str:
    return " ".join(w.capitalize() for w in str(fake.sentence(nb_words=3)).rstrip(".").split())


_POOL_MAKERS: dict[str, Callable[[Any], Any]] = {
    "first_name": lambda f: f.first_name(),
    "last_name": lambda f: f.last_name(),
    "street": lambda f: f.street_address(),
    "street2": lambda f: f.secondary_address(),
    "city": lambda f: f.city(),
    "postcode": lambda f: f.postcode(),
    "country": lambda f: f.country(),
    "country_code": lambda f: f.country_code(),
    "region": lambda f: f.state(),
    "region_code": lambda f: f.state_abbr(),
    "currency_code": lambda f: f.currency_code(),
    "currency": lambda f: f.currency_name(),
    "language": lambda f: f.language_name(),
    "language_code": lambda f: f.language_code(),
    "locale": lambda f: f.locale(),
    "timezone": lambda f: f.timezone(),
    "color": lambda f: f.color_name(),
    "hex_color": lambda f: f.hex_color(),
    "mime_type": lambda f: f.mime_type(),
    "file_name": lambda f: f.file_name(),
    "file_path": lambda f: f.file_path(depth=2),
    "file_extension": lambda f: f.file_extension(),
    "company": lambda f: f.company(),
    "job": lambda f: f.job(),
    "username": lambda f: f.user_name(),
    "word": lambda f: f.word(),
    "title": _title,
    "sentence": lambda f: f.sentence(nb_words=8),
    "paragraph": lambda f: f.paragraph(nb_sentences=2),
    "card_number": lambda f: f.credit_card_number(card_type="visa16"),
}


@functools.lru_cache(maxsize=256)
def pool(seed: int, name: str) -> tuple[Any, ...]:
    """``POOL_SIZE`` values of one provider, the same for a seed whatever was made before."""
    fake = _faker()
    fake.seed_instance(f"{seed}:kinds:{name}")
    maker = _POOL_MAKERS[name]
    return tuple(maker(fake) for _ in range(POOL_SIZE))


def _pick(rng: random.Random, values: tuple[Any, ...] | list[Any], n: int) -> list[Any]:
    rnd = rng.random
    size = len(values)
    return [values[int(rnd() * size)] for _ in range(n)]


# ------------------------------------------------------------------------------------------------------------
# Text


def _emails(rng: random.Random, seed: int, n: int) -> list[str]:
    firsts, lasts = pool(seed, "first_name"), pool(seed, "last_name")
    out = []
    for _ in range(n):
        first, last = rng.choice(firsts).lower(), rng.choice(lasts).lower()
        local = f"{first}.{last}" if rng.random() < 0.7 else f"{first[0]}{last}{rng.randint(1, 99)}"
        out.append(f"{local.replace(' ', '').replace(chr(39), '')}@{rng.choice(EXAMPLE_DOMAINS)}")
    return out


def _phones(rng: random.Random, n: int, limit: int | None) -> list[str]:
    # 555-0100 to 555-0199 is kept for fiction in the North American plan: no real line answers.
    values = [f"+1-{rng.randint(201, 989)}-555-01{rng.randint(0, 99):02d}" for _ in range(n)]
    if limit is not None and limit < 15:
        values = [v[-8:] for v in values]
    return values


def _ipv4(rng: random.Random, n: int) -> list[str]:
    nets = ("192.0.2", "198.51.100", "203.0.113")  # RFC 5737 documentation ranges
    return [f"{rng.choice(nets)}.{rng.randint(1, 254)}" for _ in range(n)]


def _ipv6(rng: random.Random, n: int) -> list[str]:
    return [
        "2001:db8:" + ":".join(f"{rng.getrandbits(16):x}" for _ in range(6))  # RFC 3849
        for _ in range(n)
    ]


def _macs(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        first = (rng.getrandbits(8) & 0b11111100) | 0b10  # locally administered, unicast
        rest = [rng.getrandbits(8) for _ in range(5)]
        out.append(":".join(f"{b:02x}" for b in [first, *rest]))
    return out


def _hex(rng: random.Random, n: int, size: int) -> list[str]:
    return [f"{rng.getrandbits(size * 4):0{size}x}" for _ in range(n)]


_BCRYPT = string.ascii_letters + string.digits + "./"
_TOKEN = string.ascii_letters + string.digits + "-_"


def _passwords(rng: random.Random, n: int, limit: int | None) -> list[str]:
    if limit is not None and limit < 60:
        return _hex(rng, n, min(limit, 64))
    return ["$2b$12$" + "".join(rng.choice(_BCRYPT) for _ in range(53)) for _ in range(n)]


def _codes(rng: random.Random, n: int, limit: int | None) -> list[str]:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    values = [
        "".join(rng.choice(letters) for _ in range(3)) + "-" + f"{rng.randint(0, 9999):04d}" for _ in range(n)
    ]
    if limit is not None and limit < 8:
        values = [v.replace("-", "")[:limit] for v in values]
    return values


def _categories(rng: random.Random, seed: int, column: str, n: int) -> list[str]:
    # A handful of values per column, as real type/kind columns hold: four words chosen by the column's name.
    words = [w for w in pool(seed, "word") if w.isalpha()]
    local = random.Random(f"{seed}:{column}")
    return _pick(rng, local.sample(words, 4), n)


def _json_text(rng: random.Random, n: int) -> list[str]:
    themes = ("light", "dark", "system")
    languages = ("en", "fr", "de", "es")
    return [
        json.dumps(
            {
                "theme": rng.choice(themes),
                "language": rng.choice(languages),
                "notifications": rng.random() < 0.7,
            }
        )
        for _ in range(n)
    ]


def _text(sem: Semantic, spec: ColumnSpec, n: int, rng: random.Random, seed: int) -> list[Any] | None:
    kind = sem.kind
    limit = max_length(spec)
    if kind == "email":
        return _emails(rng, seed, n)
    if kind == "phone":
        return _phones(rng, n, limit)
    if kind == "url":
        slugs = [w for w in pool(seed, "word") if w.isalpha()]
        return [f"https://www.{rng.choice(EXAMPLE_DOMAINS)}/{rng.choice(slugs)}" for _ in range(n)]
    if kind == "hostname":
        words = [w for w in pool(seed, "word") if w.isalpha()]
        return [f"{rng.choice(words)}-{rng.randint(1, 20)}.{rng.choice(EXAMPLE_DOMAINS)}" for _ in range(n)]
    if kind == "ipv4":
        return _ipv4(rng, n)
    if kind == "ipv6":
        return _ipv6(rng, n)
    if kind == "mac":
        return _macs(rng, n)
    if kind == "uuid":
        return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]
    if kind == "password":
        return _passwords(rng, n, limit)
    if kind == "hash":
        return _hex(rng, n, min(limit or 64, 64))
    if kind == "token":
        size = min(limit or 32, 32)
        return ["".join(rng.choice(_TOKEN) for _ in range(size)) for _ in range(n)]
    if kind == "card_number":
        return _pick(rng, pool(seed, "card_number"), n)
    if kind == "expiry_month":
        return [f"{rng.randint(1, 12):02d}" for _ in range(n)]
    if kind == "expiry_year":
        return [str(rng.randint(2025, 2032)) for _ in range(n)]
    if kind == "year_text":
        return [str(rng.randint(int(sem.low or 1970), int(sem.high or 2024))) for _ in range(n)]
    if kind == "full_name":
        firsts, lasts = pool(seed, "first_name"), pool(seed, "last_name")
        return [f"{rng.choice(firsts)} {rng.choice(lasts)}" for _ in range(n)]
    if kind == "username":
        return [f"{u}{rng.randint(1, 99)}" for u in _pick(rng, pool(seed, "username"), n)]
    if kind == "color" and limit is not None and limit <= 7:
        return _pick(rng, pool(seed, "hex_color"), n)
    if kind == "status":
        return _pick(rng, STATUSES, n)
    if kind == "browser":
        return _pick(rng, ("Chrome", "Chrome", "Safari", "Firefox", "Edge"), n)
    if kind == "os":
        return _pick(rng, ("Windows", "macOS", "Linux", "iOS", "Android"), n)
    if kind == "gender":
        return _pick(rng, ("F", "M") if limit == 1 else ("female", "male", "non-binary"), n)
    if kind in ("code", "sku"):
        return _codes(rng, n, limit)
    if kind == "slug":
        words = [w for w in pool(seed, "word") if w.isalpha()]
        return [f"{rng.choice(words)}-{rng.choice(words)}-{rng.randint(1, 999)}" for _ in range(n)]
    if kind == "version":
        return [f"{rng.randint(0, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}" for _ in range(n)]
    if kind == "category":
        return _categories(rng, seed, spec.name, n)
    if kind == "json_text":
        return _json_text(rng, n)
    if kind == "description":
        return _pick(rng, pool(seed, "paragraph" if limit is None or limit > 200 else "sentence"), n)
    if kind == "note":
        return _pick(rng, pool(seed, "sentence"), n)
    if kind == "label":
        return [w.capitalize() for w in _pick(rng, pool(seed, "word"), n)]
    if kind == "name":
        names = pool(seed, "word")
        return [
            f"{a.capitalize()} {b.capitalize()}"
            for a, b in zip(_pick(rng, names, n), _pick(rng, names, n), strict=True)
        ]
    if kind in _POOL_MAKERS:
        return _pick(rng, pool(seed, kind), n)
    return None


# ------------------------------------------------------------------------------------------------------------
# Numbers and dates


def _numbers(sem: Semantic, spec: ColumnSpec, n: int, rng: random.Random) -> list[Any] | None:
    if sem.low is None or sem.high is None or sem.kind == "identifier":
        return None  # keys: the constraint-driven generator (unique numbers where needed)
    low, high = sem.low, sem.high
    if sem.kind == "boolean":
        return [1 if rng.random() < 0.7 else 0 for _ in range(n)]
    if sem.kind == "http_status" and spec.kind == "int":
        return _pick(rng, (200, 200, 200, 201, 204, 400, 404, 422, 500, 503), n)
    if spec.kind in ("int", "year"):
        lo, hi = math.ceil(low), math.floor(high)
        if sem.kind in ("money", "count", "file_size", "quantity") and lo >= 0:
            return [_skewed_int(rng, lo, hi) for _ in range(n)]
        return [rng.randint(lo, max(lo, hi)) for _ in range(n)]
    if sem.kind == "money":
        values = [_skewed(rng, low, high) for _ in range(n)]
    elif sem.kind in ("count", "quantity", "file_size", "duration"):
        values = [float(_skewed_int(rng, math.ceil(low), math.floor(high))) for _ in range(n)]
    else:
        values = [rng.uniform(low, high) for _ in range(n)]
    if spec.kind == "float":
        return [round(v, 4) for v in values]
    scale = spec.scale if spec.scale is not None else 2
    quantum = decimal.Decimal(1).scaleb(-scale)
    out = []
    for v in values:
        if sem.kind == "money" and scale >= 2 and high <= 100:
            v = math.floor(v) + 0.99  # shop prices end in .99
        out.append(decimal.Decimal(str(v)).quantize(quantum, rounding=decimal.ROUND_HALF_UP))
    return out


def _skewed(rng: random.Random, low: float, high: float) -> float:
    """Real amounts: many small, few large (log-uniform over the range)."""
    lo = max(low, 0.01)
    return math.exp(rng.uniform(math.log(lo), math.log(max(high, lo * 1.0001))))


def _skewed_int(rng: random.Random, low: int, high: int) -> int:
    if high <= low:
        return low
    return min(high, max(low, int(_skewed(rng, low + 1, high + 1)) - 1))


def _dates(sem: Semantic, spec: ColumnSpec, n: int, rng: random.Random) -> list[Any] | None:
    spans = {
        "birth_date": (dt.datetime(1955, 1, 1), dt.datetime(2004, 12, 31)),
        "hire_date": (dt.datetime(2008, 1, 1), ANCHOR),
        "expiry_date": (ANCHOR, ANCHOR + dt.timedelta(days=5 * 365)),
        "due_date": (ANCHOR - dt.timedelta(days=365), ANCHOR + dt.timedelta(days=60)),
    }
    if sem.kind not in spans:
        return None
    lo, hi = spans[sem.kind]
    seconds = int((hi - lo).total_seconds())
    values = [lo + dt.timedelta(seconds=rng.randint(0, seconds)) for _ in range(n)]
    if spec.kind == "date":
        return [v.date() for v in values]
    tz = UTC if spec.timezone else None
    return [v.replace(tzinfo=tz) for v in values]


# ------------------------------------------------------------------------------------------------------------
# The entry point

_SEMANTIC_TYPES = frozenset({"str", "int", "decimal", "float", "year", "date", "datetime"})


def semantic_of(spec: ColumnSpec, table: str) -> Semantic:
    return classify_column(spec.name, table, spec.kind, spec.length)


def kind_values(sem: Semantic, spec: ColumnSpec, n: int, rng: random.Random, seed: int) -> list[Any] | None:
    """``n`` values of the column's kind, or ``None`` when the kind has no maker for this type."""
    if spec.kind == "str":
        return _text(sem, spec, n, rng, seed)
    if spec.kind in ("date", "datetime"):
        return _dates(sem, spec, n, rng)
    return _numbers(sem, spec, n, rng)


def constrained(spec: ColumnSpec) -> bool:
    """Whether the column's rules already say what its values look like (a list, a pattern, a JSON type)."""
    rule = spec.rule
    return bool(rule.choices or rule.like or rule.patterns or rule.json or rule.json_type)


def fits(value: Any, spec: ColumnSpec) -> bool:
    """Whether ``value`` keeps the column's CHECK-derived rules and its type's limits."""
    rule = spec.rule
    if value in rule.excluded or not within(value, rule):
        return False
    if isinstance(value, str):
        limit = max_length(spec)
        return limit is None or len(value) <= limit
    if isinstance(value, int) and not isinstance(value, bool) and spec.kind == "int":
        top = (1 << (spec.int_bits - (0 if spec.unsigned else 1))) - 1
        return (0 if spec.unsigned else -top - 1) <= value <= top
    if isinstance(value, decimal.Decimal) and spec.precision is not None:
        scale = spec.scale or 0
        return abs(value) < decimal.Decimal(10) ** (spec.precision - scale)
    return True


def table_semantics(table_name: str, columns: dict[str, ColumnSpec]) -> dict[str, Semantic]:
    """Every column's kind, read with its neighbours (:func:`dbaudit.seed.semantics.classify_table`)."""
    return classify_table(table_name, {name: (spec.kind, spec.length) for name, spec in columns.items()})


def _always_fits(spec: ColumnSpec) -> bool:
    """No rule, length or type range to check (unbounded text, floats, dates): :func:`fits` holds for every
    value, so a batch needs no look at each one."""
    rule = spec.rule
    if rule.low is not None or rule.high is not None or rule.excluded or rule.min_length or rule.max_length:
        return False
    if spec.kind == "str":
        return spec.length is None
    return spec.kind in ("float", "date", "datetime") or (spec.kind == "decimal" and spec.precision is None)


def column_values(
    spec: ColumnSpec, n: int, ctx: GenContext, seed: int, sem: Semantic | None = None
) -> list[Any]:
    """``n`` values for ``spec``: of its kind where its rules allow, else the constraint-driven ones."""
    if spec.kind not in _SEMANTIC_TYPES or constrained(spec):
        return generate_column(spec, n, ctx)
    if sem is None:
        sem = semantic_of(spec, ctx.table)
    values = kind_values(sem, spec, n, ctx.rng, seed)
    if values is None:
        return generate_column(spec, n, ctx)
    if sem.kind in FREE_TEXT:
        values = [fit_text(v, spec) for v in values]
    return replace_misfits(values, spec, ctx)


def _misfits(values: list[Any], spec: ColumnSpec) -> list[int]:
    """Indexes of the values :func:`fits` rejects; for text whose only rule is a length, by length alone
    (the same verdicts without a call per value: a million-row seed asks a million times)."""
    rule = spec.rule
    if (
        spec.kind == "str"
        and rule.low is None
        and rule.high is None
        and not rule.excluded
        and rule.min_length is None
    ):
        limit = max_length(spec)
        if limit is None:
            return []
        return [i for i, v in enumerate(values) if isinstance(v, str) and len(v) > limit]
    if rule.low is None and rule.high is None and not rule.excluded:
        # Only the type's range is left to check for numbers: its bound computed once, not per value.
        if spec.kind == "decimal" and spec.precision is not None:
            bound = decimal.Decimal(10) ** (spec.precision - (spec.scale or 0))
            return [
                i
                for i, v in enumerate(values)
                if (abs(v) >= bound if type(v) is decimal.Decimal else not fits(v, spec))
            ]
        if spec.kind == "int":
            top = (1 << (spec.int_bits - (0 if spec.unsigned else 1))) - 1
            bottom = 0 if spec.unsigned else -top - 1
            return [
                i
                for i, v in enumerate(values)
                if (not bottom <= v <= top if type(v) is int else not fits(v, spec))
            ]
    return [i for i, v in enumerate(values) if not fits(v, spec)]


def replace_misfits(values: list[Any], spec: ColumnSpec, ctx: GenContext) -> list[Any]:
    """``values`` with each one the column's rules reject replaced by the constraint-driven generator's."""
    if _always_fits(spec):
        return values
    bad = _misfits(values, spec)
    if not bad:
        return values
    fallback_ctx = GenContext(random.Random(ctx.rng.getrandbits(64)), ctx.pools, ctx.table)
    fallback = generate_column(spec, len(bad), fallback_ctx)
    out = list(values)
    for i, value in zip(bad, fallback, strict=True):
        out[i] = value
    return out
