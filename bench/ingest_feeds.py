"""Feed ingest: parse, normalise, screen, classify, deduplicate and store, as a poll does
(`parse_feed`, then `_store_safely`: the articles and the source's own record).

Anchor: `feedparser.parse` of the same bytes with exactly the project's options (the
content type as a header, HTML sanitising and relative-link resolving off), in the same run.
Anchor and ingest run in pairs, the order alternating from pair to pair; the figure is the
median of the pairs' ratios (min and max printed too). Cases:

- `one feed, empty`: one feed of `--entries` entries (1,000: the most one poll takes, see
  `digests.ingest.bounds.ITEMS_PER_READ`) into an empty database;
- `one feed, dedupe`: the same feed again into the database that holds it (every later poll
  of a feed takes this path);
- `200 x 50, empty` and `200 x 50, dedupe`: 200 sources of 50 entries each, as a poll of
  every source finds them, the anchor parsing the same 200 documents.

Target: ratio <= 1.3 on SQLite, <= 1.5 on PostgreSQL, in every case.

    .venv/bin/python bench/ingest_feeds.py [--entries 1000] [--db sqlite|postgresql]
        [--repeat 5] [--sources 200] [--per-source 50]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import feedparser
from _common import report, scratch_database

from digests.clock import FakeClock
from digests.config import load_settings
from digests.ingest.bounds import ITEMS_PER_READ
from digests.ingest.contracts import ReadResult
from digests.ingest.feeds import parse_feed
from digests.ingest.service import _store_safely
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import Source, SourceKind

TITLES = [
    "Bộ trưởng Bộ Y tế Đào Hồng Lan chủ trì họp về {x}",
    "Ngộ độc thực phẩm tại {x}: 30 người nhập viện",
    "Triển khai bệnh án điện tử ở {x}",
    "Sốt xuất huyết tăng mạnh tại {x}",
    "Thứ trưởng Nguyễn Tri Thức kiểm tra công tác y tế cơ sở ở {x}",
    "Hiến máu tình nguyện: {x} vượt chỉ tiêu",
]
PLACES = ["Hà Nội", "Huế", "Cần Thơ", "Đà Nẵng", "Quảng Ninh", "Gia Lai", "Cà Mau", "Sơn La"]
CONTENT_TYPE = "application/rss+xml; charset=utf-8"
TARGETS = {"sqlite": 1.3, "postgresql": 1.5}


def make_feed(entries: int, feed: int = 0) -> bytes:
    rng = random.Random(feed + 1)
    start = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    items = []
    for i in range(entries):
        title = rng.choice(TITLES).format(x=rng.choice(PLACES)) + f" (tin {feed}-{i})"
        when = (start - timedelta(minutes=i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        items.append(
            f"<item><title>{title}</title>"
            f"<link>https://suckhoedoisong.vn/{feed}/tin-{i}.htm</link>"
            f"<guid>tin-{feed}-{i}</guid><pubDate>{when}</pubDate>"
            f"<description><![CDATA[<p>Sáng nay,&nbsp;{title.lower()} với sự tham gia của "
            f"đại diện các Sở Y tế &amp; bệnh viện tuyến tỉnh.</p>]]></description></item>"
        )
    body = "".join(items)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Sức khỏe {feed}</title>{body}</channel></rss>"
    ).encode()


def anchor(feeds: list[bytes]) -> float:
    """Seconds for `feedparser.parse` of every feed, with the options the project uses."""
    started = time.perf_counter()
    for data in feeds:
        parsed = feedparser.parse(
            data,
            response_headers={"content-type": CONTENT_TYPE},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        assert parsed.entries
    return time.perf_counter() - started


def open_room(url: str, sources: int) -> tuple[Newsroom, list[Source]]:
    room = Newsroom.open(
        load_settings(database_url=url, _env_file=None),
        clock=FakeClock(datetime(2026, 3, 5, 9, tzinfo=UTC)),
    )
    with session_scope(room.sessions) as session:
        rows = [
            Source(name=f"bench-{i}", kind=SourceKind.RSS, url=f"https://example.vn/{i}.rss")
            for i in range(sources)
        ]
        session.add_all(rows)
    return room, rows


def ingest(room: Newsroom, sources: list[Source], feeds: list[bytes]) -> tuple[float, int]:
    """Seconds for a poll's work on every feed (parse, screen, classify, store); new stored."""
    started = time.perf_counter()
    new = 0
    for source, data in zip(sources, feeds, strict=True):
        items = parse_feed(data, content_type=CONTENT_TYPE)
        stored = _store_safely(room, source, ReadResult(items=items), None)
        assert stored.error is None, stored.error
        new += stored.new
    return time.perf_counter() - started, new


