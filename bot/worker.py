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
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot import notices
from bot.app import build_services
from bot.jobs import alert_renderer, digest_renderer, weekly_renderer
from bot.sender import TelegramSender, delivery_bot
from bot.ticks import Ticks
from digests.config import Settings
from digests.delivery import DeliveryEngine, DeliveryPolicy
from digests.health import HealthServer
from digests.ratelimit import gate_for
from digests.services import Newsroom

log = logging.getLogger(__name__)


async def repeat(tick: Callable[[], Awaitable[object]], every: float, stop: asyncio.Event) -> None:
    """Call `tick` every `every` seconds (after the previous call ends) until `stop` is set: a
    JobQueue's repeating job. An unexpected error is logged, as PTB's error handler logs a
    job's, and the next tick comes as usual."""
    while not stop.is_set():
        try:
            await tick()
        except Exception:
            log.exception("error in %s", getattr(tick, "__name__", tick))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def run_worker(
    settings: Settings,
    *,
    name: str,
    deliver_every: float = 1.0,
    periodic_every: float = 60.0,
    stale_after: timedelta = timedelta(minutes=2),
    periodic: bool = True,
) -> int:
    """Run until SIGINT or SIGTERM: the same ticks as `mohbot run`'s jobs (bot/ticks.py)."""
    room = Newsroom.open(settings)
    services = build_services(settings, room)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    policy = DeliveryPolicy.from_settings(settings, stale_after=stale_after)
    async with delivery_bot(settings) as bot:
        services.delivery_bot = bot
        services.engine = DeliveryEngine(
            room,
            TelegramSender(bot),
            worker=name,
            policy=policy,
            gate=gate_for(room),
            on_blocked=notices.on_blocked(services),
            on_thread_gone=notices.on_thread_gone(services),
        )
        await asyncio.to_thread(services.engine.recover)
        ticks = Ticks(
            services,
            render=digest_renderer(services),
            render_alert=alert_renderer(services),
            render_weekly=weekly_renderer(services),
            keep_going=lambda: not stop.is_set(),
            poll_every=periodic_every,
            dispatch_every=periodic_every,
            deliver_every=deliver_every,
        )
        health = HealthServer.start(room)
        log.info("worker %s started", name)

        async def deliver() -> None:
            room.metrics.poll_cycle()  # for /healthz: the loop turns
            await ticks.deliver()

        loops = [repeat(deliver, deliver_every, stop)]
        if periodic:
            loops.append(repeat(ticks.poll_sources, periodic_every, stop))
            loops.append(repeat(ticks.dispatch_digests, periodic_every, stop))
        await asyncio.gather(*loops)
        health.stop()
    room.close()
    log.info("worker %s stopped", name)
    return 0
