"""Attendance: staff mark who came to a training session.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("registrations", sa.Column("attended_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("registrations", "attended_at")
