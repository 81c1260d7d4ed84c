"""The delivery ledger's SQL: queue, claim (row locks on PostgreSQL), mark, recover, count."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import JSON, bindparam, func, insert, select, update
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from digests.messages import MessagePart
from digests.store.models import (
    Broadcast,
    BroadcastState,
    Delivery,
    DeliveryKind,
    DeliveryPriority,
    DeliveryState,
    Subscriber,
    table_of,
)
from digests.store.subscribers import SubscriberRepository


@dataclass(frozen=True, slots=True)
class EncodedParts:
    """Message parts already encoded as the ledger stores them: a digest shared by thousands
    of readers is encoded once, and kept as one string rather than as many objects."""

    json: str
    count: int

    @classmethod
    def of(cls, parts: Sequence[MessagePart]) -> EncodedParts:
        # UTF-8 as it is, not escaped: Vietnamese text is a quarter fewer bytes to write.
        return cls(json.dumps([p.to_json() for p in parts], ensure_ascii=False), len(parts))

    def __len__(self) -> int:
        return self.count


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A message for one chat, as it enters the ledger: rendered parts, or one message to copy
    (`copy_from_chat_id`, `copy_message_id`: an admin's broadcast with its photos)."""

    kind: DeliveryKind
    chat_id: int
    parts: Sequence[MessagePart] | EncodedParts = ()
    subscriber_id: int | None = None
    digest_date: date | None = None
    broadcast_id: int | None = None
    article_ids: Sequence[int] = ()
    copy_from_chat_id: int | None = None
    copy_message_id: int | None = None
    priority: DeliveryPriority = DeliveryPriority.NORMAL

    def __post_init__(self) -> None:
        copies = self.copy_message_id is not None
        if copies != (self.copy_from_chat_id is not None):
            raise ValueError("a message to copy needs both its chat and its message id")
        if copies == bool(self.parts):
            raise ValueError("a delivery has message parts or a message to copy, not both")


