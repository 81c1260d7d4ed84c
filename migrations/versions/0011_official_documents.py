"""article_documents: the official documents each article names (issue 20, item 5)

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_documents",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("issuer", sa.String(length=64), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("signer", sa.String(length=120), nullable=True),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_documents_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "kind", "key", name=op.f("pk_article_documents")),
    )
    op.create_index("ix_article_documents_kind", "article_documents", ["kind"])
    op.create_index(op.f("ix_article_documents_key"), "article_documents", ["key"])
    op.create_index(op.f("ix_article_documents_number"), "article_documents", ["number"])
    # Articles stored before this revision have no documents yet: `mohbot reclassify` (the
    # labels' fingerprint now includes the documents file) fills the table for them.


def downgrade() -> None:
    op.drop_index(op.f("ix_article_documents_number"), table_name="article_documents")
    op.drop_index(op.f("ix_article_documents_key"), table_name="article_documents")
    op.drop_index("ix_article_documents_kind", table_name="article_documents")
    op.drop_table("article_documents")
