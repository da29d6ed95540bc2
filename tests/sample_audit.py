"""A hand-built audit covering every section, for golden-file and renderer tests that need no database."""

from __future__ import annotations

from dbaudit.model import (
    Audit,
    CheckConstraint,
    Column,
    CountMethod,
    Coverage,
    DatabaseSnapshot,
    ExecutionStep,
    Finding,
    ForeignKey,
    GitInfo,
    ImplementationGuidance,
    Recommendation,
    RevisionInfo,
    RowCount,
    ScanResult,
    SeedSource,
    Severity,
    SourceKind,
    SourceLocation,
    Table,
    TableState,
    TableStatus,
    TableWrite,
    View,
)

SCHEMA = "migration"


def _table(name: str, *fks: tuple[str, str], partitions: tuple[str, ...] = ()) -> Table:
    columns = [Column("id", "INTEGER", nullable=False, identity=True), Column("is_mock", "BOOLEAN")]
    columns += [Column(col, "INTEGER", nullable=False) for col, _ in fks]
    return Table(
        name=name,
        schema=SCHEMA,
        columns=tuple(columns),
        primary_key=("id",),
        foreign_keys=tuple(ForeignKey((col,), parent, ("id",), SCHEMA) for col, parent in fks),
        check_constraints=(CheckConstraint("id > 0"),) if name == "assets" else (),
        partitions=partitions,
    )


def _state(
    table: Table, status: TableStatus, count: RowCount | None, reason: str | None = None
) -> TableState:
    return TableState(table, status, count, reason)


def sample_audit() -> Audit:
    exact = CountMethod.EXACT
    tables = (
        _state(_table("client_accounts"), TableStatus.POPULATED, RowCount(exact, True, 1)),
        _state(_table("users"), TableStatus.POPULATED, RowCount(exact, True, 3)),
        _state(
            _table("assets", ("client_account_id", "client_accounts")),
            TableStatus.POPULATED,
            RowCount(CountMethod.ESTIMATE, True, 5_200_000),
        ),
        _state(_table("alembic_version"), TableStatus.SYSTEM, RowCount(exact, True, 1), "system table"),
        _state(_table("migrations"), TableStatus.EMPTY, RowCount(exact, False, 0)),
        _state(
            _table("wave_plans", ("migration_id", "migrations")), TableStatus.EMPTY, RowCount(exact, False, 0)
        ),
        _state(_table("sixr_questions"), TableStatus.EMPTY, RowCount(exact, False, 0)),
        _state(
            _table("access_audit_log", ("user_id", "users")),
            TableStatus.EMPTY,
            RowCount(exact, False, 0),
            None,
        ),
        _state(_table("payroll"), TableStatus.UNREADABLE, None, "permission denied"),
        _state(
            _table("events", partitions=("events_2025", "events_2026")),
            TableStatus.EMPTY,
            RowCount(exact, False, 0),
        ),
    )
    init_db = SeedSource(
        path="backend/app/scripts/init_db.py",
        kind=SourceKind.SCRIPT,
        writes=(
            TableWrite(
                "client_accounts", "orm-add", location=SourceLocation("backend/app/scripts/init_db.py", 40)
            ),
            TableWrite("users", "orm-add", location=SourceLocation("backend/app/scripts/init_db.py", 52)),
            TableWrite(
                "assets",
                "orm-add-all",
                conditional=True,
                location=SourceLocation("backend/app/scripts/init_db.py", 70),
            ),
        ),
        run_command="python app/scripts/init_db.py --force",
        digest="1f2e3d",
    )
    revision = SeedSource(
        path="backend/alembic/versions/508e8589c9d0_seed_roles.py",
        kind=SourceKind.REVISION,
        writes=(TableWrite("user_roles", "alembic-bulk-insert"),),
        revision=RevisionInfo("508e8589c9d0", ("1a2b3c4d5e6f",), message="seed roles", is_data=True),
        digest="9a8b7c",
    )
    scan = ScanResult(
        root=".", sources=(init_db, revision), revision_heads=("508e8589c9d0",), files_scanned=42
    )
    return Audit(
        generated_at="2025-06-11T09:30:00+00:00",
        tool_version="0.1.0",
        database=DatabaseSnapshot(
            dialect="postgresql",
            url="postgresql://app:***@db.internal:5432/migration_db",
            server_version="15.4",
            schemas=(SCHEMA,),
            tables=tables,
            views=(View("asset_summary", SCHEMA),),
        ),
        scan=scan,
        coverage=Coverage(
            covered=("assets", "client_accounts", "users"), application_tables=9, outside=("user_roles",)
        ),
        recommendations=(
            Recommendation(
                ("sixr_questions",),
                "seed_sixr.py",
                "Create a data-only Alembic revision with the master question catalogue.",
                archetype="reference",
                domain="sixr",
                folder="backend/app/scripts/",
            ),
            Recommendation(
                ("migrations", "wave_plans"),
                "seed_migrations.py",
                "Create `seed_migrations.py` to insert a migration and a baseline wave plan.",
                domain="migrations",
                folder="backend/app/scripts/",
                tenant_scoped=True,
            ),
            Recommendation(
                ("access_audit_log",),
                "seed_audit_logs.py",
                "Back-fill a few audit events.",
                archetype="log",
                requires=("users",),
                folder="backend/app/scripts/",
            ),
            Recommendation(
                ("events",), "seed_events.py", "Insert a few sample events.", folder="backend/app/scripts/"
            ),
        ),
        guidance=ImplementationGuidance(
            session_style="sync SQLAlchemy session",
            mock_marker="is_mock = TRUE",
            purge_flag="--force",
            seed_folder="backend/app/scripts/",
            tenant_columns=("client_account_id",),
        ),
        execution_order=(
            ExecutionStep(
                "backend/app/scripts/init_db.py",
                ("client_accounts", "users", "assets"),
                command="python app/scripts/init_db.py --force",
            ),
            ExecutionStep(
                "seed_migrations.py",
                ("migrations", "wave_plans"),
                existing=False,
                after=("backend/app/scripts/init_db.py",),
            ),
        ),
        findings=(
            Finding(
                "stale-reference",
                "user_roles is written by a revision but the database has no such table",
                table="user_roles",
                source="backend/alembic/versions/508e8589c9d0_seed_roles.py",
                location=SourceLocation("backend/alembic/versions/508e8589c9d0_seed_roles.py", 21),
            ),
            Finding(
                "unreadable",
                "table migration.payroll could not be read: permission denied",
                table="migration.payroll",
            ),
            Finding(
                "conditional-seed",
                "assets is only seeded when the table is empty",
                Severity.INFO,
                table="assets",
                source="backend/app/scripts/init_db.py",
            ),
        ),
        git=GitInfo("0123456789abcdef0123456789abcdef01234567", dirty=False, branch="main"),
    )
