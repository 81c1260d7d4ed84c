"""Delivery rate against Telegram's limit: the real delivery engine and TelegramSender send a
broadcast through the fake Bot API server, which enforces 30 messages a second (429 above).

Anchor: the limit itself (30/s). Target: at least 0.97 of it, and nothing lost.

    .venv/bin/python bench/delivery_rate.py [--messages 900] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

from _common import report, scratch_database
from telegram import Bot

from bot.sender import TelegramSender
from digests import broadcasts, subscriptions
from digests.broadcasts import Audience
from digests.clock import FakeClock
from digests.config import load_settings
from digests.delivery import DeliveryEngine, DeliveryPolicy
from digests.messages import MessagePart
from digests.services import Newsroom
from fakebotapi import FakeTelegram

LIMIT = 30


async def run(messages: int, db: str) -> dict[str, object]:
    with scratch_database(db) as url:
        room = Newsroom.open(
            load_settings(database_url=url, _env_file=None),
            clock=FakeClock(datetime(2026, 3, 5, tzinfo=UTC)),
        )
        async with FakeTelegram() as tg:
            tg.record_requests = False
            tg.enforce_limits(global_per_second=LIMIT)
            chats = range(100_000, 100_000 + messages)
            for chat in chats:
                tg.user(chat)
                subscriptions.register(room, chat)
            draft = broadcasts.create_draft(room, 1, text="Thông báo <b>khẩn</b> của Bộ Y tế")
            broadcasts.set_audience(room, draft, Audience())
            broadcasts.start(room, draft, [MessagePart("Thông báo <b>khẩn</b> của Bộ Y tế")])
            async with Bot("123:BENCH", base_url=f"{tg.base_url}/bot") as bot:
                engine = DeliveryEngine(
                    room, TelegramSender(bot), worker="bench", policy=DeliveryPolicy(rate=LIMIT)
                )
                started = time.perf_counter()
                await engine.run_until_idle()
                elapsed = time.perf_counter() - started
            received = Counter(m.chat_id for m in tg.sent)
            result = broadcasts.progress(room, draft)
        room.close()
    span = max(m.time for m in tg.sent) - min(m.time for m in tg.sent)
    rate = (len(tg.sent) - 1) / span if span else 0.0
    lost = messages - len(received)
    return {
        "bench": "delivery_rate",
        "db": db,
        "messages": messages,
        "seconds": round(elapsed, 2),
        "rate_per_second": round(rate, 2),
        "limit": LIMIT,
        "ratio": round(rate / LIMIT, 4),
        "target_ratio": 0.97,
        "lost": lost,
        "duplicates": sum(n - 1 for n in received.values()),
        "max_in_any_second": tg.max_in_window(1.0),
        "sent_state": result.sent,
        "ok": rate / LIMIT >= 0.97 and lost == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=900)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    figures = asyncio.run(run(args.messages, args.db))
    print(
        f"{figures['messages']} messages in {figures['seconds']} s: {figures['rate_per_second']}/s "
        f"against a limit of {LIMIT}/s (ratio {figures['ratio']}, target >= 0.97); "
        f"lost {figures['lost']}, duplicates {figures['duplicates']}, "
        f"most in any one second {figures['max_in_any_second']}"
    )
    report(figures)


if __name__ == "__main__":
    main()
