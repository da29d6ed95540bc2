"""The plain data model every stage of dbaudit speaks.

Reflection turns a live database into a :class:`DatabaseSnapshot`, the scanner turns source files into a
:class:`ScanResult`, the audit joins both into an :class:`Audit`, and the renderers only ever read these
records.  Nothing in here imports SQLAlchemy, sqlglot or any other module of dbaudit, so a saved JSON audit
can be loaded, re-rendered and diffed without a database.

Every record is a frozen dataclass whose fields are primitives, tuples, enums or other records.
:func:`to_dict` / :func:`from_dict` convert any of them to JSON-ready dicts and back, exactly.  Source
locations are kept for messages but left out of equality (``compare=False``): two findings compare by meaning.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import re
import sys
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar, TypeVar, Union

#: Version of the JSON document ``dbaudit report --format json`` writes.  The major number changes only when a
#: field is removed or changes meaning; readers refuse a newer major and accept any older one.
SCHEMA_VERSION = "1.2"


class TableStatus(str, enum.Enum):
    """What the audit says about one table."""

    POPULATED = "populated"
    EMPTY = "empty"
    SYSTEM = "system"
    UNREADABLE = "unreadable"


class CountMethod(str, enum.Enum):
    """How a row count was obtained.  Only ``probe`` and ``exact`` can prove a table empty."""

    PROBE = "probe"
    ESTIMATE = "estimate"
    EXACT = "exact"


class TableKind(str, enum.Enum):
    TABLE = "table"
    PARTITIONED = "partitioned"
    VIEW = "view"
    MATERIALIZED_VIEW = "materialized_view"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# ------------------------------------------------------------------------------------------------------------
# Schema, as reflected from the database


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    """The type as the database spells it (``VARCHAR(40)``, ``NUMERIC(10, 2)``, ``mpaa_rating``)."""
    nullable: bool = True
    default: str | None = None
    """Server default expression, verbatim."""
    identity: bool = False
    """Filled by the database: identity, serial / auto-increment."""
    computed: str | None = None
    """Generation expression of a computed (generated) column."""
    comment: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    referred_schema: str | None = None
    name: str | None = None
    ondelete: str | None = None
    deferrable: bool = False


@dataclass(frozen=True)
class UniqueConstraint:
    columns: tuple[str, ...]
    name: str | None = None
    where: str | None = None
    """Predicate of a partial unique index (PostgreSQL, SQLite); ``None`` for a plain constraint."""


@dataclass(frozen=True)
class CheckConstraint:
    sqltext: str
    name: str | None = None


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[str | int, ...], str]:
    """Sort key of a table name read as people read it: ``t_2`` before ``t_10``, ``t_102`` before ``t_1002``.

    The runs of digits compare as numbers (the split alternates text and digits, so equal positions always
    hold the same type); the name itself breaks ties (``t_01`` and ``t_1``).
    """
    parts = _DIGITS.split(name)
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts)), name


def natural_sorted(names: Iterable[str]) -> list[str]:
    """``names`` in :func:`natural_key` order: every list of tables an output shows."""
    return sorted(names, key=natural_key)


@dataclass(frozen=True)
class TableRef:
    """A table's identity, the same value in every stage: its schema (``None``: the engine has none, as in
    SQLite) and its name.  How it is printed is a renderer's choice (:meth:`DatabaseSnapshot.name_of`)."""

    schema: str | None
    name: str

    @property
    def key(self) -> str:
        """``schema.name`` when a schema is known, else ``name``."""
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class Table:
    name: str
    schema: str | None = None
    kind: TableKind = TableKind.TABLE
    columns: tuple[Column, ...] = ()
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique_constraints: tuple[UniqueConstraint, ...] = ()
    check_constraints: tuple[CheckConstraint, ...] = ()
    partitions: tuple[str, ...] = ()
    """Names of the partitions (PostgreSQL declarative partitioning or inheritance children)."""
    partition_of: str | None = None
    """For a partition: the name of its parent.  Partitions are listed under the parent, not audited alone."""
    comment: str | None = None

    @property
    def key(self) -> str:
        """``schema.name`` when a schema is known, else ``name``; unique within a snapshot."""
        return self.ref.key

    @property
    def ref(self) -> TableRef:
        return TableRef(self.schema, self.name)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None


