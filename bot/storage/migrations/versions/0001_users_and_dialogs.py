"""Users and per-user dialog state.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("channel_user_id", sa.String(128), nullable=False),
        sa.Column("chat_id", sa.String(128)),
        sa.Column("display_name", sa.String(200)),
        sa.Column("language", sa.String(5), nullable=False, server_default="vi"),
        sa.Column("commune_code", sa.String(8)),
        sa.Column("audience", sa.String(16)),
        sa.Column("news_opt_in", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("blocked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("consent_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("channel", "channel_user_id", name="uq_users_channel_id"),
    )
    op.create_index("ix_users_commune_code", "users", ["commune_code"])
    op.create_table(
        "dialog_states",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("flow", sa.String(32)),
        sa.Column("step", sa.String(32)),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("nonce", sa.String(8), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dialog_states")
    op.drop_index("ix_users_commune_code", table_name="users")
    op.drop_table("users")
