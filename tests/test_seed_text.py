"""The seed plan, a seed run and a purge as the CLI prints them, text and JSON, golden.

Regenerate with DBAUDIT_UPDATE_GOLDEN=1. The records are built by hand: these tests pin the renderers,
the seeder's own tests pin what it records.
"""

from __future__ import annotations

from dbaudit.model import (
    BlockingReference,
    CycleBreak,
    PurgeReport,
    PurgeResult,
    RefusedTable,
    SeedPlan,
    SeedReport,
    SkippedTable,
    TablePlan,
    TableResult,
)
from dbaudit.render.seed_text import render_plan, render_purge_report, render_seed_json, render_seed_report
from tests.golden_support import check_golden


def sample_plan() -> SeedPlan:
    return SeedPlan(
        "postgresql",
        7,
        (
            TablePlan("client_accounts", 1, "bundled:generic", "is_mock = TRUE", "required parent of users"),
            TablePlan(
                "users",
                5,
                "seeders/users.py",
                "MOCK: prefix in email",
                "empty",
                parents_reused=("client_accounts",),
                deferred=("manager_id",),
                group=1,
            ),
            TablePlan("tags", 10, "bundled:generic", "ledger only", "requested", group=2),
        ),
        skipped=(SkippedTable("payroll", "no seeder can fill column salary (CHECK salary > 0)"),),
        cycles=(CycleBreak(("users", "teams"), "nullable", "users.manager_id set after both exist"),),
        group_modes=("order", "order", "order"),
        tenant="42",
        warnings=("tags has a CHECK dbaudit cannot read: length(name) > 2",),
    )


def sample_report() -> SeedReport:
    results = (
        TableResult("client_accounts", 1, "is_mock = TRUE", "bundled:generic"),
        TableResult(
            "users",
            5,
            "MOCK: prefix in email",
            "seeders/users.py",
            parents_reused=("client_accounts",),
            note="2 rows point at rows of another tenant",
        ),
        TableResult("tags", 10, "ledger only", "bundled:generic", parents_created=("client_accounts",)),
    )
    return SeedReport(
        "run-20260101-abc",
        sample_plan(),
        results,
        purged_first=3,
        undo_command="dbaudit purge --run run-20260101-abc --yes",
    )


def sample_purge() -> PurgeReport:
    return PurgeReport(
        results=(
            PurgeResult("tags", 10),
            PurgeResult("users", 4, kept_unmarked=1),
            PurgeResult("client_accounts", 0, already_gone=1, kept_changed=1),
        ),
        runs=("run-20260101-abc",),
        refused=(RefusedTable("payroll", "the table was re-created since the seed", 2),),
        ledger_dropped=False,
    )


def blocked_purge() -> PurgeReport:
    return PurgeReport(blocked=(BlockingReference("orders", "id=17", "users id=3", "orders.user_id"),))


def test_seed_plan_golden() -> None:
    check_golden("seed_plan.txt", render_plan(sample_plan()))
    check_golden("seed_plan.json", render_seed_json(sample_plan()))


def test_seed_report_golden() -> None:
    check_golden("seed_report.txt", render_seed_report(sample_report()))
    check_golden("seed_report_every_table.txt", render_seed_report(sample_report(), every_table=True))
    check_golden("seed_report.json", render_seed_json(sample_report()))


def test_purge_report_golden() -> None:
    check_golden("purge_report.txt", render_purge_report(sample_purge()))
    check_golden("purge_report_every_table.txt", render_purge_report(sample_purge(), every_table=True))
    check_golden("purge_report.json", render_seed_json(sample_purge()))
    check_golden("purge_blocked.txt", render_purge_report(blocked_purge()))
    check_golden("purge_empty.txt", render_purge_report(PurgeReport(dry_run=True)))
