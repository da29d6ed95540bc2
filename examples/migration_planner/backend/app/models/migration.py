"""Migrations, their waves and plans, assessments, logs and per-asset workflow progress."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.assets import SIXR_STRATEGIES
from app.models.base import Base, MockMixin, TenantMixin, TimestampMixin
from app.models.tenancy import Engagement


class Migration(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "migrations"
    __table_args__ = (
        sa.CheckConstraint("status IN ('planning', 'in_progress', 'completed', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="planning", server_default="planning")
    source_environment: Mapped[str | None] = mapped_column(sa.String(100))
    target_environment: Mapped[str | None] = mapped_column(sa.String(100))
    start_date: Mapped[date | None]
    target_completion_date: Mapped[date | None]


class MigrationWave(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "migration_waves"
    __table_args__ = (
        sa.UniqueConstraint("engagement_id", "wave_number"),
        sa.CheckConstraint("wave_number > 0", name="wave_number_positive"),
        sa.CheckConstraint("status IN ('planned', 'in_progress', 'completed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="planned")
    planned_start_date: Mapped[date | None]
    planned_end_date: Mapped[date | None]

    engagement: Mapped[Engagement] = relationship(foreign_keys="MigrationWave.engagement_id")


class WavePlan(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "wave_plans"
    __table_args__ = (sa.UniqueConstraint("migration_id", "wave_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    migration_id: Mapped[int] = mapped_column(sa.ForeignKey("migrations.id", ondelete="CASCADE"))
    migration_wave_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("migration_waves.id", ondelete="SET NULL")
    )
    wave_number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    planned_start_date: Mapped[date | None]
    planned_end_date: Mapped[date | None]
    asset_count: Mapped[int] = mapped_column(default=0, server_default="0")
    notes: Mapped[str | None] = mapped_column(sa.Text)


class Assessment(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "assessments"
    __table_args__ = (
        sa.CheckConstraint(
            "assessment_type IN ('sixr', 'risk', 'cost', 'readiness')", name="assessment_type"
        ),
        sa.CheckConstraint("overall_score BETWEEN 0 AND 100", name="overall_score_range"),
        sa.CheckConstraint(f"recommended_strategy IN {SIXR_STRATEGIES}", name="recommended_strategy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    migration_id: Mapped[int] = mapped_column(sa.ForeignKey("migrations.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    assessment_type: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    overall_score: Mapped[float | None]
    risk_level: Mapped[str | None] = mapped_column(sa.String(20))
    recommended_strategy: Mapped[str | None] = mapped_column(sa.String(20))


class MigrationLog(MockMixin, TimestampMixin, Base):
    __tablename__ = "migration_logs"
    __table_args__ = (sa.CheckConstraint("level IN ('debug', 'info', 'warning', 'error')", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    migration_id: Mapped[int] = mapped_column(sa.ForeignKey("migrations.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="SET NULL"))
    level: Mapped[str] = mapped_column(sa.String(10), default="info")
    message: Mapped[str] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class WorkflowProgress(TenantMixin, MockMixin, Base):
    __tablename__ = "workflow_progress"
    __table_args__ = (
        sa.UniqueConstraint("asset_id", "phase"),
        sa.CheckConstraint(
            "phase IN ('discovery', 'assessment', 'planning', 'execution', 'validation')", name="phase"
        ),
        sa.CheckConstraint("progress_percentage BETWEEN 0 AND 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="not_started")
    progress_percentage: Mapped[int] = mapped_column(default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
