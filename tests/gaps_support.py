"""Hand-built model objects for the gap-analysis tests: tables, snapshots, a small migration-planning app."""

from __future__ import annotations

from pathlib import Path

from dbaudit.config import Settings
from dbaudit.model import (
    Column,
    CountMethod,
    DatabaseSnapshot,
    ForeignKey,
    Recommendation,
    RevisionInfo,
    RowCount,
    ScanResult,
    SeedSource,
    SourceKind,
    Table,
    TableKind,
    TableState,
    TableStatus,
    TableWrite,
)
from dbaudit.scan import FileSystemTree
from dbaudit.scan.conventions import record_conventions

# ------------------------------------------------------------------------------------------------------------
# building blocks


def table(
    name: str,
    *fks: str,
    nullable_fks: tuple[str, ...] = (),
    columns: tuple[str, ...] = ("name",),
    tenant: bool = False,
    pk: tuple[str, ...] = ("id",),
) -> Table:
    """A table with an ``id`` key, a NOT NULL ``<parent>_id`` for each of ``fks`` and nullable ones."""
    cols = [Column("id", "INTEGER", nullable=False, identity=True)] if pk == ("id",) else []
    foreign = []
    for parent in fks:
        column = f"{parent}_id" if f"{parent}_id" not in {c.name for c in cols} else f"{parent}_id2"
        cols.append(Column(column, "INTEGER", nullable=False))
        foreign.append(ForeignKey((column,), parent, ("id",)))
    for parent in nullable_fks:
        column = f"{parent}_ref"
        cols.append(Column(column, "INTEGER", nullable=True))
        foreign.append(ForeignKey((column,), parent, ("id",)))
    if tenant:
        cols.append(Column("client_account_id", "INTEGER", nullable=False))
        foreign.append(ForeignKey(("client_account_id",), "client_accounts", ("id",)))
    cols.extend(Column(c, "VARCHAR(40)") for c in columns)
    return Table(name, columns=tuple(cols), primary_key=pk, foreign_keys=tuple(foreign))


def state(t: Table, rows: int = 0, status: TableStatus | None = None) -> TableState:
    status = status or (TableStatus.POPULATED if rows else TableStatus.EMPTY)
    return TableState(t, status, RowCount(CountMethod.EXACT, rows > 0, rows))


def snapshot(*states: TableState) -> DatabaseSnapshot:
    return DatabaseSnapshot("postgresql", "postgresql://u:***@h/db", "15.0", ("public",), tuple(states))


def script(
    path: str, *tables: str, run: str | None = None, kind: SourceKind = SourceKind.SCRIPT
) -> SeedSource:
    return SeedSource(path, kind, tuple(TableWrite(t, "orm-add") for t in tables), run_command=run)


def by_table(recs: tuple[Recommendation, ...]) -> dict[str, Recommendation]:
    return {t: r for r in recs for t in r.tables}


def migration_app_case(tmp_path: Path) -> tuple[DatabaseSnapshot, ScanResult, Settings]:
    """A small version of the reference audit's application, with its seed script on disk."""
    tables = [
        state(table("client_accounts"), 1),
        state(table("users"), 3),
        state(table("engagements", "client_accounts"), 1),
        state(table("assets", "engagements", tenant=True), 6),
        state(table("asset_dependencies", "assets", "assets", columns=("dependency_type",))),
        state(table("migrations", "engagements", tenant=True)),
        state(table("migration_logs", "migrations", columns=("message", "level"))),
        state(table("wave_plans", "migrations", tenant=True, columns=("name", "wave_number", "status"))),
        state(table("assessments", "migrations", "assets", columns=("title", "score", "risk"))),
        state(table("sixr_questions", columns=("text", "category"))),
        state(table("sixr_parameters", columns=("key", "weight"))),
        state(table("sixr_analyses", "engagements", tenant=True, columns=("status", "score"))),
        state(
            table("sixr_question_responses", "sixr_analyses", "sixr_questions", columns=("answer", "note"))
        ),
        state(table("data_imports", "engagements", tenant=True, columns=("filename", "status", "total"))),
        state(table("raw_import_records", "data_imports", columns=("payload", "row_number", "status"))),
        state(table("import_field_mappings", "data_imports", columns=("source", "target", "confidence"))),
        state(
            table(
                "mapping_learning_patterns",
                nullable_fks=("import_field_mappings",),
                columns=("pattern", "weight", "hits"),
            )
        ),
        state(table("llm_model_pricing", columns=("model", "input_price", "output_price"))),
        state(table("llm_usage_logs", "llm_model_pricing", columns=("tokens", "cost", "at"))),
        state(table("access_audit_log", nullable_fks=("users",), columns=("action", "at", "ip"))),
        state(table("enhanced_access_audit_log", nullable_fks=("users",), columns=("action", "at", "ip"))),
        state(table("client_access", "users", "client_accounts", columns=("level",))),
        state(table("soft_deleted_items", columns=("entity", "payload", "deleted_at"))),
        state(table("alembic_version", pk=(), columns=("version_num",)), 1, TableStatus.SYSTEM),
        state(Table("orders_2024", partition_of="orders")),
        state(Table("report_view", kind=TableKind.VIEW)),
    ]
    (tmp_path / "app" / "scripts").mkdir(parents=True)
    (tmp_path / "app" / "scripts" / "init_db.py").write_text(
        "import argparse\nfrom sqlalchemy.ext.asyncio import AsyncSession\n"
        "parser = argparse.ArgumentParser()\nparser.add_argument('--force', action='store_true')\n"
        "async def main(session: AsyncSession):\n"
        "    session.add(Asset(name='MOCK: app', is_mock=True))\n    await session.commit()\n",
        encoding="utf-8",
    )
    sources = (
        script(
            "app/scripts/init_db.py",
            "client_accounts",
            "users",
            "engagements",
            "assets",
            run="docker exec backend python app/scripts/init_db.py --force",
        ),
        SeedSource(
            "alembic/versions/a1_roles.py",
            SourceKind.REVISION,
            (TableWrite("users", "alembic-bulk-insert"),),
            revision=RevisionInfo("a1", is_data=True),
        ),
    )
    conf = Settings(project_root=tmp_path)
    # what the scanner reads from the seed script's text, as a scan of the folder would record it
    conventions = record_conventions(FileSystemTree(tmp_path), sources, conf)
    scan = ScanResult(root=str(tmp_path), sources=sources, conventions=conventions)
    return snapshot(*tables), scan, conf
