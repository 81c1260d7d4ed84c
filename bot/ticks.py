"""The periodic work, once: poll the sources, queue the digests that are due, send what the
ledger holds. `mohbot run` calls these ticks from PTB's JobQueue (bot/jobs.py) and `mohbot
worker` from its own loop (bot/worker.py), so both alert the admins, back off and take over
stale claims alike, whichever process holds the polling lock.

A tick that fails as a whole (the database away, a broken sources file) is tried again less
and less often and said once per kind of failure (digests/backoff.py); other errors go to
the caller's scheduler, which logs them and ticks again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.context import BotServices, call
from digests import delivery, subscriptions
from digests.alerts import AlertRenderer, find_alerts, queue_due_alerts
from digests.backoff import Backoff
from digests.delivery import DeliveryOutcome
from digests.dispatch import Renderer, queue_due_digests
from digests.errors import one_line
from digests.ingest.service import SourceReport, ingest
from digests.ingest.sources_file import SourcesFileError
from digests.messages import MessagePart
from digests.store.deliveries import NewDelivery
from digests.store.models import DeliveryKind, DeliveryPriority
from digests.weekly import WeeklyRenderer, queue_due_weeklies

log = logging.getLogger(__name__)
T = TypeVar("T")
# What makes a whole tick fail: worth backing off from, not worth a traceback each time.
TICK_FAILURES = (SourcesFileError, SQLAlchemyError, OSError)
BACKOFF_CAP = 3600.0
# Sending waits at most this long after the database comes back.
DELIVER_BACKOFF_CAP = 60.0


def _backoff(every: float, cap: float = BACKOFF_CAP) -> Backoff:
    return Backoff(base=every, cap=max(every, cap))


@dataclass
class Ticks:
    """What the ticks need: the services (newsroom, texts, admins, the delivery engine once it
    is started), the digests' renderer, whether the process is still running, and each
    tick's backoff."""

    services: BotServices
    render: Renderer
    keep_going: Callable[[], bool]
    render_alert: AlertRenderer
    render_weekly: WeeklyRenderer
    poll_every: float = 60.0
    dispatch_every: float = 60.0
    deliver_every: float = 2.0
    poll_backoff: Backoff = field(init=False)
    dispatch_backoff: Backoff = field(init=False)
    deliver_backoff: Backoff = field(init=False)

    def __post_init__(self) -> None:
        self.poll_backoff = _backoff(self.poll_every)
        self.dispatch_backoff = _backoff(self.dispatch_every)
        self.deliver_backoff = _backoff(self.deliver_every, DELIVER_BACKOFF_CAP)

    async def _guarded(
        self, backoff: Backoff, what: str, work: Callable[[], Awaitable[T]]
    ) -> T | None:
        """Run `work` unless its backoff says to wait; a whole failure is logged once."""
        now = asyncio.get_running_loop().time()
        if not backoff.ready(now):
            return None
        try:
            result = await work()
        except TICK_FAILURES as exc:
            error = one_line(exc)
            if backoff.failed(now, error):
                log.error("cannot %s (next try in %.0f s): %s", what, backoff.delay, error)
            return None
        if backoff.succeeded():
            log.info("%s works again", what)
        return result

    async def poll_sources(self) -> None:
        """Poll the sources that are due (in the one process holding the polling lock) and
        queue the admins' alerts that the polls call for."""

        async def poll() -> None:
            reports = await poll_and_alert(self.services, due_only=True)
            if any(r.new for r in reports):
                # What subscribers want at once goes now, not at the next dispatcher tick.
                await self._alerts()

        await self._guarded(self.poll_backoff, "poll the sources", poll)

    async def _alerts(self) -> None:
        room = self.services.newsroom
        await call(find_alerts, room)
        await call(queue_due_alerts, room, self.render_alert)

    async def dispatch_digests(self) -> None:
        """Queue the digests whose time has come, then start sending them."""
        room = self.services.newsroom

        async def dispatch() -> object:
            # Alerts first: a digest leaves out what its reader gets at once.
            await self._alerts()
            await call(queue_due_weeklies, room, self.render_weekly)
            return await call(queue_due_digests, room, self.render)

        await self._guarded(self.dispatch_backoff, "queue digests", dispatch)
        await self.deliver()

    async def deliver(self) -> DeliveryOutcome | None:
        """Put back what dead processes left in flight, then send what is due until nothing is
        (or the process stops); a tick that finds another still sending does nothing."""
        services = self.services
        engine = services.engine
        if engine is None or services.delivery_lock.locked():
            return None

        async def send() -> DeliveryOutcome:
            assert engine is not None
            async with services.delivery_lock:
                await engine.take_over_stale()
                return await engine.run_until_idle(keep_going=self.keep_going)

        return await self._guarded(self.deliver_backoff, "send from the ledger", send)


async def poll_and_alert(services: BotServices, *, due_only: bool) -> list[SourceReport]:
    """The poll tick's work: poll the sources (those due, under the polling lock, or all of
    them, for an admin's /ingest), then queue the admins' alerts the polls call for. A broken
    sources file raises SourcesFileError before anything is polled."""
    reports = await ingest(services.newsroom, due_only=due_only)
    await alert_admins(services, reports)
    return reports


def alert_text(services: BotServices, report: SourceReport, language: str) -> str | None:
    """The admins' message about one source's poll: it has just failed three times in a row,
    works again, or starts being read only in part (records skipped or cut); else None."""
    texts = services.texts
    if report.alert:
        return texts.get(
            language,
            "source_alert",
            name=report.name,
            failures=report.consecutive_failures,
            error=report.error or "",
        )
    if report.recovered:
        return texts.get(language, "source_recovered", name=report.name)
    if report.partial_alert:
        return texts.get(language, "source_partial", name=report.name, note=report.note or "")
    return None


async def alert_admins(services: BotServices, reports: Sequence[SourceReport]) -> int:
    """Queue, ahead of digests and broadcasts, one message to every admin for each source
    report that calls for one; whichever process sends next delivers them. Returns how many."""
    if not any(r.alert or r.recovered or r.partial_alert for r in reports):
        return 0
    room = services.newsroom
    alerts: list[NewDelivery] = []
    for admin_id in sorted(services.admin_ids):
        view = await call(subscriptions.get, room, admin_id)
        language = view.language if view else "vi"
        for report in reports:
            text = alert_text(services, report, language)
            if text is not None:
                alerts.append(
                    NewDelivery(
                        kind=DeliveryKind.ALERT,
                        chat_id=admin_id,
                        parts=[MessagePart(text)],
                        priority=DeliveryPriority.URGENT,
                    )
                )
    await call(delivery.enqueue, room, alerts)
    return len(alerts)
