"""Audit trails and the soft-delete bin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, MockMixin, TenantMixin, TimestampMixin

_RESULTS = "result IN ('success', 'denied', 'error')"


class AccessAuditLog(MockMixin, TimestampMixin, Base):
    __tablename__ = "access_audit_log"
    __table_args__ = (sa.CheckConstraint(_RESULTS, name="result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    client_account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("client_accounts.id", ondelete="SET NULL")
    )
    engagement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engagements.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(50))
    resource_type: Mapped[str] = mapped_column(sa.String(50))
    resource_id: Mapped[str | None] = mapped_column(sa.String(64))
    result: Mapped[str] = mapped_column(sa.String(20), default="success")
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))


class EnhancedAccessAuditLog(MockMixin, TimestampMixin, Base):
    __tablename__ = "enhanced_access_audit_log"
    __table_args__ = (sa.CheckConstraint(_RESULTS, name="result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    client_account_id: Mapped[int] = mapped_column(sa.ForeignKey("client_accounts.id", ondelete="CASCADE"))
    engagement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engagements.id", ondelete="SET NULL"))
    action_type: Mapped[str] = mapped_column(sa.String(50))
    resource_type: Mapped[str] = mapped_column(sa.String(50))
    resource_id: Mapped[str | None] = mapped_column(sa.String(64))
    result: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class SoftDeletedItem(TenantMixin, MockMixin, Base):
    """Anything a user deleted, kept for 30 days so it can be restored."""

    __tablename__ = "soft_deleted_items"
    __table_args__ = (sa.CheckConstraint("status IN ('deleted', 'restored', 'purged')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type: Mapped[str] = mapped_column(sa.String(50))
    item_id: Mapped[int]
    item_name: Mapped[str | None] = mapped_column(sa.String(200))
    deleted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    reason: Mapped[str | None] = mapped_column(sa.Text)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(20), default="deleted")