@dataclass(frozen=True)
class View:
    name: str
    schema: str | None = None
    kind: TableKind = TableKind.VIEW


@dataclass(frozen=True)
class RowCount:
    """A row count and the method that produced it.

    ``value`` is ``None`` when only a probe ran (we know empty / not empty, not how many) or the estimate was
    unknown.  ``populated`` always rests on a probe or an exact count, never on an estimate alone.
    """

    method: CountMethod
    populated: bool | None
    value: int | None = None


@dataclass(frozen=True)
class TableState:
    """A table together with what the audit found in it."""

    table: Table
    status: TableStatus
    count: RowCount | None = None
    reason: str | None = None
    """Why a table is unreadable, or which rule made it system meta."""

    @property
    def ref(self) -> TableRef:
        return self.table.ref

    @property
    def is_application(self) -> bool:
        """Counted by the audit (coverage, gaps, diffs): not system meta, not a partition (it belongs to its
        parent), not a view.  The one rule every stage uses."""
        return (
            self.status is not TableStatus.SYSTEM
            and self.table.partition_of is None
            and self.table.kind in (TableKind.TABLE, TableKind.PARTITIONED)
        )


@dataclass(frozen=True)
class DatabaseSnapshot:
    """Everything reflected from one database."""

    dialect: str
    url: str
    """The connection URL with its password masked."""
    server_version: str
    schemas: tuple[str, ...]
    tables: tuple[TableState, ...] = ()
    views: tuple[View, ...] = ()
    url_source: str | None = None
    """Where the URL came from: ``--url option``, ``environment variable DATABASE_URL``, ``pyproject.toml
    [tool.dbaudit]``, ``alembic.ini`` (schema 1.2)."""

    def table(self, name: str) -> TableState | None:
        for state in self.tables:
            if state.table.name == name or state.table.key == name:
                return state
        return None

    @property
    def qualifies_names(self) -> bool:
        """Whether tables are named ``schema.name`` (the audit covers several schemas) or by their name."""
        return len(self.schemas) > 1

    def name_of(self, ref: TableRef) -> str:
        """How the audit names a table: the one rule of every stage and output (``schema.name`` when the audit
        covers several schemas, else the bare name)."""
        return ref.key if self.qualifies_names else ref.name


# ------------------------------------------------------------------------------------------------------------
# Sources, as scanned from the code


@dataclass(frozen=True)
class SourceLocation:
    path: str
    """Relative to the scanned root, with forward slashes."""
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class SourceKind(str, enum.Enum):
    SCRIPT = "script"
    REVISION = "revision"
    SQL = "sql"
    FIXTURE = "fixture"


@dataclass(frozen=True)
class TableWrite:
    """One place where a source inserts rows into a table."""

    table: str
    recogniser: str
    """Name of the recogniser that found it (``orm-add``, ``alembic-bulk-insert``, ``sql-insert``...)."""
    schema: str | None = None
    conditional: bool = False
    """The write only happens depending on what is already in the database."""
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RevisionInfo:
    revision: str
    down_revision: tuple[str, ...] = ()
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    message: str | None = None
    is_data: bool = False
    """The revision inserts rows (it may also change the schema)."""
    tree: str | None = None
    """The history it belongs to (its first version folder): ids are unique only within one tree, and a
    project may keep several (one per extension, per database dialect, a legacy history)."""


