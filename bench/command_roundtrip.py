"""Command round trips with 200 simulated users: each user sends /start, /help, /mysubs,
/latest and /search (waiting for each reply) at random moments over the run, to the real bot
over HTTP through the fake Bot API server (long polling, as in production). Together the users
send 20 commands a second: Telegram lets a bot send about 30 messages a second, so a busier
crowd measures Telegram's limit, not the bot.

Target: p99 of the time from a user's message to the bot's reply at most 100 ms.

    .venv/bin/python bench/command_roundtrip.py [--users 200] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT, report, scratch_database

from digests.clock import FakeClock
from digests.config import load_settings
from digests.ingest.service import import_seeds
from digests.services import Newsroom
from fakebotapi import FakeTelegram
from tests.bot_harness import running_bot

RATE = 20.0  # commands a second, all users together
COMMANDS = ["/start", "/help", "/mysubs", "/latest an toan thuc pham 3", "/search ngo doc"]


class TimedTelegram(FakeTelegram):
    """Wakes the waiting user the moment the bot's reply arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.waiters: dict[int, asyncio.Event] = {}

    def _record(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        message = super()._record(*args, **kwargs)
        event = self.waiters.get(message["chat"]["id"])
        if event:
            event.set()
        return message


async def user(
    tg: TimedTelegram, chat: int, latencies: list[float], span: float, rng: random.Random
) -> None:
    event = tg.waiters.setdefault(chat, asyncio.Event())
    moments = sorted(rng.uniform(0, span) for _ in COMMANDS)
    begin = time.perf_counter()
    for moment, command in zip(moments, COMMANDS, strict=True):
        await asyncio.sleep(max(0.0, begin + moment - time.perf_counter()))
        event.clear()
        started = time.perf_counter()
        tg.send_text(chat, command)
        await asyncio.wait_for(event.wait(), 30)
        latencies.append(time.perf_counter() - started)


async def run(users: int, db: str) -> dict[str, object]:
    import tests.bot_harness as harness

    with scratch_database(db) as url, tempfile.TemporaryDirectory() as folder:
        sources = Path(folder) / "sources.toml"
        sources.write_text("", encoding="utf-8")  # no polling of the real sources
        settings = load_settings(database_url=url, sources_file=sources, _env_file=None)
        room = Newsroom.open(settings, clock=FakeClock(datetime(2026, 3, 5, 2, tzinfo=UTC)))
        import_seeds(room, ROOT / "seeds")
        original = harness.FakeTelegram
        harness.FakeTelegram = TimedTelegram  # type: ignore[misc]
        try:
            async with running_bot(settings, room) as bot:
                tg: TimedTelegram = bot.tg  # type: ignore[assignment]
                tg.record_requests = False
                for chat in range(1, users + 1):
                    tg.user(chat, language_code="vi" if chat % 2 else "en")
                latencies: list[float] = []
                span = users * len(COMMANDS) / RATE
                rng = random.Random(3)
                started = time.perf_counter()
                await asyncio.gather(
                    *(user(tg, chat, latencies, span, rng) for chat in range(1, users + 1))
                )
                elapsed = time.perf_counter() - started
        finally:
            harness.FakeTelegram = original  # type: ignore[misc]
            room.close()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return {
        "bench": "command_roundtrip",
        "db": db,
        "users": users,
        "round_trips": len(latencies),
        "seconds": round(elapsed, 2),
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "target_p99_ms": 100,
        "ratio": round(p99 / 100, 3),
        "ok": p99 <= 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    figures = asyncio.run(run(args.users, args.db))
    print(
        f"{figures['round_trips']} round trips from {figures['users']} users "
        f"in {figures['seconds']} s: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms "
        f"(target <= 100 ms), max {figures['max_ms']} ms"
    )
    report(figures)


if __name__ == "__main__":
    main()
