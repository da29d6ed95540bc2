"""Parsing SQL text with sqlglot, for :func:`dbaudit.scan.sql.analyse_sql` (imported on first use)."""

from __future__ import annotations

import logging

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from dbaudit.scan.sql_writes import UNRESOLVED_PREFIX, SqlWrite, strip_copy_data

_DIALECTS = ("postgres", "mysql", "sqlite")
_log = logging.getLogger("sqlglot")


class _Quiet(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


def _group_end(tokens: list[Token], start: int) -> int:
    """Index just after the parenthesised group opening at ``start``."""
    depth = 0
    for i in range(start, len(tokens)):
        kind = tokens[i].token_type
        if kind is TokenType.L_PAREN:
            depth += 1
        elif kind is TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return i + 1
    return len(tokens)


def shorten_values(tokens: list[Token]) -> list[Token]:
    """Keep only the first row of each ``VALUES (...), (...), ...`` list: the rows say nothing about the
    target table, and parsing thousands of them is most of the cost of a seed file."""
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        out.append(token)
        i += 1
        if token.token_type is TokenType.VALUES and i < n and tokens[i].token_type is TokenType.L_PAREN:
            end = _group_end(tokens, i)
            out.extend(tokens[i:end])
            i = end
            while (
                i + 1 < n
                and tokens[i].token_type is TokenType.COMMA
                and tokens[i + 1].token_type is TokenType.L_PAREN
            ):
                i = _group_end(tokens, i + 1)
    return out


def _parse(text: str) -> list[exp.Expression]:
    quiet = _Quiet()
    _log.addFilter(quiet)
    try:
        error: SqlglotError | None = None
        for name in _DIALECTS:
            dialect = Dialect.get_or_raise(name)
            try:
                tokens = shorten_values(dialect.tokenize(text))
                parsed = dialect.parser().parse(tokens, text)
                return [s for s in parsed if isinstance(s, exp.Expression)]
            except SqlglotError as exc:
                error = exc
        assert error is not None
        raise error
    finally:
        _log.removeFilter(quiet)


def _target(node: exp.Expression | None) -> exp.Table | None:
    if isinstance(node, exp.Schema):
        node = node.this
    return node if isinstance(node, exp.Table) else None


def _write(table: exp.Table, recogniser: str, base_line: int) -> SqlWrite:
    name = table.name
    schema = table.db or None
    meta = table.this.meta if isinstance(table.this, exp.Expression) else {}
    line = base_line + int(meta.get("line", 1)) - 1
    if schema and schema.startswith(UNRESOLVED_PREFIX):
        schema = None
    if name.startswith(UNRESOLVED_PREFIX) or UNRESOLVED_PREFIX in name:
        return SqlWrite(None, schema, recogniser, line, name)
    return SqlWrite(name, schema, recogniser, line)


def _insert_recogniser(node: exp.Insert) -> str:
    upsert = node.args.get("conflict") is not None or node.args.get("alternative") or node.args.get("ignore")
    return "sql-upsert" if upsert else "sql-insert"


def parse_writes(text: str, base_line: int = 1) -> list[SqlWrite]:
    """Tables ``text`` writes rows into; raises ``sqlglot.errors.SqlglotError`` when it cannot be parsed."""
    writes: list[SqlWrite] = []
    for statement in _parse(strip_copy_data(text)):
        if isinstance(statement, exp.Command) and str(statement.this).upper() == "REPLACE":
            rest = statement.expression.name if statement.expression is not None else ""
            for inner in _parse("INSERT " + rest):
                for replaced in inner.find_all(exp.Insert):
                    target = _target(replaced.this)
                    if target is not None:
                        writes.append(_write(target, "sql-upsert", base_line))
            continue
        for node in statement.find_all(exp.Insert, exp.Copy, exp.Merge):
            target = _target(node.this)
            if target is None:
                continue
            if isinstance(node, exp.Insert):
                writes.append(_write(target, _insert_recogniser(node), base_line))
            elif isinstance(node, exp.Copy):
                if node.args.get("kind"):  # COPY ... FROM; COPY ... TO only reads
                    writes.append(_write(target, "sql-copy", base_line))
            elif isinstance(node, exp.Merge) and _merge_inserts(node):
                writes.append(_write(target, "sql-merge", base_line))
    return writes


def _merge_inserts(node: exp.Merge) -> bool:
    """A MERGE seeds only if one of its branches inserts."""
    for when in node.find_all(exp.When):
        if isinstance(when.args.get("then"), exp.Insert):
            return True
    return not any(True for _ in node.find_all(exp.When))
