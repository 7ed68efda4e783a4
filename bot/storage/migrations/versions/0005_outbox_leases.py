"""Outbox leases, so several delivery workers share the work and a dead one's rows return.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("leased_until", sa.DateTime()))
        batch.add_column(sa.Column("leased_by", sa.String(40)))
    op.create_index("ix_outbox_due", "outbox", ["status", "not_before"])
    op.create_index("ix_outbox_source", "outbox", ["source_kind", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_source", table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("leased_by")
        batch.drop_column("leased_until")
