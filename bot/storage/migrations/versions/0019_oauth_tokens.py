"""OAuth tokens a channel rotates (Zalo OA): the refresh token works once, so the new
one is kept here, durably, before the new access token is used.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth_tokens",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("access_expires_at", sa.DateTime(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("refused", sa.String(200), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("oauth_tokens")