@dataclass(frozen=True)
class SeedSource:
    """A seed script, a data revision, a SQL file or a fixture file."""

    path: str
    kind: SourceKind
    writes: tuple[TableWrite, ...] = ()
    revision: RevisionInfo | None = None
    run_command: str | None = None
    """How the project runs it, where the code shows one (a Makefile target, a ``__main__`` block)."""
    digest: str | None = None
    """Content hash, to tell a changed source in a diff."""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def folder(self) -> str:
        return self.path.rsplit("/", 1)[0] + "/" if "/" in self.path else ""

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables written, in order of first appearance, without repeats."""
        return tuple(dict.fromkeys(w.table for w in self.writes))


@dataclass(frozen=True)
class TableDeclaration:
    """A table declared in the code (``__tablename__``, ``Table(...)``...)."""

    table: str
    declared_by: str
    """Class or variable name."""
    schema: str | None = None
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Finding:
    """Something the reader should act on.  ``kind`` is a stable slug used by gates and diffs."""

    kind: str
    message: str
    severity: Severity = Severity.WARNING
    table: str | None = None
    source: str | None = None
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Diagnostic:
    """A file the scanner could not fully read; the scan went on."""

    message: str
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SourceConventions:
    """How one seed script writes and marks its rows, as its text shows: what new seeders should copy."""

    path: str
    """The seed script (a :attr:`SeedSource.path`)."""
    session_style: str | None = None
    """``async SQLAlchemy session``, ``sync SQLAlchemy session``, ``SQLAlchemy Core``, ``raw SQL``..."""
    mock_column: str | None = None
    """The configured mock column, when the script sets it true (``is_mock=True``)."""
    mock_prefix: str | None = None
    """The configured mock prefix, when the script writes it in a string (``'MOCK: demo'``)."""
    purge_flags: tuple[str, ...] = ()
    """Command-line flags that purge earlier rows (``--force``), quoted in the script, each time it does."""


@dataclass(frozen=True)
class ScanResult:
    root: str
    sources: tuple[SeedSource, ...] = ()
    declarations: tuple[TableDeclaration, ...] = ()
    findings: tuple[Finding, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    revision_heads: tuple[str, ...] = ()
    files_scanned: int = 0
    conventions: tuple[SourceConventions, ...] = ()
    """The conventions of the seed scripts that write rows, in the order of :attr:`sources`."""

    def sources_for(self, table: str) -> tuple[SeedSource, ...]:
        return tuple(s for s in self.sources if table in s.tables)


@dataclass(frozen=True)
class Hop:
    """One step on the way from an entry point to a write: where, and what was called or done there."""

    location: SourceLocation
    what: str


@dataclass(frozen=True)
class WritePath:
    """One way a seed source reaches a write into the explained table (``scan --explain``)."""

    source: str
    kind: SourceKind
    table: str
    """As written: ``schema.table`` or ``table``."""
    recogniser: str
    conditional: bool
    hops: tuple[Hop, ...]
    """From the entry point to the write itself, which is the last hop."""
    data_file: str | None = None
    """The data file the rows come from, when the code names it."""


class MissReason(str, enum.Enum):
    """Why a write the scanner saw does not count for coverage (nearest first: an insert before an update)."""

    DEAD_CODE = "dead code"
    OUTSIDE_SOURCES = "outside the sources"
    UNRESOLVED_NAME = "unresolved name"
    DOWNGRADE_ONLY = "downgrade only"
    UPDATE_ONLY = "update-only"


@dataclass(frozen=True)
class NearMiss:
    """A write (or an update) the scanner saw near the explained table, and why it does not count."""

    reason: MissReason
    location: SourceLocation
    detail: str
    hops: tuple[Hop, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """``dbaudit scan --explain TABLE``: every path to a write into the table, else the near misses."""

    table: str
    paths: tuple[WritePath, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()


# ------------------------------------------------------------------------------------------------------------
# The audit: database and code joined


@dataclass(frozen=True)
class Coverage:
    covered: tuple[str, ...]
    """Application tables in the database that at least one source populates."""
    application_tables: int
    outside: tuple[str, ...] = ()
    """Tables that sources write but the database does not have (kept apart from the ratio)."""

    #: Written to JSON beside the fields (schema 1.2): the coverage shape every JSON document shares.
    json_derived: ClassVar[tuple[str, ...]] = ("covered_tables", "covered_count", "tables", "percent")

    @property
    def covered_tables(self) -> tuple[str, ...]:
        """The covered application tables (the same list as ``covered``)."""
        return self.covered

    @property
    def covered_count(self) -> int:
        """How many application tables are covered."""
        return len(self.covered)

    @property
    def tables(self) -> int:
        """How many application tables the database has (the same as ``application_tables``)."""
        return self.application_tables

    @property
    def percent(self) -> float:
        """``covered_count`` of ``tables``, in percent (100 when there are no application tables)."""
        if not self.application_tables:
            return 100.0
        return 100.0 * len(self.covered) / self.application_tables


@dataclass(frozen=True)
class Recommendation:
    """One line of the gap analysis: a seeder to write for one or more tables."""

    tables: tuple[str, ...]
    seeder: str
    """Suggested file name, following the project's convention (``seed_sixr.py``)."""
    text: str
    archetype: str = "domain"
    """``reference``, ``association``, ``log``, ``soft-delete``, ``extend`` or ``domain``."""
    domain: str | None = None
    requires: tuple[str, ...] = ()
    """Empty required parent tables (foreign keys) this seeder needs rows in first."""
    provided_by: tuple[str, ...] = ()
    """Seeders (existing or recommended) that provide those parents."""
    folder: str | None = None
    tenant_scoped: bool = False


