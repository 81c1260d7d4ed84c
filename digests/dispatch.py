"""The digest dispatcher: every minute, queue the digests whose time has come.

One query finds every due subscriber (their `next_digest_at` has passed), one query loads
every article first seen since the oldest of their previous digests (at most 7 days back);
each digest is composed in memory and queued in the ledger in the same transaction that moves
the subscriber's schedule on, so a crash either queued a digest and moved on, or neither. The
unique key (subscriber, digest day) makes a second digest for the same day impossible.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from digests.compose import Digest, Reader, compose, is_news, newest_first, section_articles
from digests.keywords import KeywordIndex
from digests.locks import exclusive
from digests.messages import MessagePart
from digests.reading import ArticleView, article_view
from digests.schedule import local_day, next_occurrence
from digests.services import Newsroom
from digests.store.alerts import AlertRepository
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository, EncodedParts, NewDelivery
from digests.store.models import DeliveryKind, Frequency, Subscriber, SubscriptionKind
from digests.store.subscribers import SubscriberRepository
from digests.stories import story_groups

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=7)
# Rendered digests kept for readers alike in one dispatcher pass, by the characters of their
# parts (least recently used dropped first): 100,000 readers of the benchmark make about 2,500
# distinct digests of about 5,000 characters, which a count of 2,048 made render again and again.
RENDERED_CHARS_KEPT = 24_000_000
# Rendering is the bot's job: a digest in, the message parts (HTML, split) out.
Renderer = Callable[[Digest], list[MessagePart]]


@dataclass(slots=True)
class DispatchReport:
    due: int = 0
    queued: int = 0
    empty: int = 0
    already_sent: int = 0


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    """A digest's messages and the articles it carries (no messages: nothing new). The digest
    itself is not kept: thousands of these live through a pass."""

    parts: EncodedParts
    article_ids: tuple[int, ...] = ()

    @classmethod
    def of(cls, digest: Digest | None, render: Renderer) -> RenderedDigest:
        if digest is None:
            return cls(EncodedParts("[]", 0))
        return cls(EncodedParts.of(render(digest)), tuple(digest.article_ids))


class RenderedDigests:
    """Digests rendered in one dispatcher pass, by everything a digest depends on but the chat;
    bounded by the characters they hold, least recently used dropped first."""

    def __init__(self, max_chars: int = RENDERED_CHARS_KEPT) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self._kept: OrderedDict[tuple[object, ...], RenderedDigest] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> RenderedDigest | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, key: tuple[object, ...], rendered: RenderedDigest) -> None:
        self._kept[key] = rendered
        self.chars += _chars(rendered.parts)
        while self.chars > self.max_chars and len(self._kept) > 1:
            _, dropped = self._kept.popitem(last=False)
            self.chars -= _chars(dropped.parts)


def _chars(parts: EncodedParts) -> int:
    return len(parts.json) + 100


@dataclass(frozen=True, slots=True)
class Due:
    """A subscriber whose digest is due, as the dispatcher needs it."""

    id: int
    chat_id: int
    timezone: str
    digest_time: time
    last_digest_at: datetime | None
    last_digest_date: date | None
    next_digest_at: datetime | None
    reader: Reader


def reader_of(subscriber: Subscriber) -> Reader:
    subs = subscriber.subscriptions
    return Reader(
        chat_id=subscriber.chat_id,
        language=subscriber.language,
        timezone=subscriber.timezone,
        topics=frozenset(s.key for s in subs if s.kind is SubscriptionKind.TOPIC),
        leaders=frozenset(s.key for s in subs if s.kind is SubscriptionKind.LEADER),
        format=subscriber.digest_format,
        documents=frozenset(s.key for s in subs if s.kind is SubscriptionKind.DOCUMENT),
    )


@dataclass(frozen=True, slots=True)
class Layout:
    """How digests are laid out: the catalog's order of topics and leaders, items per section,
    and how old news may be (DIGEST_MAX_AGE)."""

    topic_order: Sequence[str]
    leader_order: Sequence[str] = ()
    max_per_section: int = 5
    max_age: timedelta = timedelta(hours=48)

    @classmethod
    def of(cls, room: Newsroom) -> Layout:
        catalog, settings = room.catalog, room.settings
        return cls(
            topic_order=[t.slug for t in catalog.topics] if catalog else [],
            leader_order=[x.slug for x in catalog.leaders] if catalog else [],
            max_per_section=settings.digest_max_per_topic,
            max_age=timedelta(hours=settings.digest_max_age),
        )


def window_start(subscriber: Subscriber | Due, now: datetime) -> datetime:
    """Articles first seen after this moment are new for the subscriber."""
    oldest = now - LOOKBACK
    return max(subscriber.last_digest_at or oldest, oldest)


def new_articles(session: Session, since: datetime, until: datetime) -> list[ArticleView]:
    """Articles first seen in (since, until], newest first."""
    rows = ArticleRepository(session).first_seen_between(since, until)
    return sorted((article_view(a) for a in rows), key=newest_first)


def news_at(articles: Sequence[ArticleView], now: datetime, layout: Layout) -> list[ArticleView]:
    """The articles that are news at `now` (published within DIGEST_MAX_AGE)."""
    not_before = now - layout.max_age
    return [a for a in articles if is_news(a, not_before)]


def compose_for(
    reader: Reader,
    since: datetime,
    articles: Sequence[ArticleView],
    now: datetime,
    layout: Layout,
    stories: Mapping[int, tuple[ArticleView, ...]] | None = None,
    keyword_matches: Mapping[int, Sequence[str]] | None = None,
) -> Digest | None:
    """The reader's digest of `articles` (newest first, already only what is news at `now`:
    see `news_at`) first seen after `since`."""
    mine = [a for a in articles if a.first_seen_at > since]
    return compose(
        reader,
        mine,
        day=local_day(now, reader.timezone),
        topic_order=layout.topic_order,
        leader_order=layout.leader_order,
        max_per_topic=layout.max_per_section,
        presorted=True,
        since=since,
        until=now,
        stories=stories if stories is not None else story_groups(mine),
        keyword_matches=keyword_matches,
    )


def digest_delivery(
    subscriber_id: int,
    chat_id: int,
    rendered: RenderedDigest,
    day: date | None = None,
) -> NewDelivery:
    """A digest as the ledger takes it; `day` for the scheduled one (one a day at most), None
    for one asked for now, which does not count as it."""
    return NewDelivery(
        kind=DeliveryKind.DIGEST,
        chat_id=chat_id,
        subscriber_id=subscriber_id,
        digest_date=day,
        parts=rendered.parts,
        article_ids=rendered.article_ids,
    )


def queue_due_digests(
    room: Newsroom, render: Renderer, layout: Layout | None = None, *, limit: int = 5000
) -> DispatchReport:
    """Queue the digest of every subscriber whose digest time has come, in batches of `limit`.
    With several processes, one does it and the others skip (an advisory lock)."""
    with exclusive(room.engine, "dispatch-digests") as mine:
        if not mine:
            return DispatchReport()
        report = DispatchReport()
        # Readers with the same topics, leaders, language, zone and window get the same
        # digest: it is composed and rendered once for the whole run.
        one_pass = DispatchPass(room.clock.now(), layout or Layout.of(room))
        while True:
            batch = _queue_batch(room, render, one_pass, limit)
            report.due += batch.due
            report.queued += batch.queued
            report.empty += batch.empty
            report.already_sent += batch.already_sent
            if batch.due < limit:
                break
    # Every minute: a tick that found nothing due is routine.
    log.log(
        logging.INFO if report.due else logging.DEBUG,
        "digests: %d due, %d queued, %d with nothing new, %d already sent",
        report.due,
        report.queued,
        report.empty,
        report.already_sent,
    )
    return report


def _due(session: Session, now: datetime, limit: int) -> list[Due]:
    """Due subscribers with their subscriptions: two queries, no ORM objects."""
    subscribers = SubscriberRepository(session)
    rows = subscribers.digests_due(now, limit)
    ids = [r.id for r in rows]
    # Immediate and weekly subscriptions have their own messages.
    keys = subscribers.subscription_keys(ids, Frequency.DAILY)
    keywords = AlertRepository(session).queries_of(ids, Frequency.DAILY)
    due = []
    for r in rows:
        mine = keys.get(r.id, {})
        reader = Reader(
            chat_id=r.chat_id,
            language=r.language,
            format=r.digest_format,
            timezone=r.timezone,
            topics=frozenset(mine.get(SubscriptionKind.TOPIC, ())),
            leaders=frozenset(mine.get(SubscriptionKind.LEADER, ())),
            keywords=tuple(keywords.get(r.id, ())),
            documents=frozenset(mine.get(SubscriptionKind.DOCUMENT, ())),
        )
        due.append(
            Due(
                id=r.id,
                chat_id=r.chat_id,
                timezone=r.timezone,
                digest_time=r.digest_time,
                last_digest_at=r.last_digest_at,
                last_digest_date=r.last_digest_date,
                next_digest_at=r.next_digest_at,
                reader=reader,
            )
        )
    return due


def _keyword_matches(reader: Reader, index: KeywordIndex | None) -> frozenset[tuple[int, str]]:
    """(article id, query) for each match of the reader's daily keyword alerts."""
    if index is None or not reader.keywords:
        return frozenset()
    return frozenset((a, q) for q in reader.keywords for a in index.find(q))


