"""What the AI features cost: model prices, every call, and the monthly roll-up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, ClientScopedMixin, MockMixin, TimestampMixin


class LLMModelPricing(TimestampMixin, Base):
    """Price list per provider and model.  Demo rows are marked with a ``MOCK:`` prefix in ``notes``."""

    __tablename__ = "llm_model_pricing"
    __table_args__ = (
        sa.UniqueConstraint("provider", "model_name", "effective_from"),
        sa.CheckConstraint(
            "input_cost_per_1k_tokens >= 0 AND output_cost_per_1k_tokens >= 0", name="costs_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(50))
    model_name: Mapped[str] = mapped_column(sa.String(100))
    input_cost_per_1k_tokens: Mapped[Decimal] = mapped_column(sa.Numeric(10, 6))
    output_cost_per_1k_tokens: Mapped[Decimal] = mapped_column(sa.Numeric(10, 6))
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    notes: Mapped[str | None] = mapped_column(sa.String(255))


class LLMUsageLog(ClientScopedMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "llm_usage_logs"
    __table_args__ = (
        sa.CheckConstraint("input_tokens >= 0 AND output_tokens >= 0", name="tokens_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engagements.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    feature: Mapped[str] = mapped_column(sa.String(50))
    provider: Mapped[str] = mapped_column(sa.String(50))
    model_name: Mapped[str] = mapped_column(sa.String(100))
    input_tokens: Mapped[int]
    output_tokens: Mapped[int]
    total_cost: Mapped[Decimal] = mapped_column(sa.Numeric(12, 6))
    response_time_ms: Mapped[int | None]
    success: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


class LLMUsageSummary(ClientScopedMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "llm_usage_summary"
    __table_args__ = (
        sa.UniqueConstraint("client_account_id", "period_type", "period_start", "provider", "model_name"),
        sa.CheckConstraint("period_type IN ('day', 'week', 'month')", name="period_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_type: Mapped[str] = mapped_column(sa.String(10))
    period_start: Mapped[date]
    provider: Mapped[str] = mapped_column(sa.String(50))
    model_name: Mapped[str] = mapped_column(sa.String(100))
    total_requests: Mapped[int] = mapped_column(default=0, server_default="0")
    total_input_tokens: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    total_output_tokens: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    total_cost: Mapped[Decimal] = mapped_column(sa.Numeric(14, 6), default=0, server_default="0")
