"""Inline mode end to end, on both databases: `@bot <words>` with and without diacritics,
Telegram's answer limits (pages of 20 up to 50 results, short ids), the card a person sends,
and a digest item's share button leading to its article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from digests.clock import FakeClock
from digests.config import Settings
from digests.dates import When
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from tests.bot_harness import Harness, running_bot

START = datetime(2026, 3, 1, tzinfo=UTC)


def store(room: Newsroom, items: list[ParsedItem]) -> None:
    with session_scope(room.sessions) as session:
        ArticleRepository(session).upsert(
            items, source_id=None, now=room.clock.now(), labels=room.labels
        )


def item(number: int, title: str, lead: str = "") -> ParsedItem:
    return ParsedItem(
        title=title,
        url=f"https://suckhoedoisong.vn/bai-{number}.htm",
        published=When(START + timedelta(hours=number), True),
        summary=lead,
    )


async def ask(bot: Harness, user: int, text: str, offset: str = "") -> tuple[str, dict[str, Any]]:
    query = bot.tg.inline_query(user, text, offset=offset)
    await bot.tg.wait_for(lambda: query in bot.tg.inline_answers, what=f"answer to {text!r}")
    return query, bot.tg.inline_answers[query]


def titles(answer: dict[str, Any]) -> list[str]:
    return [r["title"] for r in answer["results"]]


async def test_inline_search_with_and_without_diacritics(
    settings: Settings, newsroom: Newsroom
) -> None:
    store(
        newsroom,
        [
            item(1, "Ngộ độc thực phẩm ở Hà Giang", "Hơn 40 người nhập viện sau bữa cỗ cưới."),
            item(2, "Sốt xuất huyết tăng ở phía Nam"),
            item(3, "Cảnh báo ngộ độc nấm rừng", "Bộ Y tế khuyến cáo người dân không ăn nấm lạ."),
            item(4, "Hội nghị về chuyển đổi số y tế", "Bàn về ngộ độc dữ liệu."),
        ],
    )
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(41, language_code="vi")
        _q, plain = await ask(bot, 41, "ngo doc")
        _q, marked = await ask(bot, 41, "ngộ độc")
        # Title matches first, newest first; the text-only match after them.
        expected = [
            "Cảnh báo ngộ độc nấm rừng",
            "Ngộ độc thực phẩm ở Hà Giang",
            "Hội nghị về chuyển đổi số y tế",
        ]
        assert titles(plain) == titles(marked) == expected
        first = plain["results"][0]
        assert first["description"].startswith("suckhoedoisong.vn · 01/03/2026 10:00")
        assert "không ăn nấm lạ" in first["description"]
        assert all(len(r["id"].encode()) <= 64 for r in plain["results"])
        assert plain.get("next_offset", "") == ""

        # The chosen result: a short card with the article's link, sent via the bot.
        query, answer = await ask(bot, 41, "nam rung")
        (result,) = answer["results"]
        bot.tg.user(42)
        card = bot.tg.choose_result(query, result["id"], chat_id=42)
        assert card.text.startswith("📰 Cảnh báo ngộ độc nấm rừng\nsuckhoedoisong.vn · 01/03")
        assert '<a href="https://suckhoedoisong.vn/bai-3.htm">Đọc bài</a>' in card.raw
        assert len(card.text) < 1024

        _q, nothing = await ask(bot, 41, "qqqqq")
        assert nothing["results"] == []


async def test_inline_answers_keep_to_telegrams_limits(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    store(newsroom, [item(n, f"Tiêm chủng vắc xin sởi đợt {n}") for n in range(1, 71)])
    clock.set(START + timedelta(days=5))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(43, language_code="en")
        seen: list[str] = []
        offset = ""
        pages = 0
        while True:
            _q, answer = await ask(bot, 43, "vac xin soi", offset=offset)
            assert len(answer["results"]) <= 20
            seen += [r["id"] for r in answer["results"]]
            pages += 1
            offset = answer.get("next_offset", "")
            if not offset:
                break
        assert pages == 3 and len(seen) == 50 == len(set(seen))  # Telegram's 50, no repeats
        _q, first = await ask(bot, 43, "vac xin soi")
        assert first["results"][0]["title"] == "Tiêm chủng vắc xin sởi đợt 70"  # newest first
        # An empty query offers the newest articles; an English reader gets English words.
        query, newest = await ask(bot, 43, "")
        assert newest["results"][0]["title"] == "Tiêm chủng vắc xin sởi đợt 70"
        card = bot.tg.choose_result(query, newest["results"][0]["id"], chat_id=43)
        assert "Read the article" in card.text
        # A query over Telegram's 256 characters is cut by Telegram; ours by us, no error.
        _q, long = await ask(bot, 43, "vắc xin " * 40)
        assert len(long["results"]) == 20


async def test_share_button_offers_the_item(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 4, 22, 0, tzinfo=UTC))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(44, language_code="vi")
        await bot.say(44, "/start")
        store(
            newsroom,
            [
                ParsedItem(
                    title="Bộ trưởng Đào Hồng Lan chủ trì họp giao ban",
                    url="https://moh.gov.vn/a/1",
                    published=When(datetime(2026, 3, 4, 21, 0, tzinfo=UTC), True),
                )
            ],
        )
        (digest,) = await bot.say(44, "/digest")
        share = [
            b
            for row in (digest.reply_markup or {}).get("inline_keyboard", [])
            for b in row
            if "switch_inline_query" in b
        ]
        assert len(share) == 1 and share[0]["text"].startswith("↗ Chia sẻ: Bộ trưởng")
        query, answer = await ask(bot, 44, share[0]["switch_inline_query"])
        (result,) = answer["results"]
        assert result["title"] == "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban"
        card = bot.tg.choose_result(query, result["id"], chat_id=44)
        assert 'href="https://moh.gov.vn/a/1"' in card.raw
        # A forged or unknown id finds nothing, and is no error.
        for forged in ("id:999999", "id:abc", "id:" + "9" * 40):
            _q, none = await ask(bot, 44, forged)
            assert none["results"] == []
