"""``python -m benchmarks.floor``: ``dbaudit report`` on PostgreSQL against the floor, in a crowded database.

The floor (``baselines/pg_floor.py``) is the least work that gives the facts the report rests on: one
psycopg2 connection, JIT off, one catalog query, the exact count of every table.  Both sides run as whole
processes from an empty folder, in pairs whose order alternates (dbaudit first, then the floor first, ...), so
drifting machine load hits both alike; each side's wall time and peak memory (``VmHWM`` of the process itself,
see ``launch.py``) are recorded, and the table gives the median and the range of each, the median of the
per-pair time ratios, and the ratio of the median peaks.

Every audited schema lives in one database beside ``--others`` tables of other schemas (and beside the other
sizes' schemas), so a catalog read that filters late pays for the whole database as it would on a real server.
The database is named ``dbaudit_bench_floor_*`` and dropped at the end (``--keep`` keeps it and prints its
name; ``--database NAME`` reuses such a database, building only the schemas it lacks).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import crowded, environment, servers
from benchmarks.harness import Measurement, baseline_command, compile_package, dbaudit_command, measure

REPORT_OK = (0, 1)  # 1: the report has findings (empty tables), not a failure
#: Tables per schema of the "other" schemas.
OTHER_SCHEMA_TABLES = 1_000


@dataclass
class Pair:
    dbaudit: Measurement
    floor: Measurement


def log(message: str) -> None:
    print(f"[floor] {message}", file=sys.stderr, flush=True)


def existing_schemas(database: str) -> set[str]:
    with servers.pg_connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cur.fetchall()}


def build_schema(database: str, schema: str, tables: int, large: int) -> None:
    log(f"building {schema}: {tables:,} tables ...")
    with servers.pg_connect(database) as conn, conn.cursor() as cur:
        for statement in crowded.statements(schema, tables, large):
            cur.execute(statement)
        for statement in crowded.analyze(schema, tables):
            cur.execute(statement)


def count_tables(database: str) -> int:
    with servers.pg_connect(database) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        )
        return int(cur.fetchone()[0])


def measure_pairs(
    database: str, schema: str, pairs: int, workdir: Path, no_counts: bool = False
) -> list[Pair]:
    url = servers.pg_fixture_url(database)
    env = {"DBAUDIT_URL": "", "DATABASE_URL": "", "PYTHONWARNINGS": "ignore"}
    compile_package()
    floor_env = {**env, "BENCH_CONNECT": json.dumps(servers.pg_params(servers.pg_url(), database))}
    project = workdir / "empty-project"
    project.mkdir(exist_ok=True)
    report = workdir / f"{schema}.md"

    probe = ("--no-counts",) if no_counts else ()

    def ours() -> Measurement:
        argv = dbaudit_command("report", "--url", url, "--schema", schema, *probe)
        return measure(argv, cwd=project, env=env, ok_codes=REPORT_OK, stdout=report)

    def floor() -> Measurement:
        argv = baseline_command("pg_floor.py", schema, *("--probe",) if no_counts else ())
        return measure(argv, cwd=project, env=floor_env)

    ours()  # untimed warm-up of both sides: bytecode cached, server caches as in the measured runs
    floor()
    out = []
    for i in range(pairs):
        if i % 2 == 0:
            a = ours()
            b = floor()
        else:
            b = floor()
            a = ours()
        out.append(Pair(a, b))
        log(
            f"{schema} pair {i + 1}: dbaudit {a.seconds:.2f} s {a.peak_mib:.0f} MiB, floor {b.seconds:.2f} s"
            f" {b.peak_mib:.0f} MiB"
        )
    return out


def spread(values: Sequence[float], unit: str, digits: int = 2) -> str:
    return (
        f"{statistics.median(values):.{digits}f} {unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def table(rows: list[tuple[int, list[Pair]]], others: int) -> str:
    lines = [
        "| audited tables | tables in the database | dbaudit report: time | floor: time | time ratio"
        " (median of pairs) | dbaudit peak memory | floor peak memory | memory ratio |",
        "| ---: | ---: | --- | --- | ---: | --- | --- | ---: |",
    ]
    for size, pairs in rows:
        ratios = [p.dbaudit.seconds / p.floor.seconds for p in pairs]
        ours_mem = [p.dbaudit.peak_mib for p in pairs]
        floor_mem = [p.floor.peak_mib for p in pairs]
        lines.append(
            f"| {size:,} | {others:,} | {spread([p.dbaudit.seconds for p in pairs], 's')} |"
            f" {spread([p.floor.seconds for p in pairs], 's')} |"
            f" {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) |"
            f" {spread(ours_mem, 'MiB', 0)} | {spread(floor_mem, 'MiB', 0)} |"
            f" {statistics.median(ours_mem) / statistics.median(floor_mem):.1f}x |"
        )
    return "\n".join(lines)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="audited tables per case (default 1000,10000)")
    parser.add_argument("--others", type=int, default=5_000, help="tables of other schemas (default 5000)")
    parser.add_argument("--pairs", type=int, default=5, help="alternated pairs per size (default 5)")
    parser.add_argument(
        "--large", type=int, default=20_000, help="rows of the largest tables (default 20000)"
    )
    parser.add_argument("--database", help="reuse this dbaudit_bench_floor_* database (kept afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the database built (prints its name)")
    parser.add_argument(
        "--no-counts",
        action="store_true",
        help="measure report --no-counts against the probe floor (EXISTS per table instead of count(*))",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.pairs < 1 or not sizes:
        parser.error("need at least one size and one pair")
    database = args.database or servers.fixture_name("floor")
    if args.database is None:
        with servers.pg_connect() as conn, conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{database}"')
        log(f"created PostgreSQL database {database}")
    try:
        have = existing_schemas(database)
        other_schemas = -(-args.others // OTHER_SCHEMA_TABLES) if args.others else 0
        for i in range(other_schemas):
            tables = min(OTHER_SCHEMA_TABLES, args.others - i * OTHER_SCHEMA_TABLES)
            if f"other_{i}" not in have:
                build_schema(database, f"other_{i}", tables, 500)
        for size in sizes:
            if f"audit_{size}" not in have:
                build_schema(database, f"audit_{size}", size, args.large)
        total = count_tables(database)
        facts = environment.describe()
        rows = []
        with tempfile.TemporaryDirectory(prefix="dbaudit-floor-") as tmp:
            for size in sizes:
                pairs = measure_pairs(database, f"audit_{size}", args.pairs, Path(tmp), args.no_counts)
                rows.append((size, pairs))
        what = (
            "report --no-counts vs the probe floor (pg_floor.py --probe)"
            if args.no_counts
            else ("report vs the floor (baselines/pg_floor.py)")
        )
        print(f"dbaudit {what}, {args.pairs} alternated pairs per size,")
        print(f"whole processes from an empty folder; the database holds {total:,} tables in all.")
        for label in ("machine", "load average", "PostgreSQL", "python", "SQLAlchemy", "psycopg2-binary"):
            print(f"- {label}: {facts.get(label, '?')}")
        print()
        print(table(rows, total))
    finally:
        if args.database is None and not args.keep:
            servers.pg_drop_database(database)
            log(f"dropped PostgreSQL database {database}")
        elif args.keep:
            log(f"kept PostgreSQL database {database}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
