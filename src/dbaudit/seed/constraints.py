"""CHECK constraints as rules the value generators respect.

Every CHECK (of a table, or of a PostgreSQL domain a column uses) is parsed by :mod:`dbaudit.seed.predicates`
into a predicate over the row.  A CHECK that is one conjunction (no ``OR`` left once ``NOT`` is pushed down)
narrows its columns' :class:`ColumnRule` directly, so plain generation already satisfies it: bounds
(``BETWEEN``, comparisons with constants, casts and negative numbers included, ``now()`` plus or minus an
interval), ``IN`` / ``= ANY (ARRAY[...])`` (also of ``upper``/``lower``/``trim`` of the column), lengths,
``LIKE``/``GLOB``/regular-expression patterns, ``IS NOT NULL``, JSON types, array lengths.  Orderings
(``a < b``) and ``a <> b`` between two columns are kept apart for the row generator.  CHECKs with alternatives
are kept whole in :attr:`CheckRules.checks`: :mod:`dbaudit.seed.solve` picks one branch per row.  A CHECK with
a part Python cannot judge (a function of the schema) is listed in :attr:`CheckRules.unparsed`: candidate rows
are shown to the database before they are inserted (:mod:`dbaudit.seed.server_check`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dbaudit.seed.predicates import (
    CASE_FUNCTIONS,
    LENGTH_FUNCTIONS,
    ArrayLength,
    Atom,
    ColumnCompare,
    Compare,
    InSet,
    IsNull,
    JsonType,
    Match,
    ParsedCheck,
    Term,
    parse_check,
    resolve,
)


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
    patterns: list[tuple[str, str, bool]] = field(default_factory=list)
    """Patterns the value must match besides :attr:`like`: ``(kind, pattern, ignore_case)``, kind "like",
    "glob" or "regex" (Python syntax)."""
    must_null: bool = False
    json_type: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    in_checks: bool = False
    """Some CHECK reads this column: its text must not be changed after generation (no marker prefix)."""

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

    def copy(self) -> ColumnRule:
        return ColumnRule(
            choices=None if self.choices is None else list(self.choices),
            excluded=set(self.excluded),
            low=self.low,
            low_inclusive=self.low_inclusive,
            high=self.high,
            high_inclusive=self.high_inclusive,
            min_length=self.min_length,
            max_length=self.max_length,
            like=self.like,
            not_null=self.not_null,
            json=self.json,
            patterns=list(self.patterns),
            must_null=self.must_null,
            json_type=self.json_type,
            min_items=self.min_items,
            max_items=self.max_items,
            in_checks=self.in_checks,
        )


def _gt(a: Any, b: Any) -> bool:
    try:
        if isinstance(a, dt.date) or isinstance(b, dt.date):
            from dbaudit.seed.predicates import compare

            return compare(a, ">", b)
        return bool(a > b)
    except TypeError:
        return False


@dataclass(frozen=True)
class Ordering:
    """``earlier <= later`` (or ``<`` when ``strict``) between two columns of one row."""

    earlier: str
    later: str
    strict: bool = False


@dataclass(frozen=True)
class Exclusion:
    """A PostgreSQL exclusion constraint: ``elements`` are ``(column, operator)`` (None: an expression)."""

    name: str
    definition: str
    elements: tuple[tuple[str | None, str], ...]


@dataclass
class CheckRules:
    """Everything parsed from a table's CHECK constraints (and its columns' domain checks)."""

    columns: dict[str, ColumnRule] = field(default_factory=dict)
    orderings: list[Ordering] = field(default_factory=list)
    distinct: list[tuple[str, str]] = field(default_factory=list)
    """Pairs of columns that must differ within a row (``a <> b``: an asset does not depend on itself)."""
    unparsed: list[str] = field(default_factory=list)
    """CHECKs with a part only the database can judge (by name, else text): candidates are shown to it."""
    checks: list[ParsedCheck] = field(default_factory=list)
    """Every CHECK, parsed: rows are verified against all of them before they are inserted."""
    exclusions: list[Exclusion] = field(default_factory=list)

    def rule(self, column: str) -> ColumnRule:
        return self.columns.setdefault(column, ColumnRule())


def parse_checks(
    checks: list[tuple[str | None, str]],
    dialect: str,
    column_names: set[str],
    rules: CheckRules | None = None,
    value_column: str | None = None,
    domain: str | None = None,
) -> CheckRules:
    """Parse ``(name, sqltext)`` CHECK constraints into :class:`CheckRules`.

    ``value_column`` maps the ``VALUE`` of a PostgreSQL domain check onto the column of that domain.
    """
    rules = rules if rules is not None else CheckRules()
    lookup = {name.lower(): name for name in column_names}
    if value_column:
        lookup["value"] = value_column
    for name, text in checks:
        parsed = parse_check(text, dialect, lookup, name=name, domain_column=value_column)
        if domain is not None:
            parsed = ParsedCheck(
                parsed.name, parsed.text, parsed.predicate, value_column, domain, parsed.alternatives
            )
        rules.checks.append(parsed)
        if not parsed.exact:
            rules.unparsed.append(name or text)
        for column in parsed.columns:
            rules.rule(column).in_checks = True
        alternatives = parsed.alternatives
        if alternatives is None:
            continue
        if len(alternatives) == 1:
            for atom in alternatives[0]:
                _base_atom(rules, atom)
            continue
        chained = _choice_chain(alternatives)
        if chained is not None:
            column, values = chained
            rules.rule(column).narrow_choices(values)
    return rules


def _choice_chain(alternatives: list[tuple[Atom, ...]]) -> tuple[str, list[Any]] | None:
    """``a = 1 OR a = 2 OR a IN (3)`` -> ("a", [1, 2, 3]); else ``None``."""
    column = None
    values: list[Any] = []
    for branch in alternatives:
        if len(branch) != 1:
            return None
        (atom,) = branch
        if isinstance(atom, Compare) and atom.op == "=" and atom.term.plain:
            found, more = atom.term.column, [atom.value]
        elif isinstance(atom, InSet) and not atom.negated and atom.term.plain:
            found, more = atom.term.column, list(atom.values)
        else:
            return None
        if column not in (None, found):
            return None
        column = found
        values += more
    return (column, values) if column is not None else None


def _base_atom(rules: CheckRules, atom: Atom) -> None:
    """Fold one atom of a CHECK without alternatives into the table's rules."""
    if isinstance(atom, ColumnCompare):
        if atom.left.plain and atom.right.plain:
            left, right = atom.left.column, atom.right.column
            if atom.op in ("<", "<="):
                rules.orderings.append(Ordering(left, right, atom.op == "<"))
            elif atom.op in (">", ">="):
                rules.orderings.append(Ordering(right, left, atom.op == ">"))
            elif atom.op == "<>":
                rules.distinct.append((left, right))
        return
    column = getattr(atom, "column", None) or getattr(getattr(atom, "term", None), "column", None)
    if column is None:
        return
    apply_atom(rules.rule(column), atom)


