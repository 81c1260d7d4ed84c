"""Peak memory of a bot process with 100,000 subscribers: `mohbot run` (a child process, long
polling the fake Bot API server) starts on a database of 100,000 subscribers whose digests are
due, queues every digest and starts sending them; its peak resident memory (VmHWM) is read from
the kernel once all digests are queued.

Anchor: the 300 MB budget (the same as for composing 100,000 digests).

    .venv/bin/python bench/bot_memory.py [--subscribers 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import compose_digests
from _common import ROOT, report, scratch_database, stop
from sqlalchemy import func, select

from digests.clock import FakeClock
from digests.config import load_settings
from digests.services import Newsroom
from digests.store.models import Delivery
from fakebotapi import FakeTelegram

BUDGET_MB = 300


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(subscribers: int) -> dict[str, object]:
    now = datetime.now(UTC)
    with scratch_database("sqlite") as url, tempfile.TemporaryDirectory() as folder:
        room = Newsroom.open(load_settings(database_url=url, _env_file=None), clock=FakeClock(now))
        compose_digests.populate(room, subscribers, 500, now)
        (Path(folder) / "sources.toml").write_text("", encoding="utf-8")
        async with FakeTelegram() as tg:
            tg.record_requests = False
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "TELEGRAM_BOT_TOKEN": "123:MEM",
                "TELEGRAM_API_BASE_URL": tg.base_url,
                "SOURCES_FILE": f"{folder}/sources.toml",
                "LOG_LEVEL": "WARNING",
            }
            child = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            started = time.perf_counter()
            try:
                while True:
                    await asyncio.sleep(1.0)
                    with room.engine.connect() as connection:
                        queued = connection.execute(
                            select(func.count()).select_from(Delivery)
                        ).scalar_one()
                    if (
                        queued >= subscribers
                        or child.poll() is not None
                        or time.perf_counter() - started > 600
                    ):
                        break
                await asyncio.sleep(3.0)  # and a few seconds of sending
                peak = peak_mb(child.pid)
                elapsed = time.perf_counter() - started
            finally:
                await asyncio.to_thread(stop, child, 60)
        room.close()
    return {
        "bench": "bot_memory",
        "subscribers": subscribers,
        "digests_queued": queued,
        "seconds_to_queue": round(elapsed, 1),
        "peak_mb": round(peak, 1),
        "budget_mb": BUDGET_MB,
        "ratio": round(peak / BUDGET_MB, 3),
        "ok": peak <= BUDGET_MB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100_000)
    args = parser.parse_args()
    figures = asyncio.run(run(args.subscribers))
    print(
        f"bot process with {figures['subscribers']} subscribers: "
        f"{figures['digests_queued']} digests queued in {figures['seconds_to_queue']} s, "
        f"peak memory {figures['peak_mb']} MB "
        f"(budget {BUDGET_MB} MB, ratio {figures['ratio']})"
    )
    report(figures)


if __name__ == "__main__":
    main()
