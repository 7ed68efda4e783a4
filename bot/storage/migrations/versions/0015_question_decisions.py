"""Staff decisions on unanswered questions: a new variant of a topic, or out of scope.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("normalised", sa.String(300), nullable=False, unique=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("proposed_by", sa.String(160), nullable=False),
        sa.Column("commune_code", sa.String(8), nullable=True),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(160), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("question_decisions")
