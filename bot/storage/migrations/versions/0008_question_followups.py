"""Question references and follow-ups: suggestions picked, answers rated.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("question_log") as batch:
        batch.add_column(sa.Column("ref", sa.String(12)))
    op.create_index("ix_question_log_ref", "question_log", ["ref"])
    op.create_table(
        "question_followups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("question_ref", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "question_ref", "kind", name="uq_followup_user_ref_kind"),
    )
    op.create_index("ix_question_followups_user_id", "question_followups", ["user_id"])
    op.create_index("ix_question_followups_question_ref", "question_followups", ["question_ref"])
    op.create_index("ix_question_followups_created_at", "question_followups", ["created_at"])


def downgrade() -> None:
    op.drop_table("question_followups")
    op.drop_index("ix_question_log_ref", "question_log")
    with op.batch_alter_table("question_log") as batch:
        batch.drop_column("ref")