@dataclass(frozen=True)
class StepDependency:
    """Why a step of the execution order runs after an earlier one."""

    seeder: str
    """The earlier step (one of :attr:`ExecutionStep.after`)."""
    writes: tuple[str, ...] = ()
    """Required parent tables of the step's tables that the earlier step writes."""
    migration_order: bool = False
    """Both are migrations, and the earlier one comes first in the migration history."""


@dataclass(frozen=True)
class ExecutionStep:
    seeder: str
    """Existing source path or recommended seeder name."""
    tables: tuple[str, ...]
    command: str | None = None
    existing: bool = True
    after: tuple[str, ...] = ()
    """Seeders this step must run after (they provide required parents)."""
    note: str | None = None
    reasons: tuple[StepDependency, ...] = ()
    """Why the step runs after each of :attr:`after` that has a reason, decided when the order was planned."""


@dataclass(frozen=True)
class ImplementationGuidance:
    session_style: str | None = None
    """``async SQLAlchemy session``, ``sync SQLAlchemy session``, ``Core connection``, ``raw SQL``..."""
    mock_marker: str | None = None
    """``is_mock = TRUE`` or a ``MOCK:`` prefix, as the existing seeders mark their rows."""
    purge_flag: str | None = None
    seed_folder: str | None = None
    tenant_columns: tuple[str, ...] = ()
    pattern_source: str | None = None
    """The existing seed script new ones should follow (path), when there is one."""
    run_command: str | None = None
    """How a new seeder would be run, written the way the project runs its existing ones."""


@dataclass(frozen=True)
class GitInfo:
    commit: str
    dirty: bool = False
    branch: str | None = None


@dataclass(frozen=True)
class CoverageChange:
    """Section 5: what changed since the previous audit."""

    before_percent: float
    after_percent: float
    before_covered: int
    after_covered: int
    before_tables: int
    after_tables: int
    new_sources: tuple[str, ...] = ()
    removed_sources: tuple[str, ...] = ()
    newly_covered: tuple[str, ...] = ()
    newly_uncovered: tuple[str, ...] = ()
    newly_empty: tuple[str, ...] = ()
    baseline_label: str | None = None


# ------------------------------------------------------------------------------------------------------------
# The seeder run: what ``dbaudit verify`` saw each seeder write in a scratch database


class StepKind(str, enum.Enum):
    """What a step of a seeder run is."""

    SCHEMA = "schema"
    """Builds the schema: ``alembic upgrade`` to a revision before a data revision or to the heads, or the
    configured ``migrate_command``."""
    REVISION = "revision"
    """``alembic upgrade`` to a data revision (the schema revisions before it come along)."""
    SCRIPT = "script"
    SQL = "sql"
    COMMAND = "command"
    """A source run by the command configured for it (a fixture file, anything else)."""


