"""Statistics for admins: subscribers, topics, articles, deliveries; and chart series.

Articles are counted by when they were published (an undated one by when it was first seen),
never by when the bot fetched them: a source polled for the first time brings years of
articles at once, and they belong on their own days, not on today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digests.dates import VN_TZ
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import (
    Article,
    ArticleTopic,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Subscriber,
    Subscription,
    SubscriptionKind,
)
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


# When an article appeared: its publication time, or for an undated one the first sighting.
# coalesce() takes its type from its first argument, so values come back as aware UTC.
_published = func.coalesce(Article.published_at, Article.first_seen_at)


def _articles_per_topic(session: Session, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(ArticleTopic.topic, func.count())
        .join(Article, Article.id == ArticleTopic.article_id)
        .where(_published >= since)
        .group_by(ArticleTopic.topic)
    )
    return {topic: n for topic, n in rows}


def _delivered(session: Session, kind: DeliveryKind, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.kind == kind,
                Delivery.state == DeliveryState.SENT,
                Delivery.sent_at >= since,
            )
        )
        or 0
    )


def collect(room: Newsroom) -> Stats:
    """The figures of /stats and `mohbot stats` as of the room's clock."""
    now = room.clock.now()
    day_ago, week_ago = now - timedelta(days=1), now - timedelta(days=7)
    with session_scope(room.sessions) as session:
        states = SubscriberRepository(session).count_by_state()
        new_7d = session.scalar(
            select(func.count()).select_from(Subscriber).where(Subscriber.created_at >= week_ago)
        )
        per_topic = dict(
            session.execute(
                select(Subscription.key, func.count())
                .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
                .where(Subscription.kind == SubscriptionKind.TOPIC, Subscriber.active)
                .group_by(Subscription.key)
            ).all()
        )
        failed = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.state == DeliveryState.FAILED, Delivery.created_at >= day_ago)
        )
        return Stats(
            active=states["active"],
            paused=states["paused"],
            blocked=states["blocked"],
            new_7d=new_7d or 0,
            per_topic=per_topic,
            articles_24h=_articles_per_topic(session, day_ago),
            articles_7d=_articles_per_topic(session, week_ago),
            digests_24h=_delivered(session, DeliveryKind.DIGEST, day_ago),
            broadcasts_24h=_delivered(session, DeliveryKind.BROADCAST, day_ago),
            failed_24h=failed or 0,
        )


def chart_series(room: Newsroom, days: int = 14) -> ChartSeries:
    """Articles per topic per local publication day (Asia/Ho_Chi_Minh; undated ones on the day
    they were first seen) over the last `days` days, and subscribers over time."""
    now = room.clock.now()
    today = now.astimezone(VN_TZ).date()
    span = [today - timedelta(days=days - 1 - i) for i in range(days)]
    start = datetime.combine(span[0], datetime.min.time(), VN_TZ)
    with session_scope(room.sessions) as session:
        rows = session.execute(
            select(ArticleTopic.topic, _published)
            .join(Article, Article.id == ArticleTopic.article_id)
            .where(_published >= start)
        ).all()
        created = list(session.scalars(select(Subscriber.created_at)))
    index = {d: i for i, d in enumerate(span)}
    articles: dict[str, list[int]] = {}
    for topic, published in rows:
        i = index.get(published.astimezone(VN_TZ).date())
        if i is not None:
            articles.setdefault(topic, [0] * days)[i] += 1
    local_created = sorted(c.astimezone(VN_TZ).date() for c in created)
    subscribers = [sum(1 for c in local_created if c <= d) for d in span]
    return ChartSeries(days=span, articles=articles, subscribers=subscribers)
