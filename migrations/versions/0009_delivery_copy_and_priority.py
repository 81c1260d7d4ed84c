"""deliveries: the message to copy as two columns (no more "copy:<chat>:<msg>" parts), and a
priority, so that an admin's alert is not queued behind a whole fan-out

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

deliveries = sa.table(
    "deliveries",
    sa.column("id", sa.Integer()),
    sa.column("broadcast_id", sa.Integer()),
    sa.column("parts", sa.JSON()),
    sa.column("copy_from_chat_id", sa.BigInteger()),
    sa.column("copy_message_id", sa.BigInteger()),
)


def _copy_source(parts: object) -> tuple[int, int] | None:
    """The (chat, message) of a part list that is one "copy:<chat>:<message>" instruction."""
    if not isinstance(parts, list) or not parts:
        return None
    first = parts[0]
    if not isinstance(first, str) or not first.startswith("copy:"):
        return None
    _, chat, message = first.split(":")
    return int(chat), int(message)


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("copy_from_chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("copy_message_id", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="1")
        )
    op.drop_index("ix_deliveries_state_next", table_name="deliveries")
    op.create_index(
        "ix_deliveries_state_next", "deliveries", ["state", "priority", "next_attempt_at"]
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(deliveries.c.id, deliveries.c.parts).where(deliveries.c.broadcast_id.is_not(None))
    ).all()
    for delivery_id, parts in rows:
        source = _copy_source(parts)
        if source is not None:
            connection.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery_id)
                .values(parts=[], copy_from_chat_id=source[0], copy_message_id=source[1])
            )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            deliveries.c.id, deliveries.c.copy_from_chat_id, deliveries.c.copy_message_id
        ).where(deliveries.c.copy_message_id.is_not(None))
    ).all()
    for delivery_id, chat, message in rows:
        connection.execute(
            deliveries.update()
            .where(deliveries.c.id == delivery_id)
            .values(parts=[f"copy:{chat}:{message}"])
        )
    op.drop_index("ix_deliveries_state_next", table_name="deliveries")
    op.create_index("ix_deliveries_state_next", "deliveries", ["state", "next_attempt_at"])
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("priority")
        batch.drop_column("copy_message_id")
        batch.drop_column("copy_from_chat_id")
