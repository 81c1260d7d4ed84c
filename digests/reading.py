"""Reading use cases: the newest articles of a topic, and search. Results are plain views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digests.documents import DocumentQuery, extractor_for, parse_lookup
from digests.records import DocumentRef
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.models import Article
from digests.store.search import query_terms, search_articles

MAX_RESULTS = 20
# Inline mode: "id:<n>" names one article (the share button's query); Telegram shows at most
# 50 results of an inline query.
SHARE_PREFIX = "id:"
MAX_SHARE_RESULTS = 50
MAX_QUERY_CHARS = 200


@dataclass(frozen=True, slots=True)
class ArticleView:
    id: int
    title: str
    url: str | None
    published_at: datetime | None
    published_has_time: bool
    first_seen_at: datetime
    summary: str
    section: str | None
    topics: tuple[str, ...]
    leaders: tuple[str, ...]
    # The official documents it names, in order of mention ("Công điện 53/CĐ-BYT").
    documents: tuple[DocumentRef, ...] = ()


def article_view(article: Article) -> ArticleView:
    return ArticleView(
        id=article.id,
        title=article.title,
        url=article.url,
        published_at=article.published_at,
        published_has_time=article.published_has_time,
        first_seen_at=article.first_seen_at,
        summary=article.summary,
        section=article.section,
        topics=tuple(sorted(t.topic for t in article.topics)),
        leaders=tuple(sorted(leader.leader for leader in article.leaders)),
        documents=tuple(
            DocumentRef(
                kind=d.kind,
                code=d.code,
                key=d.key,
                number=d.number,
                issuer=d.issuer,
                issued_on=d.issued_on,
                signer=d.signer,
            )
            for d in article.documents
        ),
    )


def listing(
    room: Newsroom,
    *,
    section: str | None = None,
    topic: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[tuple[ArticleView, str | None]]:
    """Stored articles, newest first, each with the name of its source (for `mohbot articles`)."""
    with session_scope(room.sessions) as session:
        rows = ArticleRepository(session).newest(
            section=section, topic=topic, since=since, limit=limit
        )
        return [(article_view(a), a.source.name if a.source else None) for a in rows]


def latest(room: Newsroom, topic: str | None = None, limit: int = 5) -> list[ArticleView]:
    """The newest articles (of one topic, if given)."""
    limit = max(1, min(limit, MAX_RESULTS))
    with session_scope(room.sessions) as session:
        return [
            article_view(a) for a in ArticleRepository(session).newest(topic=topic, limit=limit)
        ]


def search(room: Newsroom, query: str, limit: int = 10) -> list[ArticleView]:
    """Diacritic-insensitive search, best matches first."""
    with session_scope(room.sessions) as session:
        return [article_view(hit.article) for hit in search_articles(session, query, limit=limit)]


def search_terms(query: str) -> str:
    """What a search reads of `query`: its folded syllables, "_"-joined ("Ngộ độc" ->
    "ngo_doc"); searching their words again finds the same articles in the same order."""
    return "_".join(query_terms(query))


def document_query(room: Newsroom, typed: str) -> DocumentQuery | None:
    """What a reader's `/vanban 53/CĐ-BYT` (or `53/CD-BYT`, `53`) asks for, or None."""
    return parse_lookup(typed, extractor_for(room.documents))


def naming_document(room: Newsroom, query: DocumentQuery, limit: int = 10) -> list[ArticleView]:
    """The newest articles that name the document `query` describes."""
    limit = max(1, min(limit, MAX_RESULTS))
    with session_scope(room.sessions) as session:
        found = ArticleRepository(session).naming_document(
            number=query.number, key=query.key, kind=query.kind, limit=limit
        )
        return [article_view(a) for a in found]


def share_query(article_id: int) -> str:
    """What a digest item's share button types after the bot's name."""
    return f"{SHARE_PREFIX}{article_id}"


def for_sharing(room: Newsroom, query: str, limit: int = MAX_SHARE_RESULTS) -> list[ArticleView]:
    """Articles for `@bot <query>`: "id:<n>" is that article; no words, the newest articles;
    words, the search's matches (with or without diacritics, best and newest first)."""
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    limit = max(1, min(limit, MAX_SHARE_RESULTS))
    if query.lower().startswith(SHARE_PREFIX):
        number = query[len(SHARE_PREFIX) :].strip()
        if not number.isdigit() or len(number) > 18:
            return []
        with session_scope(room.sessions) as session:
            found = ArticleRepository(session).get(int(number))
            return [article_view(found)] if found is not None else []
    if not query:
        with session_scope(room.sessions) as session:
            return [article_view(a) for a in ArticleRepository(session).newest(limit=limit)]
    return search(room, query, limit=limit)
