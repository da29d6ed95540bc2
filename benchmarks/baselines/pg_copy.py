"""Baseline of a volume seed: COPY of pre-generated rows from a CSV file into one table, one transaction.

Usage: ``BENCH_CONNECT='{...}' python pg_copy.py SCHEMA TABLE COLUMNS ROWS.csv`` (COLUMNS comma-separated).
"""

from __future__ import annotations

import json
import os
import sys

import psycopg2
from psycopg2 import sql


def main(schema: str, table: str, columns: str, csv_file: str) -> None:
    conn = psycopg2.connect(**json.loads(os.environ["BENCH_CONNECT"]))
    statement = sql.SQL("COPY {}.{} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns.split(","))),
    )
    with conn, conn.cursor() as cur, open(csv_file, encoding="utf-8") as fh:
        cur.copy_expert(statement.as_string(cur), fh, size=1 << 20)
        copied = cur.rowcount
    conn.close()
    print(f"{copied} rows copied")


if __name__ == "__main__":
    main(*sys.argv[1:5])
