"""SQLite: new articles enter the full-text index in one statement per batch, not by trigger.

A per-row AFTER INSERT trigger made the FTS5 index five times the cost of the insert itself.
`ArticleRepository` now indexes each batch of new rows with one INSERT ... SELECT; updates and
deletes keep their triggers. PostgreSQL's GIN index is unchanged.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS articles_fts_insert")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts(rowid, search_title, search_text)
            VALUES (new.id, new.search_title, new.search_text);
        END"""
        )
