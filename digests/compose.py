"""Digest composition, pure: (reader, articles, window) -> Digest | None.

What is news: an article first seen since the reader's last digest, whose publication time
(or, undated, the time it was first seen) is within the window (`not_before`, from
DIGEST_MAX_AGE). A source polled for the first time fills the archive quietly: its old items
are stored and searchable but never presented as today's news.

Every choice has its place: one section per subscribed topic and per followed leader that has
news, topics in catalog order, then leaders in catalog order. An article that belongs to
several of the reader's sections is shown in full in the first and as a one-line reference in
the others. Newest first, undated items last, so an undated item never leads a section. At
most `max_per_section` items per section; the rest are counted and reached page by page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from digests.reading import ArticleView

LEADER_PREFIX = "leader:"
KEYWORD_PREFIX = "kw:"
DOCUMENT_PREFIX = "doc:"
FORMATS = ("full", "compact")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def leader_section(slug: str) -> str:
    """The key of a followed leader's section."""
    return LEADER_PREFIX + slug


def keyword_section(query: str) -> str:
    """The key of a keyword alert's section (its query as stored)."""
    return KEYWORD_PREFIX + query


def section_keyword(key: str) -> str | None:
    """The keyword alert's query a section key names, or None."""
    return key[len(KEYWORD_PREFIX) :] if key.startswith(KEYWORD_PREFIX) else None


def section_leader(key: str) -> str | None:
    """The leader a section key names, or None for a topic's section."""
    return key[len(LEADER_PREFIX) :] if key.startswith(LEADER_PREFIX) else None


def document_section(kind: str) -> str:
    """The key of the section of a kind of official documents the reader follows."""
    return DOCUMENT_PREFIX + kind


def section_document_kind(key: str) -> str | None:
    """The document kind a section key names, or None."""
    return key[len(DOCUMENT_PREFIX) :] if key.startswith(DOCUMENT_PREFIX) else None


