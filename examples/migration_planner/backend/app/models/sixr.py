"""The 6R analysis: a questionnaire, scoring parameters, and iterative analyses that end in a strategy."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.assets import SIXR_STRATEGIES
from app.models.base import Base, MockMixin, TenantMixin, TimestampMixin


class SixRQuestion(TimestampMixin, Base):
    """The master question catalogue (reference data, the same for every tenant)."""

    __tablename__ = "sixr_questions"
    __table_args__ = (
        sa.CheckConstraint(
            "question_type IN ('single_choice', 'multi_choice', 'numeric', 'text', 'boolean')",
            name="question_type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    category: Mapped[str] = mapped_column(sa.String(50))
    question_text: Mapped[str] = mapped_column(sa.Text)
    question_type: Mapped[str] = mapped_column(sa.String(20))
    options: Mapped[list[str] | None] = mapped_column(sa.JSON)
    weight: Mapped[float] = mapped_column(default=1.0, server_default="1.0")
    display_order: Mapped[int] = mapped_column(default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


class SixRParameter(Base):
    """A scoring dimension of the 6R engine and its default weight."""

    __tablename__ = "sixr_parameters"
    __table_args__ = (sa.CheckConstraint("weight BETWEEN 0 AND 1", name="weight_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    weight: Mapped[float]
    default_value: Mapped[float] = mapped_column(default=5.0, server_default="5.0")
    min_value: Mapped[float] = mapped_column(default=1.0, server_default="1.0")
    max_value: Mapped[float] = mapped_column(default=10.0, server_default="10.0")


class SixRAnalysis(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "sixr_analyses"
    __table_args__ = (
        sa.CheckConstraint("status IN ('created', 'in_progress', 'completed', 'failed')", name="status"),
        sa.CheckConstraint(f"final_strategy IN {SIXR_STRATEGIES}", name="final_strategy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="created")
    current_iteration: Mapped[int] = mapped_column(default=1, server_default="1")
    asset_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    final_strategy: Mapped[str | None] = mapped_column(sa.String(20))
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class SixRIteration(MockMixin, TimestampMixin, Base):
    __tablename__ = "sixr_iterations"
    __table_args__ = (sa.UniqueConstraint("analysis_id", "iteration_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(sa.ForeignKey("sixr_analyses.id", ondelete="CASCADE"))
    iteration_number: Mapped[int]
    parameters: Mapped[dict[str, float]] = mapped_column(sa.JSON)
    stakeholder_feedback: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")


class SixRQuestionResponse(MockMixin, TimestampMixin, Base):
    """An answer given during one iteration; the iteration is addressed by (analysis, number)."""

    __tablename__ = "sixr_question_responses"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["analysis_id", "iteration_number"],
            ["sixr_iterations.analysis_id", "sixr_iterations.iteration_number"],
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("analysis_id", "iteration_number", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int]
    iteration_number: Mapped[int]
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("sixr_questions.id", ondelete="RESTRICT"))
    response_value: Mapped[Any] = mapped_column(sa.JSON)
    confidence: Mapped[float | None]


class SixRRecommendation(MockMixin, TimestampMixin, Base):
    __tablename__ = "sixr_recommendations"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["analysis_id", "iteration_number"],
            ["sixr_iterations.analysis_id", "sixr_iterations.iteration_number"],
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"recommended_strategy IN {SIXR_STRATEGIES}", name="recommended_strategy"),
        sa.CheckConstraint("confidence_score BETWEEN 0 AND 1", name="confidence_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int]
    iteration_number: Mapped[int]
    recommended_strategy: Mapped[str] = mapped_column(sa.String(20))
    confidence_score: Mapped[float]
    rationale: Mapped[str | None] = mapped_column(sa.Text)
    strategy_scores: Mapped[dict[str, float] | None] = mapped_column(sa.JSON)


class CMDBSixRAnalysis(TenantMixin, MockMixin, TimestampMixin, Base):
    """A bulk 6R pass over every asset of an imported CMDB."""

    __tablename__ = "cmdb_sixr_analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_name: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    total_assets_analyzed: Mapped[int] = mapped_column(default=0, server_default="0")
    summary: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)
    sixr_analysis_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sixr_analyses.id", ondelete="SET NULL")
    )
