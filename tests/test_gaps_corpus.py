"""Gap analysis on real schemas loaded empty on PostgreSQL: Pagila v3.1.0, Pagila 0.10.1 and Chinook.

Every empty application table must appear in exactly one recommendation, and the execution order must never
run a seeder before the seeders providing its required parents (but for a foreign key named to break a
cycle).
"""

from __future__ import annotations

import re

import pytest

from dbaudit.config import Settings
from dbaudit.gaps import GapAnalysis, analyse_gaps
from dbaudit.gaps.graph import SchemaGraph
from dbaudit.model import DatabaseSnapshot, TableStatus
from dbaudit.reflect import reflect_database
from tests.conftest import TestDatabase as Database
from tests.conftest import corpus_file

# slow: loads the Pagila corpus
pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def load(db: Database, *parts: str) -> DatabaseSnapshot:
    sql = corpus_file(*parts).read_text(encoding="utf-8")
    # Chinook's script creates and enters its own database: load into the test's database instead
    sql = re.sub(r"^(DROP DATABASE|CREATE DATABASE|\\c)\b.*$", "", sql, flags=re.MULTILINE | re.IGNORECASE)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(sql)
    return reflect_database(Settings(url=db.url))


def check_recommendations(snapshot: DatabaseSnapshot, result: GapAnalysis) -> list[str]:
    graph = SchemaGraph(snapshot)
    empty = sorted(name for name, state in graph.tables.items() if state.status is TableStatus.EMPTY)
    listed = [t for rec in result.recommendations for t in rec.tables]
    assert sorted(listed) == empty, "every empty application table in exactly one recommendation"
    for rec in result.recommendations:
        assert rec.seeder and rec.text and rec.archetype
    return empty


def check_order(snapshot: DatabaseSnapshot, result: GapAnalysis) -> None:
    graph = SchemaGraph(snapshot)
    position = {step.seeder: i for i, step in enumerate(result.execution_order)}
    writer = {t: step.seeder for step in result.execution_order for t in step.tables}
    broken = " ".join(f.message for f in result.findings if f.kind == "fk-cycle")
    for edge in graph.edges:
        if not edge.required or edge.child == edge.parent or writer[edge.child] == writer[edge.parent]:
            continue
        if f"`{edge.label()}`" in broken:
            continue
        assert position[writer[edge.parent]] < position[writer[edge.child]], edge.label()


def test_pagila_v3(pg_database: Database) -> None:
    snapshot = load(pg_database, "pagila", "pagila-schema-v3.1.0.sql")
    result = analyse_gaps(snapshot, None, None, Settings())
    empty = check_recommendations(snapshot, result)
    assert "payment" in empty and not any(t.startswith("payment_p") for t in empty)  # partitions: one table
    check_order(snapshot, result)
    archetypes = {t: r.archetype for r in result.recommendations for t in r.tables}
    assert archetypes["language"] == archetypes["category"] == archetypes["country"] == "reference"
    assert archetypes["film_actor"] in ("association", "domain")


def test_pagila_0_10_1_with_its_foreign_key_cycle(pg_database: Database) -> None:
    snapshot = load(pg_database, "pagila", "pagila-schema-0.10.1-initial-export.sql")
    result = analyse_gaps(snapshot, None, None, Settings())
    check_recommendations(snapshot, result)
    assert any(set(cycle) == {"staff", "store"} for cycle in result.cycles)
    (finding,) = [f for f in result.findings if f.kind == "fk-cycle"]
    keys = ("store.manager_staff_id -> staff", "staff.store_id -> store")
    assert any(f"break it at `{key}`" in finding.message for key in keys)
    check_order(snapshot, result)


def test_chinook(pg_database: Database) -> None:
    snapshot = load(pg_database, "chinook", "chinook_postgresql_schema.sql")
    result = analyse_gaps(snapshot, None, None, Settings())
    empty = check_recommendations(snapshot, result)
    assert len(empty) == 11
    assert result.cycles == ()  # employee.reports_to is a self-reference, not a cycle
    check_order(snapshot, result)
