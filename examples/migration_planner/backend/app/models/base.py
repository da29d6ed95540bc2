"""Declarative base, constraint naming convention and the column mixins the models share."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Deterministic constraint names, so Alembic revisions name the same constraints on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class MockMixin:
    """Rows created by the demo seed scripts carry ``is_mock = TRUE`` so they can be purged safely."""

    is_mock: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class ClientScopedMixin:
    """Rows that belong to one client account (the tenant)."""

    client_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("client_accounts.id", ondelete="CASCADE"), index=True
    )


class TenantMixin(ClientScopedMixin):
    """Rows that belong to one engagement of one client account."""

    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
