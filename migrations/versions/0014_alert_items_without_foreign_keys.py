"""items sent at once without foreign keys: a batch of new articles records hundreds of
thousands of them, and PostgreSQL checked both keys row by row (a deleted chat's items are
deleted with it by the application; articles are never deleted)

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = (
    ("fk_alert_items_subscriber_id_subscribers", "subscribers", "subscriber_id"),
    ("fk_alert_items_article_id_articles", "articles", "article_id"),
)


def upgrade() -> None:
    with op.batch_alter_table("alert_items") as batch:
        for name, _table, _column in _KEYS:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    # Items whose chat or article is gone would break the keys: they go first.
    for _name, table, column in _KEYS:
        op.execute(f"DELETE FROM alert_items WHERE {column} NOT IN (SELECT id FROM {table})")
    with op.batch_alter_table("alert_items") as batch:
        for name, table, column in _KEYS:
            batch.create_foreign_key(name, table, [column], ["id"], ondelete="CASCADE")
