"""Baseline of ``dbaudit seed --missing``: bare multi-row INSERTs of pre-built rows, one transaction.

Usage: ``BENCH_CONNECT='{...}' python pg_insert.py SCHEMA ROWS.json`` where the JSON lists tables in insert
order, each with ``name``, ``columns`` (name and SQL type) and ``rows``.
"""

from __future__ import annotations

import json
import os
import sys

import psycopg2
from psycopg2 import sql
from psycopg2.extras import execute_values


def main(schema: str, rows_file: str) -> None:
    with open(rows_file, encoding="utf-8") as fh:
        plan = json.load(fh)
    conn = psycopg2.connect(**json.loads(os.environ["BENCH_CONNECT"]))
    inserted = 0
    with conn, conn.cursor() as cur:
        for table in plan:
            names = [c["name"] for c in table["columns"]]
            statement = sql.SQL("INSERT INTO {}.{} ({}) VALUES %s").format(
                sql.Identifier(schema),
                sql.Identifier(table["name"]),
                sql.SQL(", ").join(map(sql.Identifier, names)),
            )
            template = "(" + ", ".join(f"%s::{c['type']}" for c in table["columns"]) + ")"
            execute_values(cur, statement.as_string(cur), table["rows"], template=template)
            inserted += len(table["rows"])
    conn.close()
    print(f"{inserted} rows inserted into {len(plan)} tables")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
