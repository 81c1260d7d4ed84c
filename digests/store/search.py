"""Diacritic-insensitive article search, ranked and cut by the database (SQLite FTS5,
PostgreSQL full-text search): the whole phrase in the title, then all the words in the title,
the phrase in the text, all the words in the text; within each, dated articles newest first,
then undated ones. Each tier is one indexed query for at most the rows still needed, so a
common word costs what its newest matches cost, and only the rows shown are loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Select,
    SQLColumnExpression,
    column,
    func,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import ColumnElement

from digests.store.models import Article
from digests.text import fold, syllables

_FTS = table("articles_fts", column("rowid"))
# (in the title?, as a phrase?) in the order results are ranked.
_TIERS = ((True, True), (True, False), (False, True), (False, False))
_NEWEST_FIRST = (
    Article.published_at.is_(None),
    Article.published_at.desc(),
    Article.first_seen_at.desc(),
    Article.id.desc(),
)


@dataclass(frozen=True, slots=True)
class SearchHit:
    article: Article
    rank: int  # 0 is best


def query_terms(query: str) -> list[str]:
    """The folded syllables of a query: 'Chuyển đổi số' -> ['chuyen', 'doi', 'so']."""
    return syllables(fold(query))[:20]


_COLUMNS = (Article.id, Article.published_at, Article.first_seen_at)
if TYPE_CHECKING:
    # SQLAlchemy 2.1's spelling (one type per column); 2.0's Select takes one tuple and
    # would refuse three at run time, hence only for the type checker.
    _Tier = Select[int, datetime | None, datetime]


def _sqlite_tier(words: list[str], title: bool, phrase: bool) -> _Tier:
    # Words are folded syllables (letters and digits only), safe inside FTS5 quotes.
    terms = f'"{" ".join(words)}"' if phrase else " AND ".join(f'"{w}"' for w in words)
    match = f"search_title : ({terms})" if title else terms
    matching = select(_FTS.c.rowid).where(text("articles_fts MATCH :q").bindparams(q=match))
    return select(*_COLUMNS).where(Article.id.in_(matching))


def _postgresql_tier(words: list[str], title: bool, phrase: bool) -> _Tier:
    query = " ".join(words)
    tsquery = (
        func.phraseto_tsquery("simple", query) if phrase else func.plainto_tsquery("simple", query)
    )
    # Each has its index (migrations 0002 and 0010); the text holds the title too.
    column = Article.search_title if title else Article.search_text
    return select(*_COLUMNS).where(_matches(column, tsquery))


def _matches(
    column: SQLColumnExpression[str], tsquery: ColumnElement[object]
) -> ColumnElement[bool]:
    vector = func.to_tsvector("simple", column)
    return vector.op("@@", return_type=Boolean)(tsquery)


def search_articles(session: Session, query: str, limit: int = 10) -> list[SearchHit]:
    """Articles matching every word of `query`, with or without diacritics, best first."""
    words = query_terms(query)
    if not words or limit < 1:
        return []
    tier = _sqlite_tier if session.get_bind().dialect.name == "sqlite" else _postgresql_tier
    ranked: dict[int, int] = {}  # article id -> its best tier, best first
    for rank, (title, phrase) in enumerate(_TIERS):
        if len(words) == 1 and phrase:
            continue  # one word: the phrase tier is the all-words tier
        # Tier by tier, each cut to the rows still needed: a common word's tiers stop at its
        # newest matches (one statement for every tier made the database rank them all).
        wanted = tier(words, title, phrase)
        if ranked:
            wanted = wanted.where(Article.id.not_in(list(ranked)))
        for row in session.execute(wanted.order_by(*_NEWEST_FIRST).limit(limit - len(ranked))):
            ranked.setdefault(row.id, rank)
        if len(ranked) >= limit:
            break
    if not ranked:
        return []
    # One statement for the rows shown and their labels (a rare word's search is mostly
    # round trips).
    rows = (
        session.scalars(
            select(Article)
            .where(Article.id.in_(list(ranked)))
            .options(joinedload(Article.topics), joinedload(Article.leaders))
        )
        .unique()
        .all()
    )
    by_id = {a.id: a for a in rows}
    return [SearchHit(by_id[i], rank) for i, rank in ranked.items() if i in by_id]
