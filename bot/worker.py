"""`mohbot worker`: a process that sends what the ledger holds and takes its turn at the
periodic work (source polling, digest queueing), without handling Telegram updates.

Any number of workers and `mohbot run` processes share one PostgreSQL database: deliveries
are claimed with row locks (SKIP LOCKED), the overall send rate is shared through the
database (`DatabaseGate`), and the periodic work runs in one process at a time (advisory
locks). A worker that dies leaves its claimed rows 'sending'; the others put them back in the
queue once they are `stale_after` old.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.app import build_services
from bot.jobs import digest_renderer
from bot.sender import TelegramSender, delivery_bot
from digests.backoff import Backoff
from digests.config import Settings
from digests.delivery import DeliveryEngine, DeliveryPolicy
from digests.dispatch import queue_due_digests
from digests.errors import one_line
from digests.health import HealthServer
from digests.ingest.service import ingest
from digests.ratelimit import gate_for
from digests.services import Newsroom

log = logging.getLogger(__name__)


async def run_worker(
    settings: Settings,
    *,
    name: str,
    deliver_every: float = 1.0,
    periodic_every: float = 60.0,
    stale_after: timedelta = timedelta(minutes=2),
    periodic: bool = True,
) -> int:
    room = Newsroom.open(settings)
    services = build_services(settings, room)
    bot = delivery_bot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    policy = DeliveryPolicy.from_settings(settings, stale_after=stale_after)
    async with bot:
        engine = DeliveryEngine(
            room, TelegramSender(bot), worker=name, policy=policy, gate=gate_for(room)
        )
        await asyncio.to_thread(engine.recover)
        render = digest_renderer(services)
        next_periodic = 0.0
        backoff = Backoff(base=periodic_every, cap=max(periodic_every, 3600.0))
        health = HealthServer.start(room)
        log.info("worker %s started", name)
        while not stop.is_set():
            room.metrics.poll_cycle()  # for /healthz: the loop turns
            if periodic and loop.time() >= next_periodic and backoff.ready(loop.time()):
                next_periodic = loop.time() + periodic_every
                try:
                    await ingest(room, due_only=True)
                    await asyncio.to_thread(queue_due_digests, room, render)
                except (SQLAlchemyError, OSError) as exc:
                    error = one_line(exc)
                    if backoff.failed(loop.time(), error):
                        log.error(
                            "periodic work failed (next try in %.0f s): %s", backoff.delay, error
                        )
                else:
                    if backoff.succeeded():
                        log.info("periodic work works again")
            await engine.take_over_stale()
            outcome = await engine.run_once()
            if not (outcome.sent or outcome.blocked or outcome.failed or outcome.retried):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), deliver_every)
        health.stop()
    room.close()
    log.info("worker %s stopped", name)
    return 0
