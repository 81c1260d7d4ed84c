"""The cost of one item grows linearly with its size, whatever a hostile source puts in it.

One feed holding a single item of 0.5 MB, then of 5 MB, is ingested through the real path
(a local HTTP server, fetch, feedparser, screening, classification, storage in a fresh
database). Two shapes: all the text in the title (titles used to have no cap, and
classification grew with the square of their length), and all of it in the body. Each size is
measured alternately, `--repeat` times; the figure is the cost per megabyte of the 5 MB item
over that of the 0.5 MB item, in the same run. Target: at most 1.5.

    .venv/bin/python bench/item_size.py [--repeat 5] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from _common import report, scratch_database

from digests.clock import FakeClock
from digests.config import load_settings
from digests.ingest.fetch import Fetcher, FetchPolicy
from digests.ingest.service import ingest
from digests.services import Newsroom
from tests.feed_server import FeedServer, Route

UNIT = "Bộ trưởng Bộ Y tế kiểm tra an toàn thực phẩm tại bệnh viện tuyến tỉnh & y tế cơ sở. "
SMALL, LARGE = 500_000, 5_000_000


def make_feed(size: int, shape: str) -> bytes:
    text = (UNIT * (size // len(UNIT.encode()) + 1)).encode()[:size].decode("utf-8", "ignore")
    title, body = (text, "Tóm tắt.") if shape == "title" else ("Tin dài", text)
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{title}</title><link>https://a.vn/1</link><guid>1</guid>"
        f"<description>{body}</description></item></channel></rss>"
    ).encode()


async def ingest_once(feed: bytes, db: str) -> float:
    """Seconds for one whole ingest of `feed` into a fresh database."""
    with scratch_database(db) as url, TemporaryDirectory() as folder:
        sources = Path(folder) / "sources.toml"
        async with FeedServer() as server:
            address = server.add("/f.rss", Route(body=feed))
            sources.write_text(f'[[source]]\nname = "big"\nkind = "rss"\nurl = "{address}"\n')
            settings = load_settings(database_url=url, sources_file=sources, _env_file=None)
            room = Newsroom.open(settings, clock=FakeClock(datetime(2026, 3, 5, tzinfo=UTC)))
            fetcher = Fetcher(FetchPolicy(timeout=60, max_bytes=2 * LARGE, attempts=1))
            started = time.perf_counter()
            (result,) = await ingest(room, fetcher=fetcher)
            seconds = time.perf_counter() - started
            await fetcher.aclose()
            room.close()
    assert result.ok and result.new == 1, result
    return seconds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    figures: dict[str, object] = {"bench": "item_size", "db": args.db, "repeat": args.repeat}
    worst = 0.0
    for shape in ("title", "body"):
        small, large = make_feed(SMALL, shape), make_feed(LARGE, shape)
        ratios, small_runs, large_runs = [], [], []
        for _ in range(args.repeat):
            # Alternating, so that a busy moment of the shared machine falls on both sizes.
            small_runs.append(await ingest_once(small, args.db))
            large_runs.append(await ingest_once(large, args.db))
            ratios.append((large_runs[-1] / 5.0) / (small_runs[-1] / 0.5))
        low, median, high = min(ratios), statistics.median(ratios), max(ratios)
        worst = max(worst, median)
        print(
            f"{shape}: 0.5 MB item {statistics.median(small_runs):.3f} s, "
            f"5 MB item {statistics.median(large_runs):.3f} s (medians); cost per MB, "
            f"5 MB over 0.5 MB: min {low:.2f}, median {median:.2f}, max {high:.2f}"
        )
        figures[shape] = {
            "small_seconds_median": round(statistics.median(small_runs), 4),
            "large_seconds_median": round(statistics.median(large_runs), 4),
            "ratio_min": round(low, 3),
            "ratio_median": round(median, 3),
            "ratio_max": round(high, 3),
        }
    print(f"worst median ratio {worst:.2f} (target <= 1.5)")
    report({**figures, "ratio": round(worst, 3), "target_ratio": 1.5, "ok": worst <= 1.5})


if __name__ == "__main__":
    asyncio.run(main())
