"""Command round trips under load, against a minimal python-telegram-bot bot in the same run.

Three kinds of process, as in production: the fake Bot API server (`python -m fakebotapi`),
the bot (`mohbot run`, long polling, on a database holding 100,000 articles and 10,000
subscribers besides the seeds), and this driver playing 200 users. Each user sends /start,
/help, /mysubs, /latest and /search at random moments of the run (20 commands a second all
together, two thirds of Telegram's 30 messages a second) and waits for each answer. A round
trip is measured by the server: from the update being offered to the bot to the first reply
arriving there.

Anchor: `bench/minimal_bot.py` (one handler answering every command with a short HTML
message, PTB's defaults) on the same harness, with the same users and moments, the two bots
taking turns, `--repeat` times each. Printed: p50 and p99 of both, the ratio of the p99s per
pair (min/median/max), and, as the bots start, the time from spawning each to its first
`getUpdates` and its idle memory. Target: p99 <= 2 x the minimal bot's p99.

    .venv/bin/python bench/command_roundtrip.py [--users 200] [--repeat 3] [--db sqlite|postgresql]
        [--articles 100000] [--subscribers 10000] [--anchor-rate-limited]

The commands come at 20 a second on average, but some one-second windows of the run hold up to
32: over Telegram's 30 messages a second, which mohbot keeps (less a 2% margin) for its
replies and deliveries together, while the default anchor sends at once. With
`--anchor-rate-limited` the anchor keeps the same limit (PTB's `AIORateLimiter`, see
bench/minimal_bot.py): the two then do the same work, rate limit included.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from _common import ROOT, report, scratch_database, stop
from search_scale import populate
from sqlalchemy import insert, update

from digests.config import load_settings
from digests.ingest.service import import_seeds
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import Article, ChatKind, Subscriber

RATE = 20.0  # commands a second, all users together
COMMANDS = ["/start", "/help", "/mysubs", "/latest an toan thuc pham 3", "/search ngo doc"]
TOKEN = "123456:BENCH"
TARGET = 2.0


@dataclass
class Run:
    """One bot's turn: server-measured round trips (seconds), start-up and idle memory."""

    round_trips: list[float]
    failures: int
    start_seconds: float
    idle_rss_mb: float
    by_command: dict[str, list[float]] = field(default_factory=dict)

    def p(self, q: float) -> float:
        ordered = sorted(self.round_trips)
        return ordered[max(0, int(len(ordered) * q) - 1)] * 1000


def fill(url: str, articles: int, subscribers: int) -> None:
    """Seeds, `articles` articles and `subscribers` subscribers, as a bot that has run for a
    while holds them: nothing due during the run, no article waiting for the keyword alerts'
    first look, every reader's weekly summary already scheduled (a week on)."""
    room = Newsroom.open(load_settings(database_url=url, _env_file=None))
    try:
        import_seeds(room, ROOT / "seeds")
        populate(room, articles)
        now = datetime.now(UTC)
        with session_scope(room.sessions) as session:
            session.execute(
                insert(Subscriber),
                [
                    {
                        "chat_id": 1_000_000 + i,
                        "kind": ChatKind.PRIVATE,
                        "language": "vi" if i % 3 else "en",
                        "timezone": "Asia/Ho_Chi_Minh",
                        "digest_time": (now + timedelta(hours=12)).time(),
                        "next_digest_at": now + timedelta(hours=12),
                        "next_weekly_at": now + timedelta(days=7),
                        "paused": False,
                        "active": True,
                        "created_at": now,
                    }
                    for i in range(subscribers)
                ],
            )
            session.execute(update(Article).values(alerts_pending=False))
    finally:
        room.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def control(session: aiohttp.ClientSession, path: str, **body: Any) -> Any:
    method = session.get if path == "stats" else session.post
    async with method(f"/_control/{path}", json=body or None) as answer:
        data = await answer.json()
    if not data["ok"]:
        raise RuntimeError(data["description"])
    return data["result"]