def apply_atom(rule: ColumnRule, atom: Atom) -> None:
    """Narrow ``rule`` by one single-column atom (what cannot shape generation is left to verification)."""
    if isinstance(atom, IsNull):
        if atom.negated:
            rule.not_null = True
        else:
            rule.must_null = True
        return
    if isinstance(atom, JsonType):
        if not atom.negated:
            if atom.types == ("valid",):
                rule.json = True
            elif len(atom.types) == 1:
                rule.json_type = atom.types[0]
        return
    if isinstance(atom, ArrayLength):
        if atom.op != "<>":
            _length_bound(rule, atom.op, atom.value, items=True)
        return
    if isinstance(atom, Match):
        if atom.negated or not _shaping(atom.term):
            return
        if atom.kind == "like" and rule.like is None and not atom.ignore_case:
            rule.like = atom.pattern
        else:
            rule.patterns.append((atom.kind, atom.pattern, atom.ignore_case))
        return
    if isinstance(atom, InSet):
        term = atom.term
        if term.funcs and term.funcs[-1] in LENGTH_FUNCTIONS:
            numbers = [v for v in atom.values if isinstance(v, int)]
            if numbers and not atom.negated:
                _length_bound(rule, ">=", min(numbers))
                _length_bound(rule, "<=", max(numbers))
            return
        if not _shaping(term):
            return
        if atom.negated:
            rule.excluded |= {v for v in atom.values if v is not None}
        else:
            rule.narrow_choices([v for v in atom.values if v is not None and _fixpoint(term, v)])
        return
    if isinstance(atom, Compare):
        term = atom.term
        if term.funcs and term.funcs[-1] in LENGTH_FUNCTIONS:
            if isinstance(atom.value, int) and not isinstance(atom.value, bool):
                _length_bound(rule, atom.op, atom.value)
            return
        if not _shaping(term):
            return
        value = resolve(atom.value, atom.op)
        if value is None:
            return
        if atom.op == "=":
            rule.narrow_choices([value] if _fixpoint(term, value) else [])
        elif atom.op == "<>":
            rule.excluded.add(value)
        elif term.plain:
            if atom.op == ">":
                rule.set_low(value, False)
            elif atom.op == ">=":
                rule.set_low(value, True)
            elif atom.op == "<":
                rule.set_high(value, False)
            elif atom.op == "<=":
                rule.set_high(value, True)


def _shaping(term: Term) -> bool:
    """A term whose value is the column's own (maybe through ``upper``/``lower``/``trim``)."""
    return all(f in CASE_FUNCTIONS for f in term.funcs)


def _fixpoint(term: Term, value: Any) -> bool:
    """Whether ``value`` itself satisfies ``f(value) = value`` (``upper(x) = 'SC'``: 'SC' does)."""
    if term.plain:
        return True
    try:
        return bool(term.apply(value) == value)
    except TypeError:
        return False


def _length_bound(rule: ColumnRule, op: str, value: int, items: bool = False) -> None:
    low_name, high_name = ("min_items", "max_items") if items else ("min_length", "max_length")
    low, high = getattr(rule, low_name), getattr(rule, high_name)
    if op in (">", ">=", "="):
        bound = value + 1 if op == ">" else value
        setattr(rule, low_name, max(low or 0, bound))
    if op in ("<", "<=", "="):
        bound = value - 1 if op == "<" else value
        setattr(rule, high_name, bound if high is None else min(high, bound))


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
