"""article search: FTS5 on SQLite, a GIN full-text index on PostgreSQL

Both index the folded (lower-case, diacritic-free) copies of the title and text that the
application keeps in articles.search_title / articles.search_text.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        search_title, search_text, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, search_title, search_text)
        VALUES (new.id, new.search_title, new.search_text);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, search_title, search_text)
        VALUES ('delete', old.id, old.search_title, old.search_text);
    END""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF search_title, search_text ON articles
    BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, search_title, search_text)
        VALUES ('delete', old.id, old.search_title, old.search_text);
        INSERT INTO articles_fts(rowid, search_title, search_text)
        VALUES (new.id, new.search_title, new.search_text);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
]
PG_UP = [
    "CREATE INDEX ix_articles_search_fts ON articles "
    "USING gin (to_tsvector('simple', search_text))",
]
PG_DOWN = ["DROP INDEX IF EXISTS ix_articles_search_fts"]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _run(SQLITE_UP if op.get_bind().dialect.name == "sqlite" else PG_UP)


def downgrade() -> None:
    _run(SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else PG_DOWN)
