"""Beyond the daily digest, end to end: the real bot's ticks, the fake Bot API server, a fake
clock, both databases. Immediate subscriptions come at once and not again in the digest;
urgent items come at once, wait for the end of quiet hours unless the reader said "always",
and overtake a fan-out in progress."""

from __future__ import annotations

import asyncio
import io
import json
import signal
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import func, select
from telegram import Bot

from bot.app import build_services
from bot.jobs import alert_renderer
from bot.sender import TelegramSender
from digests import subscriptions
from digests.alerts import find_alerts, queue_due_alerts, quiet_until
from digests.clock import FakeClock
from digests.config import Settings
from digests.delivery import DeliveryEngine, DeliveryPolicy
from digests.keywords import ArticleText, KeywordError, parse_query
from digests.services import Newsroom
from digests.store.alerts import ReaderSettings
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository
from digests.store.models import (
    Article,
    ArticleTopic,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Frequency,
    SubscriptionKind,
    UrgentMode,
)
from digests.subscriptions import parse_frequency, split_frequency
from fakebotapi import FakeTelegram
from tests.bot_harness import running_bot
from tests.processes import process_env, start_mohbot, stop_all
from tests.test_bot_digests import SIX_FIFTY_NINE, store
from tests.test_fanout import TOKEN, fan_out

HANOI_2300 = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)  # 23:00 in Hanoi, 4 March
URGENT_TITLE = "Công điện số 53/CĐ-BYT về tăng cường phòng, chống dịch sởi"


def test_frequency_words() -> None:
    assert parse_frequency("ngay") is Frequency.IMMEDIATE
    assert parse_frequency("ngày") is Frequency.DAILY
    assert parse_frequency("hằng ngày") is Frequency.DAILY
    assert parse_frequency("hang tuan") is Frequency.WEEKLY
    assert parse_frequency("Weekly") is Frequency.WEEKLY
    assert parse_frequency("immediately") is Frequency.IMMEDIATE
    assert parse_frequency("thuc pham") is None
    assert split_frequency("an toan thuc pham hằng tuần") == (
        "an toan thuc pham",
        Frequency.WEEKLY,
    )
    assert split_frequency("food safety now") == ("food safety", Frequency.IMMEDIATE)
    assert split_frequency("ngay") == ("ngay", None)  # a frequency alone names no topic


def test_quiet_hours_across_midnight() -> None:
    reader = ReaderSettings(1, 1, "vi", "Asia/Ho_Chi_Minh", UrgentMode.ON, time(22, 0), time(6, 0))
    # 23:00 and 05:59 Hanoi are quiet, until 06:00 Hanoi (23:00 UTC); 06:00 and 21:59 are not.
    assert quiet_until(HANOI_2300, reader) == datetime(2026, 3, 4, 23, 0, tzinfo=UTC)
    assert quiet_until(datetime(2026, 3, 4, 22, 59, tzinfo=UTC), reader) is not None
    assert quiet_until(datetime(2026, 3, 4, 23, 0, tzinfo=UTC), reader) is None
    assert quiet_until(datetime(2026, 3, 4, 14, 59, tzinfo=UTC), reader) is None


async def test_immediate_item_comes_at_once_and_not_again_in_the_digest(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE - timedelta(hours=2))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(1, language_code="vi")
        await bot.say(1, "/start")  # leadership, daily
        (answer,) = await bot.say(1, "/subscribe an toan thuc pham ngay")
        assert "ngay lập tức" in answer.text
        (mine,) = await bot.say(1, "/mysubs")
        assert "An toàn thực phẩm (ngay lập tức)" in mine.text
        assert "(hằng ngày)" in mine.text
        count = len(bot.tg.messages_to(1))
        both = "Bộ trưởng Đào Hồng Lan chỉ đạo xử lý vụ ngộ độc thực phẩm ở Hà Giang"
        store(newsroom, both, "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban")
        stored_at = clock.now()
        (alert,) = (await bot.tg.wait_for_messages(1, count + 1))[count:]
        assert alert.text.startswith("⚡ Tin mới")
        assert "ngộ độc thực phẩm ở Hà Giang" in alert.text
        assert "họp giao ban" not in alert.text  # leadership is daily
        with session_scope(newsroom.sessions) as session:
            (row,) = session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.INSTANT))
            assert row.created_at - stored_at <= timedelta(minutes=5)
        # 07:00: the digest has the daily topic's item, not the one already sent.
        clock.set(SIX_FIFTY_NINE + timedelta(minutes=1))
        (digest,) = (await bot.tg.wait_for_messages(1, count + 2))[count + 1 :]
        assert "họp giao ban" in digest.text
        assert "Hà Giang" not in digest.text
        await asyncio.sleep(0.6)
        assert sum("Hà Giang" in m.text for m in bot.tg.messages_to(1)) == 1


