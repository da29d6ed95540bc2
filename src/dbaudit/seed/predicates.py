"""CHECK constraints as predicates over one row: parsed with sqlglot, evaluated in Python, split in branches.

A CHECK becomes a tree of :class:`And` / :class:`Or` over atoms (a comparison of a column, maybe inside
``upper``/``lower``/``trim``/``length``, with a constant; ``IN``; ``LIKE``/``GLOB``/regular expressions;
``IS [NOT] NULL``; a comparison between two columns; ``jsonb_typeof``; ``array_length``/``cardinality``).
``NOT`` is pushed down to the atoms while parsing, so :func:`branches` can list the alternatives a row may
satisfy (one conjunction of atoms each).  What is not understood becomes an :class:`Opaque` atom: Python
cannot tell whether a row satisfies it, so the database is asked (:mod:`dbaudit.seed.server_check`).

Evaluation follows SQL's three-valued logic (a CHECK passes when its value is not FALSE) with a fourth value,
:data:`UNSURE`, for what only the database can tell.
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import enum
import functools
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import sqlglot
from sqlglot import expressions as exp

READ_DIALECT = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}

#: Bounds relative to ``now()`` are moved this far into the safe side: the server's clock (the transaction's
#: start on PostgreSQL) is not the moment the plan was made, and session time zones differ.
NOW_MARGIN = dt.timedelta(days=1)
MAX_BRANCHES = 64


class Unsure(enum.Enum):
    """Python cannot tell (a function it does not know, a value it cannot compare): ask the database."""

    UNSURE = "unsure"


UNSURE = Unsure.UNSURE
Truth = Union[bool, None, Unsure]  # noqa: UP007 (a type alias evaluated at run time)


class NotUnderstood(Exception):
    """Raised while parsing a sub-expression this module does not model; it becomes an :class:`Opaque`."""


# ------------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class Shift:
    """A calendar interval: months, days and seconds, as PostgreSQL keeps them."""

    months: int = 0
    days: int = 0
    seconds: float = 0.0

    def times(self, sign: int) -> Shift:
        return Shift(self.months * sign, self.days * sign, self.seconds * sign)

    def plus(self, other: Shift) -> Shift:
        return Shift(self.months + other.months, self.days + other.days, self.seconds + other.seconds)


@dataclass(frozen=True)
class Now:
    """``now()`` / ``CURRENT_DATE`` / ``CURRENT_TIMESTAMP`` plus ``shift``, resolved when a row is made."""

    date_only: bool
    shift: Shift = Shift()

    def resolve(self, margin: dt.timedelta = dt.timedelta(0)) -> dt.datetime | dt.date:
        base = dt.datetime.now().replace(microsecond=0)
        value = _add_months(base, self.shift.months) + dt.timedelta(
            days=self.shift.days, seconds=self.shift.seconds
        )
        value = value + margin
        return value.date() if self.date_only and not self.shift.seconds else value


def _add_months(value: dt.datetime, months: int) -> dt.datetime:
    if not months:
        return value
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def resolve(value: Any, op: str = "=") -> Any:
    """A constant as Python compares it: ``Now`` moved by :data:`NOW_MARGIN` to the strict side of ``op``."""
    if isinstance(value, Now):
        if op in ("<", "<="):
            return value.resolve(-NOW_MARGIN)
        if op in (">", ">="):
            return value.resolve(NOW_MARGIN)
        return value.resolve()
    return value


# ------------------------------------------------------------------------------------------------------------
# Atoms and connectives

CASE_FUNCTIONS = frozenset({"upper", "lower", "trim", "ltrim", "rtrim"})
LENGTH_FUNCTIONS = frozenset({"length", "octet_length"})
_FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATE = {"=": "<>", "<>": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


@dataclass(frozen=True)
class Term:
    """A column, maybe inside functions (``funcs``, innermost first): ``upper(trim(x))`` is (trim, upper)."""

    column: str
    funcs: tuple[str, ...] = ()

    def apply(self, value: Any) -> Any:
        for func in self.funcs:
            if value is None:
                return None
            if func == "length":
                value = len(value) if isinstance(value, str) else len(str(value))
            elif func == "octet_length":
                value = len(str(value).encode())
            elif not isinstance(value, str):
                raise TypeError(func)
            elif func == "upper":
                value = value.upper()
            elif func == "lower":
                value = value.lower()
            elif func == "trim":
                value = value.strip(" ")
            elif func == "ltrim":
                value = value.lstrip(" ")
            elif func == "rtrim":
                value = value.rstrip(" ")
        return value

    @property
    def plain(self) -> bool:
        return not self.funcs


@dataclass(frozen=True)
class Compare:
    term: Term
    op: str
    value: Any

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.term.column,)

    def negate(self) -> Pred:
        return Compare(self.term, _NEGATE[self.op], self.value)


@dataclass(frozen=True)
class InSet:
    term: Term
    values: tuple[Any, ...]
    negated: bool = False
    verdicts: dict[tuple[type, Any], Truth] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )
    """Verdicts already reached, by value: a column drawn from a handful of allowed values is judged once per
    value, not once per row (a million-row seed asks a million times)."""

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.term.column,)

    def negate(self) -> Pred:
        return InSet(self.term, self.values, not self.negated)


@dataclass(frozen=True)
class Match:
    """``LIKE`` (``kind`` "like"), ``GLOB`` ("glob") or a regular expression ("regex", Python syntax)."""

    term: Term
    kind: str
    pattern: str
    negated: bool = False
    ignore_case: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.term.column,)

    def negate(self) -> Pred:
        return Match(self.term, self.kind, self.pattern, not self.negated, self.ignore_case)

    def regex(self) -> re.Pattern[str] | None:
        return _compiled(self.kind, self.pattern, self.ignore_case)


@dataclass(frozen=True)
class IsNull:
    column: str
    negated: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def negate(self) -> Pred:
        return IsNull(self.column, not self.negated)


@dataclass(frozen=True)
class ColumnCompare:
    """``left op right`` between two columns of one row."""

    left: Term
    op: str
    right: Term

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.left.column, self.right.column)

    def negate(self) -> Pred:
        return ColumnCompare(self.left, _NEGATE[self.op], self.right)


JSON_TYPES = ("object", "array", "string", "number", "boolean", "null")


@dataclass(frozen=True)
class JsonType:
    """``jsonb_typeof(col) IN types``; ``types`` ("valid",) is MariaDB's ``json_valid(col)``."""

    column: str
    types: tuple[str, ...]
    negated: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def negate(self) -> Pred:
        return JsonType(self.column, self.types, not self.negated)