def _by_article(found: frozenset[tuple[int, str]]) -> dict[int, list[str]]:
    by_article: dict[int, list[str]] = {}
    for article_id, query in sorted(found):
        by_article.setdefault(article_id, []).append(query)
    return by_article


@dataclass(slots=True)
class DispatchPass:
    """One dispatcher pass, batch after batch, as of one moment: what is news since a
    window's start (found once, not once per batch) and the digests rendered so far."""

    now: datetime
    layout: Layout
    rendered: RenderedDigests = field(default_factory=RenderedDigests)
    news: dict[datetime, tuple[list[ArticleView], dict[int, tuple[ArticleView, ...]]]] = field(
        default_factory=dict
    )

    def news_since(
        self, session: Session, since: datetime
    ) -> tuple[list[ArticleView], dict[int, tuple[ArticleView, ...]]]:
        """What is news first seen after `since`, with its stories."""
        found = self.news.get(since)
        if found is None:
            articles = news_at(new_articles(session, since, self.now), self.now, self.layout)
            found = self.news[since] = (articles, story_groups(articles))
        return found


def _queue_batch(
    room: Newsroom, render: Renderer, one_pass: DispatchPass, limit: int
) -> DispatchReport:
    report = DispatchReport()
    now, layout, rendered = one_pass.now, one_pass.layout, one_pass.rendered
    with session_scope(room.sessions) as session:
        due = _due(session, now, limit)
        report.due = len(due)
        if not due:
            return report
        since = min(window_start(s, now) for s in due)
        # What is news, found once for the whole pass rather than once per reader.
        articles, stories = one_pass.news_since(session, since)
        days = {s.id: local_day(s.next_digest_at or now, s.timezone) for s in due}
        ledger = DeliveryRepository(session)
        already = ledger.digests_on(days)
        # What readers get (or got) at once is not in their digest again.
        sent_at_once = AlertRepository(session).items_of([s.id for s in due], since)
        # Daily keyword alerts are matched here, through an index of what is news.
        index = (
            KeywordIndex((a.id, a.title, a.summary) for a in articles)
            if any(s.reader.keywords for s in due)
            else None
        )
        deliveries: list[NewDelivery] = []
        schedule: list[dict[str, object]] = []
        for subscriber in due:
            day = days[subscriber.id]
            update: dict[str, object] = {
                "sid": subscriber.id,
                "next_digest_at": next_occurrence(now, subscriber.digest_time, subscriber.timezone),
                "last_digest_date": subscriber.last_digest_date,
                "last_digest_at": subscriber.last_digest_at,
            }
            schedule.append(update)
            if subscriber.last_digest_date == day or (subscriber.id, day) in already:
                report.already_sent += 1
                continue
            update["last_digest_date"], update["last_digest_at"] = day, now
            reader = subscriber.reader
            window = window_start(subscriber, now)
            skip = frozenset(sent_at_once.get(subscriber.id, ()))
            found = _keyword_matches(reader, index)
            # Everything the digest depends on, the chat excepted.
            key = (
                reader.topics,
                reader.leaders,
                reader.documents,
                reader.language,
                reader.timezone,
                reader.format,
                window,
                day,
                skip,
                found,
            )
            kept = rendered.get(key)
            if kept is None:
                mine = [a for a in articles if a.id not in skip] if skip else articles
                digest = compose_for(reader, window, mine, now, layout, stories, _by_article(found))
                kept = RenderedDigest.of(digest, render)
                rendered.put(key, kept)
            if not kept.parts:
                report.empty += 1
                continue
            deliveries.append(digest_delivery(subscriber.id, subscriber.chat_id, kept, day))
            report.queued += 1
        ledger.queue(deliveries, now)
        ledger.move_schedules(schedule)
    return report


