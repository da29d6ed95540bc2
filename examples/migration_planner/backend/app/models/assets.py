"""The inventory: assets discovered in the client's estate, their tags, embeddings and dependencies."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, ClientScopedMixin, MockMixin, TenantMixin, TimestampMixin

SIXR_STRATEGIES = "('rehost', 'replatform', 'refactor', 'repurchase', 'retire', 'retain')"


class Tag(MockMixin, TimestampMixin, Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    category: Mapped[str] = mapped_column(sa.String(50))
    description: Mapped[str | None] = mapped_column(sa.Text)


class Asset(TenantMixin, MockMixin, TimestampMixin, Base):
    __tablename__ = "assets"
    __table_args__ = (
        sa.UniqueConstraint("engagement_id", "name"),
        sa.CheckConstraint(
            "asset_type IN ('server', 'database', 'application', 'network', 'storage')", name="asset_type"
        ),
        sa.CheckConstraint(
            "environment IN ('production', 'staging', 'development', 'test')", name="environment"
        ),
        sa.CheckConstraint(
            "business_criticality IN ('low', 'medium', 'high', 'critical')", name="business_criticality"
        ),
        sa.CheckConstraint(f"sixr_strategy IN {SIXR_STRATEGIES}", name="sixr_strategy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    asset_type: Mapped[str] = mapped_column(sa.String(20))
    hostname: Mapped[str | None] = mapped_column(sa.String(255))
    environment: Mapped[str] = mapped_column(sa.String(20), default="production")
    operating_system: Mapped[str | None] = mapped_column(sa.String(100))
    cpu_cores: Mapped[int | None]
    memory_gb: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    storage_gb: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    business_criticality: Mapped[str] = mapped_column(sa.String(20), default="medium")
    sixr_strategy: Mapped[str | None] = mapped_column(sa.String(20))
    migration_wave_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("migration_waves.id", ondelete="SET NULL"), index=True
    )

    tags: Mapped[list[AssetTag]] = relationship(back_populates="asset", cascade="all, delete-orphan")


class AssetTag(MockMixin, TimestampMixin, Base):
    __tablename__ = "asset_tags"
    __table_args__ = (
        sa.UniqueConstraint("asset_id", "tag_id"),
        sa.CheckConstraint("assigned_by IN ('manual', 'ai')", name="assigned_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("tags.id", ondelete="CASCADE"))
    confidence_score: Mapped[float | None]
    assigned_by: Mapped[str] = mapped_column(sa.String(20), default="manual")

    asset: Mapped[Asset] = relationship(back_populates="tags")
    tag: Mapped[Tag] = relationship()


class AssetEmbedding(MockMixin, TimestampMixin, Base):
    """A vector of the asset's description for similarity search (pgvector in production; JSON here)."""

    __tablename__ = "asset_embeddings"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"), unique=True)
    model_name: Mapped[str] = mapped_column(sa.String(100))
    embedding: Mapped[list[float]] = mapped_column(sa.JSON)
    source_text: Mapped[str | None] = mapped_column(sa.Text)


class AssetDependency(MockMixin, TimestampMixin, Base):
    """``asset_id`` needs ``depends_on_asset_id``: both must move in the same wave or in order."""

    __tablename__ = "asset_dependencies"
    __table_args__ = (
        sa.UniqueConstraint("asset_id", "depends_on_asset_id"),
        sa.CheckConstraint("asset_id <> depends_on_asset_id", name="not_self"),
        sa.CheckConstraint(
            "dependency_type IN ('network', 'database', 'application', 'storage')", name="dependency_type"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    depends_on_asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    dependency_type: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str | None] = mapped_column(sa.Text)


class CustomTargetField(ClientScopedMixin, MockMixin, TimestampMixin, Base):
    """An extra attribute a client wants imported assets mapped to."""

    __tablename__ = "custom_target_fields"
    __table_args__ = (
        sa.UniqueConstraint("client_account_id", "field_name"),
        sa.CheckConstraint("field_type IN ('string', 'number', 'date', 'boolean')", name="field_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    field_name: Mapped[str] = mapped_column(sa.String(100))
    field_type: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str | None] = mapped_column(sa.Text)
    is_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
