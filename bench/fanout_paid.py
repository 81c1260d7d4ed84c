"""Paid-broadcast fan-out: the limit raised to 1000 messages a second, 1, 2 and 4
`mohbot worker` processes on PostgreSQL share the queued deliveries and the rate, sending to
the fake Bot API server.

Anchor: the 500 messages a second target on this machine (the raised limit is 1000/s).
Figures: messages a second as the server received them, for each number of workers.

    .venv/bin/python bench/fanout_paid.py [--messages 6000] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT, report, scratch_database, stop
from sqlalchemy import insert

from digests.clock import FakeClock
from digests.config import load_settings
from digests.messages import MessagePart
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository, NewDelivery
from digests.store.models import ChatKind, DeliveryKind, Subscriber
from fakebotapi import FakeTelegram

LIMIT = 1000
TARGET = 500


def queue(room: Newsroom, chats: range) -> None:
    now = room.clock.now()
    with session_scope(room.sessions) as session:
        session.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": c,
                    "kind": ChatKind.PRIVATE,
                    "language": "vi",
                    "timezone": "Asia/Ho_Chi_Minh",
                    "digest_time": now.time(),
                    "paused": False,
                    "active": True,
                    "created_at": now,
                }
                for c in chats
            ],
        )
        DeliveryRepository(session).queue(
            [
                NewDelivery(
                    kind=DeliveryKind.BROADCAST,
                    chat_id=c,
                    parts=[MessagePart("<b>Thông báo</b> của Bộ Y tế")],
                )
                for c in chats
            ],
            now,
        )


async def one_run(workers: int, messages: int) -> dict[str, float]:
    with scratch_database("postgresql") as url, tempfile.TemporaryDirectory() as folder:
        room = Newsroom.open(
            load_settings(database_url=url, _env_file=None),
            clock=FakeClock(datetime(2026, 3, 5, tzinfo=UTC)),
        )
        chats = range(1_000_000, 1_000_000 + messages)
        queue(room, chats)
        room.close()
        sources = Path(folder) / "sources.toml"
        sources.write_text("", encoding="utf-8")
        async with FakeTelegram() as tg:
            tg.record_requests = False
            for chat in chats:
                tg.user(chat)
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "TELEGRAM_BOT_TOKEN": "123:B",
                "TELEGRAM_API_BASE_URL": tg.base_url,
                "SEND_RATE": str(LIMIT),
                "SOURCES_FILE": str(sources),
                "LOG_LEVEL": "WARNING",
            }
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bot.cli",
                        "worker",
                        "--name",
                        f"b{i}",
                        "--deliver-only",
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for i in range(workers)
            ]
            try:
                await tg.wait_for(lambda: len(tg.sent) >= messages, timeout=600, what="all sent")
            finally:
                for proc in procs:
                    proc.send_signal(signal.SIGTERM)
                for proc in procs:
                    await asyncio.to_thread(stop, proc)
            times = sorted(m.time for m in tg.sent)
            # The steady rate: from the 5% to the 95% message (start-up and tail excluded).
            lo, hi = int(len(times) * 0.05), int(len(times) * 0.95)
            rate = (hi - lo) / (times[hi] - times[lo])
            duplicates = sum(n - 1 for n in Counter(m.chat_id for m in tg.sent).values())
            return {
                "rate": rate,
                "max_in_any_second": tg.max_in_window(1.0),
                "duplicates": duplicates,
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    figures: dict[str, object] = {
        "bench": "fanout_paid",
        "messages": args.messages,
        "limit": LIMIT,
        "target": TARGET,
    }
    ok = True
    for workers in args.workers:
        result = asyncio.run(one_run(workers, args.messages))
        print(
            f"{workers} worker(s): {result['rate']:.0f} messages/s "
            f"(ratio to target {result['rate'] / TARGET:.2f}), "
            f"most in any second {result['max_in_any_second']}, "
            f"duplicates {result['duplicates']}"
        )
        figures[f"workers_{workers}_per_second"] = round(result["rate"], 1)
        figures[f"workers_{workers}_ratio"] = round(result["rate"] / TARGET, 3)
        ok = ok and result["rate"] >= TARGET and result["max_in_any_second"] <= LIMIT
    figures["ok"] = ok
    report(figures)


if __name__ == "__main__":
    main()
