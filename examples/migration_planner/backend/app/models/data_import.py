"""The import pipeline: uploaded CMDB files, their raw rows, field mappings, steps and quality issues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, ClientScopedMixin, MockMixin, TenantMixin, TimestampMixin

_SEVERITIES = "('low', 'medium', 'high', 'critical')"


class DataImportSession(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "data_import_sessions"
    __table_args__ = (sa.CheckConstraint("status IN ('active', 'completed', 'archived')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class DataImport(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "data_imports"
    __table_args__ = (
        sa.CheckConstraint(
            "import_type IN ('cmdb', 'application_discovery', 'network_scan', 'custom')", name="import_type"
        ),
        sa.CheckConstraint("status IN ('pending', 'processing', 'completed', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("data_import_sessions.id", ondelete="SET NULL"), index=True
    )
    import_name: Mapped[str] = mapped_column(sa.String(200))
    import_type: Mapped[str] = mapped_column(sa.String(30))
    source_filename: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    total_records: Mapped[int] = mapped_column(default=0, server_default="0")
    processed_records: Mapped[int] = mapped_column(default=0, server_default="0")
    imported_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class RawImportRecord(MockMixin, TimestampMixin, Base):
    __tablename__ = "raw_import_records"
    __table_args__ = (sa.UniqueConstraint("data_import_id", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    data_import_id: Mapped[int] = mapped_column(sa.ForeignKey("data_imports.id", ondelete="CASCADE"))
    row_number: Mapped[int]
    raw_data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    is_processed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="SET NULL"))


class ImportFieldMapping(MockMixin, TimestampMixin, Base):
    __tablename__ = "import_field_mappings"
    __table_args__ = (
        sa.UniqueConstraint("data_import_id", "source_field"),
        sa.CheckConstraint("status IN ('suggested', 'approved', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    data_import_id: Mapped[int] = mapped_column(sa.ForeignKey("data_imports.id", ondelete="CASCADE"))
    source_field: Mapped[str] = mapped_column(sa.String(200))
    target_field: Mapped[str] = mapped_column(sa.String(200))
    confidence_score: Mapped[float | None]
    status: Mapped[str] = mapped_column(sa.String(20), default="suggested")


class ImportProcessingStep(MockMixin, Base):
    __tablename__ = "import_processing_steps"
    __table_args__ = (sa.UniqueConstraint("data_import_id", "step_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    data_import_id: Mapped[int] = mapped_column(sa.ForeignKey("data_imports.id", ondelete="CASCADE"))
    step_name: Mapped[str] = mapped_column(sa.String(100))
    step_order: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    error_message: Mapped[str | None] = mapped_column(sa.Text)


class MappingLearningPattern(ClientScopedMixin, MockMixin, TimestampMixin, Base):
    """What the mapper learned from approved mappings, per client."""

    __tablename__ = "mapping_learning_patterns"
    __table_args__ = (sa.UniqueConstraint("client_account_id", "source_field_pattern", "target_field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_field_pattern: Mapped[str] = mapped_column(sa.String(200))
    target_field: Mapped[str] = mapped_column(sa.String(200))
    success_count: Mapped[int] = mapped_column(default=0, server_default="0")
    failure_count: Mapped[int] = mapped_column(default=0, server_default="0")
    confidence_score: Mapped[float | None]


class DataQualityIssue(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "data_quality_issues"
    __table_args__ = (
        sa.CheckConstraint(
            "issue_type IN ('missing_value', 'invalid_format', 'duplicate', 'inconsistent')",
            name="issue_type",
        ),
        sa.CheckConstraint(f"severity IN {_SEVERITIES}", name="severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    data_import_id: Mapped[int] = mapped_column(
        sa.ForeignKey("data_imports.id", ondelete="CASCADE"), index=True
    )
    raw_record_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("raw_import_records.id", ondelete="SET NULL")
    )
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="SET NULL"))
    issue_type: Mapped[str] = mapped_column(sa.String(30))
    severity: Mapped[str] = mapped_column(sa.String(20), default="medium")
    field_name: Mapped[str | None] = mapped_column(sa.String(200))
    current_value: Mapped[str | None] = mapped_column(sa.Text)
    suggested_value: Mapped[str | None] = mapped_column(sa.Text)
    reasoning: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
