"""No SQL is built by pasting values into strings.

Every Python file under ``src/dbaudit`` is parsed with :mod:`ast`.  A string that is SQL (its text starts
like a statement or clause: ``SELECT``, ``INSERT INTO``, ``DELETE FROM``, ``UPDATE ... SET``, DDL, ``WHERE``,
``SET``, ...; or it is handed to ``text()``, ``execute()`` or ``exec_driver_sql()``) must not be built with an
f-string, ``%`` formatting, ``.format()`` or ``+`` concatenation that brings in a value.  Identifiers reach
SQL through SQLAlchemy constructs (``sqlalchemy.table``/``column``, ``insert``/``delete``), which quote them
with the engine's own rules; values travel as bound parameters.  Messages that merely mention SQL words
("insert NULL into a.b, then UPDATE") are not SQL.

The allow-list is deliberately tiny.  An interpolated expression is accepted only when it is one of:

* a call whose function is named ``quote``, ``quote_schema``, ``quote_identifier`` or ``format_table``: the
  dialect's ``identifier_preparer`` quoting (doubles embedded quote characters; proven on hostile names by
  ``test_hostile_identifiers.py``);
* a call of ``int(...)`` or ``float(...)``: a number cannot carry SQL;
* a numeric constant.

One package is exempt as a whole: ``dbaudit/scan`` reads the project's SQL *text* and rewrites it before
parsing it with sqlglot; it never holds a connection.  ``test_the_scanner_never_talks_to_a_database`` keeps
that true: no module there imports SQLAlchemy's engine layer, ``text()`` or a DBAPI driver.

Anything else is reported with file, line and the offending source, so a new finding is a one-line fix: build
the statement with SQLAlchemy, or quote the name through the dialect's preparer.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[2] / "src" / "dbaudit"

#: Text that starts like a statement or a clause: keywords in capitals, or the lowercase shapes of DML/DDL.
#: (Messages that merely mention SQL, like "insert NULL into a.b, then UPDATE", do not start like SQL.)
SQL_START = re.compile(
    r"^[\s()_\"'`.,]*(?:"
    r"(?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|DROP|ALTER|TRUNCATE|COPY|LOCK|SET|PRAGMA|GRANT|REVOKE|MERGE"
    r"|REPLACE|SAVEPOINT|RELEASE|ROLLBACK|EXPLAIN|ANALYZE|VACUUM|SHOW|KILL|WHERE|FROM|JOIN|ORDER BY|GROUP BY"
    r"|LIMIT|VALUES|INTO|AND|OR|ON|RETURNING|UNION|EXCEPT|INTERSECT)(?=[\s(*;]|$)"
    r"|(?i:insert\s+into|delete\s+from|select\b.*\bfrom|update\s+\S+\s+set|(create|drop|alter|truncate|lock)"
    r"\s+table|pragma\s|set\s+(session|local|transaction)\b)"
    r")"
)

#: Calls that execute their first argument as SQL: any string built from values and handed to them counts.
EXECUTING_CALLS = frozenset({"text", "exec_driver_sql", "execute", "executescript", "executemany"})

#: Quoting functions of SQLAlchemy's ``IdentifierPreparer`` (and numeric conversions).
SAFE_CALLS = frozenset({"quote", "quote_schema", "quote_identifier", "format_table", "int", "float"})


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    how: str
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: SQL built with {self.how}: {self.source}"


def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


def _is_safe_value(node: ast.expr) -> bool:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    ):
        return True
    return _call_name(node) in SAFE_CALLS


def _literal_text(node: ast.expr) -> str:
    """The constant string parts of an expression (what the SQL shape is judged on)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal_text(v) if isinstance(v, ast.Constant) else "_" for v in node.values)
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) + " " + _literal_text(node.right)
    return "_"


def _interpolated(node: ast.expr) -> list[ast.expr]:
    """The values an expression pastes into its string, by kind of string building."""
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        right = node.right
        items = right.elts if isinstance(right, ast.Tuple) else [right]
        if isinstance(right, ast.Dict):
            items = [v for v in right.values if v is not None]
        return list(items)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts: list[ast.expr] = []
        for side in (node.left, node.right):
            if isinstance(side, ast.Constant):
                continue
            if isinstance(side, (ast.BinOp, ast.JoinedStr)):
                parts.extend(_interpolated(side))
            else:
                parts.append(side)
        return parts
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return [*node.args, *(k.value for k in node.keywords)]
    return []


