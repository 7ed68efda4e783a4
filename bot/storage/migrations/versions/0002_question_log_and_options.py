"""Question log for unanswered-question reports; remembered reply options.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dialog_states") as batch:
        batch.add_column(sa.Column("options", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("normalised", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64)),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_question_log_user_id", "question_log", ["user_id"])
    op.create_index("ix_question_log_outcome", "question_log", ["outcome"])
    op.create_index("ix_question_log_created_at", "question_log", ["created_at"])


def downgrade() -> None:
    op.drop_table("question_log")
    with op.batch_alter_table("dialog_states") as batch:
        batch.drop_column("options")
