"""The benchmark suite's one entry point: ``python -m benchmarks`` (or ``python benchmarks/run.py``).

Builds every fixture it needs in ``dbaudit_bench_*`` schemas and databases and a temporary folder, measures
each case against its baseline, prints the table and appends it to ``benchmarks/RESULTS.md``.  Everything it
created is dropped again at the end, after an error, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

if __package__ in (None, ""):  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import environment, output, servers
from benchmarks.cases import CASES, FULL, QUICK, CaseResult, Context
from benchmarks.harness import BENCH_DIR, compile_package

RESULTS_FILE = BENCH_DIR / "RESULTS.md"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure dbaudit against what the database and the standard library allow.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (the smoke test)")
    parser.add_argument("--cases", help=f"comma-separated cases to run (default all: {', '.join(CASES)})")
    parser.add_argument("--repeat", type=int, help="measurements per side and case (default 3; --quick 1)")
    parser.add_argument("--scale", action="store_true", help="measure growth with tables, rows and files")
    parser.add_argument(
        "--results",
        type=Path,
        help="append the results here (default benchmarks/RESULTS.md; with --quick nothing is written)",
    )
    parser.add_argument("--clean", action="store_true", help="drop dbaudit_bench_* leftovers of a killed run")
    args = parser.parse_args(argv)
    if args.cases:
        unknown = [c for c in args.cases.split(",") if c not in CASES]
        if unknown:
            parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class _Interrupt:
    received = False


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C or SIGTERM.  Remembered, because a driver may turn it into its own error (a cancelled query)."""
    _Interrupt.received = True
    raise KeyboardInterrupt


def clean_leftovers() -> None:
    pg_databases, pg_schemas, mysql_databases = servers.leftover_fixtures()
    for database in pg_databases:
        log(f"dropping leftover PostgreSQL database {database}")
        servers.pg_drop_database(database)
    for schema in pg_schemas:
        log(f"dropping leftover PostgreSQL schema {schema}")
        servers.pg_drop_schema(schema)
    for database in mysql_databases:
        log(f"dropping leftover MariaDB database {database}")
        with servers.mysql_connect() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")


def run_cases(ctx: Context, keys: Sequence[str]) -> list[CaseResult]:
    results: list[CaseResult] = []
    for key in keys:
        log(f"case {key} ...")
        started = time.perf_counter()
        try:
            result = CASES[key](ctx)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # a broken case is reported in the table; the others still run
            if _Interrupt.received:
                raise KeyboardInterrupt from exc
            result = CaseResult(key, key, "-", 0, "-", 0, error=f"{type(exc).__name__}: {exc}")
        log(f"case {key} done in {time.perf_counter() - started:.1f} s")
        results.append(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    servers.interruptible_queries()
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    if args.clean:
        clean_leftovers()
        return 0
    started = time.perf_counter()
    registry = servers.FixtureRegistry(log=log)
    workdir = Path(tempfile.mkdtemp(prefix="dbaudit-bench-"))
    ctx = Context(
        sizes=QUICK if args.quick else FULL,
        repeat=args.repeat or (1 if args.quick else 3),
        registry=registry,
        workdir=workdir,
        log=log,
    )
    results: list[CaseResult] = []
    interrupted = False
    try:
        compile_package()
        if args.scale:
            from benchmarks.scaling import run_scaling

            run_scaling(ctx, quick=args.quick, out=args.results)
            return 0
        keys = args.cases.split(",") if args.cases else list(CASES)
        results = run_cases(ctx, keys)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: dropping the fixtures")
    finally:
        problems = registry.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)
        for problem in problems:
            log(f"could not drop {problem}")
    if args.scale:
        return 130 if interrupted else 0
    facts = environment.describe()
    print(output.render_table(results))
    for line in output.errors(results):
        print(f"error: {line}")
    print()
    print(output.render_facts(facts))
    elapsed = time.perf_counter() - started
    print(f"\nwhole run: {elapsed:.0f} s")
    target = args.results or (None if args.quick else RESULTS_FILE)
    if target is not None and results and not interrupted:
        command = (
            "python -m benchmarks" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
        )
        output.append_results(target, results, facts, command=command.strip(), elapsed=elapsed)
        log(f"results appended to {target}")
    if interrupted:
        return 130
    return 1 if output.errors(results) else 0


if __name__ == "__main__":
    sys.exit(main())
