"""User feedback on pages, recommendations and classifications, and its periodic summary."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, ClientScopedMixin, MockMixin, TenantMixin, TimestampMixin

_FEEDBACK_TYPES = "feedback_type IN ('page', 'sixr_recommendation', 'asset_classification')"


class Feedback(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "feedback"
    __table_args__ = (
        sa.CheckConstraint(_FEEDBACK_TYPES, name="feedback_type"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    feedback_type: Mapped[str] = mapped_column(sa.String(30))
    page: Mapped[str | None] = mapped_column(sa.String(200))
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="SET NULL"))
    sixr_analysis_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sixr_analyses.id", ondelete="SET NULL")
    )
    rating: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="new")


class FeedbackSummary(ClientScopedMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "feedback_summaries"
    __table_args__ = (
        sa.UniqueConstraint("client_account_id", "page", "feedback_type", "period_start"),
        sa.CheckConstraint(_FEEDBACK_TYPES, name="feedback_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page: Mapped[str] = mapped_column(sa.String(200))
    feedback_type: Mapped[str] = mapped_column(sa.String(30))
    period_start: Mapped[date]
    total_feedback: Mapped[int] = mapped_column(default=0, server_default="0")
    average_rating: Mapped[float | None]
