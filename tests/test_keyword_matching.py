"""Keyword alerts matched in bulk: `match_all` finds exactly what checking every query against
every article finds, and `find_alerts` records each (chat, article) item once, with the
alert that matched, on both databases."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digests import subscriptions
from digests.alerts import find_alerts
from digests.keywords import (
    ArticleText,
    KeywordError,
    KeywordIndex,
    KeywordQuery,
    match_all,
    parse_query,
)
from digests.services import Newsroom
from digests.store.alerts import AlertRepository, NewItem
from digests.store.db import session_scope
from digests.store.models import AlertItem, Frequency, Subscriber
from digests.store.subscribers import SubscriberRepository
from digests.text import fold, syllables
from tests.test_bot_digests import store

WORDS = ["Bạch", "Mai", "sởi", "Hà", "Nội", "thuốc", "giả", "Chợ", "Rẫy", "tả", "ta", "K"]


def _naive(query: KeywordQuery, title: str, lead: str) -> bool:
    """Whether the query matches, syllable by syllable: each part apart, no index."""
    parts = [syllables(fold(p)) for p in (title, lead) if p]

    def found(term: tuple[str, ...]) -> bool:
        n = len(term)
        return any(tuple(p[i : i + n]) == term for p in parts for i in range(len(p) - n + 1))

    return all(found(t) for t in query.required) and not any(found(t) for t in query.excluded)


def test_matching_finds_exactly_what_checking_every_pair_finds() -> None:
    rng = random.Random(4)
    articles = [
        (
            " ".join(rng.choices(WORDS, k=rng.randint(1, 8))),
            " ".join(rng.choices(WORDS, k=rng.randint(0, 12))),
        )
        for _ in range(300)
    ]
    queries: set[KeywordQuery] = set()
    while len(queries) < 300:
        terms = []
        for _ in range(rng.randint(1, 3)):
            words = rng.choices(WORDS, k=rng.randint(1, 3))
            term = f'"{" ".join(words)}"' if rng.random() < 0.5 else " ".join(words)
            terms.append(("-" if rng.random() < 0.2 else "") + term)
        try:
            queries.add(parse_query(" ".join(terms)))
        except KeywordError:
            continue
    texts = [ArticleText(title, lead) for title, lead in articles]
    # Both ways of matching are drawn: by the keys alone, and checked in full.
    assert 20 < sum(q.required_keys is not None for q in queries) < len(queries) - 20
    found = list(match_all(queries, texts))
    expected = {
        (query, index)
        for query in queries
        for index, (title, lead) in enumerate(articles)
        if _naive(query, title, lead)
    }
    assert len(found) == len(set(found))  # each match once
    assert set(found) == expected
    assert len(expected) > 100  # the draw makes matches, and misses
    assert len(expected) < len(queries) * len(articles) / 2
    # The digests' index (articles by key) finds the same.
    index = KeywordIndex((n, title, lead) for n, (title, lead) in enumerate(articles))
    assert {(q, n) for q in queries for n in index.find(q.canonical)} == expected


def test_a_phrase_does_not_run_from_title_into_lead() -> None:
    text = ArticleText("Khám tại Bạch", "Mai hôm nay")
    assert not list(match_all([parse_query('"bach mai"')], [text]))
    assert list(match_all([parse_query("bach mai")], [text]))
    assert not list(match_all([parse_query("bach -mai")], [text]))


def test_find_alerts_records_each_item_once_with_its_keyword(newsroom: Newsroom) -> None:
    for chat in (1, 2, 3):
        subscriptions.register(newsroom, chat)
    subscriptions.add_keyword_alert(newsroom, 1, '"Bạch Mai"', Frequency.IMMEDIATE)
    # The same article again: one item, with one of the two alerts.
    subscriptions.add_keyword_alert(newsroom, 1, "benh vien", Frequency.IMMEDIATE)
    subscriptions.add_keyword_alert(newsroom, 2, 'sởi -"Hà Nội"', Frequency.IMMEDIATE)
    subscriptions.add_keyword_alert(newsroom, 3, '"Bạch Mai"')  # daily: not at once
    store(
        newsroom,
        "Bệnh viện Bạch Mai mở khoa mới",
        "Sởi tăng ở Hà Nội",
        "Sởi tăng ở Cà Mau",
        "Thuốc giả bị thu giữ",
    )
    report = find_alerts(newsroom)
    assert report.articles == 4
    with session_scope(newsroom.sessions) as session:
        rows = session.execute(select(AlertItem)).scalars().all()
        chat_of = {s.id: c for c, s in ((c, _subscriber(session, c)) for c in (1, 2, 3))}
        items = sorted((chat_of[r.subscriber_id], r.keyword, r.queued_at) for r in rows)
    (first, first_keyword, _), second = items
    assert first == 1 and first_keyword in {'"bach mai"', "benh vien"}
    assert second == (2, 'soi -"ha noi"', None)
    assert report.items == 2 and report.matches == 3
    assert find_alerts(newsroom).articles == 0  # looked at once


def _subscriber(session: Session, chat: int) -> Subscriber:
    found = SubscriberRepository(session).get(chat)
    assert found is not None
    return found


def test_an_item_recorded_twice_is_one_row(newsroom: Newsroom) -> None:
    subscriptions.register(newsroom, 5)
    store(newsroom, "Bệnh viện Chợ Rẫy ghép tạng")
    when = datetime(2026, 3, 5, 9, tzinfo=UTC)
    with session_scope(newsroom.sessions) as session:
        sid = _subscriber(session, 5).id
        article = AlertRepository(session).take_pending(10)[0]
        item = NewItem(sid, article.id, False, "cho ray", when)
        AlertRepository(session).add_items([item])
    with session_scope(newsroom.sessions) as session:
        AlertRepository(session).add_items([item._replace(keyword="other"), item])
    with session_scope(newsroom.sessions) as session:
        (row,) = session.execute(select(AlertItem)).scalars().all()
        assert (row.keyword, row.due_at, row.urgent) == ("cho ray", when, False)
        assert row.queued_at is None
        # Stored as SQLAlchemy stores a time: the database compares it as equal.
        assert session.scalar(select(func.count()).where(AlertItem.due_at == when)) == 1


def test_a_forgotten_chat_takes_its_items_with_it(newsroom: Newsroom) -> None:
    # Items have no foreign key to cascade from (migration 0014): the deletion does it.
    for chat in (6, 7):
        subscriptions.register(newsroom, chat)
        subscriptions.add_keyword_alert(newsroom, chat, "Chợ Rẫy", Frequency.IMMEDIATE)
    store(newsroom, "Bệnh viện Chợ Rẫy ghép tạng")
    assert find_alerts(newsroom).items == 2
    assert subscriptions.forget(newsroom, 6)
    with session_scope(newsroom.sessions) as session:
        left = session.execute(select(AlertItem.subscriber_id)).scalars().all()
        assert left == [_subscriber(session, 7).id]
