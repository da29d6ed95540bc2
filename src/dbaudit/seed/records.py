"""Plain records the seeder returns: the plan, the report of a run, the report of a purge.

Frozen dataclasses of primitives and tuples, like :mod:`dbaudit.model`, so they print, compare and serialise
(:func:`dbaudit.model.to_dict`) without a database.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TablePlan:
    """One table the run fills."""

    table: str
    rows: int
    seeder: str
    marker: str
    """``is_mock = TRUE``, ``MOCK: prefix in <column>`` or ``ledger only``."""
    reason: str
    """``empty``, ``requested`` or ``required parent of <table>``."""
    parents_reused: tuple[str, ...] = ()
    """Parent tables whose existing rows the new rows point at."""
    parents_created: tuple[str, ...] = ()
    """Parent tables filled by this run first."""
    deferred: tuple[str, ...] = ()
    """Foreign-key columns inserted as NULL and set once the other side of a cycle exists."""
    group: int = 0
    """Insertion group: tables of one foreign-key cycle share a group."""


@dataclass(frozen=True)
class CycleBreak:
    tables: tuple[str, ...]
    method: str
    """``nullable``, ``deferred``, ``one-statement`` or ``unbreakable``."""
    detail: str


#: Why a table was not filled, as codes a script can act on (README, "When a table cannot be filled").
REASON_CODES = {
    "rejected-by-server": "the database refused a row (its own message and the row are in the reason)",
    "unsatisfiable-check": "a CHECK constraint no row can satisfy",
    "unsupported-type": "a NOT NULL column of a type dbaudit cannot generate, without a default",
    "no-parent-rows": "a required foreign key into a table with no row to point at",
    "parent-skipped": "a required parent table was skipped itself",
    "excluded-parent": "a required parent table is excluded (--exclude) and has no rows",
    "cycle-unbreakable": "a foreign-key cycle with no nullable or deferrable key",
    "trigger-side-effects": "the table's triggers change existing rows or write elsewhere",
    "row-level-security": "row-level security may hide its rows: it may not be empty",
    "not-understood": "any other reason",
}

_PREFIXES = (
    ("the server rejected", "rejected-by-server"),
    ("unsatisfiable check", "unsatisfiable-check"),
    ("column ", "unsupported-type"),
    ("no rows in ", "no-parent-rows"),
    ("no rows left in ", "no-parent-rows"),
    ("needs rows in ", "parent-skipped"),
    ("in a cycle with ", "parent-skipped"),
    ("excluded", "excluded-parent"),
    ("foreign-key cycle", "cycle-unbreakable"),
    ("trigger side effects", "trigger-side-effects"),
    ("not seeded: row-level security", "row-level-security"),
)


def reason_code(reason: str) -> str:
    """The code of a skip reason (its first words say which)."""
    lowered = reason.lower()
    for prefix, code in _PREFIXES:
        if lowered.startswith(prefix):
            return code
    return "not-understood"


@dataclass(frozen=True)
class SkippedTable:
    table: str
    reason: str
    code: str = ""
    """One of :data:`REASON_CODES` (derived from the reason when not given)."""

    def __post_init__(self) -> None:
        if not self.code:
            object.__setattr__(self, "code", reason_code(self.reason))


@dataclass(frozen=True)
class SeedPlan:
    """What a run will do, in insertion order."""

    dialect: str
    seed: int
    tables: tuple[TablePlan, ...] = ()
    skipped: tuple[SkippedTable, ...] = ()
    cycles: tuple[CycleBreak, ...] = ()
    group_modes: tuple[str, ...] = ()
    """Per group: ``order`` (deferred columns updated after the group), ``deferred`` or ``one-statement``."""
    tenant: str | None = None
    warnings: tuple[str, ...] = ()

    def table(self, name: str) -> TablePlan | None:
        for plan in self.tables:
            if plan.table == name:
                return plan
        return None


@dataclass(frozen=True)
class TableResult:
    table: str
    inserted: int
    marker: str
    seeder: str
    parents_reused: tuple[str, ...] = ()
    parents_created: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class SeedReport:
    """The outcome of ``dbaudit seed``: nothing was committed when ``dry_run``."""

    run_id: str
    plan: SeedPlan
    results: tuple[TableResult, ...] = ()
    dry_run: bool = False
    purged_first: int = 0
    """Earlier mock rows removed by ``--force`` before seeding."""
    undo_command: str = ""

    @property
    def total_rows(self) -> int:
        return sum(r.inserted for r in self.results)


@dataclass(frozen=True)
class BlockingReference:
    """A real row that points at a mock row: purging would cascade into it or fail."""

    table: str
    key: str
    references: str
    via: str


@dataclass(frozen=True)
class PurgeResult:
    table: str
    deleted: int
    kept_unmarked: int = 0
    """Ledger entries whose row no longer carries the mark (the application adopted it): left alone."""
    already_gone: int = 0
    kept_changed: int = 0
    """Rows of a table without a mark whose content changed since the seed: kept, with their ledger rows."""


@dataclass(frozen=True)
class RefusedTable:
    """A table whose mock rows purge could not judge safely: left alone, with its ledger entries."""

    table: str
    reason: str
    rows: int


@dataclass(frozen=True)
class PurgeReport:
    results: tuple[PurgeResult, ...] = ()
    blocked: tuple[BlockingReference, ...] = ()
    dry_run: bool = False
    runs: tuple[str, ...] = ()
    ledger_dropped: bool = False
    refused: tuple[RefusedTable, ...] = ()

    @property
    def total_deleted(self) -> int:
        return sum(r.deleted for r in self.results)

    @property
    def complete(self) -> bool:
        """Every selected ledger entry was handled: nothing kept back with its ledger entries."""
        return not self.blocked and not self.refused and not any(r.kept_changed for r in self.results)