class StepOutcome(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"
    """It exited with a status other than 0."""
    TIMED_OUT = "timed_out"
    """It ran longer than the step timeout and was stopped."""
    NOT_RUN = "not_run"
    """Left out: no way to run it is known, or a schema step before it failed."""


@dataclass(frozen=True)
class TableDelta:
    """The rows of one table before and after a step.

    ``before`` and ``after`` are exact counts of committed rows.  On PostgreSQL ``inserted``, ``updated``
    and ``deleted`` come from the server's statistics (``pg_stat_user_tables``) and also count the rows of
    transactions that were rolled back; elsewhere they are ``None``.
    """

    table: str
    before: int
    after: int
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None

    @property
    def added(self) -> int:
        """Rows more after the step than before (committed)."""
        return max(self.after - self.before, 0)

    @property
    def removed(self) -> int:
        return max(self.before - self.after, 0)

    @property
    def touched(self) -> bool:
        """The step left a trace in the table: other counts, or (PostgreSQL) rows updated or deleted."""
        return self.after != self.before or bool(self.updated) or bool(self.deleted)


@dataclass(frozen=True)
class StepResult:
    """One run of one step."""

    outcome: StepOutcome
    exit_code: int | None = None
    seconds: float = 0.0
    error_tail: str = ""
    """The last lines of what it wrote on standard error (passwords masked)."""
    tables: tuple[TableDelta, ...] = ()
    """Every table the step touched (rows added, removed, or, on PostgreSQL, updated or deleted)."""
    reason: str | None = None
    """Why it was not run, or how it was stopped."""

    @property
    def succeeded(self) -> bool:
        return self.outcome is StepOutcome.OK

    @property
    def added(self) -> tuple[str, ...]:
        """Tables with rows added, in the order listed."""
        return tuple(t.table for t in self.tables if t.added)


@dataclass(frozen=True)
class SeederStep:
    """A step of the seeder run: what ran, what the scan predicted, and what it did, once and again."""

    number: int
    seeder: str
    """The source path (a data revision's file for a revision step), or the schema step's command."""
    kind: StepKind
    command: str
    """The command as it ran, for a person to read (a shell line, or a description for SQL files)."""
    predicted: tuple[str, ...] = ()
    """Tables the static scan says this step inserts into."""
    first: StepResult = field(default_factory=lambda: StepResult(StepOutcome.NOT_RUN))
    second: StepResult | None = None
    """The second run (idempotence), when the run repeated its steps."""


@dataclass(frozen=True)
class SeederRun:
    """What ``dbaudit verify`` did: every step in the execution order, run in a scratch database."""

    generated_at: str
    tool_version: str
    dialect: str
    scratch: str
    """Where the steps ran: the scratch database's URL (password masked)."""
    steps: tuple[SeederStep, ...] = ()
    application_tables: int = 0
    empty_tables: tuple[str, ...] = ()
    """Application tables still empty after every step ran once, ``allowed_empty`` ones included."""
    allowed_empty: tuple[str, ...] = ()
    """Glob patterns of tables meant to stay empty (``--allow-empty``)."""
    findings: tuple[Finding, ...] = ()
    step_timeout: float = 0.0
    repeated: bool = True
    """Every step ran a second time (idempotence)."""
    strict_repeat: bool = False
    """A second run that fails or adds rows fails the gate too (``--fail-on-rerun``)."""
    kept: bool = False
    """The scratch database was kept (``--keep``)."""
    schema_version: str = SCHEMA_VERSION

    @property
    def still_empty(self) -> tuple[str, ...]:
        """Empty application tables that no ``allowed_empty`` pattern allows: each fails the gate."""
        return tuple(
            t for t in self.empty_tables if not any(fnmatch.fnmatchcase(t, p) for p in self.allowed_empty)
        )

    @property
    def failed_steps(self) -> tuple[SeederStep, ...]:
        """Steps that failed or timed out the first time (each fails the gate)."""
        bad = (StepOutcome.FAILED, StepOutcome.TIMED_OUT)
        return tuple(s for s in self.steps if s.first.outcome in bad)

    @property
    def unrepeatable_steps(self) -> tuple[SeederStep, ...]:
        """Steps whose second run failed, timed out or added rows."""
        return tuple(
            s
            for s in self.steps
            if s.second is not None
            and (s.second.outcome in (StepOutcome.FAILED, StepOutcome.TIMED_OUT) or s.second.added)
        )

    @property
    def passed(self) -> bool:
        """The gate: no application table left empty (unless allowed), no step failed (exit 1 otherwise)."""
        if self.still_empty or self.failed_steps:
            return False
        return not (self.strict_repeat and self.unrepeatable_steps)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = to_dict(self)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeederRun:
        return from_dict(cls, data)


@dataclass(frozen=True)
class Audit:
    """The whole audit: what ``dbaudit report`` renders and ``--format json`` prints."""

    generated_at: str
    """ISO 8601 timestamp (UTC)."""
    tool_version: str
    database: DatabaseSnapshot | None = None
    scan: ScanResult | None = None
    coverage: Coverage | None = None
    recommendations: tuple[Recommendation, ...] = ()
    guidance: ImplementationGuidance | None = None
    execution_order: tuple[ExecutionStep, ...] = ()
    cycles: tuple[tuple[str, ...], ...] = ()
    findings: tuple[Finding, ...] = ()
    git: GitInfo | None = None
    changes: CoverageChange | None = None
    seeder_run: SeederRun | None = None
    """A saved ``dbaudit verify`` run included with ``report --verify FILE``."""
    schema_version: str = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = to_dict(self)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audit:
        return from_dict(cls, data)


# ------------------------------------------------------------------------------------------------------------
# Two audits compared, and the CI gates over the comparison


@dataclass(frozen=True)
class CoverageFigures:
    """Coverage of one audit: ``covered`` of ``tables`` application tables receive seed data."""

    covered: int
    tables: int
    covered_tables: tuple[str, ...] = ()
    """The covered application tables."""

    #: Written to JSON beside the fields: the coverage shape every JSON document shares.
    json_derived: ClassVar[tuple[str, ...]] = ("covered_count", "percent")

    @property
    def covered_count(self) -> int:
        """How many application tables are covered (the same as ``covered``)."""
        return self.covered

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.covered, self.tables) if self.tables else Fraction(1)

    @property
    def percent(self) -> float:
        return float(self.ratio * 100)


