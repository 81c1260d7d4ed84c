"""articles: a full-text index on the folded title too (PostgreSQL), for search's title tiers

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite's FTS5 table already indexes the title as a column of its own.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_articles_search_title_fts ON articles "
            "USING gin (to_tsvector('simple', search_title))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_title_fts")
