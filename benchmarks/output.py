"""The results table (printed and appended to ``RESULTS.md``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from benchmarks.cases import CaseResult
from benchmarks.harness import Series

HEADERS = (
    "case",
    "dbaudit median",
    "baseline",
    "baseline median",
    "ratio",
    "throughput",
    "peak memory, dbaudit / baseline",
    "target",
    "result",
)


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def _median(series: Series | None, error: str | None) -> str:
    if series is not None and series.error and not series.runs:
        return "error"
    if series is None or not series.runs:
        return "error" if error else "-"
    times = [m.seconds for m in series.runs]
    return f"{seconds(series.median)} ({min(times):.3f}-{max(times):.3f}, n={len(times)})"


def _peaks(result: CaseResult) -> str:
    sides = [s.peak_mib if s is not None and s.runs else None for s in (result.dbaudit, result.baseline)]
    return " / ".join("-" if peak is None else f"{peak:.0f}" for peak in sides) + " MB"


def _throughput(result: CaseResult) -> str:
    value = result.throughput
    if value is None:
        return "-"
    per = f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    return f"{per} {result.unit}/s"


def verdict(result: CaseResult) -> str:
    met = result.met
    if met is None:
        return "not measured"
    if met:
        return "met"
    parts = []
    ratio = result.ratio
    if ratio is not None and ratio > result.target:
        parts.append(f"ratio {ratio / result.target:.2f}x over")
    limit = result.memory_limit_mib
    if limit is not None and result.dbaudit is not None and result.dbaudit.peak_mib >= limit:
        parts.append(f"memory {result.dbaudit.peak_mib:.0f} MB")
    return "missed (" + ", ".join(parts) + ")"


def rows(results: Sequence[CaseResult]) -> list[list[str]]:
    table = []
    for r in results:
        ratio = r.ratio
        table.append(
            [
                r.title,
                _median(r.dbaudit, r.error),
                r.baseline_label,
                _median(r.baseline, r.error),
                f"{ratio:.2f}x" if ratio is not None else "-",
                _throughput(r),
                _peaks(r),
                r.target_text,
                verdict(r),
            ]
        )
    return table


def errors(results: Sequence[CaseResult]) -> list[str]:
    lines = []
    for r in results:
        if r.error:
            lines.append(f"{r.key}: {r.error}")
        for side, series in (("dbaudit", r.dbaudit), ("baseline", r.baseline)):
            if series is not None and series.error:
                lines.append(f"{r.key} ({side}): {series.error}")
    return lines


def render_table(results: Sequence[CaseResult], fmt: str = "github") -> str:
    return tabulate(rows(results), headers=HEADERS, tablefmt=fmt, disable_numparse=True)


def render_facts(facts: dict[str, str]) -> str:
    return "\n".join(f"- {label}: {value}" for label, value in facts.items())


def append_results(
    path: Path,
    results: Sequence[CaseResult],
    facts: dict[str, str],
    *,
    command: str,
    elapsed: float,
) -> None:
    """Append a dated section with the table, the notes and the environment to ``path``."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    notes = [f"- {r.key}: {'; '.join(r.notes)}" for r in results if r.notes]
    problems = [f"- {line}" for line in errors(results)]
    parts = [
        f"## {stamp}",
        "",
        f"`{command}`, whole run {elapsed:.0f} s (fixtures included).",
        "",
        render_table(results),
        "",
    ]
    if notes:
        parts += ["Fixtures and checks:", "", *notes, ""]
    if problems:
        parts += ["Errors:", "", *problems, ""]
    parts += ["Environment:", "", render_facts(facts), "", ""]
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\nEach run of `python -m benchmarks` appends a section. Times are medians "
            "of whole processes (interpreter start-up included) run in alternation, the fastest and slowest "
            "run in brackets; the ratio is dbaudit / baseline.\n\n",
            encoding="utf-8",
        )
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(parts))
