"""Admin use cases on real databases: broadcast audiences and ledger rows, cancellation,
statistics that match the database, the chart PNG, and one alert per failing source."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from digests import broadcasts, stats, subscriptions
from digests.broadcasts import Audience, BroadcastError
from digests.charts import ChartLabels, render_png
from digests.clock import FakeClock
from digests.dates import VN_TZ, When
from digests.delivery import DeliveryEngine, DeliveryPolicy
from digests.messages import MessagePart
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleLabels, ArticleRepository
from digests.store.db import session_scope
from digests.store.models import BroadcastState, Delivery, Source, SourceKind
from digests.store.models import SubscriptionKind as Kind
from digests.store.sources import SourceRepository
from tests.senders import ScriptedSender


def _audience(room: Newsroom) -> None:
    for chat in (1, 2, 3, 4):
        subscriptions.register(room, chat)  # all on leadership
    subscriptions.follow(room, 2, Kind.TOPIC, "food-safety")
    subscriptions.follow(room, 3, Kind.TOPIC, "food-safety")
    subscriptions.follow(room, 4, Kind.LEADER, "dao-hong-lan")
    subscriptions.mark_unreachable(room, 3, "Forbidden: bot was blocked by the user")


async def test_topic_broadcast_reaches_exactly_active_subscribers(newsroom: Newsroom) -> None:
    _audience(newsroom)
    draft = broadcasts.create_draft(newsroom, admin_id=9, text="<b>Thông báo khẩn</b>")
    assert broadcasts.set_audience(newsroom, draft, Audience(topics=("food-safety",))) == 1
    assert broadcasts.audience_size(newsroom, Audience(leaders=("dao-hong-lan",))) == 1
    assert broadcasts.audience_size(newsroom, Audience()) == 3  # everyone active
    assert broadcasts.start(newsroom, draft, [MessagePart("<b>Thông báo khẩn</b>")]) == 1
    with pytest.raises(BroadcastError):
        broadcasts.start(
            newsroom, draft, [MessagePart("again")]
        )  # a started broadcast is not a draft
    sender = ScriptedSender()
    engine = DeliveryEngine(newsroom, sender, worker="t", policy=DeliveryPolicy(rate=100))
    await engine.run_until_idle()
    assert sender.sent == [(2, "<b>Thông báo khẩn</b>")]
    done = broadcasts.progress(newsroom, draft)
    assert (done.state, done.total, done.sent, done.failed, done.blocked) == (
        BroadcastState.DONE,
        1,
        1,
        0,
        0,
    )


async def test_cancel_stops_what_is_queued(newsroom: Newsroom) -> None:
    for chat in range(10, 30):
        subscriptions.register(newsroom, chat)
    draft = broadcasts.create_draft(newsroom, admin_id=9, text="x")
    broadcasts.set_audience(newsroom, draft, Audience())
    assert broadcasts.start(newsroom, draft, [MessagePart("x")]) == 20
    assert broadcasts.cancel(newsroom, draft) == 20
    sender = ScriptedSender()
    await DeliveryEngine(newsroom, sender, worker="t").run_until_idle()
    assert sender.sent == []
    result = broadcasts.progress(newsroom, draft)
    assert (result.state, result.cancelled, result.pending) == (BroadcastState.CANCELLED, 20, 0)


def test_copy_broadcast_keeps_the_admins_message(newsroom: Newsroom) -> None:
    subscriptions.register(newsroom, 50)
    draft = broadcasts.create_draft(newsroom, 9, from_chat_id=9, from_message_id=77)
    broadcasts.set_audience(newsroom, draft, Audience())
    broadcasts.start(newsroom, draft, [])
    with session_scope(newsroom.sessions) as session:
        (row,) = session.scalars(select(Delivery)).all()
        assert (row.parts, row.copy_from_chat_id, row.copy_message_id) == ([], 9, 77)
    with pytest.raises(BroadcastError):
        broadcasts.create_draft(newsroom, 9, text="   ")


def test_stats_match_the_database(newsroom: Newsroom, clock: FakeClock) -> None:
    _audience(newsroom)
    subscriptions.set_paused(newsroom, 4, True)
    labels = ArticleLabels(
        lambda t, s, b, sec, published: (
            ["food-safety"] if "thực phẩm" in t else ["leadership"],
            [],
        ),
        "t",
    )
    with session_scope(newsroom.sessions) as session:
        repo = ArticleRepository(session)
        repo.upsert(
            [ParsedItem(title="An toàn thực phẩm 1")],
            source_id=None,
            now=clock.now() - timedelta(days=3),
            labels=labels,
        )
        repo.upsert(
            [ParsedItem(title="Bộ trưởng họp"), ParsedItem(title="An toàn thực phẩm 2")],
            source_id=None,
            now=clock.now(),
            labels=labels,
        )
    figures = stats.collect(newsroom)
    assert (figures.active, figures.paused, figures.blocked, figures.new_7d) == (2, 1, 1, 4)
    assert figures.per_topic == {"leadership": 3, "food-safety": 1}
    assert figures.articles_24h == {"food-safety": 1, "leadership": 1}
    assert figures.articles_7d == {"food-safety": 2, "leadership": 1}
    series = stats.chart_series(newsroom, days=14)
    assert len(series.days) == 14 and series.subscribers[-1] == 4
    assert sum(series.articles["food-safety"]) == 2
    labels = ChartLabels("t", "d", "a", "s", "none", {"leadership": "L", "food-safety": "F"})
    png = render_png(series, labels)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_articles_are_counted_on_their_publication_day(
    newsroom: Newsroom, clock: FakeClock
) -> None:
    """A first poll brings old articles today: each counts on its own local day, not today."""
    assert clock.now() == datetime(2026, 3, 5, 0, 0, tzinfo=UTC)  # 07:00 on 5 March in Hanoi

    def dated(title: str, at: datetime, has_time: bool = True) -> ParsedItem:
        return ParsedItem(title=title, published=When(at, has_time))

    with session_scope(newsroom.sessions) as session:
        ArticleRepository(session).upsert(
            [
                dated("Tin năm ngoái", datetime(2025, 1, 10, 10, 0, tzinfo=VN_TZ)),
                dated("Chỉ có ngày", datetime(2026, 2, 27, tzinfo=VN_TZ), has_time=False),
                dated("Họp giao ban", datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)),
                # 17:30 UTC on 3 March: already the 4th in Hanoi.
                dated("Sau nửa đêm", datetime(2026, 3, 4, 0, 30, tzinfo=VN_TZ)),
                ParsedItem(title="Không ghi ngày"),  # undated: the day it was first seen
            ],
            source_id=None,
            now=clock.now(),  # all of them first seen now
            labels=ArticleLabels(lambda t, s, b, sec, published: (["leadership"], []), "t"),
        )
    series = stats.chart_series(newsroom, days=14)
    per_day = {
        day: n for day, n in zip(series.days, series.articles["leadership"], strict=True) if n
    }
    assert per_day == {
        date(2026, 2, 27): 1,
        date(2026, 3, 2): 1,
        date(2026, 3, 4): 1,
        date(2026, 3, 5): 1,
    }
    figures = stats.collect(newsroom)
    assert figures.articles_24h == {"leadership": 1}  # only the undated one
    assert figures.articles_7d == {"leadership": 4}  # not the one of last year


def test_one_alert_after_three_failures_and_one_recovery(
    newsroom: Newsroom, clock: FakeClock
) -> None:
    with session_scope(newsroom.sessions) as session:
        source = Source(
            name="s",
            kind=SourceKind.RSS,
            url="http://x",
            poll_interval=60,
            consecutive_failures=0,
            alerted=False,
        )
        session.add(source)
        session.flush()
        alerts = [
            SourceRepository.record_failure(source, clock.now(), "HTTP 500") for _ in range(5)
        ]
        assert alerts == [False, False, True, False, False]
        assert SourceRepository.record_success(source, clock.now(), None, None) is True
        assert SourceRepository.record_success(source, clock.now(), None, None) is False
        assert source.consecutive_failures == 0 and not source.alerted
