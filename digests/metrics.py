"""Prometheus metrics. What happens in this process (messages sent, Telegram's 429s, chats found
blocked, the last poll cycle) is counted where it happens, in `Metrics`; what the database holds
(the queue, subscribers, sources, digest lag) is read at each scrape by `DatabaseCollector`, so
that those figures are the same whichever of several processes is scraped."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from digests.clock import Clock
from digests.errors import one_line
from digests.store.db import session_scope
from digests.store.models import DeliveryKind
from digests.store.monitoring import MonitoringRepository
from digests.store.subscribers import SubscriberRepository

log = logging.getLogger(__name__)

# Seconds a scrape's queries may take on PostgreSQL before they are given up.
QUERY_DEADLINE = 2.0


class Metrics:
    """This process's counters, in a registry of their own (one per `Newsroom`, so that two
    rooms in one process, as in the tests, never add to each other's)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sent = Counter(
            "mohbot_messages_sent",
            "Messages Telegram accepted from this process (each part of a digest counts)",
            ["kind"],
            registry=self.registry,
        )
        for kind in DeliveryKind:  # every series from the start, at 0
            self.sent.labels(kind.value)
        self.flood_waits = Counter(
            "mohbot_telegram_429",
            "Answers 429 Too Many Requests from Telegram to this process's sends",
            registry=self.registry,
        )
        self.flood_wait_seconds = Counter(
            "mohbot_retry_after_seconds",
            "Seconds Telegram's 429s told this process to wait (it waits that long)",
            registry=self.registry,
        )
        self.blocked = Counter(
            "mohbot_chats_blocked",
            "Chats this process found gone (bot blocked, user deactivated, bot kicked)",
            registry=self.registry,
        )
        self.last_cycle = Gauge(
            "mohbot_last_poll_cycle_timestamp_seconds",
            "When this process last began a poll cycle (its periodic work), Unix time",
            registry=self.registry,
        )
        self._cycle_at: float | None = None  # monotonic

    def message_sent(self, kind: str) -> None:
        self.sent.labels(kind).inc()

    def flood_wait(self, seconds: float) -> None:
        self.flood_waits.inc()
        self.flood_wait_seconds.inc(seconds)

    def chat_blocked(self) -> None:
        self.blocked.inc()

    def poll_cycle(self) -> None:
        """A poll cycle begins: the process's periodic work is alive."""
        self._cycle_at = time.monotonic()
        self.last_cycle.set_to_current_time()

    def since_poll_cycle(self) -> float | None:
        """Seconds since the last poll cycle began; None before the first."""
        return None if self._cycle_at is None else time.monotonic() - self._cycle_at


class DatabaseCollector(Collector):
    """The database's figures, read at each scrape in one short transaction (`lock`: one at a
    time). When the database does not answer, only `mohbot_database_up 0` is reported."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, lock: threading.Lock | None = None
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.lock = lock or threading.Lock()

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("mohbot_database_up", "Whether the database answered this scrape")
        if not self.lock.acquire(timeout=QUERY_DEADLINE):
            up.add_metric([], 0)  # a check or scrape before this one is still waiting for it
            yield up
            return
        try:
            figures = list(self._figures())
        except SQLAlchemyError as exc:
            log.debug("metrics: the database did not answer: %s", one_line(exc))
            up.add_metric([], 0)
            yield up
            return
        finally:
            self.lock.release()
        up.add_metric([], 1)
        yield up
        yield from figures

    def _figures(self) -> Iterator[Metric]:
        now = self.clock.now()
        with session_scope(self.sessions) as session:
            repo = MonitoringRepository(session)
            repo.limit_statements(QUERY_DEADLINE)
            depth = repo.queue_depth()
            subscribers = SubscriberRepository(session).count_by_state()
            sources = repo.sources()
            oldest_due = repo.oldest_due_digest(now)

        queue = GaugeMetricFamily(
            "mohbot_delivery_queue",
            "Ledger rows waiting (queued) or being sent (sending), by kind",
            labels=["kind", "state"],
        )
        for (kind, state), count in sorted(depth.items()):
            queue.add_metric([kind.value, state.value], count)
        yield queue

        chats = GaugeMetricFamily(
            "mohbot_subscribers",
            "Subscribers by state; blocked: the chat blocked the bot or is gone",
            labels=["state"],
        )
        for chat_state, count in sorted(subscribers.items()):
            chats.add_metric([chat_state], count)
        yield chats

        success = GaugeMetricFamily(
            "mohbot_source_last_success_timestamp_seconds",
            "When each source was last polled successfully, Unix time (absent: never)",
            labels=["source"],
        )
        failures = GaugeMetricFamily(
            "mohbot_source_consecutive_failures",
            "Failed polls of each source since its last success",
            labels=["source"],
        )
        for source in sources:
            if source.last_success_at is not None:
                success.add_metric([source.name], source.last_success_at.timestamp())
            failures.add_metric([source.name], source.consecutive_failures)
        yield success
        yield failures

        lag = 0.0 if oldest_due is None else max(0.0, (now - oldest_due).total_seconds())
        yield GaugeMetricFamily(
            "mohbot_digest_lag_seconds",
            "How far digest queueing is behind schedule: now minus the oldest digest time "
            "passed without its digest queued (0 when none)",
            value=lag,
        )
