"""Scheduled digests and the delivery engine on real databases: exactly one digest at the
subscriber's local time with exactly what is new for them; nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from digests import subscriptions
from digests.clock import FakeClock
from digests.compose import Digest
from digests.delivery import Blocked, DeliveryEngine, DeliveryPolicy, RetryAfter, Transient
from digests.dispatch import RenderedDigest, RenderedDigests, queue_due_digests
from digests.messages import MessagePart
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleLabels, ArticleRepository
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository, EncodedParts, NewDelivery
from digests.store.models import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    Subscriber,
    SubscriptionKind,
)
from tests.senders import ScriptedSender

ORDER = ["leadership", "food-safety", "disease-control"]
# 06:00 in Hanoi on 5 March 2026.
START = datetime(2026, 3, 4, 23, 0, tzinfo=UTC)


def keyword_labels(
    title: str, summary: str, body: str, section: str | None, published: date | None
) -> tuple[list[str], list[str]]:
    """A tiny deterministic labeler for these tests (the real classifier is tested elsewhere)."""
    text = title.lower()
    topics = [
        t
        for t, word in (
            ("leadership", "bộ trưởng"),
            ("food-safety", "thực phẩm"),
            ("disease-control", "dịch"),
        )
        if word in text
    ]
    leaders = ["dao-hong-lan"] if "đào hồng lan" in text else []
    return topics, leaders


def render(digest: Digest) -> list[MessagePart]:
    return [
        MessagePart(
            " | ".join(
                f"{s.key}:{','.join(i.article.title for i in s.items if i.full_in is None)}"
                for s in digest.sections
            )
        )
    ]


def add_articles(room: Newsroom, titles: Sequence[str]) -> None:
    with session_scope(room.sessions) as session:
        ArticleRepository(session).upsert(
            [ParsedItem(title=t) for t in titles],
            source_id=None,
            now=room.clock.now(),
            labels=room.labels,
        )


@pytest.fixture
def room(newsroom: Newsroom, clock: FakeClock) -> Newsroom:
    clock.set(START)
    newsroom.labels = ArticleLabels(keyword_labels, "test")
    return newsroom


def queued(room: Newsroom) -> list[Delivery]:
    with session_scope(room.sessions) as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_one_digest_at_local_time_with_exactly_the_new_items(
    room: Newsroom, clock: FakeClock
) -> None:
    subscriptions.register(room, 101)  # leadership by default, 07:00 Asia/Ho_Chi_Minh
    subscriptions.follow(room, 101, SubscriptionKind.TOPIC, "food-safety")
    add_articles(
        room,
        [
            "Bộ trưởng Đào Hồng Lan thăm bệnh viện",
            "Ngộ độc thực phẩm ở Vũng Tàu",
            "Dịch sởi ở Gia Lai",
        ],
    )
    clock.advance(timedelta(minutes=59))  # 06:59
    assert queue_due_digests(room, render).queued == 0
    clock.advance(timedelta(minutes=1))  # 07:00
    report = queue_due_digests(room, render)
    assert (report.due, report.queued) == (1, 1)
    (row,) = queued(room)
    assert row.parts == [
        "leadership:Bộ trưởng Đào Hồng Lan thăm bệnh viện"
        " | food-safety:Ngộ độc thực phẩm ở Vũng Tàu"
    ]
    assert row.digest_date.isoformat() == "2026-03-05"
    # A second run the same day sends nothing.
    clock.advance(timedelta(minutes=30))
    assert queue_due_digests(room, render).queued == 0
    # Items first seen after the digest go into the next one, and only they.
    add_articles(room, ["An toàn thực phẩm Tết"])
    clock.advance(timedelta(days=1))
    assert queue_due_digests(room, render).queued == 1
    assert queued(room)[-1].parts == ["food-safety:An toàn thực phẩm Tết"]
    assert queued(room)[-1].digest_date.isoformat() == "2026-03-06"


def test_other_time_zone_gets_its_own_time(room: Newsroom, clock: FakeClock) -> None:
    subscriptions.register(room, 201)
    subscriptions.register(room, 202)
    subscriptions.set_timezone(room, 202, "Europe/Paris")
    add_articles(room, ["Bộ trưởng chủ trì họp"])
    clock.set(datetime(2026, 3, 5, 0, 0, tzinfo=UTC))  # 07:00 Hanoi, 01:00 Paris
    queue_due_digests(room, render)
    assert [r.chat_id for r in queued(room)] == [201]
    clock.set(datetime(2026, 3, 5, 6, 0, tzinfo=UTC))  # 07:00 Paris
    queue_due_digests(room, render)
    assert [r.chat_id for r in queued(room)] == [201, 202]


def test_missed_while_down_is_sent_once(room: Newsroom, clock: FakeClock) -> None:
    subscriptions.register(room, 301)
    add_articles(room, ["Bộ trưởng tiếp đoàn WHO"])
    clock.advance(timedelta(days=3))  # down across three 07:00s
    add_articles(room, ["Bộ trưởng làm việc với tỉnh Lào Cai"])
    assert queue_due_digests(room, render).queued == 1
    assert queue_due_digests(room, render).queued == 0
    (digest,) = queued(room)
    # One digest, of what is still news: the item of three days ago is past DIGEST_MAX_AGE.
    assert digest.parts == ["leadership:Bộ trưởng làm việc với tỉnh Lào Cai"]
    with session_scope(room.sessions) as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.chat_id == 301))
        assert subscriber is not None and subscriber.next_digest_at is not None
        assert subscriber.next_digest_at > clock.now()


def test_paused_subscribers_get_nothing(room: Newsroom, clock: FakeClock) -> None:
    subscriptions.register(room, 401)
    subscriptions.set_paused(room, 401, True)
    add_articles(room, ["Bộ trưởng thăm Hà Giang"])
    clock.advance(timedelta(hours=2))
    assert queue_due_digests(room, render).due == 0


def queue_many(room: Newsroom, chats: Sequence[int]) -> None:
    for chat in chats:
        subscriptions.register(room, chat)
    add_articles(room, ["Bộ trưởng họp giao ban"])
    room.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    queue_due_digests(room, render)


async def test_faults_lose_nothing_and_blocked_users_are_deactivated(room: Newsroom) -> None:
    chats = list(range(1000, 1030))
    queue_many(room, chats)
    sender = ScriptedSender(
        {
            1001: [RetryAfter(0.2), RetryAfter(0.1)],
            1002: [Transient("502 Bad Gateway")],
            1003: [Blocked("Forbidden: bot was blocked by the user")],
        }
    )
    policy = DeliveryPolicy(rate=200, per_chat_interval=0.0, backoff_initial=0.0)
    engine = DeliveryEngine(room, sender, worker="w1", policy=policy)
    await engine.run_until_idle()
    room.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
    await engine.run_until_idle()  # the 502 is retried after its backoff
    states = {r.chat_id: r.state for r in queued(room)}
    assert states[1003] is DeliveryState.BLOCKED
    assert all(s is DeliveryState.SENT for c, s in states.items() if c != 1003)
    assert sorted(c for c, _t in sender.sent) == [c for c in chats if c != 1003]
    assert subscriptions.get(room, 1003).active is False  # type: ignore[union-attr]


async def test_crash_mid_fan_out_then_restart_delivers_everything_once(room: Newsroom) -> None:
    chats = list(range(2000, 2100))
    queue_many(room, chats)
    sender = ScriptedSender()
    policy = DeliveryPolicy(rate=1000, per_chat_interval=0.0, batch=40)
    first = DeliveryEngine(room, sender, worker="w1", policy=policy)
    await first.run_once()  # one batch of 40 sent, then the process "dies" holding a batch:
    await asyncio.to_thread(first._claim)  # claimed (sending), never sent
    assert sum(1 for r in queued(room) if r.state is DeliveryState.SENDING) == 40
    second = DeliveryEngine(room, sender, worker="w1", policy=policy)  # restarted
    assert second.recover() == 40
    await second.run_until_idle()
    assert sorted(c for c, _t in sender.sent) == chats
    assert all(r.state is DeliveryState.SENT for r in queued(room))


def test_digest_time_change_reschedules(room: Newsroom, clock: FakeClock) -> None:
    subscriptions.register(room, 501)
    subscriptions.set_digest_time(room, 501, time(6, 30))  # it is 06:00: due in 30 minutes
    add_articles(room, ["Bộ trưởng làm việc tại Cần Thơ"])
    clock.advance(timedelta(minutes=30))  # 06:30
    assert queue_due_digests(room, render).queued == 1


def test_digest_now_holds_only_what_is_news(room: Newsroom, clock: FakeClock) -> None:
    """/digest follows the same rule as the scheduled digest: old news is not news."""
    from digests.dates import When
    from digests.dispatch import digest_now

    subscriptions.register(room, 501)
    with session_scope(room.sessions) as session:
        ArticleRepository(session).upsert(
            [
                ParsedItem(
                    title="Bộ trưởng tiếp đoàn WHO",
                    published=When(clock.now() - timedelta(hours=2), True),
                ),
                ParsedItem(
                    title="Bộ trưởng thăm Hà Giang",
                    published=When(clock.now() - timedelta(days=30), True),
                ),
            ],
            source_id=None,
            now=clock.now(),
            labels=room.labels,
        )
    digest = digest_now(room, 501)
    assert digest is not None
    titles = [i.article.title for s in digest.sections for i in s.items]
    assert titles == ["Bộ trưởng tiếp đoàn WHO"]


def test_rendered_digests_drop_the_least_recently_used_beyond_their_budget() -> None:
    def digest(text: str) -> RenderedDigest:
        return RenderedDigest(EncodedParts.of([MessagePart(text)]), (1,))

    kept = RenderedDigests(max_chars=1000)
    kept.put(("a",), digest("x" * 300))
    kept.put(("b",), digest("y" * 300))
    assert kept.get(("a",)) is not None  # "a" is now the most recently used
    kept.put(("c",), digest("z" * 300))
    assert kept.get(("b",)) is None
    assert kept.get(("a",)) is not None and kept.get(("c",)) is not None
    assert kept.chars <= 1000


def test_a_digest_encoded_once_reads_back_as_rendered(room: Newsroom, clock: FakeClock) -> None:
    parts = [MessagePart("Bộ trưởng <b>Đào Hồng Lan</b> — “ngộ độc”"), MessagePart("2/2")]
    encoded = EncodedParts.of(parts)
    assert "Đào" in encoded.json  # stored as UTF-8, not as \\u escapes
    with session_scope(room.sessions) as session:
        DeliveryRepository(session).queue(
            [
                NewDelivery(DeliveryKind.DIGEST, chat_id=chat, parts=encoded, article_ids=(3, 1))
                for chat in (501, 502)
            ],
            clock.now(),
        )
    with session_scope(room.sessions) as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.chat_id)).all()
        assert [r.chat_id for r in rows] == [501, 502]
        for row in rows:
            assert [MessagePart.from_json(p) for p in row.parts] == parts
            assert row.article_ids == [3, 1]
