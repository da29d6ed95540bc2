"""Baseline of ``dbaudit report`` on MariaDB/MySQL: one PyMySQL connection, catalog queries, exact counts.

Usage: ``BENCH_CONNECT='{...}' python mysql_catalog.py DATABASE``.  Prints the catalog and counts as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

import pymysql

TABLES = """
SELECT table_name, table_type, table_rows FROM information_schema.tables
 WHERE table_schema = %s ORDER BY table_name
"""
COLUMNS = """
SELECT table_name, column_name, column_type, is_nullable, column_default, extra
  FROM information_schema.columns WHERE table_schema = %s ORDER BY table_name, ordinal_position
"""
CONSTRAINTS = """
SELECT tc.table_name, tc.constraint_name, tc.constraint_type, k.column_name,
       k.referenced_table_name, k.referenced_column_name
  FROM information_schema.table_constraints tc
  LEFT JOIN information_schema.key_column_usage k
    ON k.constraint_schema = tc.constraint_schema AND k.table_name = tc.table_name
   AND k.constraint_name = tc.constraint_name
 WHERE tc.constraint_schema = %s
 ORDER BY tc.table_name, tc.constraint_name, k.ordinal_position
"""
CHECKS = """
SELECT table_name, constraint_name, check_clause FROM information_schema.check_constraints
 WHERE constraint_schema = %s
"""


def main(database: str) -> None:
    conn = pymysql.connect(**json.loads(os.environ["BENCH_CONNECT"]), database=database, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("START TRANSACTION READ ONLY")
        cur.execute(TABLES, (database,))
        tables = {
            name: {"kind": kind, "estimate": rows, "columns": [], "constraints": []}
            for name, kind, rows in cur.fetchall()
        }
        cur.execute(COLUMNS, (database,))
        for table, *column in cur.fetchall():
            tables[table]["columns"].append(column)
        constraints: dict[str, list[object]] = defaultdict(list)
        cur.execute(CONSTRAINTS, (database,))
        for table, *constraint in cur.fetchall():
            constraints[table].append(constraint)
        cur.execute(CHECKS, (database,))
        for table, *check in cur.fetchall():
            constraints[table].append(check)
        for name, table in tables.items():
            table["constraints"] = constraints.get(name, [])
            if table["kind"] == "BASE TABLE":
                cur.execute(f"SELECT COUNT(*) FROM `{name.replace('`', '``')}`")
                table["rows"] = cur.fetchone()[0]
        cur.execute("COMMIT")
    conn.close()
    json.dump({"database": database, "tables": tables}, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
