"""Broadcast repository: admins' drafts and the broadcasts they started. All broadcast SQL
(their deliveries are the ledger's: digests/store/deliveries.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digests.store.models import Broadcast, BroadcastState


@dataclass(frozen=True, slots=True)
class SendingBroadcast:
    """A broadcast still sending, and the admin's message that shows its progress (if any)."""

    id: int
    progress_chat_id: int | None
    progress_message_id: int | None


class BroadcastRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_draft(
        self,
        admin_id: int,
        now: datetime,
        *,
        text: str,
        from_chat_id: int | None,
        from_message_id: int | None,
    ) -> Broadcast:
        """A new draft for everyone, stored (its id set)."""
        broadcast = Broadcast(
            admin_id=admin_id,
            created_at=now,
            text=text,
            from_chat_id=from_chat_id,
            from_message_id=from_message_id,
            audience={},
            state=BroadcastState.DRAFT,
            total=0,
        )
        self.session.add(broadcast)
        self.session.flush()
        return broadcast

    def get(self, broadcast_id: int) -> Broadcast | None:
        return self.session.get(Broadcast, broadcast_id)

    def sending(self) -> list[SendingBroadcast]:
        rows = self.session.execute(
            select(Broadcast.id, Broadcast.progress_chat_id, Broadcast.progress_message_id).where(
                Broadcast.state == BroadcastState.SENDING
            )
        )
        return [SendingBroadcast(i, c, m) for i, c, m in rows]

    def recent_ids(self, limit: int) -> list[int]:
        """The ids of the last `limit` broadcasts, newest first."""
        return list(
            self.session.scalars(select(Broadcast.id).order_by(Broadcast.id.desc()).limit(limit))
        )
