"""Inline queries at 100,000 stored articles: `@bot <words>` through the real `Application`
and the fake Bot API server (long polling, as in production), timed from the person's query
to the bot's `answerInlineQuery`; its anchor, a `/help` round trip through the same server
and bot in the same run (the transport and the bot, without the search), alternating.

Queries: common and rare words, with and without diacritics, a phrase, a word found nowhere,
a share button's `id:<n>` and the empty query (the newest articles).
Target: p99 of the inline answer <= 300 ms.

    .venv/bin/python bench/inline_query.py [--articles 100000] [--db sqlite|postgresql]
        [--repeat 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _common import report, scratch_database
from search_scale import START, populate

from digests.clock import FakeClock
from digests.config import load_settings
from digests.services import Newsroom
from tests.bot_harness import Harness, running_bot

QUERIES = [
    "y tế",
    "y te",
    "bệnh viện tuyến tỉnh",
    "benh vien tuyen tinh",
    "ghép tạng",
    "ghep tang",
    "zyxvu",  # in one article in 10,000
    "qqqqq",  # nowhere
    "id:4242",
    "",
]
TARGET_MS = 300.0


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)]


async def inline_once(bot: Harness, user: int, query: str) -> float:
    started = time.monotonic()
    query_id = bot.tg.inline_query(user, query)
    await bot.tg.wait_for(lambda: query_id in bot.tg.inline_answers, 30, "answer")
    return bot.tg.inline_answer_times[query_id] - started


async def help_once(bot: Harness, user: int) -> float:
    before = len(bot.tg.messages_to(user))
    started = time.monotonic()
    bot.tg.send_text(user, "/help")
    await bot.tg.wait_for_messages(user, before + 1, 30)
    return bot.tg.last_to(user).time - started


async def run(articles: int, db: str, repeat: int) -> dict[str, object]:
    with scratch_database(db) as url, tempfile.TemporaryDirectory() as folder:
        sources = Path(folder) / "sources.toml"
        sources.write_text("", encoding="utf-8")  # no polling of the real sources
        # No /healthz server: its port may be taken by another process on this machine.
        settings = load_settings(
            database_url=url, sources_file=sources, _env_file=None, health_port=0
        )
        room = Newsroom.open(settings, clock=FakeClock(START + timedelta(minutes=5 * articles)))
        began = time.perf_counter()
        populate(room, articles)
        print(f"{articles:,} articles stored in {time.perf_counter() - began:.0f} s")
        inline: list[float] = []
        anchor: list[float] = []
        per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
        async with running_bot(settings, room) as bot:
            bot.tg.record_requests = False
            # A new person for each /help: the bot's flood guard would stop one person's run.
            people = iter(range(1000, 1000 + repeat * len(QUERIES) + 1))
            for person in range(1000, 1000 + repeat * len(QUERIES) + 1):
                bot.tg.user(person)
            bot.tg.user(1)
            await help_once(bot, next(people))  # warm up both paths once
            await inline_once(bot, 1, "y tế")
            for _ in range(repeat):
                for query in QUERIES:
                    anchor.append(await help_once(bot, next(people)))
                    seconds = await inline_once(bot, 1, query)
                    inline.append(seconds)
                    per_query[query].append(seconds)
        room.close()
    ms = [x * 1000 for x in inline]
    anchor_ms = [x * 1000 for x in anchor]
    for query, values in per_query.items():
        values_ms = [x * 1000 for x in values]
        print(
            f"{query!r}: min {min(values_ms):.1f} median {statistics.median(values_ms):.1f}"
            f" max {max(values_ms):.1f} ms"
        )
    print(
        f"inline answer ({len(ms)}): min {min(ms):.1f} median {statistics.median(ms):.1f} "
        f"p99 {p99(ms):.1f} max {max(ms):.1f} ms; /help round trip: min {min(anchor_ms):.1f} "
        f"median {statistics.median(anchor_ms):.1f} p99 {p99(anchor_ms):.1f} "
        f"max {max(anchor_ms):.1f} ms; ratio of p99s {p99(ms) / p99(anchor_ms):.2f}; "
        f"target p99 <= {TARGET_MS:.0f} ms: {'met' if p99(ms) <= TARGET_MS else 'NOT met'}"
    )
    return {
        "bench": "inline_query",
        "db": db,
        "articles": articles,
        "inline_p50_ms": round(statistics.median(ms), 1),
        "inline_p99_ms": round(p99(ms), 1),
        "inline_max_ms": round(max(ms), 1),
        "help_p99_ms": round(p99(anchor_ms), 1),
        "ratio": round(p99(ms) / p99(anchor_ms), 2),
        "target_p99_ms": TARGET_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    report(asyncio.run(run(args.articles, args.db, args.repeat)))


if __name__ == "__main__":
    main()
