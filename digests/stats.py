"""Statistics for admins: subscribers, topics, articles, deliveries; and chart series.

Articles are counted by when they were published (an undated one by when it was first seen),
never by when the bot fetched them: a source polled for the first time brings years of
articles at once, and they belong on their own days, not on today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from digests.dates import VN_TZ
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository
from digests.store.models import DeliveryKind, DeliveryState
from digests.store.subscribers import SubscriberRepository


@dataclass(frozen=True, slots=True)
class Stats:
    """Subscribers by state, articles per topic, deliveries: what /stats writes."""

    active: int
    paused: int
    blocked: int
    new_7d: int
    per_topic: dict[str, int]  # subscribers per topic
    articles_24h: dict[str, int]  # articles per topic published in the last 24 hours
    articles_7d: dict[str, int]  # articles per topic published in the last 7 days
    digests_24h: int  # digest messages delivered in the last 24 hours
    broadcasts_24h: int
    failed_24h: int


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """What the /stats chart draws, one value per local day of `days`."""

    days: list[date]
    articles: dict[str, list[int]]  # topic -> articles per local publication day
    subscribers: list[int]  # subscribers registered up to each day


def collect(room: Newsroom) -> Stats:
    """The figures of /stats and `mohbot stats` as of the room's clock."""
    now = room.clock.now()
    day_ago, week_ago = now - timedelta(days=1), now - timedelta(days=7)
    with session_scope(room.sessions) as session:
        subscribers = SubscriberRepository(session)
        articles = ArticleRepository(session)
        ledger = DeliveryRepository(session)
        states = subscribers.count_by_state()
        return Stats(
            active=states["active"],
            paused=states["paused"],
            blocked=states["blocked"],
            new_7d=subscribers.count_created_since(week_ago),
            per_topic=subscribers.active_per_topic(),
            articles_24h=articles.count_per_topic(day_ago),
            articles_7d=articles.count_per_topic(week_ago),
            digests_24h=ledger.sent_since(DeliveryKind.DIGEST, day_ago),
            broadcasts_24h=ledger.sent_since(DeliveryKind.BROADCAST, day_ago),
            # Failed among those queued in the last day.
            failed_24h=ledger.counts(since=day_ago)[DeliveryState.FAILED],
        )


def chart_series(room: Newsroom, days: int = 14) -> ChartSeries:
    """Articles per topic per local publication day (Asia/Ho_Chi_Minh; undated ones on the day
    they were first seen) over the last `days` days, and subscribers over time."""
    now = room.clock.now()
    today = now.astimezone(VN_TZ).date()
    span = [today - timedelta(days=days - 1 - i) for i in range(days)]
    start = datetime.combine(span[0], datetime.min.time(), VN_TZ)
    with session_scope(room.sessions) as session:
        appearances = ArticleRepository(session).topic_appearances(start)
        created = SubscriberRepository(session).creation_times()
    index = {d: i for i, d in enumerate(span)}
    articles: dict[str, list[int]] = {}
    for seen in appearances:
        i = index.get(seen.at.astimezone(VN_TZ).date())
        if i is not None:
            articles.setdefault(seen.topic, [0] * days)[i] += 1
    local_created = sorted(c.astimezone(VN_TZ).date() for c in created)
    subscribers = [sum(1 for c in local_created if c <= d) for d in span]
    return ChartSeries(days=span, articles=articles, subscribers=subscribers)
