"""Seeding throughput: ``dbaudit seed`` against a bare COPY of the same number of pre-generated rows.

The target is a 7-column PostgreSQL table with a unique email and a foreign key to a populated parent.  The
baseline gets its rows ready-made (CSV in memory, built before the clock starts) and only COPYs them; dbaudit
has to plan, generate, check, mark and record its rows within its time.  Both run in the same process, against
the same table, emptied in between.  Aim: dbaudit at least half the baseline's rows per second.

Run: ``python -m benchmarks.bench_seed [--url URL] [--rows N]``; from Python: :func:`bench_seed`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_URL = os.environ.get(
    "DBAUDIT_BENCH_POSTGRES_URL",
    os.environ.get("DBAUDIT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)
PARENTS = 1_000
DDL = """
CREATE TABLE account (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO account (name) SELECT 'account ' || g FROM generate_series(1, {parents}) g;
CREATE TABLE customer (
    id serial PRIMARY KEY,
    account_id integer NOT NULL REFERENCES account (id),
    email varchar(120) NOT NULL UNIQUE,
    full_name text NOT NULL,
    status text NOT NULL CHECK (status IN ('active', 'pending', 'inactive', 'archived', 'draft')),
    balance numeric(10, 2) NOT NULL,
    created_at timestamptz NOT NULL
);
"""
COLUMNS = ("account_id", "email", "full_name", "status", "balance", "created_at")


@dataclass(frozen=True)
class SeedBenchResult:
    rows: int
    seed_seconds: float
    copy_seconds: float

    @property
    def seed_rate(self) -> float:
        return self.rows / self.seed_seconds

    @property
    def copy_rate(self) -> float:
        return self.rows / self.copy_seconds

    @property
    def ratio(self) -> float:
        """dbaudit's rate as a share of the baseline's (aim: >= 0.5)."""
        return self.seed_rate / self.copy_rate

    def describe(self) -> str:
        return (
            f"seed {self.rows:,} rows: dbaudit {self.seed_rate:,.0f} rows/s ({self.seed_seconds:.2f} s), "
            f"COPY of pre-generated rows {self.copy_rate:,.0f} rows/s ({self.copy_seconds:.2f} s), "
            f"ratio {self.ratio:.2f} (aim >= 0.50)"
        )


def _pregenerated(rows: int) -> str:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    out = io.StringIO()
    for i in range(rows):
        out.write(
            f"{1 + i % PARENTS},user{i}@example.com,Person {i},active,{i % 9999}.50,"
            f"{(start + dt.timedelta(seconds=i)).isoformat()}\n"
        )
    return out.getvalue()


def bench_seed(url: str = DEFAULT_URL, rows: int = 200_000) -> SeedBenchResult:
    """Measure both in a fresh schema of ``url``'s database (dropped afterwards)."""
    from dbaudit.config import load_settings
    from dbaudit.seed import PlanRequest, purge, run_seed
    from dbaudit.urls import parse_url

    schema = f"dbaudit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(parse_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    target = make_url(str(parse_url(url).render_as_string(hide_password=False))).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    engine = create_engine(target)
    try:
        with engine.begin() as conn:
            conn.execute(text(DDL.format(parents=PARENTS)))
        payload = _pregenerated(rows)
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            started = time.perf_counter()
            cursor.copy_expert(
                f"COPY customer ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", io.StringIO(payload)
            )
            raw.commit()
            copy_seconds = time.perf_counter() - started
            cursor.execute("TRUNCATE customer")
            raw.commit()
        finally:
            raw.close()
        with tempfile.TemporaryDirectory() as project:
            settings = load_settings(
                {"url": target.render_as_string(hide_password=False), "project_root": Path(project)},
                environ={},
            )
            started = time.perf_counter()
            report = run_seed(settings, PlanRequest(tables=["customer"], rows=rows, seed=1))
            seed_seconds = time.perf_counter() - started
            assert report.total_rows == rows, report
            purge(settings)
        return SeedBenchResult(rows=rows, seed_seconds=seed_seconds, copy_seconds=copy_seconds)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL URL (a schema is created and dropped)")
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args(argv)
    result = bench_seed(args.url, args.rows)
    print(result.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
