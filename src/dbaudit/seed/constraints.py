"""CHECK constraints of common shapes, parsed with sqlglot into rules the value generators respect.

Understood shapes (combined with AND, in any parenthesisation, with casts around either side):
``col IN (...)``, ``col = ANY (ARRAY[...])``, ``col = 'x' OR col = 'y'``, ``col BETWEEN a AND b``,
``col <op> literal`` (and the mirrored form), ``col <op> other_col`` (an ordering between two columns),
``length(col) <op> n`` / ``char_length`` / ``octet_length``, ``col LIKE 'pattern'``, ``col <> literal``,
``col NOT IN (...)``, ``col IS NOT NULL`` and MariaDB's ``json_valid(col)``.  A literal may be negative and
cast, as each engine spells it: PostgreSQL's ``'-5'::integer`` and ``(0)::numeric``, ``CAST(-5 AS SIGNED)``,
``-(5)``.  Anything else is kept as *unparsed* text: the database still enforces it and a violation names
the constraint.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import re
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import expressions as exp

_READ = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}


@dataclass
class ColumnRule:
    """What the CHECK constraints allow for one column."""

    choices: list[Any] | None = None
    excluded: set[Any] = field(default_factory=set)
    low: Any = None
    low_inclusive: bool = True
    high: Any = None
    high_inclusive: bool = True
    min_length: int | None = None
    max_length: int | None = None
    like: str | None = None
    not_null: bool = False
    json: bool = False

    def narrow_choices(self, values: list[Any]) -> None:
        if self.choices is None:
            self.choices = list(values)
        else:
            self.choices = [v for v in self.choices if v in values]

    def set_low(self, value: Any, inclusive: bool) -> None:
        if self.low is None or _gt(value, self.low) or (value == self.low and not inclusive):
            self.low, self.low_inclusive = value, inclusive

    def set_high(self, value: Any, inclusive: bool) -> None:
        if self.high is None or _gt(self.high, value) or (value == self.high and not inclusive):
            self.high, self.high_inclusive = value, inclusive


def _gt(a: Any, b: Any) -> bool:
    try:
        return bool(a > b)
    except TypeError:
        return False


@dataclass(frozen=True)
class Ordering:
    """``earlier <= later`` (or ``<`` when ``strict``) between two columns of one row."""

    earlier: str
    later: str
    strict: bool = False


@dataclass
class CheckRules:
    """Everything parsed from a table's CHECK constraints (and its columns' domain checks)."""

    columns: dict[str, ColumnRule] = field(default_factory=dict)
    orderings: list[Ordering] = field(default_factory=list)
    distinct: list[tuple[str, str]] = field(default_factory=list)
    """Pairs of columns that must differ within a row (``a <> b``: an asset does not depend on itself)."""
    unparsed: list[str] = field(default_factory=list)

    def rule(self, column: str) -> ColumnRule:
        return self.columns.setdefault(column, ColumnRule())


class _Unparsed(Exception):
    pass


def parse_checks(
    checks: list[tuple[str | None, str]],
    dialect: str,
    column_names: set[str],
    rules: CheckRules | None = None,
    value_column: str | None = None,
) -> CheckRules:
    """Parse ``(name, sqltext)`` CHECK constraints into :class:`CheckRules`.

    ``value_column`` maps the ``VALUE`` of a PostgreSQL domain check onto the column of that domain.
    """
    rules = rules if rules is not None else CheckRules()
    lookup = {name.lower(): name for name in column_names}
    if value_column:
        lookup["value"] = value_column
    for name, text in checks:
        collected = _parse_one(text, dialect, tuple(sorted(lookup.items())))
        if collected is None:
            rules.unparsed.append(name or text)
            continue
        for col, rule in collected.columns.items():
            _merge(rules.rule(col), rule)
        rules.orderings.extend(collected.orderings)
        rules.distinct.extend(collected.distinct)
    return rules


@functools.lru_cache(maxsize=4096)
def _parse_one(text: str, dialect: str, lookup_items: tuple[tuple[str, str], ...]) -> CheckRules | None:
    """One CHECK text as rules, or ``None`` when its shape is not understood (memoised).

    Schemas repeat a few shapes over and over.

    Callers merge the result into their own rules and never change it.
    """
    try:
        tree = sqlglot.parse_one(text, read=_READ.get(dialect, dialect))
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return None
    collected = CheckRules()
    try:
        _conjunction(tree, collected, dict(lookup_items))  # type: ignore[arg-type]
    except _Unparsed:
        return None
    return collected


def _merge(into: ColumnRule, rule: ColumnRule) -> None:
    if rule.choices is not None:
        into.narrow_choices(rule.choices)
    into.excluded |= rule.excluded
    if rule.low is not None:
        into.set_low(rule.low, rule.low_inclusive)
    if rule.high is not None:
        into.set_high(rule.high, rule.high_inclusive)
    if rule.min_length is not None:
        into.min_length = max(into.min_length or 0, rule.min_length)
    if rule.max_length is not None:
        into.max_length = min(into.max_length or rule.max_length, rule.max_length)
    into.like = rule.like or into.like
    into.not_null = into.not_null or rule.not_null
    into.json = into.json or rule.json


def _strip(node: exp.Expression) -> exp.Expression:
    while isinstance(node, (exp.Paren, exp.Cast, exp.TryCast)):
        node = node.this
    return node


def _column(node: exp.Expression, lookup: dict[str, str]) -> str | None:
    node = _strip(node)
    if isinstance(node, exp.Column) and not node.table:
        return lookup.get(str(node.name).lower())
    return None


#: Cast targets whose quoted operand is a number: PostgreSQL stores ``CHECK (x >= -5)`` as
#: ``(x >= '-5'::integer)``, the negative number as a string cast to the column's type.
_NUMBER_TYPES = exp.DataType.NUMERIC_TYPES - {exp.DataType.Type.BIT}
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _number(text: str) -> int | decimal.Decimal:
    """``"-5"`` -> -5, ``"0.5"`` / ``"1e3"`` -> Decimal; anything else (``'NaN'``, ``'$1'``): _Unparsed."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        raise _Unparsed
    if any(ch in text for ch in ".eE"):
        return decimal.Decimal(text)
    return int(text)


