"""Channels and forum topics: who manages a channel (and which channel a person is editing from
their private chat), and the forum topic a group's messages go to (on the subscriber, and on
each ledger row, so a queued message keeps its topic)

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_managers",
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("editing", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_channel_managers_subscriber_id_subscribers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscriber_id", "user_id", name="pk_channel_managers"),
    )
    op.create_index("ix_channel_managers_user_id", "channel_managers", ["user_id"])
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("message_thread_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("message_thread_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("message_thread_id")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("message_thread_id")
    op.drop_index("ix_channel_managers_user_id", table_name="channel_managers")
    op.drop_table("channel_managers")
