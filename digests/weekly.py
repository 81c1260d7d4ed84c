"""The weekly summary, "Tuần qua ở Bộ Y tế": on each reader's day and time (Saturday 08:00
local by default), for the topics, leaders and keyword alerts they chose weekly: how many
items each topic had this week, each leader's activities as a dated list, the week's top
items per topic (reported by the most outlets first, then the newest), what the keyword
alerts found, and a chart of the counts.

As the daily dispatcher: the database holds the schedule (`next_weekly_at`), one process
queues (an advisory lock), the summary enters the ledger in the transaction that moves the
reader's schedule on, and the key (reader, kind, day) makes a second one for the same day
impossible.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from digests.compose import newest_first, news_time
from digests.dispatch import Layout, new_articles
from digests.keywords import KeywordIndex
from digests.locks import exclusive
from digests.messages import MessagePart
from digests.reading import ArticleView
from digests.schedule import local_day, next_weekly
from digests.services import Newsroom
from digests.store.alerts import AlertRepository
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository, NewDelivery
from digests.store.models import DeliveryKind, Frequency, SubscriptionKind
from digests.store.subscribers import SubscriberRepository
from digests.stories import story_groups

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
TOP_PER_TOPIC = 3
LEADER_ITEMS = 10
KEYWORD_ITEMS = 5
BATCH = 1000


@dataclass(frozen=True, slots=True)
class WeeklySummary:
    """One reader's week. `counts` are the figures of the chart and the caption."""

    chat_id: int
    language: str
    timezone: str
    day: date  # the local day it is sent
    since: datetime
    until: datetime
    counts: tuple[tuple[str, int], ...]  # (topic slug, items this week), catalog order
    leaders: tuple[tuple[str, tuple[ArticleView, ...]], ...]  # oldest first
    top: tuple[tuple[str, tuple[ArticleView, ...]], ...]  # per topic, best first
    keywords: tuple[tuple[str, tuple[ArticleView, ...]], ...]  # per query, newest first


WeeklyRenderer = Callable[[WeeklySummary], list[MessagePart]]


def week_articles(session: Session, since: datetime, until: datetime) -> list[ArticleView]:
    """Articles that were news in (since, until]: first seen then, and published then too
    (an old item found by a first poll is not this week's news). Newest first."""
    return [a for a in new_articles(session, since, until) if news_time(a) > since]


def compose_weekly(
    *,
    chat_id: int,
    language: str,
    timezone: str,
    topics: Sequence[str],
    leaders: Sequence[str],
    keywords: Sequence[str],
    articles: Sequence[ArticleView],
    since: datetime,
    until: datetime,
    index: KeywordIndex | None = None,
) -> WeeklySummary:
    """Pure: the summary of `articles` (the week's, newest first) for these choices (topics
    and leaders in the catalog's order)."""
    stories = story_groups(articles)
    folded = {other.id for others in stories.values() for other in others}

    def rank(article: ArticleView) -> tuple[int, tuple[bool, float, int]]:
        return (-len(stories.get(article.id, ())), newest_first(article))

    counts = tuple((t, sum(1 for a in articles if t in a.topics)) for t in topics)
    top = []
    for topic in topics:
        mine = sorted((a for a in articles if topic in a.topics and a.id not in folded), key=rank)
        if mine:
            top.append((topic, tuple(mine[:TOP_PER_TOPIC])))
    activities = []
    for leader in leaders:
        mine = [a for a in articles if leader in a.leaders and a.id not in folded]
        if mine:
            activities.append((leader, tuple(reversed(mine[:LEADER_ITEMS]))))
    found = []
    if index is not None:
        by_id = {a.id: a for a in articles}
        for query in keywords:
            hits = sorted((by_id[i] for i in index.find(query)), key=newest_first)
            if hits:
                found.append((query, tuple(hits[:KEYWORD_ITEMS])))
    return WeeklySummary(
        chat_id=chat_id,
        language=language,
        timezone=timezone,
        day=local_day(until, timezone),
        since=since,
        until=until,
        counts=counts,
        leaders=tuple(activities),
        top=tuple(top),
        keywords=tuple(found),
    )


def queue_due_weeklies(room: Newsroom, render: WeeklyRenderer) -> int:
    """Queue the weekly summary of every reader whose day and time have come (readers with
    nothing weekly only move on to next week); returns the summaries queued."""
    queued = 0
    with exclusive(room.engine, "dispatch-weekly") as mine:
        if not mine:
            return 0
        while True:
            done, count = _batch(room, render)
            queued += count
            if done < BATCH:
                break
    if queued:
        log.info("weekly summaries: %d queued", queued)
    return queued


def _batch(room: Newsroom, render: WeeklyRenderer) -> tuple[int, int]:
    now = room.clock.now()
    layout = Layout.of(room)
    with session_scope(room.sessions) as session:
        subscribers = SubscriberRepository(session)
        due = subscribers.weeklies_due(now, BATCH)
        if not due:
            return 0, 0
        ids = [s.id for s in due]
        weekly = subscribers.subscription_keys(ids, Frequency.WEEKLY)
        keywords = AlertRepository(session).queries_of(ids, Frequency.WEEKLY)
        # The week's articles only when someone of this batch gets a summary: every reader
        # comes due once a week (and once when first scheduled), most with nothing weekly.
        wanted = any(
            s.next_weekly_at is not None and (weekly.get(s.id) or keywords.get(s.id)) for s in due
        )
        articles = week_articles(session, now - WEEK, now) if wanted else []
        index = KeywordIndex((a.id, a.title, a.summary) for a in articles) if keywords else None
        days = {s.id: local_day(s.next_weekly_at, s.timezone) for s in due if s.next_weekly_at}
        ledger = DeliveryRepository(session)
        already = ledger.digests_on(days, DeliveryKind.WEEKLY)
        deliveries = []
        for subscriber in due:
            first = subscriber.next_weekly_at is None  # scheduled for the first time
            subscriber.next_weekly_at = next_weekly(
                now, subscriber.weekly_day, subscriber.weekly_time, subscriber.timezone
            )
            day = days.get(subscriber.id)
            subs = weekly.get(subscriber.id, {})
            if first or day is None or (subscriber.id, day) in already:
                continue
            if not subs and not keywords.get(subscriber.id):
                continue
            topic_set = subs.get(SubscriptionKind.TOPIC, set())
            leader_set = subs.get(SubscriptionKind.LEADER, set())
            summary = compose_weekly(
                chat_id=subscriber.chat_id,
                language=subscriber.language,
                timezone=subscriber.timezone,
                topics=[t for t in layout.topic_order if t in topic_set]
                + sorted(topic_set - set(layout.topic_order)),
                leaders=[x for x in layout.leader_order if x in leader_set]
                + sorted(leader_set - set(layout.leader_order)),
                keywords=keywords.get(subscriber.id, []),
                articles=articles,
                since=now - WEEK,
                until=now,
                index=index,
            )
            deliveries.append(
                NewDelivery(
                    kind=DeliveryKind.WEEKLY,
                    chat_id=subscriber.chat_id,
                    subscriber_id=subscriber.id,
                    digest_date=day,
                    parts=render(summary),
                    article_ids=[a.id for _t, items in summary.top for a in items],
                )
            )
        ledger.queue(deliveries, now)
        return len(due), len(deliveries)