async def user(
    session: aiohttp.ClientSession,
    chat: int,
    moments: list[tuple[float, str]],
    begin: float,
    run: Run,
) -> None:
    for moment, command in moments:
        await asyncio.sleep(max(0.0, begin + moment - time.monotonic()))
        async with session.post(
            "/_control/send", json={"user_id": chat, "text": command, "timeout": 30}
        ) as answer:
            data = await answer.json()
        if data["ok"]:
            run.round_trips.append(data["result"]["round_trip"])
            run.by_command.setdefault(command.split()[0], []).append(data["result"]["round_trip"])
        else:
            run.failures += 1


async def one_turn(
    bot: list[str],
    env: dict[str, str],
    users: int,
    plan: list[list[tuple[float, str]]],
    log: Path | None,
) -> Run:
    """A fresh fake server, the bot spawned against it, the users' commands, both stopped."""
    server = subprocess.Popen(
        [sys.executable, "-m", "fakebotapi", "--port", "0"], stdout=subprocess.PIPE, cwd=ROOT
    )
    process: subprocess.Popen[bytes] | None = None
    try:
        assert server.stdout is not None
        port = int(await asyncio.to_thread(server.stdout.readline))
        base = f"http://127.0.0.1:{port}"
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(base, connector=connector) as session:
            await control(session, "users", first=1, count=users // 2, language_code="vi")
            await control(session, "users", first=users // 2 + 1, count=users - users // 2)
            spawned = time.monotonic()
            process = subprocess.Popen(
                bot,
                env={**env, "TELEGRAM_API_BASE_URL": base},
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log.open("ab") if log else subprocess.DEVNULL,
            )
            while (first := (await control(session, "stats"))["first_poll"]) is None:
                if process.poll() is not None or time.monotonic() - spawned > 120:
                    raise RuntimeError(f"{bot} did not start polling")
                await asyncio.sleep(0.02)
            await asyncio.sleep(2.0)  # settled: start-up jobs done, idle
            run = Run([], 0, first - spawned, rss_mb(process.pid))
            begin = time.monotonic()
            await asyncio.gather(
                *(user(session, chat, plan[chat - 1], begin, run) for chat in range(1, users + 1))
            )
        return run
    finally:
        if process is not None:
            await asyncio.to_thread(stop, process)
        await asyncio.to_thread(stop, server)


def summary(name: str, runs: list[Run]) -> str:
    p50 = statistics.median(r.p(0.5) for r in runs)
    p99s = sorted(r.p(0.99) for r in runs)
    start = statistics.median(r.start_seconds for r in runs)
    rss = statistics.median(r.idle_rss_mb for r in runs)
    slowest = {
        command: max(times) * 1000
        for command, times in sorted((c, t) for r in runs for c, t in r.by_command.items())
    }
    worst = ", ".join(f"{c} {ms:.0f}" for c, ms in slowest.items())
    return (
        f"{name}: p50 {p50:.1f} ms, p99 min/median/max {p99s[0]:.1f}/"
        f"{statistics.median(p99s):.1f}/{p99s[-1]:.1f} ms, failures "
        f"{sum(r.failures for r in runs)}; start to first poll {start:.2f} s, idle {rss:.0f} MB; "
        f"slowest by command (ms): {worst}"
    )


async def run(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(3)
    span = args.users * len(COMMANDS) / RATE
    # Each user's commands in an order of their own, so that the mix is the same all through
    # the run (in one fixed order every /search came last, and the replies of the run's end,
    # two messages for a search of 20 results, asked for more than Telegram's 30 a second).
    plan = [
        sorted(
            zip(
                [rng.uniform(0, span) for _ in COMMANDS],
                rng.sample(COMMANDS, len(COMMANDS)),
                strict=True,
            )
        )
        for _ in range(args.users)
    ]
    # Start-up as installed: pip compiles a package's bytecode when it installs it, but an
    # editable checkout under PYTHONDONTWRITEBYTECODE=1 would compile every module of ours at
    # each start (the anchor is one small file).
    for package in ("bot", "digests", "fakebotapi"):
        compileall.compile_dir(ROOT / package, quiet=1)
    with scratch_database(args.db) as url, tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        fill(url, args.articles, args.subscribers)
        print(
            f"database ({args.db}): seeds, {args.articles} articles, {args.subscribers} "
            f"subscribers in {time.monotonic() - started:.0f} s"
        )
        sources = Path(folder) / "sources.toml"
        sources.write_text("", encoding="utf-8")  # no polling of the real sources
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "SOURCES_FILE": str(sources),
            "HEALTH_PORT": "0",
            "LOG_LEVEL": "WARNING",
        }
        if args.anchor_rate_limited:
            env["MINIMAL_BOT_RATE_LIMIT"] = "1"
        ours_cmd = [sys.executable, "-m", "bot.cli", "run"]
        anchor_cmd = [sys.executable, str(ROOT / "bench" / "minimal_bot.py")]
        ours: list[Run] = []
        anchor: list[Run] = []
        for repeat in range(args.repeat):
            # The two take turns, each first in every other pair.
            order = [(anchor_cmd, anchor), (ours_cmd, ours)]
            for command, runs in order if repeat % 2 == 0 else order[::-1]:
                runs.append(await one_turn(command, env, args.users, plan, args.bot_log))
            print(
                f"pair {repeat + 1}: minimal p99 {anchor[-1].p(0.99):.1f} ms, "
                f"mohbot p99 {ours[-1].p(0.99):.1f} ms"
            )
    ratios = sorted(o.p(0.99) / a.p(0.99) for o, a in zip(ours, anchor, strict=True))
    start_ratios = sorted(
        o.start_seconds / a.start_seconds for o, a in zip(ours, anchor, strict=True)
    )
    print(summary("minimal bot", anchor))
    print(summary("mohbot     ", ours))
    median = statistics.median(ratios)
    print(
        f"p99 ratio min/median/max {ratios[0]:.2f}/{median:.2f}/{ratios[-1]:.2f} "
        f"(target <= {TARGET:g}); start ratio median {statistics.median(start_ratios):.2f} "
        "(target <= 2)"
    )
    return {
        "bench": "command_roundtrip",
        "db": args.db,
        "users": args.users,
        "articles": args.articles,
        "subscribers": args.subscribers,
        "repeat": args.repeat,
        "round_trips": sum(len(r.round_trips) for r in ours),
        "failures": sum(r.failures for r in ours + anchor),
        "p50_ms": round(statistics.median(r.p(0.5) for r in ours), 1),
        "p99_ms": round(statistics.median(r.p(0.99) for r in ours), 1),
        "anchor_p50_ms": round(statistics.median(r.p(0.5) for r in anchor), 1),
        "anchor_p99_ms": round(statistics.median(r.p(0.99) for r in anchor), 1),
        "ratio": round(median, 2),
        "ratio_min": round(ratios[0], 2),
        "ratio_max": round(ratios[-1], 2),
        "target_ratio": TARGET,
        "start_s": round(statistics.median(r.start_seconds for r in ours), 2),
        "anchor_start_s": round(statistics.median(r.start_seconds for r in anchor), 2),
        "start_ratio": round(statistics.median(start_ratios), 2),
        "start_ratio_min": round(start_ratios[0], 2),
        "start_ratio_max": round(start_ratios[-1], 2),
        "idle_rss_mb": round(statistics.median(r.idle_rss_mb for r in ours), 1),
        "anchor_idle_rss_mb": round(statistics.median(r.idle_rss_mb for r in anchor), 1),
        "anchor_rate_limited": args.anchor_rate_limited,
        "ok": median <= TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--bot-log", type=Path, help="append the bots' logs (stderr) here")
    parser.add_argument(
        "--anchor-rate-limited",
        action="store_true",
        help="the anchor keeps Telegram's 30 messages a second too (PTB's AIORateLimiter)",
    )
    args = parser.parse_args()
    report(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
