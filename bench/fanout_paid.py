"""Paid-broadcast fan-out: the limit raised to 1000 messages a second; 1, 2 and 4
`mohbot worker` processes on PostgreSQL share the queued deliveries and the rate, sending to
the fake Bot API server, which runs in a process of its own (`python -m fakebotapi`)
enforcing the limit. With `--servers N`, N server processes share one port
(`--reuse-port`), each enforcing 1/N of the limit: the kernel spreads connections, not
messages, evenly, so a sender whose connections land on one process meets 429s below the
overall limit; one process is the default, and its ceiling is measured below.

Anchor: the harness's own ceiling, measured in the same run: with no bot at all, two load
processes post the same messages to the same servers as fast as they take them (the
limit enforced), each with as many sends in flight as a worker (SEND_CONNECTIONS=32). The
workers' rate is printed as a fraction of that ceiling. Rates are taken
from the servers' arrival times, from the 5% to the 95% message (start and tail excluded).

Targets: two workers >= 0.8 of the ceiling and >= 500 messages a second; never more than the
limit in any one-second window.

    .venv/bin/python bench/fanout_paid.py [--messages 6000] [--workers 1 2 4] [--servers 1]
        [--repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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

LIMIT = 1000
TARGET = 500
SHARE = 0.8
LOADERS = 2  # load processes measuring the ceiling (as many as two workers)
LOAD_CONNECTIONS = 32  # sends in flight in each load process, and in each worker
FIRST_CHAT = 1_000_000
TEXT = "<b>Thông báo</b> của Bộ Y tế"


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
                NewDelivery(kind=DeliveryKind.BROADCAST, chat_id=c, parts=[MessagePart(TEXT)])
                for c in chats
            ],
            now,
        )


@contextmanager
def servers(count: int, chats: range, folder: Path) -> Iterator[tuple[str, list[Path]]]:
    """`count` fake server processes on one port, each taking its share of the limit; yields
    the base URL and the files their arrival times are written to when they stop."""
    processes: list[subprocess.Popen[bytes]] = []
    files = [folder / f"times-{i}.json" for i in range(count)]
    port = 0
    try:
        for i in range(count):
            command = [sys.executable, "-m", "fakebotapi", "--port", str(port), "--reuse-port"]
            command += ["--limit", str(LIMIT // count), "--times-file", str(files[i])]
            command += ["--users", str(chats.start), str(len(chats))]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
            processes.append(process)
            assert process.stdout is not None
            port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}", files
    finally:
        for process in processes:
            stop(process)


def rates(files: list[Path], sent: int) -> tuple[float, int, int]:
    """From the servers' arrival times: (steady rate, most in any second, messages)."""
    times = sorted(t for f in files for t in json.loads(f.read_text()))
    lo, hi = int(len(times) * 0.05), int(len(times) * 0.95) - 1
    rate = (hi - lo) / (times[hi] - times[lo]) if hi > lo else 0.0
    best, start = 0, 0
    for end, stamp in enumerate(times):
        while stamp - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return rate, best, len(times)


async def load(base: str, chats: range, deadline: float) -> None:
    """One load process's work: post the broadcast to `chats` as fast as the server takes it,
    waiting out a 429 as a sender would, until every chat has it or `deadline`."""
    import aiohttp

    pending = iter(chats)
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=0)) as session:

        async def sender() -> None:
            for chat in pending:
                while time.monotonic() < deadline:
                    body = {"chat_id": chat, "text": TEXT, "parse_mode": "HTML"}
                    async with session.post("/bot123:B/sendMessage", json=body) as answer:
                        await answer.read()
                    if answer.status != 429:
                        break
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(sender() for _ in range(LOAD_CONNECTIONS)))


