"""diff_audits and the gates, on audits built from model records (no database, no git)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from dbaudit.diff import (
    GatePolicy,
    Outcome,
    any_failed,
    check_audit,
    coverage_change,
    diff_audits,
    evaluate_gates,
    parse_fail_on,
)
from dbaudit.errors import BaselineError, ConfigError
from dbaudit.model import Audit, Coverage, DatabaseSnapshot, Finding, SourceLocation, Table, TableState
from tests.diff_support import E, P, S, digest, history_base, history_head, make_audit


def outcomes(results: tuple) -> dict[str, Outcome]:
    return {r.gate: r.outcome for r in results}


def test_the_delta_of_the_story() -> None:
    diff = diff_audits(history_base(), history_head())

    assert (diff.before.covered, diff.before.tables) == (2, 4)
    assert (diff.after.covered, diff.after.tables) == (3, 5)
    assert diff.before.percent == 50.0 and diff.after.percent == 60.0
    assert diff.coverage_improved and not diff.coverage_dropped
    assert diff.newly_covered == ("invoices", "orders")
    assert diff.newly_uncovered == ("legacy_tags",)
    assert [s.path for s in diff.sources_added] == ["db/seed_orders.sql"]
    assert diff.sources_added[0].tables == ("orders", "invoices")
    assert [s.path for s in diff.sources_removed] == ["db/seed_legacy.sql"]
    assert diff.sources_removed[0].tables == ("legacy_tags",)
    assert diff.sources_changed == ()
    assert diff.newly_empty == ("orders",)
    assert diff.new_tables == ("payments",)
    assert diff.new_uncovered_tables == ("payments",)
    assert diff.removed_tables == ()
    assert [(f.kind, f.table) for f in diff.new_findings] == [("seeded-but-empty", "orders")]


def test_the_reverse_change_is_a_drop() -> None:
    diff = diff_audits(history_head(), history_base())
    assert diff.coverage_dropped
    assert diff.newly_uncovered == ("invoices", "orders")
    assert diff.removed_tables == ("payments",)
    assert diff.newly_empty == ()
    assert [f.kind for f in diff.resolved_findings] == ["seeded-but-empty"]


def test_a_changed_source_is_found_by_its_digest() -> None:
    base = make_audit({"users": P}, {"seed.sql": ["users"]}, digests={"seed.sql": digest("v1")})
    head = make_audit({"users": P}, {"seed.sql": ["users"]}, digests={"seed.sql": digest("v2")})
    diff = diff_audits(base, head)
    assert [(s.path, s.change) for s in diff.sources_changed] == [("seed.sql", "changed")]
    assert diff_audits(base, base).is_empty


def test_without_digests_a_source_changes_when_its_writes_do() -> None:
    base = make_audit({"users": P, "tags": E}, {"seed.sql": ["users"]}, digests={"seed.sql": ""})
    same = make_audit({"users": P, "tags": E}, {"seed.sql": ["users"]}, digests={"seed.sql": ""})
    more = make_audit({"users": P, "tags": E}, {"seed.sql": ["users", "tags"]}, digests={"seed.sql": ""})
    assert diff_audits(base, same).sources_changed == ()
    changed = diff_audits(base, more).sources_changed
    assert changed[0].tables_before == ("users",) and changed[0].tables_after == ("users", "tags")


def test_findings_compare_by_kind_table_and_source_not_location_or_message() -> None:
    def finding(line: int, message: str) -> Finding:
        return Finding(
            "stale-reference",
            message,
            table="gone",
            source="seed.sql",
            location=SourceLocation("seed.sql", line),
        )

    base = make_audit({"users": P}, findings=[finding(3, "seed.sql writes gone")])
    head = make_audit({"users": P}, findings=[finding(9, "seed.sql writes gone, which does not exist")])
    assert diff_audits(base, head).new_findings == ()
    other = make_audit({"users": P}, findings=[replace(finding(9, "x"), table="elsewhere")])
    assert [f.table for f in diff_audits(base, other).new_findings] == ["elsewhere"]


def test_the_diff_is_json_serialisable() -> None:
    data = diff_audits(history_base(), history_head()).to_dict()
    text = json.dumps(data)
    back = json.loads(text)
    assert back["before"] == {
        "covered": 2,
        "tables": 4,
        "covered_tables": ["legacy_tags", "users"],
        "covered_count": 2,
        "percent": 50.0,
    }
    assert back["after"]["percent"] == 60.0
    assert back["coverage_delta"] == 10.0
    assert back["newly_empty"] == ["orders"]
    assert back["sources_added"][0]["path"] == "db/seed_orders.sql"
    assert back["new_findings"][0]["location"] == {"path": "db/seed_orders.sql", "line": 1}


def test_audits_without_coverage_diff_what_they_have() -> None:
    base = replace(history_base(), coverage=None, scan=None)
    diff = diff_audits(base, history_head())
    assert diff.before is None and diff.coverage_delta is None
    assert diff.newly_empty == ("orders",)
    assert diff.sources_added == () and diff.newly_covered == ()
    gates = evaluate_gates(diff, GatePolicy(fail_on_drop=True))
    assert outcomes(gates) == {"drop": Outcome.SKIPPED}
    assert not any_failed(gates)


# ------------------------------------------------------------------------------------------------------------
# Gates


def test_each_gate_on_the_story() -> None:
    diff = diff_audits(history_base(), history_head())
    assert outcomes(evaluate_gates(diff, GatePolicy())) == {"drop": Outcome.PASSED}
    for gate in ("newly-empty", "new-uncovered", "stale"):
        results = evaluate_gates(diff, GatePolicy(fail_on=(gate,)))
        assert outcomes(results) == {"drop": Outcome.PASSED, gate: Outcome.FAILED}
    by_gate = {r.gate: r for r in evaluate_gates(diff, GatePolicy(fail_on=FAIL_ALL))}
    assert by_gate["newly-empty"].items == ("orders",)
    assert by_gate["new-uncovered"].items == ("legacy_tags", "payments")
    assert by_gate["stale"].items == ("orders is seeded by db/seed_orders.sql but empty",)


FAIL_ALL = ("newly-empty", "new-uncovered", "stale")


def test_a_drop_fails_by_default_and_not_when_turned_off() -> None:
    diff = diff_audits(history_head(), history_base())
    results = evaluate_gates(diff, GatePolicy())
    assert outcomes(results) == {"drop": Outcome.FAILED}
    assert results[0].message == "coverage dropped: 60.0% -> 50.0%"
    assert results[0].items == ("invoices", "orders")
    assert not any_failed(evaluate_gates(diff, GatePolicy(fail_on_drop=False)))


def test_fail_under_means_under_the_threshold_even_when_coverage_went_up() -> None:
    """One meaning of --fail-under in check and diff: an improvement still under the threshold fails it (the
    drop gate is what lets such a project climb)."""
    diff = diff_audits(history_base(), history_head())  # 50% -> 60%
    results = evaluate_gates(diff, GatePolicy(fail_under=80))
    assert outcomes(results) == {"fail-under": Outcome.FAILED, "drop": Outcome.PASSED}
    assert results[0].message == "coverage 60.0% (3/5 tables) is under 80%"
    assert outcomes(evaluate_gates(diff, GatePolicy(fail_under=60))) == {
        "fail-under": Outcome.PASSED,
        "drop": Outcome.PASSED,
    }


def test_fail_under_without_improvement() -> None:
    same = diff_audits(history_head(), history_head())
    assert outcomes(evaluate_gates(same, GatePolicy(fail_under=60))) == {
        "fail-under": Outcome.PASSED,
        "drop": Outcome.PASSED,
    }
    results = evaluate_gates(same, GatePolicy(fail_under=60.5))
    assert outcomes(results)["fail-under"] is Outcome.FAILED
    assert results[0].message == "coverage 60.0% (3/5 tables) is under 60.5%"


def test_a_drop_in_ratio_counts_even_when_rounding_hides_it() -> None:
    base = make_audit({f"t{i}": P for i in range(1000)}, {"seed.sql": [f"t{i}" for i in range(999)]})
    head = make_audit({f"t{i}": P for i in range(1001)}, {"seed.sql": [f"t{i}" for i in range(999)]})
    diff = diff_audits(base, head)
    assert diff.coverage_dropped
    assert outcomes(evaluate_gates(diff, GatePolicy())) == {"drop": Outcome.FAILED}


def test_check_is_the_one_audit_gate() -> None:
    audit = history_head()  # 60%
    assert not any_failed(check_audit(audit, 60))
    failed = check_audit(audit, 80)
    assert any_failed(failed) and failed[0].message == "coverage 60.0% (3/5 tables) is under 80%"
    with pytest.raises(BaselineError, match="no coverage"):
        check_audit(replace(audit, coverage=None), 80)


def test_fail_on_parsing() -> None:
    assert parse_fail_on(["stale,newly-empty", " new-uncovered "]) == FAIL_ALL
    assert parse_fail_on([]) == ()
    with pytest.raises(ConfigError, match="unknown --fail-on gate 'coverage'"):
        parse_fail_on(["stale,coverage"])
    with pytest.raises(ConfigError, match="not a percentage"):
        evaluate_gates(diff_audits(history_base(), history_base()), GatePolicy(fail_under=120))


# ------------------------------------------------------------------------------------------------------------
# Section 5 of the report


def test_coverage_change_for_the_report() -> None:
    change = coverage_change(history_base(), history_head(), baseline_label="AUDIT.json")
    assert (change.before_percent, change.after_percent) == (50.0, 60.0)
    assert (change.before_covered, change.before_tables, change.after_covered, change.after_tables) == (
        2,
        4,
        3,
        5,
    )
    assert change.new_sources == ("db/seed_orders.sql",)
    assert change.removed_sources == ("db/seed_legacy.sql",)
    assert change.newly_covered == ("invoices", "orders")
    assert change.newly_uncovered == ("legacy_tags", "payments")
    assert change.newly_empty == ("orders",)
    assert change.baseline_label == "AUDIT.json"


def test_system_tables_and_keys() -> None:
    base = make_audit({"alembic_version": S, "users": E}, {})
    head = make_audit({"alembic_version": S, "users": E, "dbaudit_ledger": S}, {})
    diff = diff_audits(base, head)
    assert diff.new_tables == () and diff.new_uncovered_tables == ()


def test_several_schemas_name_tables_by_key() -> None:
    def audit(populated_orders: bool, covered: tuple[str, ...]) -> Audit:
        states = (
            TableState(Table("orders", "sales"), P if populated_orders else E),
            TableState(Table("orders", "archive"), E),
            TableState(Table("events", "sales", partition_of=None, partitions=("events_1",)), E),
            TableState(Table("events_1", "sales", partition_of="events"), E),
        )
        snapshot = DatabaseSnapshot(
            "postgresql", "postgresql://app@db/app", "15", ("sales", "archive"), states
        )
        return Audit("2026-01-01", "0.1.0", database=snapshot, coverage=Coverage(covered, 3))

    diff = diff_audits(audit(True, ("sales.orders",)), audit(False, ("archive.orders",)))
    assert diff.newly_empty == ("sales.orders",)
    assert diff.newly_covered == ("archive.orders",) and diff.newly_uncovered == ("sales.orders",)
    assert diff.new_tables == ()
