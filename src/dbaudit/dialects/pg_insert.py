"""PostgreSQL INSERTs fed as COPY is: rows as JSON read into the table's row type, identity columns settable.

``json_populate_recordset(NULL::table, rows)`` reads each value through its column type's input function, as
COPY reads its text, so the rows a seed writes this way are stored exactly as by COPY; an INSERT from it needs
``OVERRIDING SYSTEM VALUE`` to set a ``GENERATED ALWAYS`` identity column, which COPY sets without asking.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, cast, func, literal_column
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.ext.compiler import compiles

from dbaudit.dialects.base import TableLike
from dbaudit.dialects.copy import pg_converter


class OverridingSelect(Select[Any]):
    """A SELECT that, as the source of an INSERT, makes it ``INSERT ... OVERRIDING SYSTEM VALUE SELECT``."""

    inherit_cache = True


@compiles(OverridingSelect, "postgresql")
def _overriding(element: OverridingSelect, compiler: Any, **kw: Any) -> str:
    text: str = compiler.visit_select(element, **kw)
    if kw.get("insert_into"):
        return "OVERRIDING SYSTEM VALUE " + text
    return text


def rows_source(
    preparer: Any, table: TableLike, columns: Sequence[str], rows: Iterable[Sequence[Any]], name: str
) -> OverridingSelect:
    """``SELECT columns FROM json_populate_recordset(NULL::table, :name)`` (``preparer``: the connection's
    identifier preparer), overriding identity when it is the source of an INSERT into ``table``."""
    source: OverridingSelect = recordset(
        preparer, table.sa, columns, json_rows(table, columns, rows), name, OverridingSelect
    )
    return source


def recordset(
    preparer: Any, sa_table: Any, columns: Sequence[str], payload: str, name: str, kind: Any = Select
) -> Any:
    """``SELECT columns FROM json_populate_recordset(NULL::table, :name)``: ``payload`` (a JSON array of
    objects) read into ``sa_table``'s row type, each value through its column type's input function."""
    source = func.json_populate_recordset(
        literal_column("NULL::" + preparer.format_table(sa_table)), cast(bindparam(name, payload), JSON)
    ).table_valued(*columns, name=f"{name}_row")
    return kind(*(source.c[c] for c in columns))


def json_rows(table: TableLike, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as a JSON array of objects for ``json_populate_recordset``: each value as the text COPY would
    send (read by its type's input function, as COPY's is), a JSON column's value as JSON, NULL as null."""
    converters = [pg_converter(table, c) for c in columns]
    as_json = [table.columns[c].kind == "json" for c in columns]
    out = []
    for row in rows:
        item: dict[str, Any] = {}
        for name, value, convert, raw in zip(columns, row, converters, as_json, strict=True):
            if value is None or raw:
                item[name] = value
                continue
            shown = value if convert is None else convert(value)
            item[name] = shown if isinstance(shown, str) else str(shown)
        out.append(item)
    return json.dumps(out)