@dataclass(frozen=True)
class ArrayLength:
    """``array_length(col, 1) op n`` (NULL for an empty array) or ``cardinality(col) op n`` (0)."""

    column: str
    op: str
    value: int
    empty_is_null: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def negate(self) -> Pred:
        return ArrayLength(self.column, _NEGATE[self.op], self.value, self.empty_is_null)


@dataclass(frozen=True)
class Opaque:
    """A part of a CHECK this module does not model (a SQL function of the schema, a subquery...)."""

    sql: str
    refers: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.refers

    def negate(self) -> Pred:
        return Opaque(f"NOT ({self.sql})", self.refers)


@dataclass(frozen=True)
class Const:
    value: bool

    @property
    def columns(self) -> tuple[str, ...]:
        return ()

    def negate(self) -> Pred:
        return Const(not self.value)


@dataclass(frozen=True)
class And:
    items: tuple[Pred, ...]

    def negate(self) -> Pred:
        return Or(tuple(i.negate() for i in self.items))

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for i in self.items for c in i.columns))


@dataclass(frozen=True)
class Or:
    items: tuple[Pred, ...]

    def negate(self) -> Pred:
        return And(tuple(i.negate() for i in self.items))

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for i in self.items for c in i.columns))


Atom = Union[Compare, InSet, Match, IsNull, ColumnCompare, JsonType, ArrayLength, Opaque, Const]  # noqa: UP007
Pred = Union[Atom, And, Or]  # noqa: UP007


