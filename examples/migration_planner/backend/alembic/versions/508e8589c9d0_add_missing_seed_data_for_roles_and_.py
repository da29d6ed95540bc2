"""Add missing seed data for roles and profiles

The system user created in e3c32f125929 had neither a role grant nor a profile, so the approval workflow
rejected its imports.  Grant it platform_admin and give it an active profile.

Revision ID: 508e8589c9d0
Revises: 9d2b7f41e6a3
Create Date: 2025-06-03 17:26:40.015884

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '508e8589c9d0'
down_revision: Union[str, Sequence[str], None] = '9d2b7f41e6a3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SYSTEM_USER_EMAIL = 'system@migration-planner.local'

user_roles = sa.table(
    'user_roles',
    sa.column('name', sa.String),
    sa.column('scope', sa.String),
    sa.column('description', sa.Text),
    sa.column('is_template', sa.Boolean),
    sa.column('user_id', sa.Integer),
)

user_profiles = sa.table(
    'user_profiles',
    sa.column('user_id', sa.Integer),
    sa.column('status', sa.String),
    sa.column('job_title', sa.String),
    sa.column('organization', sa.String),
)


def upgrade() -> None:
    """Upgrade schema."""
    system_user_id = op.get_bind().execute(
        sa.text('SELECT id FROM users WHERE email = :email'), {'email': SYSTEM_USER_EMAIL}
    ).scalar_one()
    op.bulk_insert(
        user_roles,
        [
            {
                'name': 'platform_admin',
                'scope': 'platform',
                'description': 'Grant of platform_admin to the system user',
                'is_template': False,
                'user_id': system_user_id,
            }
        ],
    )
    op.bulk_insert(
        user_profiles,
        [
            {
                'user_id': system_user_id,
                'status': 'active',
                'job_title': 'Service account',
                'organization': 'Migration Planner platform',
            }
        ],
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute(
        "DELETE FROM user_profiles WHERE user_id IN "
        f"(SELECT id FROM users WHERE email = '{SYSTEM_USER_EMAIL}')"
    )
    op.execute(
        "DELETE FROM user_roles WHERE is_template = FALSE AND user_id IN "
        f"(SELECT id FROM users WHERE email = '{SYSTEM_USER_EMAIL}')"
    )
