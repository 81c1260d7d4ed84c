"""The article store's bulk insert (COPY on PostgreSQL, executemany on SQLite) keeps every
field, label and search entry as written, on both databases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from digests.dates import VN_TZ, When
from digests.ingest.contracts import ReadResult
from digests.ingest.service import _store
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.models import Article
from digests.store.search import search_articles
from digests.store.sources import SourceRepository
from digests.topics.catalog import load_catalog
from digests.topics.classifier import Classifier

TITLES = [
    "Thứ trưởng Nguyễn Tri Thức chủ trì họp về bệnh án điện tử ở {x}",
    "Ngộ độc thực phẩm tại {x}: 30 người nhập viện",
    "Sốt xuất huyết tăng mạnh tại {x}",
    "Hiến máu tình nguyện: {x} vượt chỉ tiêu",
    "Một ngày ở {x}",  # no topic at all
]


def _items(count: int) -> list[ParsedItem]:
    start = datetime(2026, 3, 5, 8, 0, tzinfo=VN_TZ)
    items = []
    for i in range(count):
        title = TITLES[i % len(TITLES)].format(x=f"xã số {i}")
        published = None
        if i % 3 == 1:
            published = When(start - timedelta(minutes=i), True)
        elif i % 3 == 2:
            published = When(datetime(2026, 3, 4, tzinfo=VN_TZ), False)
        items.append(
            ParsedItem(
                title=title,
                url=None if i % 4 == 0 else f"https://moh.gov.vn/tin-{i}",
                guid=f"g-{i}" if i % 2 else None,
                published=published,
                summary=f"Tóm tắt {i}: “trích dẫn” & <ký tự> \\ tab\tvà xuống\ndòng",
                body="" if i % 5 else f"Đoạn một {i}.\nĐoạn hai có ký tự \\N và \\\\.",
                section="leadership" if i % 7 == 0 else None,
            )
        )
    return items


def test_bulk_insert_keeps_every_field_label_and_search_entry(newsroom: Newsroom) -> None:
    # 2,500 rows: COPY streams them in several buffers while later rows are still classified.
    items = _items(2_500)
    now = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    with session_scope(newsroom.sessions) as session:
        result = ArticleRepository(session).upsert(
            items, source_id=None, now=now, labels=newsroom.labels
        )
    assert result.new == len(items) and len(set(result.ids)) == len(items)

    assert newsroom.labels is not None
    catalog = load_catalog(newsroom.settings.topics_file)
    classifier = Classifier(catalog)
    slug_of = {leader.name: leader.slug for leader in catalog.leaders}
    with session_scope(newsroom.sessions) as session:
        stored = {a.id: a for a in session.scalars(select(Article))}
        assert len(stored) == len(items)
        for item, article_id in zip(items, result.ids, strict=True):
            article = stored[article_id]
            assert (article.title, article.summary, article.body) == (
                item.title,
                item.summary,
                item.body,
            )
            assert (article.url, article.guid, article.section) == (
                item.url,
                item.guid,
                item.section,
            )
            if item.published is None:
                assert article.published_at is None and article.published_has_time is False
            else:
                assert article.published_at == item.published.at
                assert article.published_at.tzinfo is not None
                assert article.published_has_time is item.published.has_time
            assert article.first_seen_at == now
            assert article.classified_with == newsroom.labels.fingerprint
            expected = classifier.classify(item.title, item.summary, item.body, item.section)
            assert sorted(t.topic for t in article.topics) == sorted(expected.topics)
            assert sorted(x.leader for x in article.leaders) == sorted(
                slug_of[name] for name in expected.leaders
            )
        # The labels are not all alike: the batch exercises several topics and a leader.
        assert len({t.topic for a in stored.values() for t in a.topics}) >= 4
        assert any(a.leaders for a in stored.values())

        hits = search_articles(session, "ngo doc thuc pham xa so 1001", limit=5)
        assert [h.article.title for h in hits] == [
            "Ngộ độc thực phẩm tại xã số 1001: 30 người nhập viện"
        ]
        assert search_articles(session, "doan hai ky tu", limit=3000)[0].article.body


def test_a_second_batch_merges_instead_of_inserting(newsroom: Newsroom) -> None:
    items = _items(300)
    now = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    with session_scope(newsroom.sessions) as session:
        first = ArticleRepository(session).upsert(items, source_id=None, now=now)
    with session_scope(newsroom.sessions) as session:
        again = ArticleRepository(session).upsert(
            _items(301), source_id=None, now=now + timedelta(hours=1)
        )
    assert (first.new, again.new, again.unchanged) == (300, 1, 300)
    assert again.ids[:300] == first.ids


def test_an_article_stored_first_by_another_process_is_retried_and_merged(
    newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between our lookup and our insert another process stores the same articles: the insert
    fails with a unique-key conflict (IntegrityError, also from PostgreSQL's COPY) and the
    ingest's retry finds and merges them; nothing is stored twice."""
    with session_scope(newsroom.sessions) as session:
        source_id = SourceRepository(session).seed_source("elsewhere").id
    items = _items(30)
    now = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    with session_scope(newsroom.sessions) as session:
        ArticleRepository(session).upsert(items, source_id=None, now=now)

    real_lookup = ArticleRepository._candidates
    lookups: list[int] = []

    def lookup_that_misses_once(
        self: ArticleRepository, batch: Sequence[ParsedItem], keys: set[str]
    ) -> list[Article]:
        lookups.append(len(batch))
        return [] if len(lookups) == 1 else real_lookup(self, batch, keys)

    monkeypatch.setattr(ArticleRepository, "_candidates", lookup_that_misses_once)
    with pytest.raises(IntegrityError), session_scope(newsroom.sessions) as session:
        ArticleRepository(session).upsert(items, source_id=None, now=now)

    lookups.clear()
    report = _store(newsroom, source_id, ReadResult(items=items), None)
    assert len(lookups) == 2  # the first attempt conflicted, the second merged
    assert (report.new, report.unchanged) == (0, 30)
    with session_scope(newsroom.sessions) as session:
        assert ArticleRepository(session).count() == 30
