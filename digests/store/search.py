"""Diacritic-insensitive article search: SQLite FTS5 or PostgreSQL full-text finds the
candidates, then results are ranked: the whole phrase in the title, all words in the title,
the phrase in the text, all words in the text; newest first within each rank."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from digests.store.models import Article
from digests.text import fold, syllables

_CANDIDATES = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SearchHit:
    article: Article
    rank: int  # 0 is best


def query_terms(query: str) -> list[str]:
    """The folded syllables of a query: 'Chuyển đổi số' -> ['chuyen', 'doi', 'so']."""
    return syllables(fold(query))


def _contains_words(haystack: str, words: list[str]) -> bool:
    tokens = set(syllables(haystack))
    return all(w in tokens for w in words)


def _has_phrase(haystack: str, words: list[str]) -> bool:
    return f" {' '.join(words)} " in f" {' '.join(syllables(haystack))} "


def _rank(article: Article, words: list[str]) -> int:
    if _has_phrase(article.search_title, words):
        return 0
    if _contains_words(article.search_title, words):
        return 1
    if _has_phrase(article.search_text, words):
        return 2
    return 3


def _candidate_ids(session: Session, words: list[str]) -> list[int]:
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join(f'"{w}"' for w in words)
        rows = session.execute(
            text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q LIMIT :n"),
            {"q": match, "n": _CANDIDATES},
        )
        return [row[0] for row in rows]
    tsquery = func.plainto_tsquery("simple", " ".join(words))
    vector = func.to_tsvector("simple", Article.search_text)
    return list(
        session.scalars(
            select(Article.id)
            .where(vector.op("@@")(tsquery))
            .order_by(Article.first_seen_at.desc())
            .limit(_CANDIDATES)
        )
    )


def search_articles(session: Session, query: str, limit: int = 10) -> list[SearchHit]:
    """Articles matching every word of `query`, with or without diacritics, best first."""
    words = query_terms(query)
    if not words:
        return []
    ids = _candidate_ids(session, words)
    if not ids:
        return []
    articles = session.scalars(select(Article).where(Article.id.in_(ids))).all()
    hits = [
        SearchHit(a, _rank(a, words)) for a in articles if _contains_words(a.search_text, words)
    ]
    hits.sort(
        key=lambda h: (
            h.rank,
            -(h.article.published_at or h.article.first_seen_at or _EPOCH).timestamp(),
            -h.article.id,
        )
    )
    return hits[:limit]
