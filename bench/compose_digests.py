"""Digest composition for 100,000 subscribers with 500 new articles.

Anchor: the time Telegram needs to deliver those digests at its 30 messages a second limit
(one message per digest part). Target: composing and queueing them all takes at most 0.5% of
that, with a peak memory of at most 300 MB. The figures come from one dispatcher pass (one
query for the due subscribers, one for the new articles, every digest rendered and queued).

With `--distinct`, every due subscriber's digest differs from every other (each has its own
window: its last digest a second apart from the next subscriber's), so the dispatcher's cache of
rendered digests never helps; the figure is then the time per distinct digest, target <= 3 ms
with 10,000 due.

    .venv/bin/python bench/compose_digests.py [--subscribers N] [--db sqlite|postgresql]
        [--distinct]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from _common import peak_rss_mb, report, scratch_database
from sqlalchemy import func, insert, select

from bot.app import build_services
from bot.jobs import digest_renderer
from digests.clock import FakeClock
from digests.config import load_settings
from digests.dispatch import queue_due_digests
from digests.services import Newsroom
from digests.store.models import (
    Article,
    ArticleLeader,
    ArticleTopic,
    ChatKind,
    Delivery,
    Subscriber,
    Subscription,
    SubscriptionKind,
)
from digests.text import fold, title_key

TELEGRAM_RATE = 30.0


def populate(
    room: Newsroom, subscribers: int, articles: int, now: datetime, distinct: bool = False
) -> None:
    rng = random.Random(7)
    services = build_services(room.settings, room)
    topics = [t.slug for t in services.catalog.topics]
    leaders = [leader.slug for leader in services.catalog.leaders]
    with room.engine.begin() as connection:
        article_rows = []
        for i in range(articles):
            title = f"Bài viết số {i}: Bộ Y tế triển khai nhiệm vụ {rng.choice(topics)}"
            article_rows.append(
                {
                    "title": title,
                    "title_key": title_key(title),
                    "summary": "Tóm tắt " * 20,
                    "body": "",
                    "section": None,
                    "published_at": now - timedelta(minutes=i),
                    "published_has_time": True,
                    "first_seen_at": now - timedelta(minutes=i % 600),
                    "updated_at": now,
                    "content_hash": f"{i:064d}",
                    "search_title": fold(title),
                    "search_text": fold(title),
                    "url": f"https://moh.gov.vn/a/{i}",
                }
            )
        connection.execute(insert(Article), article_rows)
        ids = list(connection.execute(select(Article.id)).scalars())
        connection.execute(
            insert(ArticleTopic),
            [{"article_id": a, "topic": t} for a in ids for t in rng.sample(topics, 2)],
        )
        connection.execute(
            insert(ArticleLeader),
            [{"article_id": a, "leader": rng.choice(leaders)} for a in ids if a % 5 == 0],
        )
        due = now - timedelta(minutes=1)
        batch = 10_000
        for start in range(0, subscribers, batch):
            rows = [
                {
                    "chat_id": 10_000_000 + n,
                    "kind": ChatKind.PRIVATE,
                    "language": "vi" if n % 3 else "en",
                    "timezone": "Asia/Ho_Chi_Minh",
                    "digest_time": datetime.min.time().replace(hour=7),
                    "paused": False,
                    "active": True,
                    "created_at": now - timedelta(days=30),
                    "next_digest_at": due,
                    "last_digest_at": now - timedelta(days=1, seconds=n if distinct else 0),
                }
                for n in range(start, min(start + batch, subscribers))
            ]
            connection.execute(insert(Subscriber), rows)
        sub_ids = list(connection.execute(select(Subscriber.id)).scalars())
        subs = []
        for sid in sub_ids:
            subs.append({"subscriber_id": sid, "kind": SubscriptionKind.TOPIC, "key": "leadership"})
            for t in rng.sample(topics, 2):
                if t != "leadership":
                    subs.append({"subscriber_id": sid, "kind": SubscriptionKind.TOPIC, "key": t})
            if sid % 4 == 0:
                subs.append(
                    {
                        "subscriber_id": sid,
                        "kind": SubscriptionKind.LEADER,
                        "key": rng.choice(leaders),
                    }
                )
        for start in range(0, len(subs), 50_000):
            connection.execute(insert(Subscription), subs[start : start + 50_000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--distinct", action="store_true", help="no two digests alike")
    args = parser.parse_args()
    if args.distinct and args.subscribers == 100_000:
        args.subscribers = 10_000
    now = datetime(2026, 3, 5, 0, 1, tzinfo=UTC)
    with scratch_database(args.db) as url:
        settings = load_settings(database_url=url, _env_file=None)
        room = Newsroom.open(settings, clock=FakeClock(now))
        populate(room, args.subscribers, args.articles, now, args.distinct)
        services = build_services(settings, room)
        render = digest_renderer(services)
        memory_before = peak_rss_mb()
        started = time.perf_counter()
        queued = 0
        while True:
            result = queue_due_digests(room, render, limit=5000)
            queued += result.queued
            if result.due == 0:
                break
        elapsed = time.perf_counter() - started
        with room.engine.connect() as connection:
            parts = sum(len(p) for p in connection.execute(select(Delivery.parts)).scalars())
            rows = connection.execute(select(func.count()).select_from(Delivery)).scalar_one()
        room.close()
    telegram_seconds = parts / TELEGRAM_RATE
    ratio = elapsed / telegram_seconds
    peak = peak_rss_mb()
    print(f"subscribers {args.subscribers}, new articles {args.articles}, database {args.db}")
    print(f"digests queued {queued} ({rows} ledger rows, {parts} messages)")
    print(
        f"composition and queueing: {elapsed:.1f} s; "
        f"Telegram at 30/s needs {telegram_seconds:.0f} s"
    )
    print(
        f"ratio {ratio:.4%} (target <= 0.5%); peak memory {peak:.0f} MB "
        f"(before the pass {memory_before:.0f} MB; target <= 300 MB)"
    )
    if args.distinct:
        per_digest = elapsed / max(queued, 1) * 1000
        print(f"{per_digest:.2f} ms per distinct digest (target <= 3 ms)")
        report(
            {
                "bench": "compose_digests_distinct",
                "db": args.db,
                "digests": queued,
                "seconds": round(elapsed, 2),
                "ms_per_digest": round(per_digest, 3),
                "target_ms_per_digest": 3.0,
                "peak_mb": round(peak, 1),
                "ok": per_digest <= 3.0,
            }
        )
        return
    report(
        {
            "bench": "compose_digests",
            "db": args.db,
            "subscribers": args.subscribers,
            "articles": args.articles,
            "digests": queued,
            "messages": parts,
            "seconds": round(elapsed, 2),
            "telegram_seconds": round(telegram_seconds, 1),
            "ratio": round(ratio, 5),
            "target_ratio": 0.005,
            "peak_mb": round(peak, 1),
            "target_peak_mb": 300,
            "ok": ratio <= 0.005 and peak <= 300,
        }
    )


if __name__ == "__main__":
    main()
