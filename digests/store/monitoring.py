"""What health checks and metrics read from the database: short queries on indexed columns or
small tables, each statement cut off after a deadline on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from digests.store.models import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    Source,
    SourceKind,
    Subscriber,
)

# The ledger's unfinished states: its queue. Finished rows are never counted (the table only
# grows); what was sent is counted where it is sent.
QUEUE_STATES = (DeliveryState.QUEUED, DeliveryState.SENDING)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    name: str
    last_success_at: datetime | None
    consecutive_failures: int


class MonitoringRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def limit_statements(self, seconds: float) -> None:
        """No statement of this transaction may run longer than `seconds` (PostgreSQL; SQLite
        readers wait for nobody)."""
        if self.session.get_bind().dialect.name == "postgresql":
            # SET takes no bind parameters; the value is a number formatted here.
            self.session.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))

    def ping(self) -> None:
        self.session.execute(select(1))

    def queue_depth(self) -> dict[tuple[DeliveryKind, DeliveryState], int]:
        """Rows queued or being sent, by kind and state (every pair, zeros included)."""
        depth = {(kind, state): 0 for kind in DeliveryKind for state in QUEUE_STATES}
        rows = self.session.execute(
            select(Delivery.kind, Delivery.state, func.count())
            .where(Delivery.state.in_(QUEUE_STATES))
            .group_by(Delivery.kind, Delivery.state)
        )
        for kind, state, count in rows:
            depth[(kind, state)] = count
        return depth

    def sources(self) -> list[SourceHealth]:
        """The polled sources (enabled, not the seed documents), by name."""
        rows = self.session.execute(
            select(Source.name, Source.last_success_at, Source.consecutive_failures)
            .where(Source.enabled, Source.kind != SourceKind.SEED)
            .order_by(Source.name)
        )
        return [SourceHealth(name, success, failures or 0) for name, success, failures in rows]

    def oldest_due_digest(self, now: datetime) -> datetime | None:
        """The earliest digest time that has passed without the digest being queued (the
        dispatcher moves `next_digest_at` on when it queues one)."""
        return self.session.scalar(
            select(func.min(Subscriber.next_digest_at)).where(
                Subscriber.active,
                Subscriber.paused.is_(False),
                Subscriber.next_digest_at <= now,
            )
        )
