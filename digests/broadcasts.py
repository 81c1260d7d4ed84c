"""Admin broadcasts: a draft, its audience, queueing through the delivery ledger (same rate
limits as digests), progress, cancellation, and the record of who sent what to whom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from digests.errors import MohbotError
from digests.messages import MessagePart
from digests.services import Newsroom
from digests.store.broadcasts import BroadcastRepository
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository, NewDelivery
from digests.store.models import (
    Broadcast,
    BroadcastState,
    DeliveryKind,
    DeliveryState,
)
from digests.store.subscribers import SubscriberRepository


class BroadcastError(MohbotError):
    """A broadcast that cannot be made or sent as asked; `key` names the text the admin sees."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Everyone, or the subscribers of any of these topics or leaders."""

    topics: tuple[str, ...] = ()
    leaders: tuple[str, ...] = ()

    @property
    def everyone(self) -> bool:
        return not self.topics and not self.leaders

    def as_json(self) -> dict[str, list[str]]:
        return {"topics": list(self.topics), "leaders": list(self.leaders)}

    @classmethod
    def from_json(cls, data: dict[str, list[str]] | None) -> Audience:
        data = data or {}
        return cls(tuple(data.get("topics", ())), tuple(data.get("leaders", ())))


@dataclass(frozen=True, slots=True)
class Progress:
    id: int
    state: BroadcastState
    total: int
    sent: int
    failed: int
    blocked: int
    pending: int
    cancelled: int
    admin_id: int
    created_at: datetime
    audience: Audience
    text: str
    from_chat_id: int | None = None
    from_message_id: int | None = None

    @property
    def finished(self) -> bool:
        return self.pending == 0 and self.state is not BroadcastState.DRAFT


def create_draft(
    room: Newsroom,
    admin_id: int,
    *,
    text: str = "",
    from_chat_id: int | None = None,
    from_message_id: int | None = None,
) -> int:
    """Store a draft: HTML text, or a message of the admin's to copy (formatting, photos)."""
    if not text.strip() and from_message_id is None:
        raise BroadcastError("nothing to send", key="broadcast_empty")
    with session_scope(room.sessions) as session:
        broadcast = BroadcastRepository(session).add_draft(
            admin_id,
            room.clock.now(),
            text=text,
            from_chat_id=from_chat_id,
            from_message_id=from_message_id,
        )
        return broadcast.id


def set_audience(room: Newsroom, broadcast_id: int, audience: Audience) -> int:
    """Choose who receives a draft; returns how many active subscribers that is now."""
    with session_scope(room.sessions) as session:
        broadcast = _draft(session, broadcast_id)
        broadcast.audience = audience.as_json()
        return len(_recipients(session, audience))


def _draft(session: Session, broadcast_id: int) -> Broadcast:
    broadcast = BroadcastRepository(session).get(broadcast_id)
    if broadcast is None:
        raise BroadcastError(f"no broadcast #{broadcast_id}", key="broadcast_unknown")
    if broadcast.state is not BroadcastState.DRAFT:
        raise BroadcastError(
            f"broadcast #{broadcast_id} was already sent or cancelled", key="broadcast_not_draft"
        )
    return broadcast


def _recipients(session: Session, audience: Audience) -> list[tuple[int, int]]:
    subscribers = SubscriberRepository(session).audience(
        audience.topics, audience.leaders, everyone=audience.everyone
    )
    return [(s.id, s.chat_id) for s in subscribers]


def toggle_topic(room: Newsroom, broadcast_id: int, topic: str | None) -> tuple[Audience, int]:
    """Flip one topic in a draft's audience (None: everyone); returns it and its size."""
    with session_scope(room.sessions) as session:
        broadcast = _draft(session, broadcast_id)
        current = Audience.from_json(broadcast.audience)
        if topic is None:
            audience = Audience()
        elif topic in current.topics:
            audience = Audience(tuple(t for t in current.topics if t != topic), current.leaders)
        else:
            audience = Audience((*current.topics, topic), current.leaders)
        broadcast.audience = audience.as_json()
        return audience, len(_recipients(session, audience))


