"""Keyword alerts at scale: 100,000 alerts (20 each for 5,000 chats) over 10,000 new articles.

The articles are the real titles and leads of the labelled corpus (`tests/data/corpus/`, 660
items from 84 outlets), repeated with a number to make 10,000. The alerts are what readers
would type, drawn (seeded) from that corpus's own specific words, so that they do match: a
single word (40%), two words anywhere (30%), a quoted phrase of two or three syllables taken
from an item (20%), a word with an excluded word (10%); one in ten is immediate. Specific: in
at most one item in a hundred (`SPECIFIC`); each item is repeated some 15 times, so a term
found in one item matches 15 articles.

Anchor: storing those 10,000 articles (`ArticleRepository.upsert` with classification and the
urgency check, as every poll does), measured in the same run. Measured, each against it:

- at ingestion, `find_alerts`: the whole look at the new articles (loading them, the
  immediate alerts found through the anchor index, each candidate checked, the items to
  send at once recorded). Target: less than storing (ratio < 1).
- every alert, daily ones included, matched against the same articles through
  `KeywordIndex`, as the digests do for the readers due (here all 100,000 at once, which
  no digest run does): for information.

Each of `--repeat` runs uses a fresh database.

    .venv/bin/python bench/keyword_alerts.py [--alerts 100000] [--articles 10000]
        [--db sqlite|postgresql] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT, report, scratch_database
from sqlalchemy import insert, select

from digests.alerts import find_alerts
from digests.clock import FakeClock
from digests.config import load_settings
from digests.keywords import ArticleText, KeywordError, KeywordIndex, parse_query
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.models import Article, Frequency, KeywordAlert, Subscriber, table_of
from digests.text import fold, syllables

CORPUS = ROOT / "tests" / "data" / "corpus"
ALERTS_PER_CHAT = 20
# A term is specific when it is in at most this share of the corpus's items.
SPECIFIC = 0.01
NOW = datetime(2026, 3, 5, 9, tzinfo=UTC)


def corpus() -> list[tuple[str, str]]:
    items = []
    for path in sorted(Path(CORPUS).glob("batch*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            items.append((record["title"], record.get("lead") or ""))
    return items


def make_articles(count: int) -> list[ParsedItem]:
    source = corpus()
    return [
        ParsedItem(
            title=f"{source[i % len(source)][0]} ({i})",
            summary=source[i % len(source)][1],
            url=f"https://bench.example/tin-{i}",
        )
        for i in range(count)
    ]


def make_queries(count: int, seed: int = 7) -> list[str]:
    """What readers would type, from the corpus's own words: specific ones. A word or phrase
    found in more than one item in a hundred ("y tế", "bệnh viện", "Bộ Y tế") is every
    other article of a health news bot, not what anyone sets an alert for."""
    rng = random.Random(seed)
    items = corpus()
    runs = [syllables(fold(f"{t} {s}")) for t, s in items]
    texts = [ArticleText(t, s) for t, s in items]
    frequency: Counter[str] = Counter()
    for text in texts:
        frequency.update(text.keys)
    limit = len(items) * SPECIFIC
    words = sorted(
        w
        for w, n in frequency.items()
        if " " not in w and n <= limit and len(w) >= 3 and not w.isdigit()
    )
    queries: list[str] = []
    while len(queries) < count:
        roll = rng.random()
        if roll < 0.4:
            text = rng.choice(words)
        elif roll < 0.7:
            text = f"{rng.choice(words)} {rng.choice(words)}"
        elif roll < 0.9:
            run = rng.choice(runs)
            size = rng.choice((2, 3))
            if len(run) < size:
                continue
            start = rng.randrange(len(run) - size + 1)
            phrase = run[start : start + size]
            if sum(1 for t in texts if t.has(tuple(phrase))) > limit:
                continue
            text = '"' + " ".join(phrase) + '"'
        else:
            text = f"{rng.choice(words)} -{rng.choice(words)}"
        try:
            queries.append(parse_query(text).canonical)
        except KeywordError:
            continue
    return queries


def load_alerts(room: Newsroom, queries: list[str]) -> None:
    """Chats and their alerts, inserted in bulk (not measured)."""
    chats = (len(queries) + ALERTS_PER_CHAT - 1) // ALERTS_PER_CHAT
    with session_scope(room.sessions) as session:
        connection = session.connection()
        connection.execute(
            insert(table_of(Subscriber)),
            [
                {
                    "chat_id": 10_000_000 + n,
                    "language": "vi",
                    "timezone": "Asia/Ho_Chi_Minh",
                    "created_at": NOW,
                    "paused": False,
                    "active": True,
                    "kind": "private",
                    "digest_format": "full",
                }
                for n in range(chats)
            ],
        )
        ids = list(session.scalars(select(Subscriber.id).order_by(Subscriber.id)))
        rows = []
        seen: set[tuple[int, str]] = set()
        for n, query in enumerate(queries):
            sid = ids[n // ALERTS_PER_CHAT]
            if (sid, query) in seen:  # the same words twice for one chat are one alert
                continue
            seen.add((sid, query))
            rows.append(
                {
                    "subscriber_id": sid,
                    "query": query,
                    "anchor": parse_query(query).anchor,
                    "frequency": Frequency.IMMEDIATE if n % 10 == 0 else Frequency.DAILY,
                    "created_at": NOW,
                }
            )
        connection.execute(insert(table_of(KeywordAlert)), rows)


def one_run(db: str, queries: list[str], articles: list[ParsedItem]) -> dict[str, float]:
    with scratch_database(db) as url:
        room = Newsroom.open(load_settings(database_url=url, _env_file=None), clock=FakeClock(NOW))
        load_alerts(room, queries)
        started = time.perf_counter()
        with session_scope(room.sessions) as session:
            ArticleRepository(session).upsert(articles, source_id=None, now=NOW, labels=room.labels)
        ingest = time.perf_counter() - started
        started = time.perf_counter()
        found = find_alerts(room)
        matching = time.perf_counter() - started
        with session_scope(room.sessions) as session:
            alerts = session.query(KeywordAlert).count()
            rows = session.execute(select(Article.id, Article.title, Article.summary)).all()
        room.close()
    assert found.articles == len(articles)
    started = time.perf_counter()
    index = KeywordIndex((r.id, r.title, r.summary) for r in rows)
    pairs = sum(len(index.find(q)) for q in queries)
    everything = time.perf_counter() - started
    return {
        "ingest": ingest,
        "matching": matching,
        "everything": everything,
        "alerts": alerts,
        "pairs": pairs,
        "items": found.items,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    queries = make_queries(args.alerts)
    runs = []
    for _ in range(args.repeat):
        runs.append(one_run(args.db, queries, make_articles(args.articles)))
    ratios = sorted(r["matching"] / r["ingest"] for r in runs)
    all_ratios = sorted(r["everything"] / r["ingest"] for r in runs)

    def spread(key: str) -> str:
        values = sorted(r[key] for r in runs)
        return " / ".join(f"{v:.2f}" for v in (values[0], statistics.median(values), values[-1]))

    last = runs[-1]
    print(
        f"{int(last['alerts'])} keyword alerts, {args.articles} new articles, "
        f"database {args.db}, {args.repeat} runs (min / median / max)"
    )
    print(f"storing the articles (anchor): {spread('ingest')} s")
    print(
        f"at ingestion (find_alerts, immediate alerts): {spread('matching')} s; "
        f"{int(last['items'])} items to send at once"
    )
    median = statistics.median(ratios)
    print(
        f"ratio at ingestion / storing: {ratios[0]:.2f} / {median:.2f} / {ratios[-1]:.2f} "
        "(target < 1)"
    )
    print(
        f"every alert through the index (daily ones included): {spread('everything')} s; "
        f"{int(last['pairs'])} (alert, article) matches; ratio to storing "
        f"{all_ratios[0]:.2f} / {statistics.median(all_ratios):.2f} / {all_ratios[-1]:.2f}"
    )
    report(
        {
            "bench": "keyword_alerts",
            "db": args.db,
            "alerts": int(last["alerts"]),
            "articles": args.articles,
            "repeat": args.repeat,
            "ingest_seconds": [round(r["ingest"], 3) for r in runs],
            "matching_seconds": [round(r["matching"], 3) for r in runs],
            "all_alerts_seconds": [round(r["everything"], 3) for r in runs],
            "pairs": int(last["pairs"]),
            "items": int(last["items"]),
            "ratio_min": round(ratios[0], 3),
            "ratio_median": round(median, 3),
            "ratio_max": round(ratios[-1], 3),
            "all_alerts_ratio_median": round(statistics.median(all_ratios), 3),
            "target_ratio": 1.0,
            "ok": ratios[-1] < 1.0,
        }
    )


if __name__ == "__main__":
    main()