@dataclass(frozen=True)
class SourceChange:
    """A seed source added, removed or changed (its content digest differs), with the tables it writes."""

    path: str
    change: str
    """``added``, ``removed`` or ``changed``."""
    tables_before: tuple[str, ...] = ()
    tables_after: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables the source writes now, or wrote before it was removed."""
        return self.tables_after if self.change != "removed" else self.tables_before


@dataclass(frozen=True)
class AuditDiff:
    """What changed between a baseline audit and a newer one.  ``to_dict`` gives its JSON form."""

    base_label: str
    head_label: str
    before: CoverageFigures | None = None
    """``None`` when that audit has no coverage (it ran without a scan)."""
    after: CoverageFigures | None = None
    newly_covered: tuple[str, ...] = ()
    newly_uncovered: tuple[str, ...] = ()
    """Tables covered before, still present, no longer covered."""
    sources_added: tuple[SourceChange, ...] = ()
    sources_removed: tuple[SourceChange, ...] = ()
    sources_changed: tuple[SourceChange, ...] = ()
    newly_empty: tuple[str, ...] = ()
    """Tables populated in the baseline and empty now."""
    new_tables: tuple[str, ...] = ()
    new_uncovered_tables: tuple[str, ...] = ()
    """New application tables that no source seeds."""
    removed_tables: tuple[str, ...] = ()
    new_findings: tuple[Finding, ...] = ()
    resolved_findings: tuple[Finding, ...] = ()

    @property
    def coverage_delta(self) -> float | None:
        """Percentage points gained (positive) or lost; ``None`` when either side has no coverage."""
        if self.before is None or self.after is None:
            return None
        return self.after.percent - self.before.percent

    @property
    def coverage_dropped(self) -> bool:
        return self.before is not None and self.after is not None and self.after.ratio < self.before.ratio

    @property
    def coverage_improved(self) -> bool:
        return self.before is not None and self.after is not None and self.after.ratio > self.before.ratio

    @property
    def is_empty(self) -> bool:
        """Nothing changed that the diff tracks (coverage figures equal, no lists filled)."""
        lists = (
            self.newly_covered,
            self.newly_uncovered,
            self.sources_added,
            self.sources_removed,
            self.sources_changed,
            self.newly_empty,
            self.new_tables,
            self.removed_tables,
            self.new_findings,
            self.resolved_findings,
        )
        return not any(lists) and self.before == self.after

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = to_dict(self)
        for side in ("before", "after"):
            figures = getattr(self, side)
            if figures is not None:
                data[side]["percent"] = round(figures.percent, 2)
        data["coverage_delta"] = None if self.coverage_delta is None else round(self.coverage_delta, 2)
        return data


class Outcome(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class GateResult:
    gate: str
    """``fail-under``, ``drop``, ``newly-empty``, ``new-uncovered`` or ``stale``."""
    outcome: Outcome
    message: str
    items: tuple[str, ...] = ()
    """The tables or findings that made the gate fail."""

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAILED


@dataclass(frozen=True)
class CoverageCheck:
    """``dbaudit check``: one audit's seeding coverage, gated on a threshold."""

    label: str
    """The audit's commit, or when it was generated."""
    coverage: CoverageFigures | None
    uncovered: tuple[str, ...] = ()
    """Application tables no source seeds."""
    gates: tuple[GateResult, ...] = ()

    @property
    def passed(self) -> bool:
        return not any_failed(self.gates)