def _literal(node: exp.Expression) -> Any:
    """A Python value for a literal, else raise _Unparsed.

    Parentheses and casts may wrap it on any level (``(0)::numeric``, ``CAST(-5 AS SIGNED)``,
    ``('-0.5'::numeric)::double precision``), and a minus sign may stand before it (``-(5)``): a quoted
    number cast to a numeric type is that number; a string cast to a date or timestamp is that date.
    """
    target = None
    while isinstance(node, (exp.Paren, exp.Cast, exp.TryCast)):
        if isinstance(node, (exp.Cast, exp.TryCast)) and target is None:
            target = node.to.this
        node = node.this
    if isinstance(node, exp.Neg):
        value = _literal(node.this)
        if isinstance(value, bool) or not isinstance(value, (int, decimal.Decimal)):
            raise _Unparsed
        return -value
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if not isinstance(node, exp.Literal):
        raise _Unparsed
    if not node.is_string:
        return _number(node.this)
    text = node.this
    if target in _NUMBER_TYPES:
        return _number(text)
    if target in (exp.DataType.Type.DATE,):
        return dt.date.fromisoformat(text[:10])
    if target in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.DATETIME):
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise _Unparsed from None
    return text


_FLIP = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}


def _conjunction(node: exp.Expression, rules: CheckRules, lookup: dict[str, str]) -> None:
    node = node.this if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.And):
        _conjunction(node.this, rules, lookup)
        _conjunction(node.expression, rules, lookup)
        return
    if isinstance(node, exp.Or):
        chained, values = _equality_chain(node, lookup)
        rules.rule(chained).narrow_choices(values)
        return
    if isinstance(node, exp.Not):
        inner = _strip(node.this)
        if isinstance(inner, exp.Is) and isinstance(_strip(inner.expression), exp.Null):
            column = _column(inner.this, lookup)
            if column:
                rules.rule(column).not_null = True
                return
        if isinstance(inner, exp.In):
            column = _column(inner.this, lookup)
            if column:
                rules.rule(column).excluded |= {_literal(e) for e in inner.expressions}
                return
        raise _Unparsed
    if isinstance(node, exp.In):
        column = _column(node.this, lookup)
        if column is None or not node.expressions:
            raise _Unparsed
        rules.rule(column).narrow_choices([_literal(e) for e in node.expressions])
        return
    if isinstance(node, exp.Between):
        column = _column(node.this, lookup)
        if column is None:
            raise _Unparsed
        rule = rules.rule(column)
        rule.set_low(_literal(node.args["low"]), True)
        rule.set_high(_literal(node.args["high"]), True)
        return
    if isinstance(node, exp.Like):
        column = _column(node.this, lookup)
        pattern = _literal(node.expression)
        if column is None or not isinstance(pattern, str):
            raise _Unparsed
        rules.rule(column).like = pattern
        return
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_valid" and node.expressions:
        column = _column(node.expressions[0], lookup)
        if column is None:
            raise _Unparsed
        rules.rule(column).json = True
        return
    if isinstance(node, tuple(_FLIP)):
        _comparison(node, rules, lookup)
        return
    raise _Unparsed