def conjunction(items: list[Pred]) -> Pred:
    flat: list[Pred] = []
    for item in items:
        flat.extend(item.items if isinstance(item, And) else (item,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def disjunction(items: list[Pred]) -> Pred:
    flat: list[Pred] = []
    for item in items:
        flat.extend(item.items if isinstance(item, Or) else (item,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def atoms(pred: Pred) -> Iterator[Atom]:
    if isinstance(pred, (And, Or)):
        for item in pred.items:
            yield from atoms(item)
    else:
        yield pred


def branches(pred: Pred, limit: int = MAX_BRANCHES) -> list[tuple[Atom, ...]] | None:
    """The alternatives of ``pred`` (its disjunctive normal form), or ``None`` past ``limit`` of them."""
    if isinstance(pred, Or):
        out: list[tuple[Atom, ...]] = []
        for item in pred.items:
            part = branches(item, limit)
            if part is None:
                return None
            out.extend(part)
            if len(out) > limit:
                return None
        return out
    if isinstance(pred, And):
        combined: list[tuple[Atom, ...]] = [()]
        for item in pred.items:
            part = branches(item, limit)
            if part is None or len(combined) * len(part) > limit:
                return None
            combined = [a + b for a in combined for b in part]
        return combined
    return [(pred,)]


# ------------------------------------------------------------------------------------------------------------
# A parsed CHECK


@dataclass(frozen=True)
class ParsedCheck:
    """One CHECK constraint: its name, its text as the catalog returns it, and its predicate."""

    name: str | None
    text: str
    predicate: Pred
    domain_column: str | None = None
    """For a domain's CHECK: the column of that domain (``VALUE`` in the text stands for it)."""
    domain: str | None = None
    alternatives: list[tuple[Atom, ...]] | None = field(default=None, compare=False, hash=False)

    @property
    def label(self) -> str:
        return self.name or self.text

    @property
    def exact(self) -> bool:
        """Whether Python alone can tell every row's verdict (no part for the database to judge)."""
        return not any(
            isinstance(a, Opaque) or (isinstance(a, Match) and a.regex() is None) for a in self.atoms
        )

    @property
    def atoms(self) -> list[Atom]:
        return list(atoms(self.predicate))

    @property
    def columns(self) -> tuple[str, ...]:
        return self.predicate.columns


def parse_check(
    text: str,
    dialect: str,
    lookup: Mapping[str, str],
    name: str | None = None,
    domain_column: str | None = None,
) -> ParsedCheck:
    """``text`` (a CHECK's expression as the catalog returns it, in ``dialect``) as a :class:`ParsedCheck`.

    ``lookup`` maps lower-cased column names to the table's spelling (and ``value`` to the domain's column).
    Never raises: what cannot be parsed at all is one :class:`Opaque` atom.
    """
    read = READ_DIALECT.get(dialect, dialect)
    tree = _syntax_tree(text, read)
    if tree is None:
        predicate: Pred = Opaque(text, ())
    else:
        predicate = _Parser(lookup, read).pred(tree)
    return ParsedCheck(
        name=name,
        text=text,
        predicate=predicate,
        domain_column=domain_column,
        alternatives=branches(predicate),
    )


@functools.lru_cache(maxsize=4096)
def _syntax_tree(text: str, read: str) -> exp.Expression | None:
    """sqlglot's tree of a CHECK's text, once per text: schemas repeat the same CHECKs over many tables
    (``edits_pending >= 0`` on hundreds of MusicBrainz tables), and parsing is most of the cost.  The trees
    are only read, never changed."""
    try:
        tree: exp.Expression = sqlglot.parse_one(text, read=read)  # type: ignore[assignment]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError, RecursionError):
        return None
    return tree


class _Parser:
    def __init__(self, lookup: Mapping[str, str], read: str) -> None:
        self.lookup = lookup
        self.read = read

    # -- predicates --------------------------------------------------------------------------------------
    def pred(self, node: exp.Expression) -> Pred:
        try:
            return self._pred(node)
        except NotUnderstood:
            return self.opaque(node)

    def opaque(self, node: exp.Expression) -> Opaque:
        refers = tuple(
            dict.fromkeys(
                self.lookup[c.name.lower()]
                for c in node.find_all(exp.Column)
                if not c.table and c.name.lower() in self.lookup
            )
        )
        try:
            sql = node.sql(dialect=self.read)
        except Exception:  # sqlglot cannot write every tree it reads back; the text is for messages only
            sql = str(node)
        return Opaque(sql, refers)

    def _pred(self, node: exp.Expression) -> Pred:
        node = _unparen(node)
        if isinstance(node, exp.And):
            return conjunction([self.pred(node.this), self.pred(node.expression)])
        if isinstance(node, exp.Or):
            return disjunction([self.pred(node.this), self.pred(node.expression)])
        if isinstance(node, exp.Xor):
            left, right = self.pred(node.this), self.pred(node.expression)
            return _differ(left, right)
        if isinstance(node, exp.Not):
            return self.pred(node.this).negate()
        if isinstance(node, exp.Boolean):
            return Const(bool(node.this))
        if isinstance(node, exp.Column):
            return Compare(self.term(node), "=", True)
        if isinstance(node, exp.Is):
            return self._is(node)
        if isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("unnest") or not node.expressions:
                raise NotUnderstood
            term = self.term(node.this)
            result: Pred = InSet(term, tuple(self.constant(e) for e in node.expressions))
            return result.negate() if node.args.get("negate") else result
        if isinstance(node, exp.Between):
            term = self.term(node.this)
            low, high = self.constant(node.args["low"]), self.constant(node.args["high"])
            between = conjunction([Compare(term, ">=", low), Compare(term, "<=", high)])
            return between.negate() if node.args.get("negate") else between
        if isinstance(node, exp.Escape):
            return self._match(node.this, escape=self.constant(node.expression))
        if isinstance(node, (exp.Like, exp.ILike, exp.Glob, exp.RegexpLike, exp.RegexpILike)):
            return self._match(node)
        if (
            isinstance(node, exp.Anonymous)
            and node.name.lower() == "json_valid"
            and len(node.expressions) == 1
        ):
            return JsonType(self.column(node.expressions[0]), ("valid",))
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            return self._comparison(node)
        if isinstance(node, (exp.NullSafeEQ, exp.NullSafeNEQ)):
            return self._null_safe(node)
        raise NotUnderstood

    def _is(self, node: exp.Is) -> Pred:
        target = _unparen(node.expression)
        negate = bool(node.args.get("negate"))
        if isinstance(target, exp.Null):
            result: Pred = IsNull(self.column(node.this))
        elif isinstance(target, exp.Boolean):
            # ``x IS TRUE`` is never NULL: x is not null and x is true.
            inner = _unparen(node.this)
            if isinstance(inner, exp.Column):
                column = self.column(inner)
                result = conjunction([IsNull(column, True), Compare(Term(column), "=", bool(target.this))])
            else:
                predicate = self.pred(inner)
                if not isinstance(predicate, IsNull):
                    raise NotUnderstood
                result = predicate if target.this else predicate.negate()
        else:
            raise NotUnderstood
        return result.negate() if negate else result

    def _null_safe(self, node: exp.Expression) -> Pred:
        left, right = self.term(node.this), self.term(node.expression)
        equal = disjunction(
            [
                conjunction([IsNull(left.column), IsNull(right.column)]),
                conjunction(
                    [IsNull(left.column, True), IsNull(right.column, True), ColumnCompare(left, "=", right)]
                ),
            ]
        )
        return equal if isinstance(node, exp.NullSafeEQ) else equal.negate()

    def _match(self, node: exp.Expression, escape: Any = None) -> Pred:
        term = self.term(node.this)
        pattern = self.constant(node.expression)
        if not isinstance(pattern, str):
            raise NotUnderstood
        negated = bool(node.args.get("negate"))
        if isinstance(node, (exp.Like, exp.ILike)):
            if escape not in (None, "\\"):
                pattern = _reescape(pattern, str(escape))
            result = Match(term, "like", pattern, ignore_case=isinstance(node, exp.ILike))
        elif isinstance(node, exp.Glob):
            result = Match(term, "glob", pattern)
        else:
            python = posix_to_python(pattern) if self.read == "postgres" else pattern
            if python is None:
                raise NotUnderstood
            result = Match(term, "regex", python, ignore_case=isinstance(node, exp.RegexpILike))
        return result.negate() if negated else result

    def _comparison(self, node: exp.Expression) -> Pred:
        op = _OPS[type(node)]
        left, right = _unparen(node.this), _unparen(node.expression)
        if _is_predicate(left) or _is_predicate(right):
            if op not in ("=", "<>"):
                raise NotUnderstood
            first, second = self.pred(left), self.pred(right)
            return _same(first, second) if op == "=" else _differ(first, second)
        quantified = self._quantified(left, op, right)
        if quantified is not None:
            return quantified
        special = self._special(left, op, right)
        if special is None:
            special = self._special(right, _FLIP[op], left)
        if special is not None:
            return special
        left_term, right_term = self.maybe_term(left), self.maybe_term(right)
        if left_term is not None and right_term is not None:
            return ColumnCompare(left_term, op, right_term)
        if left_term is not None:
            return Compare(left_term, op, self.constant(right))
        if right_term is not None:
            return Compare(right_term, _FLIP[op], self.constant(left))
        raise NotUnderstood

    def _quantified(self, left: exp.Expression, op: str, right: exp.Expression) -> Pred | None:
        """``x = ANY (ARRAY[...])`` and ``x <> ALL (ARRAY[...])``."""
        quantifier = None
        if isinstance(right, exp.Any):
            quantifier, inner = "any", right.this
        elif isinstance(right, exp.All):
            quantifier, inner = "all", right.this
        elif isinstance(right, exp.Anonymous) and right.name.upper() in ("ALL", "ANY") and right.expressions:
            quantifier, inner = right.name.lower(), right.expressions[0]
        if quantifier is None:
            return None
        values = self.array(inner)
        term = self.term(left)
        if quantifier == "any" and op == "=":
            return InSet(term, values)
        if quantifier == "all" and op == "<>":
            return InSet(term, values, negated=True)
        if quantifier == "any":
            return disjunction([Compare(term, op, v) for v in values])
        return conjunction([Compare(term, op, v) for v in values])

    def _special(self, left: exp.Expression, op: str, right: exp.Expression) -> Pred | None:
        """Functions over columns compared with a constant: num_nonnulls, jsonb_typeof, array lengths."""
        name = _function_name(left)
        if name in ("num_nonnulls", "num_nulls"):
            columns = [self.column(e) for e in _arguments(left)]
            count = self.constant(right)
            if not isinstance(count, int) or len(columns) > 8:
                raise NotUnderstood
            return _count_nonnulls(columns, op, count, nulls=name == "num_nulls")
        if name in ("jsonb_typeof", "json_typeof", "json_type"):
            arguments = _arguments(left)
            if len(arguments) != 1:
                raise NotUnderstood
            column = self.column(arguments[0])
            value = self.constant(right)
            if not isinstance(value, str) or op not in ("=", "<>"):
                raise NotUnderstood
            kind = _JSON_TYPE_NAMES.get(value.lower())
            if kind is None:
                raise NotUnderstood
            return JsonType(column, (kind,), negated=op == "<>")
        if name in ("array_length", "cardinality", "array_size"):
            arguments = _arguments(left)
            if not arguments:
                raise NotUnderstood
            if len(arguments) > 1 and self.constant(arguments[1]) != 1:
                raise NotUnderstood
            count = self.constant(right)
            if not isinstance(count, int) or isinstance(count, bool):
                raise NotUnderstood
            return ArrayLength(self.column(arguments[0]), op, count, empty_is_null=name != "cardinality")
        return None

    # -- terms and constants -----------------------------------------------------------------------------
    def column(self, node: exp.Expression) -> str:
        node = _strip_casts(node)
        if isinstance(node, exp.Column) and not node.table:
            found = self.lookup.get(str(node.name).lower())
            if found is not None:
                return found
        raise NotUnderstood

    def maybe_term(self, node: exp.Expression) -> Term | None:
        try:
            return self.term(node)
        except NotUnderstood:
            return None

    def term(self, node: exp.Expression) -> Term:
        node = _strip_casts(node)
        if isinstance(node, exp.Column):
            return Term(self.column(node))
        func = _term_function(node)
        if func is None:
            raise NotUnderstood
        arguments = _arguments(node)
        if not arguments:
            raise NotUnderstood
        inner = self.term(arguments[0])
        if inner.funcs and inner.funcs[-1] in LENGTH_FUNCTIONS:
            raise NotUnderstood  # a function of a length: not a text any more
        return Term(inner.column, (*inner.funcs, func))

    def constant(self, node: exp.Expression) -> Any:
        return constant(node)

    def array(self, node: exp.Expression) -> tuple[Any, ...]:
        node = _strip_casts(node)
        if isinstance(node, exp.Array):
            return tuple(self.constant(e) for e in node.expressions)
        if isinstance(node, exp.Literal) and node.is_string:
            return _array_literal(node.this)
        raise NotUnderstood


_OPS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
_PREDICATE_NODES = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Like,
    exp.ILike,
    exp.Glob,
    exp.RegexpLike,
    exp.RegexpILike,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Between,
)
_JSON_TYPE_NAMES = {
    "object": "object",
    "array": "array",
    "string": "string",
    "number": "number",
    "integer": "number",
    "double": "number",
    "boolean": "boolean",
    "null": "null",
}


def _is_predicate(node: exp.Expression) -> bool:
    return isinstance(_unparen(node), _PREDICATE_NODES)


def _same(first: Pred, second: Pred) -> Pred:
    """``P = Q`` between two truth values."""
    return disjunction([conjunction([first, second]), conjunction([first.negate(), second.negate()])])


def _differ(first: Pred, second: Pred) -> Pred:
    """``P <> Q`` (exclusive or)."""
    return disjunction([conjunction([first, second.negate()]), conjunction([first.negate(), second])])


def _count_nonnulls(columns: list[str], op: str, count: int, nulls: bool) -> Pred:
    """``num_nonnulls(a, b, c) op count`` as the alternatives of which columns are set."""
    wanted: Callable[[int], bool] = {
        "=": lambda k: k == count,
        "<>": lambda k: k != count,
        "<": lambda k: k < count,
        "<=": lambda k: k <= count,
        ">": lambda k: k > count,
        ">=": lambda k: k >= count,
    }[op]
    options: list[Pred] = []
    for pattern in itertools.product((False, True), repeat=len(columns)):
        set_count = sum(pattern)
        if wanted(len(columns) - set_count if nulls else set_count):
            options.append(conjunction([IsNull(c, negated=s) for c, s in zip(columns, pattern, strict=True)]))
    return disjunction(options) if options else Const(False)


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _strip_casts(node: exp.Expression) -> exp.Expression:
    while isinstance(node, (exp.Paren, exp.Cast, exp.TryCast)):
        node = node.this
    return node


def _function_name(node: exp.Expression) -> str | None:
    node = _strip_casts(node)
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.ArraySize):
        return "array_length"
    if isinstance(node, exp.JSONType):
        return "json_type"
    return None


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    node = _strip_casts(node)
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    out = [node.this] if isinstance(node.this, exp.Expression) else []
    if isinstance(node.args.get("expression"), exp.Expression):
        out.append(node.args["expression"])
    return out + list(node.expressions)


_ANONYMOUS_TERMS = {
    "ucase": "upper",
    "lcase": "lower",
    "btrim": "trim",
    "char_length": "length",
    "character_length": "length",
    "octet_length": "octet_length",
    "len": "length",
}


def _term_function(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Upper):
        return "upper"
    if isinstance(node, exp.Lower):
        return "lower"
    if isinstance(node, exp.Trim):
        if node.args.get("expression") is not None:
            return None  # trim of other characters than spaces
        position = str(node.args.get("position") or "").upper()
        return {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(position, "trim")
    if isinstance(node, exp.Length):
        return "octet_length" if node.args.get("binary") else "length"
    if isinstance(node, exp.Anonymous):
        return _ANONYMOUS_TERMS.get(str(node.name).lower())
    return None


#: Cast targets whose quoted operand is a number: PostgreSQL stores ``CHECK (x >= -5)`` as
#: ``(x >= '-5'::integer)``, the negative number as a string cast to the column's type.
_NUMBER_TYPES = exp.DataType.NUMERIC_TYPES - {exp.DataType.Type.BIT}
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_TYPES = {exp.DataType.Type.DATE}
_TIMESTAMP_TYPES = {
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPTZ,
    exp.DataType.Type.TIMESTAMPLTZ,
    exp.DataType.Type.DATETIME,
}


def number(text: str) -> int | decimal.Decimal:
    """``"-5"`` -> -5, ``"0.5"`` / ``"1e3"`` -> Decimal; else (``'NaN'``, ``'$1'``) NotUnderstood."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        raise NotUnderstood
    if any(ch in text for ch in ".eE"):
        return decimal.Decimal(text)
    return int(text)


def constant(node: exp.Expression) -> Any:
    """A Python value for a constant expression, else raise :class:`NotUnderstood`.

    Parentheses and casts may wrap it on any level (``(0)::numeric``, ``CAST(-5 AS SIGNED)``,
    ``('-0.5'::numeric)::double precision``), a minus sign may stand before it (``-(5)``); a quoted number
    cast to a numeric type is that number, a string cast to a date or timestamp that moment; ``now()``,
    ``CURRENT_DATE`` and ``CURRENT_TIMESTAMP`` plus or minus intervals are a :class:`Now`.
    """
    target = None
    while isinstance(node, (exp.Paren, exp.Cast, exp.TryCast)):
        if isinstance(node, (exp.Cast, exp.TryCast)) and target is None:
            target = node.to.this
        node = node.this
    moment = _moment(node)
    if moment is not None:
        if target in _DATE_TYPES and not moment.shift.seconds:
            return Now(True, moment.shift)
        return moment
    if isinstance(node, exp.Neg):
        value = constant(node.this)
        if isinstance(value, bool) or not isinstance(value, (int, decimal.Decimal)):
            raise NotUnderstood
        return -value
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return None
    if not isinstance(node, exp.Literal):
        raise NotUnderstood
    if not node.is_string:
        return number(node.this)
    text = node.this
    if target in _NUMBER_TYPES:
        return number(text)
    if target in _DATE_TYPES:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise NotUnderstood from None
    if target in _TIMESTAMP_TYPES:
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise NotUnderstood from None
    if target == exp.DataType.Type.BOOLEAN:
        lowered = text.strip().lower()
        if lowered in ("t", "true", "y", "yes", "on", "1"):
            return True
        if lowered in ("f", "false", "n", "no", "off", "0"):
            return False
        raise NotUnderstood
    return text


_NOW_NODES = (exp.CurrentTimestamp, exp.Localtimestamp)
_NOW_FUNCTIONS = {"now", "transaction_timestamp", "statement_timestamp", "clock_timestamp", "localtimestamp"}


def _moment(node: exp.Expression) -> Now | None:
    """``now()``, ``CURRENT_DATE``... plus or minus intervals (or days, for a date), else ``None``."""
    node = _unparen(node)
    if isinstance(node, _NOW_NODES) or (
        isinstance(node, exp.Anonymous) and str(node.name).lower() in _NOW_FUNCTIONS
    ):
        return Now(False)
    if isinstance(node, exp.CurrentDate):
        return Now(True)
    if isinstance(node, (exp.Add, exp.Sub)):
        left = node.this
        while isinstance(left, (exp.Paren, exp.Cast)):
            left = left.this
        base = _moment(left)
        if base is None:
            return None
        shift = _interval(node.expression, base.date_only)
        sign = 1 if isinstance(node, exp.Add) else -1
        total = base.shift.plus(shift.times(sign))
        return Now(base.date_only and not total.seconds, total)
    return None


_UNITS = {
    "millennium": (12000, 0, 0),
    "millennia": (12000, 0, 0),
    "century": (1200, 0, 0),
    "centuries": (1200, 0, 0),
    "decade": (120, 0, 0),
    "decades": (120, 0, 0),
    "y": (12, 0, 0),
    "yr": (12, 0, 0),
    "yrs": (12, 0, 0),
    "year": (12, 0, 0),
    "years": (12, 0, 0),
    "mon": (1, 0, 0),
    "mons": (1, 0, 0),
    "month": (1, 0, 0),
    "months": (1, 0, 0),
    "w": (0, 7, 0),
    "week": (0, 7, 0),
    "weeks": (0, 7, 0),
    "d": (0, 1, 0),
    "day": (0, 1, 0),
    "days": (0, 1, 0),
    "h": (0, 0, 3600),
    "hr": (0, 0, 3600),
    "hrs": (0, 0, 3600),
    "hour": (0, 0, 3600),
    "hours": (0, 0, 3600),
    "m": (0, 0, 60),
    "min": (0, 0, 60),
    "mins": (0, 0, 60),
    "minute": (0, 0, 60),
    "minutes": (0, 0, 60),
    "s": (0, 0, 1),
    "sec": (0, 0, 1),
    "secs": (0, 0, 1),
    "second": (0, 0, 1),
    "seconds": (0, 0, 1),
}
_INTERVAL_PART = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*([a-z]+)|([+-]?\d+):(\d+)(?::(\d+(?:\.\d+)?))?")


def parse_interval(text: str) -> Shift:
    """PostgreSQL interval text (``'18 years'``, ``'1 day 02:00:00'``, ``'-6 mons'``) as a :class:`Shift`."""
    text = text.strip().lower().lstrip("@").strip()
    ago = text.endswith(" ago")
    if ago:
        text = text[: -len(" ago")]
    months, days, seconds = 0, 0, 0.0
    at = 0
    for match in _INTERVAL_PART.finditer(text):
        if text[at : match.start()].strip():
            raise NotUnderstood
        at = match.end()
        if match.group(2):
            unit = _UNITS.get(match.group(2))
            if unit is None:
                raise NotUnderstood
            amount = float(match.group(1))
            if unit[0] and amount != int(amount):
                raise NotUnderstood
            months += int(amount) * unit[0]
            days += int(amount) * unit[1] if amount == int(amount) else 0
            seconds += amount * unit[2] + (amount - int(amount)) * unit[1] * 86400
        else:
            hours, minutes = int(match.group(3)), int(match.group(4))
            sign = -1 if match.group(3).startswith("-") else 1
            secs = float(match.group(5) or 0)
            seconds += hours * 3600 + sign * (minutes * 60 + secs)
    if text[at:].strip() or at == 0:
        raise NotUnderstood
    shift = Shift(months, days, seconds)
    return shift.times(-1) if ago else shift


def _interval(node: exp.Expression, date_only: bool) -> Shift:
    node = _unparen(node)
    if isinstance(node, exp.Interval):
        amount = node.this
        unit = node.args.get("unit")
        text = str(amount.this if isinstance(amount, exp.Literal) else amount.sql())
        if unit is not None:
            text = f"{text} {unit.name}"
        return parse_interval(text)
    if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.INTERVAL:
        inner = _unparen(node.this)
        if isinstance(inner, exp.Literal):
            return parse_interval(str(inner.this))
    if date_only and isinstance(node, exp.Literal) and not node.is_string:
        value = number(node.this)
        if isinstance(value, int):
            return Shift(days=value)  # date + integer: days
    raise NotUnderstood


def _array_literal(text: str) -> tuple[Any, ...]:
    """PostgreSQL's ``'{a,b,"c d"}'`` as strings (quoted elements unquoted)."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise NotUnderstood
    body = text[1:-1]
    if not body:
        return ()
    out = []
    for part in re.findall(r'"((?:[^"\\]|\\.)*)"|([^,]+)', body):
        quoted, bare = part
        out.append(re.sub(r"\\(.)", r"\1", quoted) if quoted or not bare else bare.strip())
    return tuple(out)


def _reescape(pattern: str, escape: str) -> str:
    """A LIKE pattern with its own ESCAPE character rewritten to use the backslash."""
    out = []
    chars = iter(pattern)
    for ch in chars:
        if ch == escape:
            nxt = next(chars, "")
            out.append("\\" + nxt)
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


# ------------------------------------------------------------------------------------------------------------
# Patterns

_POSIX_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": "!-/:-@\\[-`{-~",
    "xdigit": "0-9A-Fa-f",
    "word": "a-zA-Z0-9_",
}


def posix_to_python(pattern: str) -> str | None:
    """A PostgreSQL (ARE) regular expression in Python's syntax, or ``None`` if it uses what Python lacks."""
    out = pattern
    out = re.sub(r"\[:(\w+):\]", lambda m: _POSIX_CLASSES.get(m.group(1), "\0"), out)
    if "\0" in out:
        return None
    out = out.replace("\\m", "\\b").replace("\\M", "\\b").replace("\\y", "\\b")
    if re.search(r"\\[YZmMyc]|\(\?[bceimnpqstwx]+\)|\*\*\*", out):
        return None
    try:
        re.compile(out)
    except re.error:
        return None
    return out


def like_to_regex(pattern: str) -> str:
    out = ["^"]
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    out.append("$")
    return "".join(out)


def glob_to_regex(pattern: str) -> str:
    out = ["^"]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^"):
                    body = "^" + body[1:].replace("\\", "\\\\")
                else:
                    body = body.replace("\\", "\\\\")
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return "".join(out)


_REGEX_CACHE: dict[tuple[str, str, bool], re.Pattern[str] | None] = {}


def _compiled(kind: str, pattern: str, ignore_case: bool) -> re.Pattern[str] | None:
    key = (kind, pattern, ignore_case)
    if key not in _REGEX_CACHE:
        source = {"like": like_to_regex, "glob": glob_to_regex}.get(kind, lambda p: p)(pattern)
        try:
            _REGEX_CACHE[key] = re.compile(source, re.DOTALL | (re.IGNORECASE if ignore_case else 0))
        except re.error:
            _REGEX_CACHE[key] = None
    return _REGEX_CACHE[key]


# ------------------------------------------------------------------------------------------------------------
# Evaluation


def passes(pred: Pred, row: Mapping[str, Any]) -> Truth:
    """``True`` when the row satisfies the CHECK, ``False`` when the database would reject it, :data:`UNSURE`
    when only the database can tell (a CHECK passes on NULL, so ``None`` counts as passing)."""
    result = evaluate(pred, row)
    return True if result is None else result


def evaluate(pred: Pred, row: Mapping[str, Any]) -> Truth:
    """``pred``'s value for ``row`` in SQL's three-valued logic, :data:`UNSURE` when Python cannot tell."""
    if isinstance(pred, And):
        result: Truth = True
        for item in pred.items:
            value = evaluate(item, row)
            if value is False:
                return False
            if value is UNSURE or (value is None and result is True):
                result = value
        return result
    if isinstance(pred, Or):
        result = False
        for item in pred.items:
            value = evaluate(item, row)
            if value is True:
                return True
            if value is UNSURE or (value is None and result is False):
                result = value
        return result
    try:
        return _atom(pred, row)
    except (TypeError, ValueError, KeyError, decimal.InvalidOperation, OverflowError):
        return UNSURE


def _atom(atom: Atom, row: Mapping[str, Any]) -> Truth:
    if isinstance(atom, Const):
        return atom.value
    if isinstance(atom, Opaque):
        return UNSURE
    if isinstance(atom, IsNull):
        return (row[atom.column] is None) != atom.negated
    if isinstance(atom, Compare):
        value = atom.term.apply(row[atom.term.column])
        if value is None or atom.value is None:
            return None
        return compare(value, atom.op, resolve(atom.value, atom.op))
    if isinstance(atom, InSet):
        value = atom.term.apply(row[atom.term.column])
        if value is None:
            return None
        try:
            key: tuple[type, Any] | None = (type(value), value)
            known = atom.verdicts.get(key)  # type: ignore[arg-type]
        except TypeError:  # not hashable (a list, a dict): judged each time
            key, known = None, None
        if known is not None:
            return known
        found = any(value_equal(value, v) for v in atom.values if v is not None)
        verdict: Truth = None if not found and any(v is None for v in atom.values) else found != atom.negated
        if key is not None and verdict is not None:
            atom.verdicts[key] = verdict
        return verdict
    if isinstance(atom, Match):
        value = atom.term.apply(row[atom.term.column])
        if value is None:
            return None
        regex = atom.regex()
        if regex is None:
            return UNSURE
        text = value if isinstance(value, str) else _text(value)
        found = bool(regex.fullmatch(text) if atom.kind != "regex" else regex.search(text))
        return found != atom.negated
    if isinstance(atom, ColumnCompare):
        left = atom.left.apply(row[atom.left.column])
        right = atom.right.apply(row[atom.right.column])
        if left is None or right is None:
            return None
        return compare(left, atom.op, right)
    if isinstance(atom, JsonType):
        value = row[atom.column]
        if value is None:
            return None
        kind = json_kind(value, atom.types == ("valid",))
        if kind is UNSURE:
            return UNSURE
        found = kind is not None and (atom.types == ("valid",) or kind in atom.types)
        return found != atom.negated
    if isinstance(atom, ArrayLength):
        value = row[atom.column]
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            return UNSURE
        if not value and atom.empty_is_null:
            return None
        return compare(len(value), atom.op, atom.value)
    return UNSURE


def json_kind(value: Any, text_is_json: bool) -> str | Unsure | None:
    """The JSON type of a generated value (``text_is_json``: a string holds JSON text, as in MariaDB)."""
    if isinstance(value, str) and text_is_json:
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, decimal.Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return UNSURE


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Two values brought to one Python type for comparing, or TypeError."""
    if isinstance(left, bool) or isinstance(right, bool):
        if isinstance(left, bool) and isinstance(right, bool):
            return left, right
        if isinstance(left, bool) and isinstance(right, int):
            return int(left), right
        if isinstance(right, bool) and isinstance(left, int):
            return left, int(right)
        raise TypeError("bool")
    if isinstance(left, (dt.date, dt.datetime)) or isinstance(right, (dt.date, dt.datetime)):
        return _moment_value(left), _moment_value(right)
    if isinstance(left, float) and isinstance(right, decimal.Decimal):
        return decimal.Decimal(repr(left)), right
    if isinstance(right, float) and isinstance(left, decimal.Decimal):
        return left, decimal.Decimal(repr(right))
    if isinstance(left, str) != isinstance(right, str):
        raise TypeError("text and number")
    return left, right


def _moment_value(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else _naive_utc(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return _moment_value(dt.datetime.fromisoformat(value))
    raise TypeError("not a moment")


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def compare(left: Any, op: str, right: Any) -> bool:
    a, b = comparable(left, right)
    if op == "=":
        return bool(a == b)
    if op == "<>":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    if op == ">=":
        return bool(a >= b)
    raise ValueError(op)


def value_equal(left: Any, right: Any) -> bool:
    try:
        return compare(left, "=", right)
    except TypeError:
        if isinstance(left, (int, decimal.Decimal)) and isinstance(right, str):
            return str(left) == right.strip()
        if isinstance(right, (int, decimal.Decimal)) and isinstance(left, str):
            return str(right) == left.strip()
        raise
