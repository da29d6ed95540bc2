"""Normalise role scopes and engagement dates

Cleans up rows written before the role scopes were settled: analysts and viewers are engagement-scoped, and
an engagement cannot end before it starts.  Changes existing rows only; it adds none.

Revision ID: f4a6b2c81d09
Revises: 508e8589c9d0
Create Date: 2025-06-09 13:02:55.671238

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f4a6b2c81d09'
down_revision: Union[str, Sequence[str], None] = '508e8589c9d0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(
        "UPDATE user_roles SET scope = 'engagement' "
        "WHERE name IN ('analyst', 'viewer') AND scope = 'client'"
    )
    op.execute(
        sa.text(
            'UPDATE engagements SET target_end_date = NULL '
            'WHERE target_end_date IS NOT NULL AND target_end_date < start_date'
        )
    )


def downgrade() -> None:
    """Downgrade schema."""
    # The old values were wrong; there is nothing to restore.
    pass