def _equality_chain(node: exp.Expression, lookup: dict[str, str]) -> tuple[str, list[Any]]:
    """``a = 1 OR a = 2 OR a IN (3)`` -> ("a", [1, 2, 3])."""
    node = _strip(node)
    if isinstance(node, exp.Or):
        left_col, left = _equality_chain(node.this, lookup)
        right_col, right = _equality_chain(node.expression, lookup)
        if left_col != right_col:
            raise _Unparsed
        return left_col, left + right
    if isinstance(node, exp.EQ):
        column = _column(node.this, lookup)
        if column is None:
            raise _Unparsed
        return column, [_literal(node.expression)]
    if isinstance(node, exp.In):
        column = _column(node.this, lookup)
        if column is None:
            raise _Unparsed
        return column, [_literal(e) for e in node.expressions]
    raise _Unparsed


def _length_of(node: exp.Expression, lookup: dict[str, str]) -> str | None:
    node = _strip(node)
    if isinstance(node, exp.Length):
        return _column(node.this, lookup)
    if isinstance(node, exp.Anonymous) and node.name.lower() in {"char_length", "octet_length", "len"}:
        return _column(node.expressions[0], lookup) if node.expressions else None
    return None


def _comparison(node: exp.Expression, rules: CheckRules, lookup: dict[str, str]) -> None:
    kind: Any = type(node)
    left, right = node.this, node.expression
    if _column(left, lookup) is None and _length_of(left, lookup) is None:
        left, right, kind = right, left, _FLIP[kind]
    column = _column(left, lookup)
    if column is not None and kind is exp.EQ and isinstance(_strip(right), exp.Any):
        array = _strip(_strip(right).this)
        if not isinstance(array, exp.Array):
            raise _Unparsed
        rules.rule(column).narrow_choices([_literal(e) for e in array.expressions])
        return
    other = _column(right, lookup)
    if column is not None and other is not None:
        if kind in (exp.LT, exp.LTE):
            rules.orderings.append(Ordering(column, other, kind is exp.LT))
        elif kind in (exp.GT, exp.GTE):
            rules.orderings.append(Ordering(other, column, kind is exp.GT))
        elif kind is exp.NEQ:
            rules.distinct.append((column, other))
        else:
            raise _Unparsed
        return
    length_col = _length_of(left, lookup)
    if length_col is not None:
        number = _literal(right)
        if not isinstance(number, int):
            raise _Unparsed
        rule = rules.rule(length_col)
        if kind is exp.GT:
            rule.min_length = max(rule.min_length or 0, number + 1)
        elif kind is exp.GTE:
            rule.min_length = max(rule.min_length or 0, number)
        elif kind is exp.LT:
            rule.max_length = number - 1
        elif kind is exp.LTE:
            rule.max_length = number
        elif kind is exp.EQ:
            rule.min_length = rule.max_length = number
        return
    if column is None:
        raise _Unparsed
    value = _literal(right)
    rule = rules.rule(column)
    if kind is exp.EQ:
        rule.narrow_choices([value])
    elif kind is exp.NEQ:
        rule.excluded.add(value)
    elif kind is exp.GT:
        rule.set_low(value, False)
    elif kind is exp.GTE:
        rule.set_low(value, True)
    elif kind is exp.LT:
        rule.set_high(value, False)
    elif kind is exp.LTE:
        rule.set_high(value, True)


def like_example(pattern: str, fill: str) -> str:
    """A string matching the LIKE ``pattern``: ``%`` becomes ``fill``, ``_`` one letter of it."""
    out: list[str] = []
    escaped = False
    used_fill = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            if not used_fill:
                out.append(fill)
                used_fill = True
        elif ch == "_":
            out.append((fill or "x")[0])
        else:
            out.append(ch)
    return "".join(out)
