"""Ask the database whether candidate rows satisfy CHECKs, without writing anything.

The CHECK expressions are evaluated over the candidates as a ``VALUES`` list, in a ``SELECT`` inside the run's
transaction (and a savepoint, so an error in a CHECK's function cannot break the transaction): the server
judges what Python cannot, such as functions the schema defines, with exactly the rules it applies on insert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from dbaudit.seed.predicates import ParsedCheck
from dbaudit.seed.schema import SeedTable

#: Bound values per statement (SQLite's historic limit is 999).
PARAMETER_BUDGET = {"sqlite": 999}
DEFAULT_BUDGET = 20_000
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
    budget = PARAMETER_BUDGET.get(conn.dialect.name, DEFAULT_BUDGET)
    per_statement = max(1, budget // (len(columns) + 1))
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
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    name = dialect.name
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    casts = _postgres_types(conn, table) if name == "postgresql" else {}
    processors = {}
    for column in table.sa.columns:
        try:
            processors[column.name] = column.type.bind_processor(dialect)
        except (NotImplementedError, AttributeError, TypeError):
            processors[column.name] = None
    params: list[Any] = []
    tuples = []
    row_word = "ROW" if name == "mysql" and not getattr(dialect, "is_mariadb", False) else ""
    for index, row in enumerate(rows):
        cells = [placeholder]
        params.append(index)
        for name_ in columns:
            value = row.get(name_)
            processor = processors.get(name_)
            if value is not None and processor is not None:
                value = processor(value)
            params.append(value)
            cast = casts.get(name_)
            cells.append(f"CAST({placeholder} AS {cast})" if cast else placeholder)
        tuples.append(f"{row_word}({', '.join(cells)})")
    names = ", ".join([_INDEX, *(quote(c) for c in columns)])
    tests = ", ".join(f"({_expression(check, quote)}) IS NOT FALSE" for check in checks)
    body = ", ".join(tuples)
    if placeholder != "?":
        tests = tests.replace("%", "%%")  # drivers with %s placeholders read a lone % as one
    sql = (
        f"WITH dbaudit_candidates ({names}) AS (VALUES {body}) "
        f"SELECT {_INDEX}, {tests} FROM dbaudit_candidates"
    )
    result = conn.exec_driver_sql(sql, tuple(params)).all()
    verdicts: list[list[bool]] = [[False] * len(checks) for _ in rows]
    for found in result:
        verdicts[int(found[0])] = [bool(v) for v in found[1:]]
    return verdicts


def _expression(check: ParsedCheck, quote: Any) -> str:
    """The CHECK's text; a domain's CHECK reads ``VALUE``, given as the column's value in a subquery."""
    if check.domain_column is None:
        return check.text
    return f"SELECT ({check.text}) FROM (SELECT {quote(check.domain_column)} AS value) AS dbaudit_domain"


_TYPES_SQL = text(
    "SELECT a.attname, format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, "
    "CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) "
    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE a.attrelid = CAST(:name AS regclass) AND a.attnum > 0 AND NOT a.attisdropped"
)


def _postgres_types(conn: Connection, table: SeedTable) -> dict[str, str]:
    """Each column's type as PostgreSQL writes it (a domain's base type: a cast to the domain would raise
    instead of answering), so the VALUES list has the types the CHECK expects."""
    name = conn.dialect.identifier_preparer.format_table(table.sa)
    return {str(column): str(kind) for column, kind in conn.execute(_TYPES_SQL, {"name": name})}
