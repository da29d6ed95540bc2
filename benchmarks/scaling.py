"""``python -m benchmarks --scale``: how time and memory grow with tables, rows and files.

Each dimension is measured at three sizes, a factor of four apart.  The slope of the log-log fit says how
the cost grows: 1.0 is linear, below 1.0 means a fixed cost (interpreter start-up, imports) still weighs in,
above 1.0 means worse than linear.  The incremental cost (seconds per 1,000 more units between the smallest
and the largest size) leaves the fixed cost out.  Results go to ``benchmarks/SCALING.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tabulate import tabulate

from benchmarks import environment, filetree, schemas, seeding, servers
from benchmarks.cases import REPORT_OK, Context
from benchmarks.harness import BENCH_DIR, Series, baseline_command, dbaudit_command, interleave, measure

SCALING_FILE = BENCH_DIR / "SCALING.md"


@dataclass(frozen=True)
class Dimension:
    key: str
    command: str
    unit: str
    sizes: tuple[int, int, int]
    quick_sizes: tuple[int, int, int]


DIMENSIONS = (
    Dimension("tables", "report (PostgreSQL)", "tables", (250, 1_000, 4_000), (10, 20, 40)),
    Dimension(
        "rows", "seed (PostgreSQL, one table)", "rows", (50_000, 200_000, 800_000), (500, 1_000, 2_000)
    ),
    Dimension("files", "scan", "files", (500, 2_000, 8_000), (20, 40, 80)),
)


@dataclass
class Point:
    size: int
    dbaudit: Series
    baseline: Series


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log(y) over log(x)."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(max(y, 1e-9)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((x - mx) ** 2 for x in lx)
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly, strict=True)) / den if den else float("nan")


def _tables_point(ctx: Context, size: int) -> Point:
    schema = ctx.registry.pg_schema(f"scale{size}")
    specs = schemas.plan_tables(size, schemas.mixed_sizes(size, random.Random(size), large=20_000))
    servers.pg_run_batches(schema, schemas.pg_statements(specs))
    servers.pg_run_batches(schema, schemas.pg_analyze(specs), batch=1)
    url = servers.pg_fixture_url(schema)
    a, b = interleave(
        ctx.repeat,
        lambda: measure(
            dbaudit_command("report", "--url", url, "--schema", schema),
            cwd=ctx.empty_project(),
            env=ctx.env(),
            ok_codes=REPORT_OK,
        ),
        lambda: measure(baseline_command("pg_floor.py", schema), env=ctx.pg_connect_env(schema)),
    )
    ctx.registry.drop_pg_schema(schema)
    return Point(size, a, b)


def _rows_point(ctx: Context, size: int) -> Point:
    schema = ctx.registry.pg_schema(f"scalerows{size}")
    servers.pg_run_batches(schema, seeding.volume_statements(), batch=1)
    csv_file = seeding.write_volume_csv(ctx.workdir / f"volume-{size}.csv", size)
    table = seeding.VOLUME_TABLE
    argv = dbaudit_command(
        "seed",
        "--url",
        servers.pg_fixture_url(schema),
        "--schema",
        schema,
        "--tables",
        table,
        "--rows",
        f"{table}={size}",
        "--yes",
        "--seed",
        "1",
    )
    copy = baseline_command("pg_copy.py", schema, table, ",".join(seeding.VOLUME_COLUMNS), str(csv_file))
    reset = lambda: seeding.empty_schema_tables(schema, keep=[seeding.VOLUME_PARENT])  # noqa: E731
    a, b = interleave(
        ctx.repeat,
        lambda: measure(argv, cwd=ctx.empty_project(), env=ctx.env()),
        lambda: measure(copy, env=ctx.pg_connect_env(schema)),
        before_first=reset,
        before_second=reset,
    )
    csv_file.unlink(missing_ok=True)
    ctx.registry.drop_pg_schema(schema)
    return Point(size, a, b)


def _files_point(ctx: Context, size: int) -> Point:
    tree = filetree.generate_tree(ctx.workdir / f"tree-{size}", size)
    a, b = interleave(
        ctx.repeat,
        lambda: measure(
            dbaudit_command("scan", str(tree.root)), cwd=tree.root, env=ctx.env(), ok_codes=(0, 1)
        ),
        lambda: measure(baseline_command("ast_parse.py", str(tree.root)), env=ctx.env()),
    )
    shutil.rmtree(tree.root, ignore_errors=True)
    return Point(tree.files, a, b)


POINTS: dict[str, Callable[[Context, int], Point]] = {
    "tables": _tables_point,
    "rows": _rows_point,
    "files": _files_point,
}


def _cell(series: Series, pick: Callable[[Series], float], fmt: str) -> str:
    return format(pick(series), fmt) if series.runs else "error"


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares ``y = fixed + per_unit * x``: (fixed, per_unit)."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    per_unit = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0
    return my - per_unit * mx, per_unit


def _fit(points: Sequence[Point], side: Callable[[Point], Series]) -> list[str]:
    """Time slopes (all sizes; two largest), memory slope, and the linear fits of time and memory."""
    measured = [p for p in points if side(p).runs]
    if len(measured) < 2:
        return ["n/a"] * 5
    sizes = [p.size for p in measured]
    times = [side(p).median for p in measured]
    memory = [side(p).peak_mib for p in measured]
    fixed, per_unit = linear_fit(sizes, times)
    mem_fixed, mem_per_unit = linear_fit(sizes, memory)
    return [
        f"{slope(sizes, times):.2f}",
        f"{slope(sizes[-2:], times[-2:]):.2f}",
        f"{slope(sizes, memory):.2f}",
        f"{fixed:.2f} s + {per_unit * 1000:.3f} s",
        f"{mem_fixed:.0f} MB + {mem_per_unit * 1000:.1f} MB",
    ]


def run_scaling(ctx: Context, *, quick: bool, out: Path | None) -> None:
    sections = []
    summary = []
    for dim in DIMENSIONS:
        points: list[Point] = []
        for size in dim.quick_sizes if quick else dim.sizes:
            ctx.log(f"scale {dim.key}: {size:,} {dim.unit} ...")
            points.append(POINTS[dim.key](ctx, size))
        table = [
            [
                f"{p.size:,}",
                _cell(p.dbaudit, lambda s: s.median, ".3f"),
                _cell(p.dbaudit, lambda s: s.peak_mib, ".0f"),
                _cell(p.baseline, lambda s: s.median, ".3f"),
                _cell(p.baseline, lambda s: s.peak_mib, ".0f"),
            ]
            for p in points
        ]
        errors = sorted({e for p in points for e in (p.dbaudit.error, p.baseline.error) if e})
        sections.append(
            f"### {dim.unit}: `{dim.command}`\n\n"
            + tabulate(
                table,
                headers=(dim.unit, "dbaudit s", "dbaudit MB", "baseline s", "baseline MB"),
                tablefmt="github",
                disable_numparse=True,
            )
            + ("\n\nErrors: " + "; ".join(errors) if errors else "")
            + "\n"
        )
        for label, side in (("dbaudit", lambda p: p.dbaudit), ("baseline", lambda p: p.baseline)):
            summary.append(
                [dim.unit, f"{dim.command}" if label == "dbaudit" else "baseline", *_fit(points, side)]
            )
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    facts = environment.describe()
    text = "\n".join(
        [
            "# Scaling",
            "",
            f"Measured {stamp} with `python -m benchmarks --scale{' --quick' if quick else ''}` "
            f"(median of {ctx.repeat} per point; whole processes).",
            "",
            "Slopes of the log-log fit over the three sizes (and between the two largest): 1.0 = linear;",
            "below 1.0 a fixed cost (start-up, imports) still weighs in. The linear fit splits each cost",
            "into a fixed part and a part per 1,000 tables, rows or files.",
            "",
            tabulate(
                summary,
                headers=(
                    "grows with",
                    "command",
                    "time slope",
                    "slope, two largest",
                    "memory slope",
                    "time: fixed + per 1,000",
                    "memory: fixed + per 1,000",
                ),
                tablefmt="github",
                disable_numparse=True,
            ),
            "",
            *sections,
            "Environment:",
            "",
            *(f"- {k}: {v}" for k, v in facts.items()),
            "",
        ]
    )
    print(text)
    target = out or (None if quick else SCALING_FILE)
    if target is not None:
        target.write_text(text, encoding="utf-8")
        ctx.log(f"scaling written to {target}")