def any_failed(results: Iterable[GateResult]) -> bool:
    """Whether one of the gates failed."""
    return any(result.failed for result in results)


# ------------------------------------------------------------------------------------------------------------
# Serialisation


T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    """Convert a model record (or tuple, enum, primitive) to plain JSON-ready data.

    Every field is written, defaults included, so the JSON documents the whole shape; then the figures a
    record names in ``json_derived`` (a percentage rounded to 2 decimals), which reading back ignores.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        data = {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        for name in getattr(obj, "json_derived", ()):
            value = getattr(obj, name)
            data[name] = round(value, 2) if isinstance(value, float) else to_dict(value)
        return data
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (tuple, list)):
        return [to_dict(item) for item in obj]
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in obj.items()}
    return obj


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    return _HINTS[cls]


def from_dict(cls: type[T], data: Any) -> T:
    """Rebuild a record of type ``cls`` from :func:`to_dict` output.

    Fields missing from ``data`` take their defaults (an older document still loads); unknown keys are ignored
    (a newer minor version still loads).
    """
    return typing.cast(T, _convert(cls, data))


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _convert(members[0], value)
        for arg in members:  # pragma: no cover - the model has no multi-type unions besides int | None
            try:
                return _convert(arg, value)
            except (TypeError, ValueError):
                continue
        raise ValueError(f"cannot convert {value!r} to {tp}")
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], item) for item in value)
        return tuple(_convert(a, item) for a, item in zip(args, value, strict=True))
    if origin is dict:
        _key_tp, val_tp = typing.get_args(tp)
        return {k: _convert(val_tp, v) for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {tp.__name__}, got {type(value).__name__}")
        hints = _hints(tp)
        kwargs = {
            f.name: _convert(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.name in value and f.init
        }
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is Any:
        return value
    if isinstance(tp, type) and not isinstance(value, tp):
        raise TypeError(f"expected {tp.__name__}, got {type(value).__name__}: {value!r}")
    return value


# ------------------------------------------------------------------------------------------------------------
# Seeding: the plan of a run, its report, and the report of a purge (``dbaudit.seed`` returns them).


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
    """``nullable``, ``deferred``, ``one-statement``, ``unchecked`` (MySQL/MariaDB: written with the
    foreign-key checks off, then verified by a query) or ``unbreakable``."""
    detail: str


#: Why a table was not filled, as codes a script can act on (README, "When a table cannot be filled").
REASON_CODES = {
    "rejected-by-server": "the database refused a row (its own message and the row are in the reason)",
    "unsatisfiable-check": "a CHECK constraint no row can satisfy",
    "unsupported-type": "a NOT NULL column of a type dbaudit cannot generate, without a default",
    "no-parent-rows": "a required foreign key into a table with no row to point at",
    "parent-skipped": "a required parent table was skipped itself",
    "excluded-parent": "a required parent table is excluded (--exclude) and has no rows (or one, where a"
    " CHECK a <> b over two keys into it needs two)",
    "cycle-unbreakable": "a foreign-key cycle with no nullable or deferrable key",
    "foreign-key-violation": "a row of a cycle written with the checks off refers to no row (found before"
    " the commit)",
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
    ("foreign-key violation", "foreign-key-violation"),
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
    """Per group: ``order`` (deferred columns updated after the group), ``deferred``, ``one-statement`` or
    ``unchecked``."""
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
    sample_columns: tuple[str, ...] = ()
    """``seed --show N``: the columns of :attr:`sample_rows`."""
    sample_rows: tuple[tuple[str, ...], ...] = ()
    """``seed --show N``: the first N rows written, each value as text."""


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
