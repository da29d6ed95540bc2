"""Rows that satisfy a table's CHECKs: one branch chosen per row for a CHECK with alternatives, the values it
constrains made again, and the proof that a CHECK no row can satisfy is unsatisfiable.

Pure Python over plain rows (``column -> value``); the caller supplies how to make one value of a column
under a rule and which parent keys a foreign key may take.
"""

from __future__ import annotations

import decimal
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dbaudit.seed.constraints import ColumnRule, apply_atom
from dbaudit.seed.predicates import (
    UNSURE,
    Atom,
    ColumnCompare,
    Const,
    IsNull,
    Opaque,
    ParsedCheck,
    compare,
    evaluate,
    passes,
)
from dbaudit.seed.schema import ForeignKeyInfo, SeedTable
from dbaudit.seed.values import ColumnSpec, as_kind, within

ROW_ATTEMPTS = 12
VALUE_TRIES = 8
SEARCH_LIMIT = 4000


@dataclass
class CheckModel:
    """A table's CHECKs as the row generator uses them."""

    checks: list[ParsedCheck] = field(default_factory=list)
    server: list[ParsedCheck] = field(default_factory=list)
    """CHECKs with a part only the database can judge."""
    unsatisfiable: str | None = None
    """Why no row can satisfy the CHECKs (a reason starting ``unsatisfiable CHECK``), else ``None``."""


def check_model(table: SeedTable) -> CheckModel:
    checks = list(table.rules.checks)
    model = CheckModel(checks=checks, server=[c for c in checks if not c.exact])
    model.unsatisfiable = unsatisfiable(table)
    return model


# ------------------------------------------------------------------------------------------------------------
# Satisfiability


def conflict(column: str, rule: ColumnRule, spec: ColumnSpec | None) -> str | None:
    """Why no value of ``column`` keeps ``rule`` (and the column's type), else ``None``."""
    nullable = spec.nullable if spec is not None else True
    if rule.must_null:
        if rule.not_null or not nullable:
            return f"{column} must be NULL and cannot be"
        return None
    if rule.min_length is not None and rule.max_length is not None and rule.min_length > rule.max_length:
        return f"the length of {column} must be at least {rule.min_length} and at most {rule.max_length}"
    if spec is not None and spec.length and rule.min_length and rule.min_length > spec.length:
        return f"the length of {column} must be at least {rule.min_length}, its type holds {spec.length}"
    if rule.min_items is not None and rule.max_items is not None and rule.min_items > rule.max_items:
        return f"{column} must have at least {rule.min_items} and at most {rule.max_items} items"
    why = _bounds_conflict(column, rule, spec)
    if why:
        return why
    if rule.choices is not None:
        converted = [as_kind(c, spec) for c in rule.choices] if spec is not None else list(rule.choices)
        remaining = [c for c in converted if c not in rule.excluded and within(c, rule)]
        if not remaining:
            if not rule.choices:
                return f"no value of {column} is equal to all the values required"
            shown = ", ".join(repr(c) for c in rule.choices[:6])
            return f"none of the values allowed for {column} ({shown}) passes its other conditions"
    return None


def _bounds_conflict(column: str, rule: ColumnRule, spec: ColumnSpec | None) -> str | None:
    low, high = rule.low, rule.high
    integer = spec is not None and spec.kind in ("int", "year")
    if integer and spec is not None:
        bits = spec.int_bits - (0 if spec.unsigned else 1)
        type_low, type_high = (0 if spec.unsigned else -(1 << bits)), (1 << bits) - 1
        try:
            if high is not None and compare(high, "<", type_low):
                return f"{column} must be below {high}, less than its type holds"
            if low is not None and compare(low, ">", type_high):
                return f"{column} must be above {low}, more than its type holds"
        except TypeError:
            pass
    if low is None or high is None:
        return None
    text = (
        f"{column} must be {'>=' if rule.low_inclusive else '>'} {low} and "
        f"{'<=' if rule.high_inclusive else '<'} {high}"
    )
    try:
        if compare(low, ">", high):
            return text
        if compare(low, "=", high) and not (rule.low_inclusive and rule.high_inclusive):
            return text
    except TypeError:
        return None
    if integer and isinstance(low, (int, decimal.Decimal)) and isinstance(high, (int, decimal.Decimal)):
        first = math.floor(low) + 1 if not rule.low_inclusive or low != math.floor(low) else int(low)
        last = math.ceil(high) - 1 if not rule.high_inclusive or high != math.ceil(high) else int(high)
        if first > last:
            return f"no whole number is {'>=' if rule.low_inclusive else '>'} {low} and " + (
                f"{'<=' if rule.high_inclusive else '<'} {high} ({column})"
            )
    return None


