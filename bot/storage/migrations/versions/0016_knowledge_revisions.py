"""Console edits of topics and the lexicon, each a revision that can be restored.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(64), nullable=False, index=True),
        sa.Column("parent", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("over", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("restores", sa.Integer(), nullable=True),
        sa.UniqueConstraint("subject", "parent"),
    )


def downgrade() -> None:
    op.drop_table("knowledge_revisions")
