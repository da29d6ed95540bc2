"""Seeding coverage: which application tables of the database some seed source populates.

Application tables are the database's tables less system meta (``alembic_version``...); a partition counts
as its parent.  Names compare case-sensitively; an unqualified name in the code means the default schema
(the first audited one).  Writes to tables the database lacks are kept apart (``outside``) and reported as
``stale-reference`` findings, never counted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from dbaudit.config import Settings
from dbaudit.markdown import code, codes
from dbaudit.model import (
    Coverage,
    DatabaseSnapshot,
    Finding,
    ScanResult,
    SeedSource,
    Severity,
    TableState,
    TableStatus,
    TableWrite,
)


class _Tables:
    """The snapshot's tables, looked up the way the code names them."""

    def __init__(self, snapshot: DatabaseSnapshot) -> None:
        self.snapshot = snapshot
        self.default = snapshot.schemas[0] if snapshot.schemas else None
        self.by_key: dict[tuple[str | None, str], TableState] = {}
        for state in snapshot.tables:
            self.by_key[(state.table.schema or self.default, state.table.name)] = state
        self.partitions: dict[tuple[str | None, str], TableState] = {}
        for state in snapshot.tables:  # partitions listed only under their parent
            for partition in state.table.partitions:
                schema, _, name = partition.rpartition(".")
                key = (schema or state.table.schema or self.default, name)
                self.partitions.setdefault(key, state)
        self.views = {(v.schema or self.default, v.name) for v in snapshot.views}

    def find(self, write: TableWrite) -> TableState | None:
        key = (write.schema or self.default, write.table)
        state = self.by_key.get(key) or self.partitions.get(key)
        if state is not None and state.table.partition_of:
            parent = self.by_key.get((state.table.schema or self.default, state.table.partition_of))
            return parent or state
        return state

    def is_view(self, write: TableWrite) -> bool:
        return (write.schema or self.default, write.table) in self.views

    def label(self, state: TableState) -> str:
        return self.snapshot.name_of(state.ref)

    def names(self) -> list[str]:
        return [state.table.name for state in self.by_key.values()]


def _write_label(write: TableWrite) -> str:
    return f"{write.schema}.{write.table}" if write.schema else write.table


def _names(sources: Iterable[SeedSource]) -> str:
    """File names, or paths where two share a name (the same revision kept once per dialect or tree)."""
    listed = list(sources)
    shared = {s.name for s in listed if sum(o.name == s.name for o in listed) > 1}
    return codes(s.path if s.name in shared else s.name for s in listed)


def compute_coverage(
    snapshot: DatabaseSnapshot, scan: ScanResult, settings: Settings
) -> tuple[Coverage, tuple[Finding, ...]]:
    """Coverage of ``snapshot`` by the sources of ``scan``, and the findings joining them yields:
    ``stale-reference`` (a source writes a table the database lacks), ``seeded-but-empty`` (a covered table
    holds no rows) and ``conditional-seed`` (information: a source seeds only depending on what is there)."""
    tables = _Tables(snapshot)
    application = [s for s in snapshot.tables if s.is_application]
    covered_by: dict[str, list[SeedSource]] = {}
    outside: dict[str, None] = {}
    findings: list[Finding] = []
    for source in scan.sources:
        stale_seen: set[str] = set()
        for write in source.writes:
            state = tables.find(write)
            if state is None:
                if tables.is_view(write):
                    continue
                label = _write_label(write)
                outside[label] = None
                if label in stale_seen:
                    continue
                stale_seen.add(label)
                close = difflib.get_close_matches(write.table, tables.names(), n=1, cutoff=0.75)
                hint = f"; did you mean {code(close[0])}?" if close else ""
                findings.append(
                    Finding(
                        "stale-reference",
                        f"{code(source.name)} writes to {code(label)}, which the database does not have "
                        f"(a stale or misspelled name){hint}",
                        Severity.WARNING,
                        table=label,
                        source=source.path,
                        location=write.location,
                    )
                )
                continue
            if not state.is_application:
                continue
            owners = covered_by.setdefault(tables.label(state), [])
            if source not in owners:
                owners.append(source)
        conditional = [w.table for w in source.writes if w.conditional]
        if conditional:
            names = codes(dict.fromkeys(conditional))
            findings.append(
                Finding(
                    "conditional-seed",
                    f"{code(source.name)} writes {names} only depending on what the database already holds "
                    "(it checks first); on a database that has those rows it adds nothing",
                    Severity.INFO,
                    source=source.path,
                    location=next(w.location for w in source.writes if w.conditional),
                )
            )
    covered = tuple(tables.label(s) for s in application if tables.label(s) in covered_by)
    for state in application:
        label = tables.label(state)
        if label in covered_by and state.status is TableStatus.EMPTY:
            findings.append(
                Finding(
                    "seeded-but-empty",
                    f"{code(label)} is populated by {_names(covered_by[label])} but is empty in the "
                    "database: the seed has not been run here, or it fails",
                    Severity.WARNING,
                    table=label,
                    source=covered_by[label][0].path,
                )
            )
    return Coverage(covered, len(application), tuple(outside)), tuple(findings)