def set_progress_message(room: Newsroom, broadcast_id: int, chat_id: int, message_id: int) -> None:
    with session_scope(room.sessions) as session:
        broadcast = BroadcastRepository(session).get(broadcast_id)
        if broadcast is not None:
            broadcast.progress_chat_id = chat_id
            broadcast.progress_message_id = message_id


def sending(room: Newsroom) -> list[tuple[int, int | None, int | None]]:
    """Broadcasts still sending, with their progress message (to resume after a restart)."""
    with session_scope(room.sessions) as session:
        rows = BroadcastRepository(session).sending()
        return [(b.id, b.progress_chat_id, b.progress_message_id) for b in rows]


def draft(room: Newsroom, broadcast_id: int) -> Progress:
    """A draft as it stands (text, audience), for previews."""
    return progress(room, broadcast_id)


def audience_size(room: Newsroom, audience: Audience) -> int:
    with session_scope(room.sessions) as session:
        return len(_recipients(session, audience))


def start(room: Newsroom, broadcast_id: int, parts: Sequence[MessagePart]) -> int:
    """Queue the broadcast for its audience (once: a started broadcast is not a draft). A
    draft that names a message of the admin's is copied as it is; `parts` are not used."""
    now = room.clock.now()
    with session_scope(room.sessions) as session:
        broadcast = _draft(session, broadcast_id)
        audience = Audience.from_json(broadcast.audience)
        copies = broadcast.from_message_id is not None and broadcast.from_chat_id is not None
        deliveries = [
            NewDelivery(
                kind=DeliveryKind.BROADCAST,
                chat_id=chat_id,
                subscriber_id=subscriber_id,
                broadcast_id=broadcast.id,
                parts=() if copies else parts,
                copy_from_chat_id=broadcast.from_chat_id if copies else None,
                copy_message_id=broadcast.from_message_id if copies else None,
            )
            for subscriber_id, chat_id in _recipients(session, audience)
        ]
        DeliveryRepository(session).queue(deliveries, now)
        broadcast.total = len(deliveries)
        broadcast.state = BroadcastState.SENDING
        broadcast.started_at = now
        return len(deliveries)


def cancel(room: Newsroom, broadcast_id: int) -> int:
    """Stop a broadcast: what is still queued is not sent. Returns how many were stopped."""
    with session_scope(room.sessions) as session:
        broadcast = BroadcastRepository(session).get(broadcast_id)
        if broadcast is None:
            raise BroadcastError(f"no broadcast #{broadcast_id}", key="broadcast_unknown")
        stopped = DeliveryRepository(session).cancel_unsent(broadcast_id)
        if broadcast.state in (BroadcastState.DRAFT, BroadcastState.SENDING):
            broadcast.state = BroadcastState.CANCELLED
            broadcast.finished_at = room.clock.now()
        return stopped


def progress(room: Newsroom, broadcast_id: int) -> Progress:
    """Counts so far; a broadcast with nothing left to send is marked done."""
    with session_scope(room.sessions) as session:
        broadcast = BroadcastRepository(session).get(broadcast_id)
        if broadcast is None:
            raise BroadcastError(f"no broadcast #{broadcast_id}", key="broadcast_unknown")
        counts = DeliveryRepository(session).counts(broadcast_id=broadcast_id)
        pending = counts[DeliveryState.QUEUED] + counts[DeliveryState.SENDING]
        if broadcast.state is BroadcastState.SENDING and pending == 0:
            broadcast.state = BroadcastState.DONE
            broadcast.finished_at = room.clock.now()
        return Progress(
            id=broadcast.id,
            state=broadcast.state,
            total=broadcast.total,
            sent=counts[DeliveryState.SENT],
            failed=counts[DeliveryState.FAILED],
            blocked=counts[DeliveryState.BLOCKED],
            pending=pending,
            cancelled=counts[DeliveryState.CANCELLED],
            admin_id=broadcast.admin_id,
            created_at=broadcast.created_at,
            audience=Audience.from_json(broadcast.audience),
            text=broadcast.text,
            from_chat_id=broadcast.from_chat_id,
            from_message_id=broadcast.from_message_id,
        )


def recent(room: Newsroom, limit: int = 10) -> list[Progress]:
    with session_scope(room.sessions) as session:
        ids = BroadcastRepository(session).recent_ids(limit)
    return [progress(room, i) for i in ids]
