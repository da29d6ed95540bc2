"""Smoke test of the benchmark suite on tiny sizes, against the real servers.

It checks that every case is measured on both sides and lands in the printed table, and that every fixture the
run created is dropped again (also when the run is interrupted).  No timing is asserted: timings belong in
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import MYSQL_URL, PG_URL, PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.mysql]

CREATED = re.compile(r"created (PostgreSQL database|MariaDB database) (\S+)")


def bench_env() -> dict[str, str]:
    return {**os.environ, "DBAUDIT_BENCH_POSTGRES_URL": PG_URL, "DBAUDIT_BENCH_MYSQL_URL": MYSQL_URL}


def table_rows(stdout: str) -> list[list[str]]:
    """The data rows of the printed (GitHub-style) results table."""
    lines = [line for line in stdout.splitlines() if line.startswith("|")]
    assert len(lines) >= 2, stdout
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header[0] == "case"
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def created_fixtures(stderr: str) -> list[tuple[str, str]]:
    return CREATED.findall(stderr)


def assert_dropped(fixtures: list[tuple[str, str]], pg_admin: Engine, mysql_admin: Engine) -> None:
    with pg_admin.connect() as pg, mysql_admin.connect() as my:
        for kind, name in fixtures:
            if kind == "PostgreSQL database":
                found = pg.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            else:
                found = my.execute(
                    text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :n"), {"n": name}
                ).first()
            assert found is None, f"{kind} {name} was left behind"


def test_quick_run_fills_every_case_and_cleans_up(
    pg_admin: Engine, mysql_admin: Engine, tmp_path: Path
) -> None:
    from benchmarks.cases import CASES

    results = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--results", str(results)],
        cwd=PROJECT_ROOT,
        env=bench_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = table_rows(proc.stdout)
    assert len({row[0] for row in rows}) == len(rows) == len(CASES)
    from benchmarks.cases import CORPUS_CODE

    for row in rows:
        case, dbaudit_median, _, baseline_median, ratio, throughput, memory, target, verdict = row
        if case == "scan, real project" and not CORPUS_CODE.is_dir():
            assert dbaudit_median == "-", row  # no corpus beside the project (a user's clone): said, not run
            continue
        assert case.split(",")[0] in {"report", "scan", "seed --missing", "seed", "purge"}, row
        assert re.fullmatch(r"[\d.]+ s \([\d.]+-[\d.]+, n=1\)", dbaudit_median), row
        assert re.fullmatch(r"[\d.]+ s \([\d.]+-[\d.]+, n=1\)", baseline_median), row
        assert re.fullmatch(r"[\d.]+x", ratio), row
        assert re.fullmatch(r"[\d,.]+ (tables|rows|files)/s", throughput), row
        assert re.fullmatch(r"\d+ / \d+ MB", memory), row
        assert target.startswith("<= ")
        assert verdict == "met" or verdict.startswith("missed ("), row
    assert "error:" not in proc.stdout
    assert "PostgreSQL:" in proc.stdout and "SQLAlchemy:" in proc.stdout
    # the appended section holds the same table
    written = results.read_text(encoding="utf-8")
    assert written.startswith("# Benchmark results")
    assert all(row[0] in written for row in rows)
    fixtures = created_fixtures(proc.stderr)
    assert {kind for kind, _ in fixtures} == {"PostgreSQL database", "MariaDB database"}
    assert_dropped(fixtures, pg_admin, mysql_admin)


def test_interrupted_run_drops_its_fixtures(pg_admin: Engine, mysql_admin: Engine, tmp_path: Path) -> None:
    # the full-size 10,000-table build takes long enough to be interrupted in the middle of it
    results = tmp_path / "RESULTS.md"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--cases",
            "report_pg_many",
            "--repeat",
            "1",
            "--results",
            str(results),
        ],
        cwd=PROJECT_ROOT,
        env=bench_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 120
    while "created PostgreSQL database" not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert "created PostgreSQL database" in seen, seen
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout + seen + rest
    assert "interrupted" in rest
    fixtures = created_fixtures(seen + rest)
    assert fixtures
    assert_dropped(fixtures, pg_admin, mysql_admin)
    assert not results.exists()
