"""Ask the database whether candidate rows satisfy CHECKs, without writing anything.

The CHECK expressions are evaluated over the candidates as a ``VALUES`` list, in a ``SELECT`` inside the run's
transaction (and a savepoint, so an error in a CHECK's function cannot break the transaction): the server
judges what Python cannot, such as functions the schema defines, with exactly the rules it applies on insert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Integer,
    cast,
    column,
    false,
    literal,
    literal_column,
    select,
    union_all,
    values,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import Grouping
from sqlalchemy.types import UserDefinedType

from dbaudit.dialects import dialect_for
from dbaudit.seed.predicates import ParsedCheck
from dbaudit.seed.schema import SeedTable

#: Bound values per statement (SQLite's historic limit is 999).
#: Rows per statement where they are a UNION ALL (SQLite allows 500 terms in one compound SELECT).
ROW_LIMIT = 400
_INDEX = "dbaudit_row"


def rows_satisfy(
    conn: Connection,
    table: SeedTable,
    rows: Sequence[Mapping[str, Any]],
    checks: Sequence[ParsedCheck] | None = None,
) -> list[bool]:
    """For each row, whether the database finds every one of ``checks`` (default: all of the table's) not
    false for it.  A row missing a column counts it as NULL."""
    verdicts = check_verdicts(conn, table, rows, checks)
    return [all(row) for row in verdicts]


def check_verdicts(
    conn: Connection,
    table: SeedTable,
    rows: Sequence[Mapping[str, Any]],
    checks: Sequence[ParsedCheck] | None = None,
) -> list[list[bool]]:
    """For each row, one verdict per CHECK (in ``checks`` order): True when the CHECK is not false for it.

    A row whose evaluation raises an error in the database (a CHECK's function failing on it) is judged
    false for every CHECK.
    """
    checks = list(table.rules.checks if checks is None else checks)
    if not rows:
        return []
    if not checks:
        return [[] for _ in rows]
    columns = [c.name for c in table.sa.columns]
    dialect = dialect_for(conn.engine.dialect.name)
    per_statement = max(1, dialect.parameter_budget // (len(columns) + 1))
    if not dialect.typed_values_lists:
        per_statement = min(per_statement, ROW_LIMIT)
    out: list[list[bool]] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        out.extend(_chunk_verdicts(conn, table, columns, chunk, checks))
    return out


def _chunk_verdicts(
    conn: Connection,
    table: SeedTable,
    columns: list[str],
    rows: Sequence[Mapping[str, Any]],
    checks: list[ParsedCheck],
) -> list[list[bool]]:
    try:
        with conn.begin_nested():
            return _evaluate(conn, table, columns, rows, checks)
    except DBAPIError:
        if len(rows) == 1:
            return [[False] * len(checks)]
    out = []
    for row in rows:  # one failing row should not condemn the others
        try:
            with conn.begin_nested():
                out.extend(_evaluate(conn, table, columns, [row], checks))
        except DBAPIError:
            out.append([False] * len(checks))
    return out


def _evaluate(
    conn: Connection,
    table: SeedTable,
    columns: list[str],
    rows: Sequence[Mapping[str, Any]],
    checks: list[ParsedCheck],
) -> list[list[bool]]:
    """One SELECT for the table's own CHECKs, one per domain column for its domain's CHECKs."""
    verdicts: list[list[bool]] = [[True] * len(checks) for _ in rows]
    groups: dict[str | None, list[int]] = {}
    for position, check in enumerate(checks):
        groups.setdefault(check.domain_column, []).append(position)
    for domain_column, positions in groups.items():
        wanted = [checks[p] for p in positions]
        for index, answers in _select(conn, table, columns, rows, wanted, domain_column):
            for position, answer in zip(positions, answers, strict=True):
                verdicts[index][position] = answer
    return verdicts


def _select(
    conn: Connection,
    table: SeedTable,
    columns: list[str],
    rows: Sequence[Mapping[str, Any]],
    checks: list[ParsedCheck],
    domain_column: str | None,
) -> list[tuple[int, list[bool]]]:
    """The candidates as a VALUES list (a UNION ALL of one-row SELECTs where VALUES cannot name its columns),
    cast to the columns' types on PostgreSQL, and each CHECK's verdict over them.  A domain's CHECK reads
    ``VALUE``: its column alone is given under that name."""
    dialect = dialect_for(conn.engine.dialect.name)
    sa_columns = {c.name: c for c in table.sa.columns}
    index = column(_INDEX, Integer)
    source: Any
    if dialect.typed_values_lists:
        listed = values(index, *(column(c, sa_columns[c].type) for c in columns), name="dbaudit_candidates")
        source = listed.data([(i, *(row.get(c) for c in columns)) for i, row in enumerate(rows)])
    else:
        source = union_all(
            *(
                select(
                    literal(i, Integer).label(_INDEX),
                    *(literal(row.get(c), sa_columns[c].type).label(c) for c in columns),
                )
                for i, row in enumerate(rows)
            )
        ).subquery("dbaudit_candidates")
    types = dialect.column_type_names(conn, table)

    def typed(name: str) -> Any:
        found = types.get(name)
        return cast(source.c[name], _Named(found)) if found else source.c[name]

    if domain_column is None:
        shown = [typed(c).label(c) for c in columns]
    else:
        shown = [typed(domain_column).label("value")]
    candidates = select(source.c[_INDEX].label(_INDEX), *shown).subquery("dbaudit_row")
    tests = [Grouping(literal_column(check.text)).is_not(false()) for check in checks]
    statement = select(candidates.c[_INDEX], *tests).select_from(candidates)
    return [(int(found[0]), [bool(v) for v in found[1:]]) for found in conn.execute(statement)]


class _Named(UserDefinedType[Any]):
    """A type known by its name only (PostgreSQL's ``format_type``), to cast to."""

    cache_ok = True

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def get_col_spec(self, **_kw: Any) -> str:
        return self.spec