def ceiling(servers_count: int, messages: int) -> tuple[float, int]:
    """The harness's ceiling: messages a second the servers take from load processes."""
    chats = range(FIRST_CHAT, FIRST_CHAT + messages)
    with tempfile.TemporaryDirectory() as folder:
        with servers(servers_count, chats, Path(folder)) as (base, files):
            step = -(-messages // LOADERS)
            shares = [range(c, min(c + step, chats.stop)) for c in chats[::step]]
            loaders = [
                subprocess.Popen(
                    [sys.executable, __file__, "--load", base, str(share.start), str(len(share))],
                    cwd=ROOT,
                )
                for share in shares
            ]
            for loader in loaders:
                loader.wait(600)
        rate, busiest, _ = rates(files, messages)  # written as the servers stopped
    return rate, busiest


def workers_run(workers: int, messages: int, servers_count: int) -> tuple[float, int, int]:
    chats = range(FIRST_CHAT, FIRST_CHAT + messages)
    with scratch_database("postgresql") as url, tempfile.TemporaryDirectory() as folder:
        room = Newsroom.open(
            load_settings(database_url=url, _env_file=None),
            clock=FakeClock(datetime(2026, 3, 5, tzinfo=UTC)),
        )
        queue(room, chats)
        room.close()
        sources = Path(folder) / "sources.toml"
        sources.write_text("", encoding="utf-8")
        with servers(servers_count, chats, Path(folder)) as (base, files):
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "TELEGRAM_BOT_TOKEN": "123:B",
                "TELEGRAM_API_BASE_URL": base,
                "SEND_RATE": str(LIMIT),
                # As many sends in flight as each load process keeps (the README's advice: the
                # rate times the round trip, which this loaded machine makes 10-30 ms).
                "SEND_CONNECTIONS": str(LOAD_CONNECTIONS),
                "SOURCES_FILE": str(sources),
                "HEALTH_PORT": "0",
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
            room = Newsroom.open(load_settings(database_url=url, _env_file=None))
            try:
                deadline = time.monotonic() + 600
                while time.monotonic() < deadline and unsent(room):
                    time.sleep(0.5)
            finally:
                room.close()
                for proc in procs:
                    stop(proc)
        return rates(files, messages)


def unsent(room: Newsroom) -> int:
    from sqlalchemy import func, select

    from digests.store.models import Delivery, DeliveryState

    with session_scope(room.sessions) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]))
            )
            or 0
        )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--load":
        base, first, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        asyncio.run(load(base, range(first, first + count), time.monotonic() + 300))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    figures: dict[str, object] = {
        "bench": "fanout_paid",
        "messages": args.messages,
        "limit": LIMIT,
        "servers": args.servers,
        "target": TARGET,
    }
    ok = True
    ceilings: list[float] = []
    fractions: dict[int, list[float]] = {w: [] for w in args.workers}
    for repeat in range(args.repeat):
        top, busiest = ceiling(args.servers, args.messages)
        ceilings.append(top)
        print(
            f"pair {repeat + 1}: harness ceiling {top:.0f} messages/s (most in a second {busiest})"
        )
        for workers in args.workers:
            rate, busiest, received = workers_run(workers, args.messages, args.servers)
            fractions[workers].append(rate / top)
            print(
                f"  {workers} worker(s): {rate:.0f} messages/s, {rate / top:.2f} of the ceiling, "
                f"most in any second {busiest}, received {received} of {args.messages}"
            )
            figures[f"workers_{workers}_per_second"] = round(rate, 1)
            ok = ok and busiest <= LIMIT and received == args.messages
            if workers == 2:
                ok = ok and rate >= TARGET and rate / top >= SHARE
    figures["ceiling_per_second"] = round(statistics.median(ceilings), 1)
    for workers, values in fractions.items():
        values.sort()
        figures[f"workers_{workers}_fraction"] = round(statistics.median(values), 3)
        figures[f"workers_{workers}_fraction_min"] = round(values[0], 3)
        figures[f"workers_{workers}_fraction_max"] = round(values[-1], 3)
    figures["ok"] = ok
    report(figures)


if __name__ == "__main__":
    main()
