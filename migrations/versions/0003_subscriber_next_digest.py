"""subscribers.next_digest_at: when each chat's next scheduled digest is due

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("next_digest_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_subscribers_next_digest_at", ["next_digest_at"])


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_index("ix_subscribers_next_digest_at")
        batch.drop_column("next_digest_at")
