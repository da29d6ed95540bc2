"""Audits built from model records for the diff tests: no database, no scanner, every field chosen."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from dbaudit.model import (
    Audit,
    CountMethod,
    Coverage,
    DatabaseSnapshot,
    Finding,
    GitInfo,
    RowCount,
    ScanResult,
    SeedSource,
    SourceKind,
    SourceLocation,
    Table,
    TableState,
    TableStatus,
    TableWrite,
    to_dict,
)

_COUNTS = {
    TableStatus.POPULATED: RowCount(CountMethod.EXACT, True, 3),
    TableStatus.EMPTY: RowCount(CountMethod.EXACT, False, 0),
    TableStatus.SYSTEM: RowCount(CountMethod.EXACT, True, 1),
    TableStatus.UNREADABLE: None,
}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_audit(
    tables: Mapping[str, TableStatus],
    sources: Mapping[str, Sequence[str]] = {},
    *,
    findings: Sequence[Finding] = (),
    digests: Mapping[str, str] | None = None,
    git: GitInfo | None = None,
    generated_at: str = "2026-01-01T00:00:00+00:00",
) -> Audit:
    """An audit of a database with ``tables`` and seed ``sources`` (path -> tables written).

    Coverage follows the definition: application tables (not system meta) that some source writes.
    """
    states = tuple(TableState(Table(name), status, _COUNTS[status]) for name, status in tables.items())
    seed_sources = tuple(
        SeedSource(
            path=path,
            kind=SourceKind.SQL if path.endswith(".sql") else SourceKind.SCRIPT,
            writes=tuple(
                TableWrite(table, "sql-insert", location=SourceLocation(path, line))
                for line, table in enumerate(written, start=1)
            ),
            digest=(digests or {}).get(path, digest(path + ",".join(written))),
        )
        for path, written in sources.items()
    )
    application = {name for name, status in tables.items() if status is not TableStatus.SYSTEM}
    written = {t for tables_written in sources.values() for t in tables_written}
    return Audit(
        generated_at=generated_at,
        tool_version="0.1.0",
        database=DatabaseSnapshot("sqlite", "sqlite:///app.db", "3.40", ("main",), states),
        scan=ScanResult(root="project", sources=seed_sources, files_scanned=len(seed_sources)),
        coverage=Coverage(
            covered=tuple(sorted(written & application)),
            application_tables=len(application),
            outside=tuple(sorted(written - set(tables))),
        ),
        findings=tuple(findings),
        git=git,
    )


def save(audit: Audit, path: Path) -> Path:
    path.write_text(json.dumps(to_dict(audit), indent=2), encoding="utf-8")
    return path


P, E, S = TableStatus.POPULATED, TableStatus.EMPTY, TableStatus.SYSTEM


def history_base() -> Audit:
    """The baseline of the story the diff tests tell: two seeds, four application tables."""
    return make_audit(
        {"alembic_version": S, "users": P, "orders": P, "legacy_tags": P, "invoices": E},
        {"db/seed_users.sql": ["users"], "db/seed_legacy.sql": ["legacy_tags"]},
    )


def history_head() -> Audit:
    """The change: seed_orders.sql added, seed_legacy.sql removed, orders emptied, payments added unseeded."""
    return make_audit(
        {"alembic_version": S, "users": P, "orders": E, "legacy_tags": P, "invoices": E, "payments": E},
        {"db/seed_users.sql": ["users"], "db/seed_orders.sql": ["orders", "invoices"]},
        findings=[
            Finding(
                kind="seeded-but-empty",
                message="orders is seeded by db/seed_orders.sql but empty",
                table="orders",
                source="db/seed_orders.sql",
                location=SourceLocation("db/seed_orders.sql", 1),
            )
        ],
    )