class _EncodedJSON(TypeDecorator[str]):
    """A JSON column's value already encoded (by `EncodedParts` or `LedgerEncoder`; JSON
    read back the same): a digest shared by thousands of readers is encoded once, not once
    per ledger row."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


_PARTS = bindparam("parts_json", type_=_EncodedJSON())
_ARTICLE_IDS = bindparam("article_ids_json", type_=_EncodedJSON())


class LedgerEncoder:
    """Deliveries' parts and article ids as the ledger stores them (JSON), each encoded once
    for the many readers that share them (a broadcast's parts are one object for all). Parts
    are known by identity: each is kept alive while remembered, so an id is never reused."""

    def __init__(self) -> None:
        self._parts: dict[int, tuple[Sequence[MessagePart], str]] = {}
        self._ids: dict[tuple[int, ...], str] = {}

    def parts(self, parts: Sequence[MessagePart] | EncodedParts) -> str:
        if isinstance(parts, EncodedParts):
            return parts.json
        found = self._parts.get(id(parts))
        if found is None:
            found = self._parts[id(parts)] = (parts, EncodedParts.of(parts).json)
        return found[1]

    def article_ids(self, ids: Sequence[int]) -> str:
        key = tuple(ids)
        encoded = self._ids.get(key)
        if encoded is None:
            encoded = self._ids[key] = json.dumps(list(key))
        return encoded


class DeliveryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def digests_on(
        self, days: dict[int, date], kind: DeliveryKind = DeliveryKind.DIGEST
    ) -> set[tuple[int, date]]:
        """Which of these (subscriber, day) digests (or weekly summaries) exist already: one
        query for a batch."""
        if not days:
            return set()
        rows = self.session.execute(
            select(Delivery.subscriber_id, Delivery.digest_date).where(
                Delivery.kind == kind,
                Delivery.subscriber_id.in_(list(days)),
                Delivery.digest_date >= min(days.values()),
            )
        )
        return {
            (sid, day)
            for sid, day in rows
            if sid is not None and day is not None and days.get(sid) == day
        }

    def queue(
        self, deliveries: Iterable[NewDelivery], now: datetime, *, return_ids: bool = False
    ) -> list[int]:
        """Queue many deliveries at once (one statement), due now. Returns their ids when
        `return_ids`, else nothing: RETURNING costs a fifth more on a digest fan-out."""
        encoder = LedgerEncoder()
        rows = []
        # Groups bound to a forum topic: every message to them goes there (one small query).
        threads = SubscriberRepository(self.session).threads()
        for new in deliveries:
            rows.append(
                {
                    "kind": new.kind,
                    "chat_id": new.chat_id,
                    "subscriber_id": new.subscriber_id,
                    "digest_date": new.digest_date,
                    "broadcast_id": new.broadcast_id,
                    "parts_json": encoder.parts(new.parts),
                    "copy_from_chat_id": new.copy_from_chat_id,
                    "copy_message_id": new.copy_message_id,
                    "article_ids_json": encoder.article_ids(new.article_ids),
                    "priority": new.priority,
                    "message_thread_id": threads.get(new.chat_id),
                    "parts_sent": 0,
                    "state": DeliveryState.QUEUED,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
        if not rows:
            return []
        table = table_of(Delivery)
        statement = insert(table).values(parts=_PARTS, article_ids=_ARTICLE_IDS)
        if not return_ids:
            self.session.connection().execute(statement, rows)
            return []
        statement = statement.returning(table.c.id)
        return list(self.session.connection().execute(statement, rows).scalars())

    def move_schedules(self, rows: list[dict[str, object]]) -> None:
        """Set many subscribers' next digest time and last digest at once (keyed by `sid`)."""
        if not rows:
            return
        table = table_of(Subscriber)
        self.session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("sid"))
            .values(
                next_digest_at=bindparam("next_digest_at"),
                last_digest_date=bindparam("last_digest_date"),
                last_digest_at=bindparam("last_digest_at"),
            ),
            rows,
        )
        self.session.expire_all()

    def claim(self, worker: str, now: datetime, limit: int) -> list[Delivery]:
        """Take up to `limit` due rows for `worker`: queued -> sending, in one transaction.

        On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED, so several processes
        claim disjoint batches; SQLite serialises writers by itself.
        """
        query = (
            select(Delivery)
            .where(Delivery.state == DeliveryState.QUEUED, Delivery.next_attempt_at <= now)
            .order_by(Delivery.priority, Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(self.session.scalars(query))
        for row in rows:
            row.state = DeliveryState.SENDING
            row.claimed_by = worker
            row.claimed_at = now
        return rows

    def recover(self, now: datetime, stale_after: timedelta, worker: str | None = None) -> int:
        """Put rows left 'sending' by a dead process (or by `worker` before a restart) back in
        the queue; the parts already sent are remembered, so only in-flight ones can repeat."""
        condition = Delivery.claimed_at <= now - stale_after
        if worker is not None:
            condition = condition | (Delivery.claimed_by == worker)
        result = self.session.execute(
            update(Delivery)
            .where(Delivery.state == DeliveryState.SENDING, condition)
            .values(
                state=DeliveryState.QUEUED, claimed_by=None, claimed_at=None, next_attempt_at=now
            )
        )
        assert isinstance(result, CursorResult)  # an UPDATE's result counts its rows
        return result.rowcount or 0

    def get(self, delivery_id: int) -> Delivery | None:
        return self.session.get(Delivery, delivery_id)

    def pending(self) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]))
            )
            or 0
        )

    def counts(
        self,
        *,
        kind: DeliveryKind | None = None,
        broadcast_id: int | None = None,
        since: datetime | None = None,
    ) -> dict[DeliveryState, int]:
        query = select(Delivery.state, func.count()).group_by(Delivery.state)
        if kind is not None:
            query = query.where(Delivery.kind == kind)
        if broadcast_id is not None:
            query = query.where(Delivery.broadcast_id == broadcast_id)
        if since is not None:
            query = query.where(Delivery.created_at >= since)
        counts = dict.fromkeys(DeliveryState, 0)
        for state, n in self.session.execute(query):
            counts[state] = n
        return counts

    def sent_since(self, kind: DeliveryKind, since: datetime) -> int:
        """How many deliveries of this kind were sent since `since`."""
        return (
            self.session.scalar(
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

    def mark_progress(self, marks: list[dict[str, object]]) -> None:
        """Record sent parts for many rows in one statement (keyed by `delivery_id`)."""
        table = table_of(Delivery)
        self.session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("delivery_id"))
            .values(
                parts_sent=bindparam("parts_sent"),
                telegram_message_id=bindparam("telegram_message_id"),
                state=bindparam("state"),
                sent_at=bindparam("sent_at"),
                attempts=bindparam("attempts"),
                last_error=None,
            ),
            marks,
        )

    def last_sent_digest_at(self, subscriber_id: int) -> datetime | None:
        """When the subscriber's last delivered digest was queued (what it covered ends there)."""
        return self.session.scalar(
            select(func.max(Delivery.created_at)).where(
                Delivery.subscriber_id == subscriber_id,
                Delivery.kind == DeliveryKind.DIGEST,
                Delivery.state == DeliveryState.SENT,
            )
        )

    def states_of(self, ids: Sequence[int]) -> dict[DeliveryState, int]:
        """How many of these deliveries are in each state."""
        counts = dict.fromkeys(DeliveryState, 0)
        for start in range(0, len(ids), 1000):
            chunk = list(ids[start : start + 1000])
            query = (
                select(Delivery.state, func.count())
                .where(Delivery.id.in_(chunk))
                .group_by(Delivery.state)
            )
            for state, n in self.session.execute(query):
                counts[state] += n
        return counts

    def in_state(self, state: DeliveryState) -> list[Delivery]:
        return list(self.session.scalars(select(Delivery).where(Delivery.state == state)))

    def by_ids(self, ids: Sequence[int]) -> list[Delivery]:
        return list(self.session.scalars(select(Delivery).where(Delivery.id.in_(list(ids)))))

    def cancel_unsent(self, broadcast_id: int) -> int:
        """Withdraw a broadcast's rows that were not sent: queued, or claimed but untouched."""
        result = self.session.execute(
            update(Delivery)
            .where(
                Delivery.broadcast_id == broadcast_id,
                (Delivery.state == DeliveryState.QUEUED)
                | ((Delivery.state == DeliveryState.SENDING) & (Delivery.parts_sent == 0)),
            )
            .values(state=DeliveryState.CANCELLED)
        )
        assert isinstance(result, CursorResult)  # an UPDATE's result counts its rows
        return result.rowcount or 0

    def cancelled_broadcasts(self) -> set[int]:
        return set(
            self.session.scalars(
                select(Broadcast.id).where(Broadcast.state == BroadcastState.CANCELLED)
            )
        )

    def failed(self, limit: int = 20) -> Iterable[Delivery]:
        return self.session.scalars(
            select(Delivery)
            .where(Delivery.state == DeliveryState.FAILED)
            .order_by(Delivery.id.desc())
            .limit(limit)
        )