def _template(node: ast.expr) -> tuple[str, str] | None:
    """(how, constant text) when ``node`` builds a string from a template and values."""
    if isinstance(node, ast.JoinedStr):
        return "an f-string", _literal_text(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        return "% formatting", _literal_text(node.left)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        text = _literal_text(node)
        return ("+ concatenation", text) if text.strip() else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return ".format()", node.func.value.value
    return None


def violations_in(source: str, path: str) -> Iterator[Violation]:
    """Every place in ``source`` that builds SQL-looking text from values outside the allow-list."""
    tree = ast.parse(source)
    executed = {
        id(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and node.args and _call_name(node) in EXECUTING_CALLS
    }
    seen: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.expr) or id(node) in seen:
            continue
        found = _template(node)
        if found is None:
            continue
        # An outer concatenation already judged its inner parts.
        for inner in ast.walk(node):
            seen.add(id(inner))
        how, text = found
        if not SQL_START.search(text) and id(node) not in executed:
            continue
        unsafe = [value for value in _interpolated(node) if not _is_safe_value(value)]
        if unsafe:
            yield Violation(path, node.lineno, how, ast.get_source_segment(source, node) or text)


#: Packages that only parse SQL text and never execute it (see the module docstring).
PARSE_ONLY = ("scan",)

#: Imports that would let a module execute SQL.
EXECUTING_IMPORTS = re.compile(r"^(sqlalchemy(\.engine|\.orm)?|psycopg2?|pymysql|MySQLdb|sqlite3|asyncpg)$")


def source_files() -> list[Path]:
    return sorted(
        p for p in SOURCE_ROOT.rglob("*.py") if p.relative_to(SOURCE_ROOT).parts[0] not in PARSE_ONLY
    )


def parse_only_files() -> list[Path]:
    return sorted(p for package in PARSE_ONLY for p in (SOURCE_ROOT / package).rglob("*.py"))


def executing_imports(source: str) -> list[str]:
    """Imports of ``source`` that could run SQL: the engine layer, ``text``, ``create_engine``, a driver."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if EXECUTING_IMPORTS.match(a.name))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if EXECUTING_IMPORTS.match(node.module) and node.module != "sqlalchemy":
                found.append(node.module)
            elif node.module == "sqlalchemy":
                found.extend(
                    f"sqlalchemy.{a.name}"
                    for a in node.names
                    if a.name in {"text", "create_engine", "engine"}
                )
    return found


def test_the_scanner_never_talks_to_a_database() -> None:
    files = parse_only_files()
    assert files, "the scanner package moved: update PARSE_ONLY"
    for path in files:
        assert not executing_imports(path.read_text(encoding="utf-8")), path.relative_to(SOURCE_ROOT)


def test_the_detector_flags_every_way_of_pasting_names_into_sql() -> None:
    bad = [
        'q = f"SELECT count(*) FROM {name}"',
        'q = "DELETE FROM %s WHERE id = 1" % table',
        'q = "INSERT INTO {} VALUES (1)".format(table)',
        'q = "TRUNCATE " + table',
        'q = "select * from " + schema + "." + table',
        'q = f"update {t} set x = 1"',
        "conn.exec_driver_sql(f'LOCK TABLE {t} IN SHARE MODE')",
        "conn.execute(text(f\"SET LOCAL statement_timeout = '{ms}'\"))",
        "conn.execute(text(f'{prefix} {table}'))",
        'q = f" WHERE {column} = 1"',
        'q = f"({sub}) UNION ALL SELECT 1"',
    ]
    for snippet in bad:
        assert list(violations_in(snippet, "x.py")), snippet


def test_the_detector_accepts_quoting_numbers_and_plain_messages() -> None:
    good = [
        'q = f"SELECT 1 FROM {preparer.quote(name)}"',
        'q = f"DELETE FROM {preparer.format_table(t)} WHERE 1 = 0"',
        'q = f"SET statement_timeout = {int(ms)}"',
        'msg = f"table {name} could not be read: permission denied"',
        'msg = f"seeded {n} rows into {table}"',
        'note = f"insert NULL into {cols}, then UPDATE"',
        'log.info(f"SELECT-only role {role} may read {n} tables")',
        'q = "SELECT 1"',
        "q = text('SELECT 1 FROM t WHERE id = :id')",
    ]
    for snippet in good:
        assert not list(violations_in(snippet, "x.py")), snippet


def test_the_source_tree_is_found() -> None:
    files = source_files()
    assert any(p.name == "cli.py" for p in files), SOURCE_ROOT


def test_no_sql_is_built_by_interpolating_values() -> None:
    """One check over every source file, reporting every offending line of every file at once."""
    found = []
    for path in source_files():
        relative = path.relative_to(SOURCE_ROOT.parent).as_posix()
        found += [str(v) for v in violations_in(path.read_text(encoding="utf-8"), relative)]
    assert not found, "build SQL with SQLAlchemy constructs or the dialect's quoting:\n" + "\n".join(found)
