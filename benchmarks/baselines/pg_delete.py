"""Floor of a purge: one plain ``DELETE ... WHERE id BETWEEN low AND high`` of the same rows, one transaction.

Usage: ``BENCH_CONNECT='{...}' python pg_delete.py SCHEMA TABLE LOW HIGH``.  It knows which rows are mock rows
(the range is handed to it) and checks nothing: the least work that leaves the table as purge leaves it.
"""

from __future__ import annotations

import json
import os
import sys

import psycopg2
from psycopg2 import sql


def main(schema: str, table: str, low: str, high: str) -> None:
    conn = psycopg2.connect(**json.loads(os.environ["BENCH_CONNECT"]))
    statement = sql.SQL("DELETE FROM {}.{} WHERE id BETWEEN %s AND %s").format(
        sql.Identifier(schema), sql.Identifier(table)
    )
    with conn, conn.cursor() as cur:
        cur.execute(statement, (int(low), int(high)))
        deleted = cur.rowcount
    conn.close()
    print(f"{deleted} rows deleted")


if __name__ == "__main__":
    main(*sys.argv[1:5])
