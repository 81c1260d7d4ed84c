"""Digest composition, pure: (subscriber, new articles) -> Digest | None.

Articles are grouped by topic, leadership first then catalog order; an article that matches
several subscribed topics appears once, under the first, and shows every topic and leader
that matched. Articles that match only a followed leader form the leaders' section. At most
`max_per_topic` items per section, the rest counted as "and N more". Nothing new: no digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from digests.reading import ArticleView

LEADERS_SECTION = "leaders"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Reader:
    """What composition needs to know about a subscriber."""

    chat_id: int
    language: str
    timezone: str
    topics: frozenset[str]
    leaders: frozenset[str]


@dataclass(frozen=True, slots=True)
class DigestItem:
    article: ArticleView
    topics: tuple[str, ...]  # the reader's topics this article matched
    leaders: tuple[str, ...]  # the reader's leaders this article matched


@dataclass(frozen=True, slots=True)
class DigestSection:
    key: str  # a topic slug, or LEADERS_SECTION
    items: tuple[DigestItem, ...]
    more: int  # matching articles not shown


@dataclass(frozen=True, slots=True)
class Digest:
    reader: Reader
    day: date
    sections: tuple[DigestSection, ...]

    @property
    def article_ids(self) -> list[int]:
        return [i.article.id for s in self.sections for i in s.items]

    @property
    def total(self) -> int:
        return sum(len(s.items) + s.more for s in self.sections)


def section_order(topic_order: Sequence[str], first: str = "leadership") -> list[str]:
    return [first, *[t for t in topic_order if t != first]]


def newest_first(article: ArticleView) -> tuple[float, int]:
    moment = article.published_at or article.first_seen_at or _EPOCH
    return (-moment.timestamp(), -article.id)


def compose(
    reader: Reader,
    articles: Sequence[ArticleView],
    *,
    day: date,
    topic_order: Sequence[str],
    max_per_topic: int = 5,
    presorted: bool = False,
) -> Digest | None:
    """The reader's digest of `articles` (already limited to what is new for them; with
    `presorted`, already newest first)."""
    order = section_order(topic_order)
    buckets: dict[str, list[DigestItem]] = {}
    for article in articles if presorted else sorted(articles, key=newest_first):
        shared = reader.topics.intersection(article.topics)
        followed = reader.leaders.intersection(article.leaders)
        if not shared and not followed:
            continue
        topics = tuple(t for t in order if t in shared)
        leaders = tuple(sorted(followed))
        key = topics[0] if topics else LEADERS_SECTION
        buckets.setdefault(key, []).append(DigestItem(article, topics, leaders))
    if not buckets:
        return None
    keys = [k for k in order if k in buckets]
    if LEADERS_SECTION in buckets:
        keys.append(LEADERS_SECTION)
    # Subscribed topics unknown to the catalog order still show, after the known ones.
    keys += sorted(k for k in buckets if k not in keys)
    sections = tuple(
        DigestSection(k, tuple(buckets[k][:max_per_topic]), max(0, len(buckets[k]) - max_per_topic))
        for k in keys
    )
    return Digest(reader=reader, day=day, sections=sections)