async def test_urgent_item_waits_for_the_end_of_quiet_hours_unless_always(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(HANOI_2300)
    async with running_bot(settings, newsroom) as bot:
        for chat in (11, 12, 13):
            bot.tg.user(chat, language_code="vi")
            await bot.say(chat, "/start")
            await bot.say(chat, "/subscribe dich benh")  # daily
            await bot.say(chat, "/quiet 22:00-06:00")
        await bot.say(12, "/urgent always")
        await bot.say(13, "/urgent off")
        before = {chat: len(bot.tg.messages_to(chat)) for chat in (11, 12, 13)}
        store(newsroom, URGENT_TITLE, "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban")
        with session_scope(newsroom.sessions) as session:
            urgent = {a.title: a.urgent for a in session.scalars(select(Article))}
        assert urgent == {URGENT_TITLE: True, "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban": False}
        (at_once,) = (await bot.tg.wait_for_messages(12, before[12] + 1))[before[12] :]
        assert at_once.text.startswith("🚨 TIN KHẨN") and "Công điện số 53" in at_once.text
        await asyncio.sleep(0.6)
        assert len(bot.tg.messages_to(11)) == before[11]  # quiet hours
        assert len(bot.tg.messages_to(13)) == before[13]  # urgent items off
        clock.set(datetime(2026, 3, 4, 22, 59, tzinfo=UTC))  # 05:59
        await asyncio.sleep(0.6)
        assert len(bot.tg.messages_to(11)) == before[11]
        clock.set(datetime(2026, 3, 4, 23, 0, tzinfo=UTC))  # 06:00: quiet hours end
        (morning,) = (await bot.tg.wait_for_messages(11, before[11] + 1))[before[11] :]
        assert "Công điện số 53" in morning.text
        # 07:00: the digests; the urgent item only for the reader who turned urgent items off.
        clock.set(SIX_FIFTY_NINE + timedelta(minutes=1))
        for chat in (11, 12, 13):
            await bot.tg.wait_for(
                lambda c=chat: any("BẢN TIN" in m.text for m in bot.tg.messages_to(c)),
                what=f"digest to {chat}",
            )
        digests = {
            chat: next(m.text for m in bot.tg.messages_to(chat) if "BẢN TIN" in m.text)
            for chat in (11, 12, 13)
        }
        assert "Công điện số 53" not in digests[11] and "Công điện số 53" not in digests[12]
        assert "Công điện số 53" in digests[13]
        for chat in (11, 12):
            assert sum("Công điện số 53" in m.text for m in bot.tg.messages_to(chat)) == 1


@pytest.mark.slow
async def test_urgent_item_overtakes_a_running_fan_out(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    async with FakeTelegram() as tg:
        tg.record_requests = False
        chats = range(50_000, 51_000)
        fan_out(newsroom, tg, chats, text="Thông báo chung")  # a broadcast to 1,000 readers
        tg.user(7, language_code="vi")
        subscriptions.register(newsroom, 7)
        subscriptions.follow(newsroom, 7, SubscriptionKind.TOPIC, "disease-control")
        settings = settings.model_copy(
            update={"telegram_bot_token": SecretStr(TOKEN), "telegram_api_base_url": tg.base_url}
        )
        newsroom.settings = settings
        render = alert_renderer(build_services(settings, newsroom))
        bot = Bot(TOKEN, base_url=f"{tg.base_url}/bot")
        async with bot:
            engine = DeliveryEngine(
                newsroom, TelegramSender(bot), worker="t", policy=DeliveryPolicy(rate=100)
            )
            sending = asyncio.create_task(engine.run_until_idle())
            try:
                await tg.wait_for(lambda: len(tg.sent) >= 100, timeout=30, what="fan-out")
                store(newsroom, URGENT_TITLE)
                assert find_alerts(newsroom).items == 1
                assert queue_due_alerts(newsroom, render) == 1
                await tg.wait_for(lambda: tg.messages_to(7), timeout=30, what="urgent item")
                position = next(i for i, s in enumerate(tg.sent) if s.chat_id == 7)
            finally:
                await sending
            await engine.run_until_idle()
        # It went in the next claim (two seconds of sending), while the fan-out still had
        # hundreds of readers to go.
        assert position < 500, position
        assert len({s.chat_id for s in tg.sent} - {7}) == 1000
        with session_scope(newsroom.sessions) as session:
            states = [r.state for r in session.scalars(select(Delivery))]
        assert states.count(DeliveryState.SENT) == 1001


def test_keyword_queries_are_bounded_and_canonical() -> None:
    query = parse_query('Thuốc  GIẢ -"Hà Nội" "Bạch   Mai"')
    assert query.canonical == 'thuoc gia "bach mai" -"ha noi"'
    assert parse_query(query.canonical) == query
    assert query.anchor == "bach mai"  # a phrase's pair of syllables: rarer than one
    assert parse_query("sởi").anchor == "soi"
    for typed, key in (
        ("x" * 121, "alert_too_long"),
        ("a b c d e f g", "alert_too_many_terms"),
        ('"một hai ba bốn năm sáu bảy"', "alert_too_long"),
        ("-sởi", "alert_empty"),
        ('""  ...', "alert_empty"),
    ):
        with pytest.raises(KeywordError) as raised:
            parse_query(typed)
        assert raised.value.key == key
    # Regular-expression syntax is only text: it matches nothing special and never runs.
    hostile = parse_query("(a+)+$ .*")
    assert hostile.required == (("a",),)
    text = ArticleText("Bác sĩ Bạch Văn Mai nhận giải", "Bệnh viện Bạch Mai")
    assert parse_query('"bach mai"').matches(text)  # in the lead
    assert not parse_query('"bach van mai" "giai bach"').matches(text)


async def test_keyword_alerts_with_and_without_diacritics_phrases_and_exclusions(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE - timedelta(hours=2))
    async with running_bot(settings, newsroom) as bot:
        for chat in (21, 22, 23, 24):
            bot.tg.user(chat, language_code="vi")
            await bot.say(chat, "/start")
        (made,) = await bot.say(21, '/alert "Bạch Mai" ngay')
        assert 'Đã tạo cảnh báo "bach mai" (ngay lập tức)' in made.text
        await bot.say(22, "/alert thuoc gia ngay")
        await bot.say(23, '/alert sởi -"Hà Nội" ngay')
        await bot.say(24, "/alert Bạch Mai")  # daily: in the digest
        before = {chat: len(bot.tg.messages_to(chat)) for chat in (21, 22, 23, 24)}
        store(
            newsroom,
            "Bệnh viện Bạch Mai khai trương trung tâm tim mạch",
            "Bác sĩ Bạch Văn Mai nhận giải thưởng",
            "Cảnh báo thuốc giả tại Hà Nội",
            "Dịch sởi bùng phát ở Hà Nội",
            "Dịch sởi tăng ở Cần Thơ",
        )
        got = {}
        for chat in (21, 22, 23):
            (message,) = (await bot.tg.wait_for_messages(chat, before[chat] + 1))[before[chat] :]
            got[chat] = message.text
        assert "Bệnh viện Bạch Mai khai trương" in got[21]
        assert "Bạch Văn Mai" not in got[21]  # not the phrase
        assert "thuốc giả tại Hà Nội" in got[22] and "🔔 từ khoá: thuoc gia" in got[22]
        assert "sởi tăng ở Cần Thơ" in got[23] and "bùng phát ở Hà Nội" not in got[23]
        await asyncio.sleep(0.6)
        assert len(bot.tg.messages_to(24)) == before[24]  # daily
        clock.set(SIX_FIFTY_NINE + timedelta(minutes=1))
        (digest,) = (await bot.tg.wait_for_messages(24, before[24] + 1))[before[24] :]
        assert "▌🔔 TỪ KHOÁ: BACH MAI" in digest.text
        assert "Bệnh viện Bạch Mai khai trương" in digest.text
        assert "Bạch Văn Mai" in digest.text  # unquoted: both words, anywhere
        for chat in (21, 22, 23):  # their alerts were immediate: nothing more about them
            assert not any(
                "Bạch Mai khai trương" in m.text
                for m in bot.tg.messages_to(chat)[before[chat] + 1 :]
            )


async def test_the_21st_alert_is_refused_and_alerts_are_listed_and_removed(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(25, language_code="en")
        await bot.say(25, "/start")
        for n in range(20):
            subscriptions.add_keyword_alert(newsroom, 25, f"word{n}")
        (refused,) = await bot.say(25, "/alert one more")
        assert refused.text == (
            "You have 20 alerts, the most a chat can have. Remove one in /alerts first."
        )
        assert len(subscriptions.keyword_alerts(newsroom, 25)) == 20
        (listing,) = await bot.say(25, "/alerts")
        assert listing.text.startswith("Keyword alerts (20)")
        rows = listing.reply_markup["inline_keyboard"]  # type: ignore[index]
        first_remove = rows[0][1]["callback_data"]
        answer = await bot.press(25, listing, first_remove, edits=1)
        assert answer["text"] == "Alert removed."
        assert len(subscriptions.keyword_alerts(newsroom, 25)) == 19
        (added,) = await bot.say(25, '/alert "Bach Mai" weekly')
        assert added.text == 'Alert created: "bach mai" (weekly).'.replace("Alert", "🔔 Alert")


async def test_frequency_menu_cycles_a_subscription(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(26, language_code="en")
        await bot.say(26, "/start")
        (topics,) = await bot.say(26, "/topics")
        count = len(bot.tg.messages_to(26))
        await bot.press(26, topics, "1:q:menu")
        (menu,) = (await bot.tg.wait_for_messages(26, count + 1))[count:]
        assert menu.text.startswith("How often")
        label = menu.reply_markup["inline_keyboard"][0][0]["text"]  # type: ignore[index]
        assert label == "✅ Ministry leadership activities · daily"
        answer = await bot.press(26, menu, "1:q:t.leadership", edits=1)
        assert answer["text"] == "immediately"
        view = subscriptions.get(newsroom, 26)
        assert view is not None
        assert view.frequency(SubscriptionKind.TOPIC, "leadership") is Frequency.IMMEDIATE
        (topics,) = await bot.say(26, "/topics")
        assert "⚡" in str(topics.reply_markup)


SATURDAY_0800 = datetime(2026, 3, 7, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi, Saturday 7 March


async def test_weekly_reader_gets_one_summary_on_their_day_and_nothing_daily(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 4, 2, 0, tzinfo=UTC))  # Wednesday 09:00 in Hanoi
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(31, language_code="vi")
        await bot.say(31, "/start")
        await bot.say(31, "/subscribe hoat dong lanh dao hang tuan")
        await bot.say(31, "/subscribe an toan thuc pham hằng tuần")
        await bot.say(31, "/follow dao hong lan hang tuan")
        (mine,) = await bot.say(31, "/mysubs")
        assert "An toàn thực phẩm (hằng tuần), Hoạt động lãnh đạo Bộ (hằng tuần)" in mine.text
        assert "Lãnh đạo: Đào Hồng Lan (hằng tuần)" in mine.text
        count = len(bot.tg.messages_to(31))
        store(newsroom, "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban")
        clock.advance(timedelta(days=1))  # Thursday
        store(
            newsroom,
            "Bộ trưởng Đào Hồng Lan thăm Bệnh viện Bạch Mai",
            "Ngộ độc thực phẩm sau bữa cưới ở Hà Giang",
        )
        clock.advance(timedelta(days=1))  # Friday
        store(newsroom, "Kiểm tra an toàn thực phẩm bếp ăn tập thể")
        clock.set(SATURDAY_0800 - timedelta(minutes=1))  # the daily digest times have passed
        await asyncio.sleep(0.6)
        assert len(bot.tg.messages_to(31)) == count  # nothing daily
        clock.set(SATURDAY_0800)
        await bot.tg.wait_for(
            lambda: len(bot.tg.messages_to(31)) >= count + 2, timeout=20, what="the summary"
        )
        photo, text = bot.tg.messages_to(31)[count : count + 2]
        assert photo.method == "sendPhoto" and photo.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert photo.text.startswith("📅 TUẦN QUA Ở BỘ Y TẾ\n28/02 – 07/03/2026")
        with Image.open(io.BytesIO(photo.data)) as image:
            assert image.format == "PNG" and image.size[0] > 500
            drawn = json.loads(image.info["Description"])
        # The chart's figures are the database's: the week's articles of each weekly topic.
        with session_scope(newsroom.sessions) as session:
            week = SATURDAY_0800 - timedelta(days=7)
            counted = dict(
                session.execute(
                    select(ArticleTopic.topic, func.count())
                    .join(Article, Article.id == ArticleTopic.article_id)
                    .where(Article.first_seen_at > week, Article.first_seen_at <= SATURDAY_0800)
                    .group_by(ArticleTopic.topic)
                ).all()
            )
        assert drawn == {"leadership": counted["leadership"], "food-safety": counted["food-safety"]}
        assert drawn == {"leadership": 2, "food-safety": 2}
        assert "• Hoạt động lãnh đạo Bộ: 2 tin mới" in photo.text
        assert "• An toàn thực phẩm: 2 tin mới" in photo.text
        assert "04/03 — Bộ trưởng Đào Hồng Lan chủ trì họp giao ban" in text.text
        assert "05/03 — Bộ trưởng Đào Hồng Lan thăm Bệnh viện Bạch Mai" in text.text
        assert "NỔI BẬT · AN TOÀN THỰC PHẨM" in text.text
        # Once: later ticks and the next days send nothing more until next Saturday.
        clock.advance(timedelta(hours=1))
        await asyncio.sleep(0.6)
        clock.advance(timedelta(days=2))
        await asyncio.sleep(0.6)
        assert len(bot.tg.messages_to(31)) == count + 2
        with session_scope(newsroom.sessions) as session:
            kinds = [d.kind for d in session.scalars(select(Delivery))]
        assert kinds == [DeliveryKind.WEEKLY]


@pytest.mark.slow
async def test_killed_during_an_immediate_fan_out_loses_nothing(
    newsroom: Newsroom, clock: FakeClock, tmp_path: Path
) -> None:
    """1,000 immediate readers; a worker queues their item and is killed while sending; the
    restarted worker sends the rest: every reader gets it, only those in flight twice."""
    clock.set(datetime.now(UTC))  # the worker processes use the real clock
    async with FakeTelegram() as tg:
        tg.record_requests = False
        chats = range(60_000, 61_000)
        for chat in chats:
            tg.user(chat)
            subscriptions.register(newsroom, chat)
            subscriptions.follow(
                newsroom, chat, SubscriptionKind.TOPIC, "disease-control", Frequency.IMMEDIATE
            )
        store(newsroom, "Dịch sởi tăng ở Cần Thơ")
        env = process_env(newsroom.settings.database_url, tg, tmp_path, token=TOKEN, send_rate=250)
        first = start_mohbot(env, "worker", "--name", "worker-a")  # finds, queues and sends
        try:
            await tg.wait_for(lambda: len(tg.sent) >= 300, timeout=60, what="300 messages")
        finally:
            first.send_signal(signal.SIGKILL)
            await asyncio.to_thread(first.wait)
        await asyncio.sleep(0.5)  # requests the dead process had already sent are answered
        received_at_kill = {s.chat_id for s in tg.sent}
        assert len(received_at_kill) < 1000
        with session_scope(newsroom.sessions) as session:
            left_sending = {
                r.chat_id for r in DeliveryRepository(session).in_state(DeliveryState.SENDING)
            }
        in_flight = left_sending & received_at_kill
        second = start_mohbot(env, "worker", "--name", "worker-a")
        try:
            await tg.wait_for(
                lambda: len({s.chat_id for s in tg.sent}) == 1000, timeout=60, what="all chats"
            )
            await asyncio.sleep(1.5)  # a second look at the articles finds nothing new
        finally:
            await stop_all([second])
        received = Counter(s.chat_id for s in tg.sent)
        assert set(received) == set(chats)
        assert all("Dịch sởi tăng ở Cần Thơ" in s.text for s in tg.sent)
        repeated = {chat for chat, n in received.items() if n > 1}
        assert max(received.values()) <= 2
        assert repeated <= in_flight, (sorted(repeated - in_flight), len(in_flight))
        with session_scope(newsroom.sessions) as session:
            rows = list(session.scalars(select(Delivery)))
        assert len(rows) == 1000 and {r.kind for r in rows} == {DeliveryKind.INSTANT}
        assert all(r.state is DeliveryState.SENT for r in rows)