class _Rules:
    """Column rules with atoms added on top of a table's own (copied on first change)."""

    def __init__(
        self, table: SeedTable, base: dict[str, ColumnRule] | None = None, blank: bool = False
    ) -> None:
        self.table = table
        self.rules: dict[str, ColumnRule] = dict(base or {})
        self.owned: set[str] = set()
        self.blank = blank
        """Start from no rule at all (to name the CHECK that contradicts), not the column's merged one."""

    def fork(self) -> _Rules:
        return _Rules(self.table, self.rules, self.blank)

    def rule(self, column: str) -> ColumnRule:
        if column not in self.owned:
            current = self.rules.get(column)
            if current is None:
                spec = self.table.columns.get(column)
                current = spec.rule if spec is not None and not self.blank else ColumnRule()
            self.rules[column] = current.copy()
            self.owned.add(column)
        return self.rules[column]

    def add(self, atoms: Sequence[Atom]) -> str | None:
        """Add ``atoms``; why they cannot all hold, else ``None``."""
        touched: list[str] = []
        for atom in atoms:
            if isinstance(atom, Const):
                if not atom.value:
                    return "it is always false"
                continue
            if isinstance(atom, (Opaque, ColumnCompare)):
                continue
            column = atom.columns[0]
            spec = self.table.columns.get(column)
            if spec is not None and spec.skip:
                continue  # filled by the database: nothing to aim at
            apply_atom(self.rule(column), atom)
            touched.append(column)
        for column in dict.fromkeys(touched):
            why = conflict(column, self.rules[column], self.table.columns.get(column))
            if why:
                return why
        for atom in atoms:
            if isinstance(atom, ColumnCompare):
                why = self._ordering(atom)
                if why:
                    return why
        return None

    def _ordering(self, atom: ColumnCompare) -> str | None:
        if not (atom.left.plain and atom.right.plain) or atom.op in ("=", "<>"):
            if atom.left == atom.right and atom.op in ("<>", "<", ">"):
                return f"{atom.left.column} {atom.op} {atom.left.column} is never true"
            return None
        left = self.rules.get(atom.left.column)
        right = self.rules.get(atom.right.column)
        if atom.left == atom.right:
            return None if atom.op in ("<=", ">=") else f"{atom.left.column} {atom.op} itself is never true"
        smaller, larger = (left, right) if atom.op in ("<", "<=") else (right, left)
        if smaller is None or larger is None:
            return None
        least = _least(smaller)
        most = _most(larger)
        if least is None or most is None:
            return None
        try:
            strict = atom.op in ("<", ">")
            if compare(least, ">=" if strict else ">", most):
                return f"{atom.left.column} {atom.op} {atom.right.column} cannot hold with their other rules"
        except TypeError:
            return None
        return None


def _least(rule: ColumnRule) -> Any:
    if rule.choices:
        try:
            return min(rule.choices)
        except TypeError:
            return None
    return rule.low


def _most(rule: ColumnRule) -> Any:
    if rule.choices:
        try:
            return max(rule.choices)
        except TypeError:
            return None
    return rule.high


def unsatisfiable(table: SeedTable) -> str | None:
    """Why no row can satisfy ``table``'s CHECKs together (``unsatisfiable CHECK name: why``), else ``None``.

    CHECKs without alternatives are added one by one (the first that contradicts the others is named); then
    every CHECK with alternatives needs one branch that fits, and some choice of branches must fit together
    (searched depth first, up to :data:`SEARCH_LIMIT` steps; past that the table is taken as satisfiable).
    """
    rules = _Rules(table, {}, blank=True)
    for check in table.rules.checks:
        alternatives = check.alternatives
        if alternatives is None or len(alternatives) != 1:
            continue
        why = rules.add(alternatives[0])
        if why:
            return f"unsatisfiable CHECK {check.label}: {why}"
    for name, spec in table.columns.items():
        if spec.skip:
            continue
        why = conflict(name, rules.rules.get(name) or spec.rule, spec)
        if why:
            return f"unsatisfiable CHECK on {name}: {why}"
    branched = [c for c in table.rules.checks if c.alternatives is not None and len(c.alternatives) > 1]
    for check in branched:
        assert check.alternatives is not None
        reasons = []
        for branch in check.alternatives:
            why = rules.fork().add(branch)
            if why is None:
                break
            reasons.append(why)
        else:
            return f"unsatisfiable CHECK {check.label}: no alternative can hold ({'; '.join(reasons[:3])})"
    steps = [0]

    def search(index: int, current: _Rules) -> bool:
        if index == len(branched):
            return True
        steps[0] += 1
        if steps[0] > SEARCH_LIMIT:
            return True
        alternatives = branched[index].alternatives or []
        for branch in alternatives:
            trial = current.fork()
            if trial.add(branch) is None and search(index + 1, trial):
                return True
        return False

    if branched and not search(0, rules):
        return f"unsatisfiable CHECK {branched[-1].label}: no alternative fits the other CHECKs"
    return None


