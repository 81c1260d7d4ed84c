"""Scheduled digests end to end: the real bot's JobQueue dispatcher and delivery engine,
the fake Bot API server, a fake clock (time moves, nobody sleeps), both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.telegram_html import parse_html
from digests import subscriptions
from digests.clock import FakeClock
from digests.config import Settings
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.models import SubscriptionKind
from tests.bot_harness import running_bot

SIX_FIFTY_NINE = datetime(2026, 3, 4, 23, 59, tzinfo=UTC)  # 06:59 in Hanoi, 5 March


def store(room: Newsroom, *titles: str) -> None:
    items = [ParsedItem(title=t, url=f"https://moh.gov.vn/a/{abs(hash(t))}") for t in titles]
    with session_scope(room.sessions) as session:
        ArticleRepository(session).upsert(
            items, source_id=None, now=room.clock.now(), labels=room.labels
        )


async def test_one_digest_at_seven_with_exactly_the_new_items(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE - timedelta(hours=1))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(1, language_code="vi")
        await bot.say(1, "/start")
        await bot.say(1, "/subscribe an toan thuc pham")
        await bot.say(1, "/follow nguyen tri thuc")
        store(
            newsroom,
            "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban",  # leadership
            "Ngộ độc thực phẩm sau bữa cưới ở Hà Giang",  # food safety
            "Thứ trưởng Nguyễn Tri Thức dự hội thảo về ung thư",  # leadership + the leader
            "Sốt xuất huyết tăng ở phía Nam",  # not followed
        )
        clock.set(SIX_FIFTY_NINE)
        count = len(bot.tg.messages_to(1))
        await bot.tg.wait_for(lambda: bot.app.job_queue is not None, what="jobs")
        # Nothing before 07:00 (several dispatcher ticks pass).
        await bot.tg.wait_for(lambda: True)
        clock.advance(timedelta(minutes=1))  # 07:00
        (digest,) = (await bot.tg.wait_for_messages(1, count + 1))[count:]
        assert digest.text.startswith("📰 BẢN TIN BỘ Y TẾ\nThứ Năm, 05/03/2026 · 3 tin mới")
        assert "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban" in digest.text
        assert "Ngộ độc thực phẩm sau bữa cưới ở Hà Giang" in digest.text
        assert "Nguyễn Tri Thức dự hội thảo" in digest.text
        assert "Sốt xuất huyết" not in digest.text
        headings = [line for line in digest.text.split("\n") if line.startswith("▌")]
        # Every choice has its section: two topics and the followed leader.
        assert headings == [
            "▌HOẠT ĐỘNG LÃNH ĐẠO BỘ",
            "▌AN TOÀN THỰC PHẨM",
            "▌THỨ TRƯỞNG NGUYỄN TRI THỨC",
        ]
        # The leader's item is in full once, under leadership, and referenced in its section.
        assert digest.text.count("Nguyễn Tri Thức dự hội thảo") == 2
        assert "Nguyễn Tri Thức dự hội thảo về ung thư ↑ Hoạt động lãnh đạo Bộ" in digest.text
        assert parse_html(digest.raw) == digest.text

        # Later ticks the same day send nothing more.
        clock.advance(timedelta(minutes=30))
        await bot.tg.wait_for(lambda: True)
        import asyncio

        await asyncio.sleep(0.6)
        assert len(bot.tg.messages_to(1)) == count + 1

        # Items first seen after the digest go into the next one, and only they.
        store(newsroom, "An toàn thực phẩm trong mùa lễ hội")
        clock.set(SIX_FIFTY_NINE + timedelta(days=1, minutes=1))
        (second,) = (await bot.tg.wait_for_messages(1, count + 2))[count + 1 :]
        assert "An toàn thực phẩm trong mùa lễ hội" in second.text
        assert "Ngộ độc thực phẩm sau bữa cưới" not in second.text
        assert second.text.startswith("📰 BẢN TIN BỘ Y TẾ\nThứ Sáu, 06/03/2026 · 1 tin mới")


async def test_each_time_zone_at_its_own_seven(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE - timedelta(hours=1))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(2, language_code="en")
        bot.tg.user(3, language_code="en")
        await bot.say(2, "/start")
        await bot.say(3, "/start")
        await bot.say(3, "/timezone Europe/Paris")
        store(newsroom, "Bộ trưởng Đào Hồng Lan tiếp đoàn WHO")
        before = {2: len(bot.tg.messages_to(2)), 3: len(bot.tg.messages_to(3))}
        clock.set(datetime(2026, 3, 5, 0, 0, tzinfo=UTC))  # 07:00 Hanoi, 01:00 Paris
        await bot.tg.wait_for_messages(2, before[2] + 1)
        import asyncio

        await asyncio.sleep(0.6)
        assert len(bot.tg.messages_to(3)) == before[3]
        clock.set(datetime(2026, 3, 5, 6, 0, tzinfo=UTC))  # 07:00 Paris
        (paris,) = (await bot.tg.wait_for_messages(3, before[3] + 1))[before[3] :]
        assert "MINISTRY OF HEALTH BRIEFING" in paris.text and "WHO" in paris.text


async def test_missed_while_stopped_is_sent_once_on_start(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE - timedelta(hours=2))
    subscriptions.register(newsroom, 4, language_code="vi")
    subscriptions.follow(newsroom, 4, SubscriptionKind.TOPIC, "food-safety")
    store(newsroom, "Kiểm tra an toàn thực phẩm bếp ăn tập thể")
    clock.set(SIX_FIFTY_NINE + timedelta(hours=5))  # the bot was down across 07:00
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(4, language_code="vi")
        (missed,) = await bot.tg.wait_for_messages(4, 1)
        assert "Kiểm tra an toàn thực phẩm bếp ăn tập thể" in missed.text
        import asyncio

        await asyncio.sleep(0.8)
        assert len(bot.tg.messages_to(4)) == 1


async def test_digest_command_sends_now_without_replacing_the_scheduled_one(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE - timedelta(hours=3))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(5, language_code="en")
        await bot.say(5, "/start")
        (empty,) = await bot.say(5, "/digest")
        assert "Nothing new" in empty.text
        store(newsroom, "Bộ trưởng Đào Hồng Lan thăm Bệnh viện Bạch Mai")
        (now,) = await bot.say(5, "/digest")
        assert "Bạch Mai" in now.text
        clock.set(SIX_FIFTY_NINE + timedelta(minutes=1))
        count = len(bot.tg.messages_to(5))
        (scheduled,) = (await bot.tg.wait_for_messages(5, count + 1))[count:]
        assert "Bạch Mai" in scheduled.text


@pytest.mark.slow
async def test_a_20000_character_digest_is_split_into_valid_messages(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE - timedelta(hours=1))
    settings = settings.model_copy(update={"digest_max_per_topic": 50})
    newsroom.settings = settings
    subscriptions.register(newsroom, 6, language_code="vi")
    for topic in ("food-safety", "disease-control", "medical-services", "digital-transformation"):
        subscriptions.follow(newsroom, 6, SubscriptionKind.TOPIC, topic)
    words = "phân tích & <đánh giá> " * 8
    titles = []
    for i in range(30):
        titles += [
            f"Ngộ độc thực phẩm vụ {i}: {words}",
            f"Dịch sởi ổ dịch {i}: {words}",
            f"Phẫu thuật cứu sống ca {i}: {words}",
            f"Chuyển đổi số bệnh viện {i}: {words}",
        ]
    store(newsroom, *titles)
    clock.set(SIX_FIFTY_NINE + timedelta(minutes=1))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(6, language_code="vi")
        await bot.tg.wait_for(
            lambda: sum(m.text.count("•") for m in bot.tg.messages_to(6)) >= 120,
            timeout=20,
            what="all 120 items",
        )
        parts = bot.tg.messages_to(6)
        assert sum(len(p.text) for p in parts) > 20_000
        assert len(parts) >= 5
        for part in parts:
            assert len(part.text.encode("utf-16-le")) // 2 <= 4096
            assert parse_html(part.raw) == part.text
        # The parts arrived in order, one a second at most to this chat.
        assert bot.tg.max_in_window(1.0, chat_id=6) <= 1
