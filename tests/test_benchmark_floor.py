"""Smoke test of ``python -m benchmarks.floor`` on a tiny crowded database: both sides measured in alternated
pairs, the table printed with medians and spreads, the database dropped.  No timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import PG_URL, PROJECT_ROOT
from tests.test_benchmarks import bench_env, table_rows

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CREATED = re.compile(r"created PostgreSQL database (\S+)")


def test_floor_harness_measures_both_sides_and_drops_its_database(pg_admin: Engine) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.floor", "--sizes", "12", "--others", "8", "--pairs", "2"],
        cwd=PROJECT_ROOT,
        env={**bench_env(), "DBAUDIT_BENCH_POSTGRES_URL": PG_URL},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (row,) = table_rows(proc.stdout.replace("| audited tables", "| case", 1))
    size, total, ours, floor, ratio, ours_mem, floor_mem, mem_ratio = row
    assert (size, total) == ("12", "22")  # each schema also has its tenants table
    for cell in (ours, floor):
        assert re.fullmatch(r"[\d.]+ s \([\d.]+-[\d.]+\)", cell), row
    for cell in (ours_mem, floor_mem):
        assert re.fullmatch(r"\d+ MiB \(\d+-\d+\)", cell), row
    assert re.fullmatch(r"[\d.]+x \([\d.]+-[\d.]+\)", ratio) and re.fullmatch(r"[\d.]+x", mem_ratio)
    assert proc.stderr.count(" pair ") == 2
    (database,) = CREATED.findall(proc.stderr)
    with pg_admin.connect() as conn:
        assert (
            conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}).first()
            is None
        )