# ------------------------------------------------------------------------------------------------------------
# Rows


MakeValue = Callable[[str, ColumnRule], Any]
ParentKeys = Callable[[ForeignKeyInfo], Sequence[tuple[Any, ...]]]


class RowFixer:
    """Changes one row until no CHECK rejects it (or gives up): a failing CHECK with alternatives gets a
    branch that fits what earlier choices pinned, and the columns that branch constrains are made again."""

    def __init__(
        self,
        table: SeedTable,
        checks: Sequence[ParsedCheck],
        rng: random.Random,
        make_value: MakeValue,
        parent_keys: ParentKeys,
        fixed: set[str],
    ) -> None:
        self.table = table
        self.checks = list(checks)
        self.rng = rng
        self.make_value = make_value
        self.parent_keys = parent_keys
        self.fixed = fixed
        self.fk_of = {c: fk for fk in table.foreign_keys for c in fk.columns}

    def failing(self, row: dict[str, Any]) -> int | None:
        for index, check in enumerate(self.checks):
            if passes(check.predicate, row) is False:
                return index
        return None

    def fix(self, row: dict[str, Any]) -> bool:
        """Whether ``row`` (changed in place) now passes every CHECK Python can judge."""
        chosen: dict[int, tuple[Atom, ...]] = {}
        for _ in range(ROW_ATTEMPTS):
            index = self.failing(row)
            if index is None:
                return True
            check = self.checks[index]
            alternatives = check.alternatives
            if alternatives is None:
                self.reroll(row, check.columns)
                continue
            pins = [a for i, branch in chosen.items() if i != index for a in branch]
            viable = [b for b in alternatives if self._viable(b, pins, row)]
            if not viable:
                chosen.clear()
                pins = []
                viable = [b for b in alternatives if self._viable(b, pins, row)]
                if not viable:
                    return False
            branch = viable[int(self.rng.random() * len(viable))]
            chosen[index] = branch
            self._enforce(row, branch, [*pins, *branch])
        return self.failing(row) is None

    def reroll(self, row: dict[str, Any], columns: Sequence[str]) -> None:
        """Fresh values for ``columns`` (those the generator may change), under the columns' own rules."""
        for column in columns:
            if column in self.fixed or column not in row:
                continue
            fk = self.fk_of.get(column)
            if fk is not None:
                keys = self.parent_keys(fk)
                if keys:
                    self._set_key(row, fk, keys[int(self.rng.random() * len(keys))])
                continue
            spec = self.table.columns.get(column)
            if spec is None or spec.skip:
                continue
            if spec.nullable and self.rng.random() < 0.2:
                row[column] = None
            else:
                row[column] = self.make_value(column, spec.rule)

    # -- choosing and enforcing a branch -------------------------------------------------------------------
    def _viable(self, branch: Sequence[Atom], pins: Sequence[Atom], row: dict[str, Any]) -> bool:
        rules = _Rules(self.table, {})
        if rules.add([*pins, *branch]) is not None:
            return False
        for atom in branch:
            if isinstance(atom, (Opaque, ColumnCompare)):
                continue  # a pair of columns: either side may move (see _relate)
            for column in atom.columns:
                if column in self.fixed and column in row and evaluate(atom, row) is False:
                    return False
                fk = self.fk_of.get(column)
                if fk is not None and not isinstance(atom, IsNull) and not self._candidates(fk, [atom], row):
                    return False
                if fk is not None and isinstance(atom, IsNull) and atom.negated and not self.parent_keys(fk):
                    return False
        return True

    def _enforce(self, row: dict[str, Any], branch: Sequence[Atom], pins: Sequence[Atom]) -> None:
        single: dict[str, list[Atom]] = {}
        for atom in pins:
            if isinstance(atom, (Opaque, ColumnCompare, Const)):
                continue
            single.setdefault(atom.columns[0], []).append(atom)
        done_keys: set[tuple[str, ...]] = set()
        for atom in branch:
            if isinstance(atom, (Opaque, ColumnCompare, Const)):
                continue
            column = atom.columns[0]
            if column in self.fixed or column not in row:
                continue
            atoms_here = single.get(column, [])
            if all(evaluate(a, row) is True for a in atoms_here):
                continue
            fk = self.fk_of.get(column)
            if fk is not None:
                if fk.columns in done_keys:
                    continue
                done_keys.add(fk.columns)
                self._pick_parent(row, fk, pins)
                continue
            rule = self._rule(column, atoms_here)
            if rule.must_null:
                row[column] = None
                continue
            for _ in range(VALUE_TRIES):
                row[column] = self.make_value(column, rule)
                if all(evaluate(a, row) is not False for a in atoms_here):
                    break
        for atom in branch:
            if isinstance(atom, ColumnCompare) and evaluate(atom, row) is False:
                self._relate(row, atom, single)

    def _rule(self, column: str, atoms: Sequence[Atom]) -> ColumnRule:
        spec = self.table.columns[column]
        rule = spec.rule.copy()
        for atom in atoms:
            apply_atom(rule, atom)
        return rule

    def _candidates(
        self, fk: ForeignKeyInfo, atoms: Sequence[Atom], row: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        relevant = [a for a in atoms if set(a.columns) & set(fk.columns)]
        keys = self.parent_keys(fk)
        if not relevant:
            return list(keys)
        out = []
        trial = dict(row)
        for key in keys:
            for position, column in enumerate(fk.columns):
                trial[column] = key[position]
            if all(evaluate(a, trial) is not False for a in relevant):
                out.append(key)
        return out

    def _pick_parent(self, row: dict[str, Any], fk: ForeignKeyInfo, pins: Sequence[Atom]) -> None:
        if any(isinstance(a, IsNull) and not a.negated and a.column in fk.columns for a in pins):
            for column in fk.columns:
                if any(isinstance(a, IsNull) and not a.negated and a.column == column for a in pins):
                    row[column] = None
            return
        keys = self._candidates(fk, pins, row)
        if keys:
            self._set_key(row, fk, keys[int(self.rng.random() * len(keys))])

    def _set_key(self, row: dict[str, Any], fk: ForeignKeyInfo, key: tuple[Any, ...]) -> None:
        for position, column in enumerate(fk.columns):
            row[column] = key[position]

    def _free(self, column: str) -> bool:
        return column not in self.fixed and column not in self.fk_of and column in self.table.columns

    def _relate(self, row: dict[str, Any], atom: ColumnCompare, single: dict[str, list[Atom]]) -> None:
        """Make ``left op right`` hold: copy, swap or draw one side again (a parent key for a foreign key)."""
        left, right = atom.left.column, atom.right.column
        if atom.op == "=" and atom.left.plain and atom.right.plain:
            for target, source in ((left, right), (right, left)):
                if self._free(target):
                    row[target] = row[source]
                    return
        if atom.op in ("<", "<=", ">", ">=") and self._free(left) and self._free(right):
            row[left], row[right] = row[right], row[left]
            if evaluate(atom, row) is not False:
                return
            row[left], row[right] = row[right], row[left]
        for side in (right, left) if self.rng.random() < 0.5 else (left, right):
            fk = self.fk_of.get(side)
            if side in self.fixed:
                continue
            if fk is not None:
                keys = self._candidates(fk, [atom, *single.get(side, [])], row)
                if keys:
                    self._set_key(row, fk, keys[int(self.rng.random() * len(keys))])
                    return
                continue
            if not self._free(side):
                continue
            rule = self._rule(side, single.get(side, []))
            other = row[left if side == right else right]
            if other is not None and atom.left.plain and atom.right.plain:
                _bound_against(rule, atom.op if side == left else _MIRROR[atom.op], other)
            for _ in range(VALUE_TRIES):
                row[side] = self.make_value(side, rule)
                if evaluate(atom, row) is not False:
                    return


_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}


def _bound_against(rule: ColumnRule, op: str, other: Any) -> None:
    """``rule`` narrowed so that ``value op other`` holds."""
    if op == "<":
        rule.set_high(other, False)
    elif op == "<=":
        rule.set_high(other, True)
    elif op == ">":
        rule.set_low(other, False)
    elif op == ">=":
        rule.set_low(other, True)
    elif op == "<>":
        rule.excluded.add(other)
    elif op == "=":
        rule.narrow_choices([other])


def unsure(check: ParsedCheck, row: dict[str, Any]) -> bool:
    """Whether only the database can tell if ``row`` satisfies ``check``."""
    return passes(check.predicate, row) is UNSURE
