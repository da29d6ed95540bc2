"""Add seed data for user roles

Every tenant starts from the same role templates, and automated work (imports, scheduled analyses) runs as
the platform's system user, so both must exist in every environment.

Revision ID: e3c32f125929
Revises: 5a0f8c3e1b27
Create Date: 2025-05-06 08:58:17.402663

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'e3c32f125929'
down_revision: Union[str, Sequence[str], None] = '5a0f8c3e1b27'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SYSTEM_USER_EMAIL = 'system@migration-planner.local'

user_roles = sa.table(
    'user_roles',
    sa.column('name', sa.String),
    sa.column('scope', sa.String),
    sa.column('description', sa.Text),
    sa.column('is_template', sa.Boolean),
)

TEMPLATE_ROLES = [
    ('platform_admin', 'platform', 'Full access to every client account and platform setting'),
    ('client_admin', 'client', 'Manages users, engagements and imports of one client account'),
    ('engagement_manager', 'engagement', 'Plans waves and approves 6R recommendations of an engagement'),
    ('analyst', 'engagement', 'Imports inventories, maps fields and runs analyses'),
    ('viewer', 'engagement', 'Read-only access to an engagement'),
]


def upgrade() -> None:
    """Upgrade schema."""
    op.bulk_insert(
        user_roles,
        [
            {'name': name, 'scope': scope, 'description': description, 'is_template': True}
            for name, scope, description in TEMPLATE_ROLES
        ],
    )
    op.execute(
        "INSERT INTO users (email, full_name, is_active, is_system, is_mock) "
        f"VALUES ('{SYSTEM_USER_EMAIL}', 'Platform System User', TRUE, TRUE, FALSE)"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute(f"DELETE FROM users WHERE email = '{SYSTEM_USER_EMAIL}'")
    op.execute("DELETE FROM user_roles WHERE is_template = TRUE AND user_id IS NULL")