def pairs(
    repeat: int, anchor_run: Callable[[], float], ours_run: Callable[[], float]
) -> tuple[list[float], list[float], list[float]]:
    """Anchor and ours in pairs, alternating which goes first: (ratios, anchors, ours)."""
    ratios, anchors, ours = [], [], []
    for i in range(repeat):
        if i % 2 == 0:
            a = anchor_run()
            o = ours_run()
        else:
            o = ours_run()
            a = anchor_run()
        anchors.append(a)
        ours.append(o)
        ratios.append(o / a)
    return ratios, anchors, ours


def run_case(db: str, feeds: list[bytes], repeat: int, dedupe: bool) -> dict[str, float]:
    def ours_run() -> float:
        if dedupe:
            seconds, new = ingest(room, sources, feeds)
            assert new == 0
            return seconds
        with scratch_database(db) as url:
            fresh, fresh_sources = open_room(url, len(feeds))
            try:
                seconds, new = ingest(fresh, fresh_sources, feeds)
            finally:
                fresh.close()
            assert new == sum(min(data.count(b"<item>"), ITEMS_PER_READ) for data in feeds)
            return seconds

    with scratch_database(db) as url:
        room, sources = open_room(url, len(feeds))
        try:
            if dedupe:
                ingest(room, sources, feeds)  # the database already holds the feeds
            ratios, anchors, ours = pairs(repeat, lambda: anchor(feeds), ours_run)
        finally:
            room.close()
    ratios.sort()
    return {
        "anchor_s": statistics.median(anchors),
        "ours_s": statistics.median(ours),
        "ratio": statistics.median(ratios),
        "ratio_min": ratios[0],
        "ratio_max": ratios[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--per-source", type=int, default=50)
    args = parser.parse_args()
    target = TARGETS[args.db]
    one = [make_feed(args.entries)]
    many = [make_feed(args.per_source, feed) for feed in range(1, args.sources + 1)]
    realistic = f"{args.sources} x {args.per_source}"
    cases = {
        "one feed, empty": (one, False),
        "one feed, dedupe": (one, True),
        f"{realistic}, empty": (many, False),
        f"{realistic}, dedupe": (many, True),
    }
    figures: dict[str, object] = {
        "bench": "ingest_feeds",
        "db": args.db,
        "entries": args.entries,
        "repeat": args.repeat,
        "target_ratio": target,
    }
    ok = True
    print(f"database {args.db}; {args.repeat} pairs per case; target ratio <= {target}")
    for name, (feeds, dedupe) in cases.items():
        case = run_case(args.db, feeds, args.repeat, dedupe)
        print(
            f"{name:18} feedparser {case['anchor_s']:.2f} s, ingest {case['ours_s']:.2f} s; "
            f"ratio min/median/max {case['ratio_min']:.2f}/{case['ratio']:.2f}/"
            f"{case['ratio_max']:.2f}"
        )
        key = name.replace(", ", "_").replace(" x ", "x").replace(" ", "_")
        figures[f"{key}_ratio"] = round(case["ratio"], 3)
        figures[f"{key}_ratio_min"] = round(case["ratio_min"], 3)
        figures[f"{key}_ratio_max"] = round(case["ratio_max"], 3)
        ok = ok and case["ratio"] <= target
    figures["ok"] = ok
    report(figures)


if __name__ == "__main__":
    main()
