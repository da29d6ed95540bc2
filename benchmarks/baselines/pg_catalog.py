"""Baseline of ``dbaudit report`` on PostgreSQL: one psycopg2 connection, a bulk catalog query, exact counts.

Usage: ``BENCH_CONNECT='{...}' python pg_catalog.py SCHEMA``.  Prints the catalog and counts as JSON.
"""

from __future__ import annotations

import json
import os
import sys

import psycopg2
from psycopg2 import sql

CATALOG = """
SELECT c.relname, c.relkind, c.relispartition, c.reltuples::bigint AS estimate,
       (SELECT json_agg(json_build_object(
                   'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                   'nullable', NOT a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid),
                   'identity', a.attidentity, 'generated', a.attgenerated) ORDER BY a.attnum)
          FROM pg_attribute a
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT json_agg(json_build_object(
                   'name', k.conname, 'type', k.contype, 'columns', k.conkey,
                   'references', k.confrelid::regclass::text, 'definition', pg_get_constraintdef(k.oid))
                 ORDER BY k.conname)
          FROM pg_constraint k WHERE k.conrelid = c.oid) AS constraints
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
 ORDER BY c.relname
"""


def main(schema: str) -> None:
    conn = psycopg2.connect(**json.loads(os.environ["BENCH_CONNECT"]))
    conn.autocommit = True  # a count per statement: thousands of tables would exhaust one transaction's locks
    with conn.cursor() as cur:
        cur.execute("SET default_transaction_read_only = on")
        cur.execute(CATALOG, (schema,))
        tables = [
            {"name": name, "kind": kind, "estimate": estimate, "columns": columns, "constraints": constraints}
            for name, kind, is_partition, estimate, columns, constraints in cur.fetchall()
            if not is_partition
        ]
        for table in tables:
            if table["kind"] in ("r", "p"):
                cur.execute(
                    sql.SQL("SELECT count(*) FROM {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(table["name"])
                    )
                )
                table["rows"] = cur.fetchone()[0]
    conn.close()
    json.dump({"schema": schema, "tables": tables}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
