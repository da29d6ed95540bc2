"""Tenants, users and who may see what: client accounts, engagements, roles and access grants."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, MockMixin, TimestampMixin

if TYPE_CHECKING:
    from app.models.migration import MigrationWave


class ClientAccount(MockMixin, TimestampMixin, Base):
    __tablename__ = "client_accounts"
    __table_args__ = (
        sa.CheckConstraint(
            "subscription_tier IN ('trial', 'standard', 'enterprise')", name="subscription_tier"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    industry: Mapped[str | None] = mapped_column(sa.String(100))
    subscription_tier: Mapped[str] = mapped_column(
        sa.String(20), default="standard", server_default="standard"
    )

    engagements: Mapped[list[Engagement]] = relationship(back_populates="client_account")


class User(MockMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    hashed_password: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    is_system: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    manager: Mapped[User | None] = relationship(remote_side=[id])


class UserAccountAssociation(MockMixin, TimestampMixin, Base):
    __tablename__ = "user_account_associations"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "client_account_id"),
        sa.CheckConstraint("role IN ('owner', 'admin', 'member', 'viewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    client_account_id: Mapped[int] = mapped_column(sa.ForeignKey("client_accounts.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(20), default="member")

    user: Mapped[User] = relationship()
    client_account: Mapped[ClientAccount] = relationship()


class Engagement(MockMixin, TimestampMixin, Base):
    __tablename__ = "engagements"
    __table_args__ = (
        sa.UniqueConstraint("client_account_id", "name"),
        sa.CheckConstraint("status IN ('planning', 'active', 'on_hold', 'completed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("client_accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="planning", server_default="planning")
    start_date: Mapped[date | None]
    target_end_date: Mapped[date | None]
    # Engagements and waves reference each other; this side is nullable and created after both tables exist.
    current_wave_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("migration_waves.id", ondelete="SET NULL", use_alter=True)
    )

    client_account: Mapped[ClientAccount] = relationship(back_populates="engagements")
    current_wave: Mapped[MigrationWave | None] = relationship(
        foreign_keys=[current_wave_id], post_update=True
    )


class UserRole(MockMixin, TimestampMixin, Base):
    """A role: a template (no user) or a grant of that role to one user, optionally scoped to a tenant."""

    __tablename__ = "user_roles"
    __table_args__ = (sa.CheckConstraint("scope IN ('platform', 'client', 'engagement')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    scope: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str | None] = mapped_column(sa.Text)
    is_template: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("client_accounts.id", ondelete="CASCADE")
    )
    engagement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engagements.id", ondelete="CASCADE"))


class RolePermission(Base):
    """The permission matrix: which action a role may take on which resource."""

    __tablename__ = "role_permissions"
    __table_args__ = (sa.CheckConstraint("action IN ('read', 'write', 'delete', 'admin')", name="action"),)

    role_id: Mapped[int] = mapped_column(sa.ForeignKey("user_roles.id", ondelete="CASCADE"), primary_key=True)
    resource: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class UserProfile(MockMixin, TimestampMixin, Base):
    __tablename__ = "user_profiles"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending_approval', 'active', 'deactivated')", name="status"),
    )

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending_approval")
    job_title: Mapped[str | None] = mapped_column(sa.String(100))
    organization: Mapped[str | None] = mapped_column(sa.String(200))
    approved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class EnhancedUserProfile(MockMixin, TimestampMixin, Base):
    __tablename__ = "enhanced_user_profiles"
    __table_args__ = (
        sa.CheckConstraint("data_scope IN ('own', 'engagement', 'client', 'platform')", name="data_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    role_level: Mapped[str] = mapped_column(sa.String(30))
    data_scope: Mapped[str] = mapped_column(sa.String(20), default="own")
    default_client_account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("client_accounts.id", ondelete="SET NULL")
    )
    default_engagement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="SET NULL")
    )


class ClientAccess(MockMixin, TimestampMixin, Base):
    __tablename__ = "client_access"
    __table_args__ = (
        sa.UniqueConstraint("user_profile_id", "client_account_id"),
        sa.CheckConstraint("access_level IN ('read_only', 'read_write', 'admin')", name="access_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_profile_id: Mapped[int] = mapped_column(sa.ForeignKey("user_profiles.user_id", ondelete="CASCADE"))
    client_account_id: Mapped[int] = mapped_column(sa.ForeignKey("client_accounts.id", ondelete="CASCADE"))
    access_level: Mapped[str] = mapped_column(sa.String(20), default="read_only")
    granted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class EngagementAccess(MockMixin, TimestampMixin, Base):
    __tablename__ = "engagement_access"
    __table_args__ = (
        sa.UniqueConstraint("user_profile_id", "engagement_id"),
        sa.CheckConstraint("access_level IN ('read_only', 'read_write', 'admin')", name="access_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_profile_id: Mapped[int] = mapped_column(sa.ForeignKey("user_profiles.user_id", ondelete="CASCADE"))
    engagement_id: Mapped[int] = mapped_column(sa.ForeignKey("engagements.id", ondelete="CASCADE"))
    access_level: Mapped[str] = mapped_column(sa.String(20), default="read_only")
    granted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