@dataclass(frozen=True, slots=True)
class Reader:
    """What composition needs to know about a subscriber."""

    chat_id: int
    language: str
    timezone: str
    topics: frozenset[str]
    leaders: frozenset[str]
    format: str = "full"
    # Keyword alerts (their queries) with a section of their own in this digest.
    keywords: tuple[str, ...] = ()
    # Kinds of official documents (`/vanban cong-dien`): a section each, after the leaders.
    documents: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class DigestItem:
    article: ArticleView
    topics: tuple[str, ...]  # the reader's topics this article matched
    leaders: tuple[str, ...]  # the reader's leaders this article matched
    # The section where the article is shown in full, when this is only a reference to it.
    full_in: str | None = None
    # Other outlets' reports of the same story, shown with it instead of as items of their own.
    also: tuple[ArticleView, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestSection:
    key: str  # a topic slug, or `leader_section(slug)`
    items: tuple[DigestItem, ...]
    more: int  # matching articles not shown


@dataclass(frozen=True, slots=True)
class Digest:
    reader: Reader
    day: date
    sections: tuple[DigestSection, ...]
    # The window of first-seen times it covers, so that "more" can page through a section.
    since: datetime | None = None
    until: datetime | None = None

    @property
    def article_ids(self) -> list[int]:
        return list(dict.fromkeys(i.article.id for s in self.sections for i in s.items))

    @property
    def total(self) -> int:
        """Distinct articles shown, plus those counted as more."""
        return len(self.article_ids) + sum(s.more for s in self.sections)


class Dated(Protocol):
    """What telling when an article was news needs: an `ArticleView` or a stored `Article`."""

    @property
    def published_at(self) -> datetime | None: ...

    @property
    def first_seen_at(self) -> datetime | None: ...


def news_time(article: Dated) -> datetime:
    """When the article was news: its publication time, never later than when it was first
    seen (a date in the future is a source's mistake); undated, when it was first seen."""
    seen = article.first_seen_at or _EPOCH
    if article.published_at is None:
        return seen
    return min(article.published_at, seen)


def newest_first(article: ArticleView) -> tuple[bool, float, int]:
    """Sort key: dated articles newest first, then undated ones (newest seen first)."""
    return (article.published_at is None, -news_time(article).timestamp(), -article.id)


def is_news(article: Dated, not_before: datetime | None) -> bool:
    return not_before is None or news_time(article) >= not_before


def section_keys(
    reader: Reader, topic_order: Sequence[str], leader_order: Sequence[str] = ()
) -> list[str]:
    """The reader's sections in order: topics as the catalog lists them (unknown ones after),
    then leaders likewise."""
    topics = [t for t in topic_order if t in reader.topics]
    topics += sorted(reader.topics - set(topics))
    leaders = [x for x in leader_order if x in reader.leaders]
    leaders += sorted(reader.leaders - set(leaders))
    kinds = [document_section(k) for k in sorted(reader.documents)]
    return topics + [leader_section(x) for x in leaders] + kinds


def in_section(article: ArticleView, key: str) -> bool:
    kind = section_document_kind(key)
    if kind is not None:
        return any(d.kind == kind for d in article.documents)
    leader = section_leader(key)
    return leader in article.leaders if leader else key in article.topics


def section_articles(
    articles: Sequence[ArticleView], key: str, not_before: datetime | None = None
) -> list[ArticleView]:
    """A section's articles that are news, newest first (what its pages show)."""
    mine = [a for a in articles if in_section(a, key) and is_news(a, not_before)]
    return sorted(mine, key=newest_first)


def compose(
    reader: Reader,
    articles: Sequence[ArticleView],
    *,
    day: date,
    topic_order: Sequence[str],
    leader_order: Sequence[str] = (),
    max_per_topic: int = 5,
    presorted: bool = False,
    not_before: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    stories: Mapping[int, tuple[ArticleView, ...]] | None = None,
    keyword_matches: Mapping[int, Sequence[str]] | None = None,
) -> Digest | None:
    """The reader's digest of `articles` (already limited to what is new for them; with
    `presorted`, already newest first). Articles published before `not_before` are not news.
    `stories` (from `digests.stories.story_groups`) folds other outlets' reports of a story
    into its first article. `keyword_matches`: article id -> the reader's keyword alerts
    (queries) it matched, each a section after the topics and leaders."""
    ordered = articles if presorted else sorted(articles, key=newest_first)
    stories = stories or {}
    folded = {other.id for others in stories.values() for other in others}
    news = [a for a in ordered if is_news(a, not_before) and a.id not in folded]
    keys = section_keys(reader, topic_order, leader_order)
    keys += [keyword_section(q) for q in reader.keywords]
    keyword_matches = keyword_matches or {}
    buckets: dict[str, list[ArticleView]] = {k: [] for k in keys}
    # Each article's sections, found by lookups (this runs for every distinct reader).
    leader_keys = {leader: k for k in keys if (leader := section_leader(k)) is not None}
    for article in news:
        for topic in article.topics:
            if topic in reader.topics:
                buckets[topic].append(article)
        for leader in article.leaders:
            if leader in leader_keys:
                buckets[leader_keys[leader]].append(article)
        for query in keyword_matches.get(article.id, ()):
            if (key := keyword_section(query)) in buckets:
                buckets[key].append(article)
        if reader.documents and article.documents:
            for kind in dict.fromkeys(d.kind for d in article.documents):
                if kind in reader.documents:
                    buckets[document_section(kind)].append(article)
    shown_in: dict[int, str] = {}
    sections = []
    for key in keys:
        bucket = buckets[key]
        if not bucket:
            continue
        items = []
        for article in bucket[:max_per_topic]:
            full_in = shown_in.setdefault(article.id, key)
            items.append(
                DigestItem(
                    article,
                    topics=tuple(t for t in keys if t in article.topics),
                    leaders=tuple(x for x in leader_keys if x in article.leaders),
                    full_in=None if full_in == key else full_in,
                    also=stories.get(article.id, ()),
                )
            )
        sections.append(DigestSection(key, tuple(items), max(0, len(bucket) - max_per_topic)))
    if not sections:
        return None
    return Digest(reader=reader, day=day, sections=tuple(sections), since=since, until=until)
