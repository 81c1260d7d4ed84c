"""Source repository: the polled sources, their conditional-GET state and their health."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digests.records import SourceConfig
from digests.store.models import Source, SourceKind

# A failing source is polled less often: interval × 2^failures, capped.
MAX_BACKOFF = timedelta(hours=6)
# Admins are told once when a source has failed this many times in a row, once when it recovers.
ALERT_AFTER = 3


class SourceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def sync(self, configs: Iterable[SourceConfig]) -> list[Source]:
        """Make the stored sources match the sources file (by name); health is kept."""
        configs = list(configs)
        stored = {s.name: s for s in self.session.scalars(select(Source))}
        result: list[Source] = []
        for config in configs:
            source = stored.get(config.name)
            if source is None:
                source = Source(name=config.name, consecutive_failures=0, alerted=False)
                self.session.add(source)
            if source.url != config.url:
                source.etag = source.last_modified = None
            source.kind = config.kind
            source.url = config.url
            source.section = config.section
            source.poll_interval = config.poll_interval
            source.enabled = config.enabled
            result.append(source)
        listed = {c.name for c in configs}
        for name, source in stored.items():
            if name not in listed and source.kind is not SourceKind.SEED:
                source.enabled = False
        self.session.flush()
        return result

    def seed_source(self, directory: str) -> Source:
        """The pseudo-source that seed documents are stored under."""
        source = self.session.scalar(select(Source).where(Source.name == "seeds"))
        if source is None:
            source = Source(
                name="seeds",
                kind=SourceKind.SEED,
                url=f"file://{directory}",
                poll_interval=86400,
                enabled=False,
                consecutive_failures=0,
                alerted=False,
            )
            self.session.add(source)
            self.session.flush()
        return source

    def by_id(self, source_id: int) -> Source | None:
        return self.session.get(Source, source_id)

    def get(self, name: str) -> Source | None:
        return self.session.scalar(select(Source).where(Source.name == name))

    def all(self) -> list[Source]:
        return list(self.session.scalars(select(Source).order_by(Source.name)))

    def due(self, now: datetime) -> list[Source]:
        return list(
            self.session.scalars(
                select(Source)
                .where(Source.enabled, Source.kind != SourceKind.SEED)
                .where(or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now))
                .order_by(Source.name)
            )
        )

    @staticmethod
    def record_success(
        source: Source, now: datetime, etag: str | None, last_modified: str | None
    ) -> bool:
        """Mark a successful poll; returns True when the source was failing before (recovery)."""
        recovered = source.alerted
        source.last_polled_at = source.last_success_at = now
        source.consecutive_failures = 0
        source.alerted = False
        source.etag = etag or source.etag
        source.last_modified = last_modified or source.last_modified
        source.next_poll_at = now + timedelta(seconds=source.poll_interval)
        return recovered

    @staticmethod
    def record_failure(source: Source, now: datetime, error: str) -> bool:
        """Mark a failed poll with its reason; True when admins must now be alerted (once)."""
        source.last_polled_at = source.last_error_at = now
        source.last_error = error[:2000]
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
        backoff = timedelta(seconds=source.poll_interval * 2 ** min(source.consecutive_failures, 8))
        source.next_poll_at = now + min(
            backoff, max(MAX_BACKOFF, timedelta(seconds=source.poll_interval))
        )
        if source.consecutive_failures >= ALERT_AFTER and not source.alerted:
            source.alerted = True
            return True
        return False
