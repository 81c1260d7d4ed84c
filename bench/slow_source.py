"""A trickling source must not hold up the others: the real scheduled ingest over local HTTP
servers, several normal feeds and one that sends a byte a second forever.

Measured: how long after the poll starts every normal source is stored, (a) with the trickle
among the sources and (b) without it (the anchor: the same normal sources, same work, a fresh
database each run); the two alternate, `--repeat` times each. Target: the trickle delays the
normal sources by less than the per-fetch deadline (HTTP_TIMEOUT), and is itself cut at it.

    .venv/bin/python bench/slow_source.py [--normal 6] [--timeout 3] [--repeat 5] [--db sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

from _common import report, scratch_database
from sqlalchemy import select

from digests.config import load_settings
from digests.ingest.service import SourceReport, ingest
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import Source
from tests.feed_server import FeedServer, Route, trickle


def feed(n: int, items: int = 30) -> bytes:
    entries = "".join(
        f"<item><title>Bản tin y tế số {n}-{i}: tiêm chủng và an toàn thực phẩm</title>"
        f"<link>https://suckhoedoisong.vn/tin-{n}-{i}.htm</link><guid>tin-{n}-{i}</guid>"
        f"<pubDate>Thu, 05 Mar 2026 08:{i % 60:02d}:00 +0700</pubDate>"
        f"<description>Sở Y tế thông báo kết quả kiểm tra đợt {i}.</description></item>"
        for i in range(items)
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
    return f"{head}{entries}</channel></rss>".encode()


async def one_run(
    db: str, sources: dict[str, str], normal: set[str], timeout: float
) -> tuple[float, float, list[SourceReport]]:
    """(seconds until every normal source is stored, seconds for the whole ingest, reports)."""
    with scratch_database(db) as url, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sources.toml"
        path.write_text(
            "".join(
                f'[[source]]\nname = "{name}"\nkind = "rss"\nurl = "{address}"\n\n'
                for name, address in sources.items()
            ),
            encoding="utf-8",
        )
        room = Newsroom.open(
            load_settings(database_url=url, sources_file=path, http_timeout=timeout, _env_file=None)
        )

        def stored() -> int:
            with session_scope(room.sessions) as session:
                query = select(Source.name).where(Source.last_success_at.is_not(None))
                return len(normal & set(session.scalars(query)))

        started = time.perf_counter()
        poll = asyncio.create_task(ingest(room, due_only=True))
        while await asyncio.to_thread(stored) < len(normal) and not poll.done():
            await asyncio.sleep(0.005)
        normal_done = time.perf_counter() - started
        reports = await poll
        total = time.perf_counter() - started
        room.close()
    return normal_done, total, reports


def figures(values: list[float]) -> list[float]:
    """min, median, max."""
    return [round(v, 3) for v in (min(values), statistics.median(values), max(values))]


def spread(values: list[float]) -> str:
    low, middle, high = figures(values)
    return f"min {low:.3f} / median {middle:.3f} / max {high:.3f} s"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--normal", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=3.0, help="HTTP_TIMEOUT, seconds")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    logging.getLogger("digests").setLevel(logging.ERROR)  # the trickle's failure, every run

    async with FeedServer() as server:
        normal = {
            f"normal-{i}": server.add(f"/n{i}.rss", Route(body=feed(i))) for i in range(args.normal)
        }
        with_slow = {"slow": server.add_handler("/slow.rss", trickle(1.0)), **normal}
        present: list[float] = []
        anchor: list[float] = []
        totals: list[float] = []
        slow_errors: set[str] = set()
        for _ in range(args.repeat):
            # Alternating, so that a busy moment of the machine weighs on both alike.
            normal_done, total, reports = await one_run(
                args.db, with_slow, set(normal), args.timeout
            )
            present.append(normal_done)
            totals.append(total)
            slow_errors |= {r.error or "" for r in reports if r.name == "slow"}
            assert all(r.ok and r.new == 30 for r in reports if r.name != "slow"), reports
            bare, _total, reports = await one_run(args.db, normal, set(normal), args.timeout)
            anchor.append(bare)
            assert all(r.ok for r in reports), reports

    delays = [p - a for p, a in zip(present, anchor, strict=True)]
    ratio = statistics.median(present) / statistics.median(anchor)
    ok = max(delays) < args.timeout and slow_errors == {
        f"timed out: no complete answer within {args.timeout:g} s"
    }
    print(
        f"{args.normal} normal feeds + 1 trickling a byte a second, "
        f"HTTP_TIMEOUT={args.timeout:g} s, database {args.db}, {args.repeat} runs each"
    )
    print(f"normal sources stored, trickle present: {spread(present)}")
    print(f"normal sources stored, no trickle (anchor): {spread(anchor)}")
    print(f"delay caused by the trickle: {spread(delays)} (target < {args.timeout:g} s)")
    print(f"whole ingest with the trickle: {spread(totals)}; the trickle: {sorted(slow_errors)}")
    print(f"ratio {ratio:.2f}; {'ok' if ok else 'NOT OK'}")
    report(
        {
            "bench": "slow_source",
            "db": args.db,
            "normal_sources": args.normal,
            "repeat": args.repeat,
            "http_timeout_seconds": args.timeout,
            "with_trickle_seconds": figures(present),
            "anchor_seconds": figures(anchor),
            "delay_seconds": figures(delays),
            "whole_ingest_seconds": figures(totals),
            "ratio": round(ratio, 3),
            "target_delay_below_seconds": args.timeout,
            "ok": ok,
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
