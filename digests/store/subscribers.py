"""Subscriber repository: chats, their settings and subscriptions. All subscriber SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from digests.store.models import (
    AlertItem,
    ChatKind,
    Delivery,
    DeliveryState,
    Frequency,
    Subscriber,
    Subscription,
    SubscriptionKind,
)

# Ids per IN (...) list: well under SQLite's and PostgreSQL's limits on bound parameters.
IN_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class DigestDue:
    """A subscriber whose daily digest is due: the columns the dispatcher reads, no ORM
    object (a batch holds thousands)."""

    id: int
    chat_id: int
    language: str
    digest_format: str
    timezone: str
    digest_time: time
    last_digest_at: datetime | None
    last_digest_date: date | None
    next_digest_at: datetime | None


# Subscriber id -> kind -> the keys subscribed (topics, leaders, kinds of documents).
SubscriptionKeys = dict[int, dict[SubscriptionKind, set[str]]]


class SubscriberRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, chat_id: int) -> Subscriber | None:
        return self.session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))

    def create(
        self,
        chat_id: int,
        *,
        kind: ChatKind,
        language: str,
        timezone: str,
        digest_time: object,
        title: str | None,
        now: datetime,
    ) -> Subscriber:
        subscriber = Subscriber(
            chat_id=chat_id,
            kind=kind,
            language=language,
            timezone=timezone,
            digest_time=digest_time,
            title=title,
            created_at=now,
            paused=False,
            active=True,
        )
        self.session.add(subscriber)
        self.session.flush()
        return subscriber

    def add_subscription(
        self,
        subscriber: Subscriber,
        kind: SubscriptionKind,
        key: str,
        frequency: Frequency = Frequency.DAILY,
    ) -> bool:
        if any(s.kind is kind and s.key == key for s in subscriber.subscriptions):
            return False
        subscriber.subscriptions.append(Subscription(kind=kind, key=key, frequency=frequency))
        return True

    def set_frequency(
        self, subscriber: Subscriber, kind: SubscriptionKind, key: str, frequency: Frequency
    ) -> bool:
        """Change one subscription's frequency; False when it is not a subscription."""
        for sub in subscriber.subscriptions:
            if sub.kind is kind and sub.key == key:
                sub.frequency = frequency
                return True
        return False

    def remove_subscription(self, subscriber: Subscriber, kind: SubscriptionKind, key: str) -> bool:
        for sub in list(subscriber.subscriptions):
            if sub.kind is kind and sub.key == key:
                subscriber.subscriptions.remove(sub)
                return True
        return False

    def delete(self, subscriber: Subscriber) -> None:
        """Remove the chat and everything stored about it."""
        self.session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber.id))
        # Its items to send at once have no foreign key to cascade from (see AlertItem).
        self.session.execute(delete(AlertItem).where(AlertItem.subscriber_id == subscriber.id))
        self.session.delete(subscriber)

    def deactivate(self, chat_id: int, reason: str) -> bool:
        subscriber = self.get(chat_id)
        if subscriber is None or not subscriber.active:
            return False
        subscriber.active = False
        subscriber.inactive_reason = reason[:255]
        return True

    def move(self, old_chat_id: int, new_chat_id: int) -> bool:
        """Give the chat its new id, with what is queued for it. A row already made for the
        new id (someone typed /start there first) gives way to the old chat's settings."""
        subscriber = self.get(old_chat_id)
        if subscriber is None:
            return False
        newer = self.get(new_chat_id)
        if newer is not None:
            self.delete(newer)
            self.session.flush()
        subscriber.chat_id = new_chat_id
        subscriber.kind = ChatKind.GROUP
        self.session.execute(
            update(Delivery)
            .where(
                Delivery.subscriber_id == subscriber.id,
                Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]),
            )
            .values(chat_id=new_chat_id)
        )
        return True

    def drop_thread(self, chat_id: int) -> None:
        """The chat's forum topic is gone: its messages (queued ones too) go to General."""
        subscriber = self.get(chat_id)
        if subscriber is not None:
            subscriber.message_thread_id = None
        self.session.execute(
            update(Delivery)
            .where(
                Delivery.chat_id == chat_id,
                Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]),
            )
            .values(message_thread_id=None)
        )

    def threads(self) -> dict[int, int]:
        """Chats bound to a forum topic -> the topic (few: forum groups only)."""
        rows = self.session.execute(
            select(Subscriber.chat_id, Subscriber.message_thread_id).where(
                Subscriber.message_thread_id.is_not(None)
            )
        ).all()
        return {chat_id: thread for chat_id, thread in rows if thread is not None}

    def reachable_private(self, user_ids: list[int]) -> list[tuple[int, str]]:
        """Active private chats among these ids, with their language."""
        if not user_ids:
            return []
        rows = self.session.execute(
            select(Subscriber.chat_id, Subscriber.language)
            .where(
                Subscriber.chat_id.in_(user_ids),
                Subscriber.kind == ChatKind.PRIVATE,
                Subscriber.active,
            )
            .order_by(Subscriber.chat_id)
        ).all()
        return [(chat_id, language) for chat_id, language in rows]

    def audience(
        self, topics: Iterable[str] = (), leaders: Iterable[str] = (), everyone: bool = False
    ) -> list[Subscriber]:
        """Active subscribers of any of the topics or leaders (or all active ones)."""
        query = select(Subscriber).where(Subscriber.active)
        if not everyone:
            topics, leaders = list(topics), list(leaders)
            wanted = select(Subscription.subscriber_id).where(
                (
                    (Subscription.kind == SubscriptionKind.TOPIC)
                    & Subscription.key.in_(topics or [""])
                )
                | (
                    (Subscription.kind == SubscriptionKind.LEADER)
                    & Subscription.key.in_(leaders or [""])
                )
            )
            query = query.where(Subscriber.id.in_(wanted))
        return list(self.session.scalars(query.order_by(Subscriber.id)))

    def digests_due(self, now: datetime, limit: int) -> list[DigestDue]:
        """Active, unpaused subscribers whose next digest is due at `now`, the longest
        waiting first."""
        rows = self.session.execute(
            select(
                Subscriber.id,
                Subscriber.chat_id,
                Subscriber.language,
                Subscriber.digest_format,
                Subscriber.timezone,
                Subscriber.digest_time,
                Subscriber.last_digest_at,
                Subscriber.last_digest_date,
                Subscriber.next_digest_at,
            )
            .where(
                Subscriber.active, Subscriber.paused.is_(False), Subscriber.next_digest_at <= now
            )
            .order_by(Subscriber.next_digest_at, Subscriber.id)
            .limit(limit)
        ).all()
        return [DigestDue(**row._mapping) for row in rows]

    def weeklies_due(self, now: datetime, limit: int) -> list[Subscriber]:
        """Active, unpaused subscribers whose weekly summary is due at `now`, or who have
        never been scheduled one, by id."""
        return list(
            self.session.scalars(
                select(Subscriber)
                .where(
                    Subscriber.active,
                    Subscriber.paused.is_(False),
                    (Subscriber.next_weekly_at <= now) | Subscriber.next_weekly_at.is_(None),
                )
                .order_by(Subscriber.id)
                .limit(limit)
            )
        )

    def subscription_keys(self, ids: Sequence[int], frequency: Frequency) -> SubscriptionKeys:
        """What these subscribers subscribed to at this frequency, by subscriber and kind;
        a subscriber with nothing at it is absent."""
        keys: SubscriptionKeys = {}
        for start in range(0, len(ids), IN_CHUNK):
            for sid, kind, key in self.session.execute(
                select(Subscription.subscriber_id, Subscription.kind, Subscription.key).where(
                    Subscription.subscriber_id.in_(ids[start : start + IN_CHUNK]),
                    Subscription.frequency == frequency,
                )
            ):
                keys.setdefault(sid, {}).setdefault(kind, set()).add(key)
        return keys

    def count_created_since(self, since: datetime) -> int:
        return (
            self.session.scalar(
                select(func.count()).select_from(Subscriber).where(Subscriber.created_at >= since)
            )
            or 0
        )

    def creation_times(self) -> list[datetime]:
        """When each subscriber registered, in no order."""
        return list(self.session.scalars(select(Subscriber.created_at)))

    def active_per_topic(self) -> dict[str, int]:
        """Topic slug -> how many active subscribers follow it (at any frequency)."""
        rows = self.session.execute(
            select(Subscription.key, func.count())
            .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
            .where(Subscription.kind == SubscriptionKind.TOPIC, Subscriber.active)
            .group_by(Subscription.key)
        )
        return {key: n for key, n in rows}

    def count_by_state(self) -> dict[str, int]:
        rows = self.session.execute(
            select(Subscriber.active, Subscriber.paused, func.count()).group_by(
                Subscriber.active, Subscriber.paused
            )
        ).all()
        counts = {"active": 0, "paused": 0, "blocked": 0}
        for active, paused, n in rows:
            key = "blocked" if not active else ("paused" if paused else "active")
            counts[key] += n
        return counts
