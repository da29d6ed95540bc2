"""The floor of ``dbaudit report`` on PostgreSQL: the least work that gives the same facts.

One psycopg2 connection, JIT off (as dbaudit's read-only transaction sets it), one bulk ``pg_catalog`` query
for the schema's tables with their columns and constraints (filtered by the schema's OID), then the exact
row count of every table, many tables to a statement.  Nothing is dumped: it prints one line (tables, columns,
constraints, rows), so the measured work is reading, not serialising.

A statement takes a lock on every table it counts, and the server's lock table holds
``max_locks_per_transaction x max_connections`` entries (6,400 by default), so the counts go
``COUNT_BATCH`` tables to a statement, each statement its own transaction (the floor needs no snapshot).

With ``--probe`` it is the floor of ``dbaudit report --no-counts``: whether each table holds a row
(``EXISTS (SELECT 1 FROM t)``, many tables to a statement) instead of its exact count.

Usage: ``BENCH_CONNECT='{...}' python pg_floor.py SCHEMA [--probe]``.
"""

from __future__ import annotations

import json
import os
import sys

import psycopg2
from psycopg2 import sql

#: Tables counted in one statement.
COUNT_BATCH = 1_000

CATALOG = """
SELECT c.relname, c.relkind, c.relispartition,
       (SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                         || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                         || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') ORDER BY a.attnum)
          FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT array_agg(k.conname || ' ' || pg_get_constraintdef(k.oid))
          FROM pg_constraint k WHERE k.conrelid = c.oid)
  FROM pg_class c
 WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s)
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""


def main(schema: str, probe: bool = False) -> None:
    conn = psycopg2.connect(**json.loads(os.environ["BENCH_CONNECT"]))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET jit = off")
        cur.execute("SET default_transaction_read_only = on")
        cur.execute(CATALOG, (schema,))
        relations = cur.fetchall()
        tables = [
            name for name, kind, is_partition, _, _ in relations if kind in ("r", "p") and not is_partition
        ]
        rows = 0
        ask = "EXISTS (SELECT 1 FROM {})" if probe else "(SELECT count(*) FROM {})"
        for start in range(0, len(tables), COUNT_BATCH):
            batch = tables[start : start + COUNT_BATCH]
            cur.execute(
                sql.SQL("SELECT {}").format(
                    sql.SQL(", ").join(sql.SQL(ask).format(sql.Identifier(schema, name)) for name in batch)
                )
            )
            rows += sum(int(v) for v in cur.fetchone())  # with --probe: tables holding rows
    conn.close()
    columns = sum(len(c or ()) for _, _, _, c, _ in relations)
    constraints = sum(len(k or ()) for _, _, _, _, k in relations)
    counted = "populated tables" if probe else "rows"
    print(f"{len(tables)} tables, {columns} columns, {constraints} constraints, {rows} {counted}")


if __name__ == "__main__":
    main(sys.argv[1], probe="--probe" in sys.argv[2:])