def _digest_now(
    session: Session, subscriber: Subscriber, now: datetime, layout: Layout
) -> Digest | None:
    since = window_start(subscriber, now)
    articles = news_at(new_articles(session, since, now), now, layout)
    return compose_for(reader_of(subscriber), since, articles, now, layout)


def digest_now(room: Newsroom, chat_id: int, layout: Layout | None = None) -> Digest | None:
    """The chat's digest of what is new since its last scheduled one, without counting as it."""
    with session_scope(room.sessions) as session:
        subscriber = SubscriberRepository(session).get(chat_id)
        if subscriber is None:
            return None
        return _digest_now(session, subscriber, room.clock.now(), layout or Layout.of(room))


@dataclass(slots=True)
class DigestsNow:
    """What `queue_digests_now` did: the ledger rows it queued, how many chats had nothing
    new, and the chats that are not subscribers."""

    queued: list[int]
    empty: int
    unknown: list[int]


def queue_digests_now(
    room: Newsroom, chat_ids: Sequence[int], render: Renderer, layout: Layout | None = None
) -> DigestsNow:
    """Queue each chat's digest of what is new since its last scheduled one, without counting
    as it (a digest of no day: the scheduled one still comes); the delivery engine sends it."""
    layout = layout or Layout.of(room)
    now = room.clock.now()
    deliveries: list[NewDelivery] = []
    result = DigestsNow(queued=[], empty=0, unknown=[])
    with session_scope(room.sessions) as session:
        for chat_id in chat_ids:
            subscriber = SubscriberRepository(session).get(chat_id)
            if subscriber is None:
                result.unknown.append(chat_id)
                continue
            digest = _digest_now(session, subscriber, now, layout)
            if digest is None:
                result.empty += 1
                continue
            rendered = RenderedDigest.of(digest, render)
            deliveries.append(digest_delivery(subscriber.id, chat_id, rendered))
        result.queued = DeliveryRepository(session).queue(deliveries, now, return_ids=True)
    return result


@dataclass(frozen=True, slots=True)
class SectionPage:
    """A page of one section of a digest (its "more" button): the reader, the page's
    articles, and how many the section holds in all."""

    reader: Reader
    articles: list[ArticleView]
    total: int
    offset: int


def section_page(
    room: Newsroom,
    chat_id: int,
    key: str,
    since: datetime,
    until: datetime,
    offset: int,
    size: int = 10,
) -> SectionPage | None:
    """The articles of section `key` of the digest that covered (since, until], from
    `offset` on: the same rule as the digest itself, so the pages continue it exactly."""
    layout = Layout.of(room)
    with session_scope(room.sessions) as session:
        subscriber = SubscriberRepository(session).get(chat_id)
        if subscriber is None:
            return None
        news = section_articles(new_articles(session, since, until), key, until - layout.max_age)
        return SectionPage(reader_of(subscriber), news[offset : offset + size], len(news), offset)
