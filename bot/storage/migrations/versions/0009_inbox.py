"""The inbox: every incoming update stored before it is acknowledged.

Its unique (channel, platform_id) de-duplicates re-sent updates, so the
processed_messages table it replaces is dropped.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("platform_id", sa.String(128)),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(300)),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime()),
        sa.Column("leased_until", sa.DateTime()),
        sa.Column("leased_by", sa.String(40)),
        sa.UniqueConstraint("channel", "platform_id", name="uq_inbox_platform_id"),
    )
    op.create_index("ix_inbox_chat_order", "inbox", ["channel", "chat_id", "status", "id"])
    op.create_index("ix_inbox_status_id", "inbox", ["status", "id"])
    op.create_index("ix_outbox_chat", "outbox", ["channel", "chat_id", "status"])
    op.drop_table("processed_messages")


def downgrade() -> None:
    op.create_table(
        "processed_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("channel", "message_id", name="uq_processed_message"),
    )
    op.create_index("ix_processed_messages_created_at", "processed_messages", ["created_at"])
    op.drop_index("ix_outbox_chat", "outbox")
    op.drop_table("inbox")
