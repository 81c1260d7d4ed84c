"""beyond the daily digest: a frequency per subscription, urgent items, quiet hours, keyword
alerts, what each chat got at once, the weekly summary's schedule; and a priority between
an admin's alert and a fan-out (immediate items: NORMAL moves from 1 to 2)

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FREQUENCY = sa.Enum("immediate", "daily", "weekly", name="frequency", native_enum=False, length=16)


def _frequency() -> sa.Column[str]:
    return sa.Column("frequency", _FREQUENCY, nullable=False, server_default="daily")


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(_frequency())
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("alerts_pending", sa.Boolean(), nullable=False, server_default="0")
        )
        batch.create_index("ix_articles_alerts_pending", ["alerts_pending"])
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(
            sa.Column(
                "urgent_mode",
                sa.Enum("on", "off", "always", name="urgentmode", native_enum=False, length=16),
                nullable=False,
                server_default="on",
            )
        )
        batch.add_column(sa.Column("quiet_start", sa.Time(), nullable=True))
        batch.add_column(sa.Column("quiet_end", sa.Time(), nullable=True))
        batch.add_column(
            sa.Column("weekly_day", sa.SmallInteger(), nullable=False, server_default="5")
        )
        batch.add_column(
            sa.Column("weekly_time", sa.Time(), nullable=False, server_default="08:00:00")
        )
        batch.add_column(sa.Column("next_weekly_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_subscribers_next_weekly_at", ["next_weekly_at"])
    op.create_table(
        "keyword_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "subscriber_id",
            sa.Integer(),
            sa.ForeignKey(
                "subscribers.id",
                ondelete="CASCADE",
                name="fk_keyword_alerts_subscriber_id_subscribers",
            ),
            nullable=False,
        ),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("anchor", sa.String(64), nullable=False),
        _frequency(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_keyword_alerts"),
        sa.UniqueConstraint("subscriber_id", "query", name="uq_keyword_alerts_query"),
    )
    op.create_index("ix_keyword_alerts_subscriber_id", "keyword_alerts", ["subscriber_id"])
    op.create_index("ix_keyword_alerts_anchor", "keyword_alerts", ["anchor", "frequency"])
    op.create_table(
        "alert_items",
        sa.Column(
            "subscriber_id",
            sa.Integer(),
            sa.ForeignKey(
                "subscribers.id",
                ondelete="CASCADE",
                name="fk_alert_items_subscriber_id_subscribers",
            ),
            nullable=False,
        ),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey(
                "articles.id", ondelete="CASCADE", name="fk_alert_items_article_id_articles"
            ),
            nullable=False,
        ),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("keyword", sa.String(200), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("subscriber_id", "article_id", name="pk_alert_items"),
    )
    op.create_index("ix_alert_items_queued_due", "alert_items", ["queued_at", "due_at"])
    # Immediate items go between an admin's alert (0) and a fan-out, now 2.
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("priority", server_default="2", existing_type=sa.SmallInteger())
    op.execute("UPDATE deliveries SET priority = 2 WHERE priority = 1")


def downgrade() -> None:
    op.execute("UPDATE deliveries SET priority = 1 WHERE priority >= 1")
    op.execute("DELETE FROM deliveries WHERE kind IN ('instant', 'weekly')")
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("priority", server_default="1", existing_type=sa.SmallInteger())
    op.drop_table("alert_items")
    op.drop_table("keyword_alerts")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_index("ix_subscribers_next_weekly_at")
        for column in (
            "next_weekly_at",
            "weekly_time",
            "weekly_day",
            "quiet_end",
            "quiet_start",
            "urgent_mode",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_alerts_pending")
        batch.drop_column("alerts_pending")
        batch.drop_column("urgent")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("frequency")
