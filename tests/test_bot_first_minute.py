"""A new user's first minute, end to end: the real Application over HTTP against the fake
Bot API server, on SQLite and PostgreSQL, in Vietnamese and in English."""

from __future__ import annotations

from digests import subscriptions
from digests.config import Settings
from digests.services import Newsroom
from digests.store.models import SubscriptionKind
from tests.bot_harness import running_bot


def buttons(markup: dict | None) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [
        (b["text"], b.get("callback_data", ""))
        for row in (markup or {}).get("inline_keyboard", [])
        for b in row
    ]


async def test_first_minute_in_vietnamese(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(101, "Lan", language_code="vi")
        (welcome,) = await bot.say(101, "/start")
        assert "Chào mừng" in welcome.text and "Hoạt động lãnh đạo Bộ" in welcome.text
        keyboard = buttons(welcome.reply_markup)
        assert ("✅ Hoạt động lãnh đạo Bộ", "1:t:leadership") in keyboard
        assert ("An toàn thực phẩm", "1:t:food-safety") in keyboard
        view = subscriptions.get(newsroom, 101)
        assert view is not None and view.topics == ("leadership",) and view.language == "vi"

        # A tap toggles and edits the same message in place: no new message per tap.
        answer = await bot.press(101, welcome, "1:t:food-safety", edits=1)
        assert "An toàn thực phẩm" in str(answer.get("text"))
        assert len(bot.tg.messages_to(101)) == 1
        edited = buttons(bot.tg.current(welcome).get("reply_markup"))
        assert ("✅ An toàn thực phẩm", "1:t:food-safety") in edited
        await bot.press(101, welcome, "1:t:food-safety", edits=1)
        assert ("An toàn thực phẩm", "1:t:food-safety") in buttons(
            bot.tg.current(welcome).get("reply_markup")
        )

        (done,) = await bot.say(101, "/subscribe chuyen doi so")
        assert "Chuyển đổi số" in done.text
        (mysubs,) = await bot.say(101, "/mysubs")
        assert "Hoạt động lãnh đạo Bộ" in mysubs.text and "Chuyển đổi số" in mysubs.text
        assert "07:00" in mysubs.text and "Tiếng Việt" in mysubs.text

        (switched,) = await bot.say(101, "/lang en")
        assert switched.text == "Switched to English."
        (help_text,) = await bot.say(101, "/help")
        assert "/subscribe" in help_text.text and "Settings" in help_text.text
        assert subscriptions.get(newsroom, 101).language == "en"  # type: ignore[union-attr]


async def test_first_minute_in_english(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(202, "Sam", language_code="en-GB")
        (welcome,) = await bot.say(202, "/start")
        assert "Welcome" in welcome.text and "Ministry leadership activities" in welcome.text
        (done,) = await bot.say(202, "/subscribe food safety")
        assert done.text == "✅ Subscribed to Food safety."
        (again,) = await bot.say(202, "/subscribe ATTP")
        assert again.text == "You are already subscribed to Food safety."
        (gone,) = await bot.say(202, "/unsubscribe food-safety")
        assert gone.text == "Unsubscribed from Food safety."
        (follow,) = await bot.say(202, "/follow dao hong lan")
        assert "Following Đào Hồng Lan" in follow.text
        view = subscriptions.get(newsroom, 202)
        assert view is not None and view.leaders == ("dao-hong-lan",)
        assert view.topics == ("leadership",)
        # Telegram got the command menu in both languages.
        assert {lang for (_scope, lang) in bot.tg.commands} >= {"", "vi", "en"}
        assert any(c["command"] == "subscribe" for c in bot.tg.commands[("default", "en")])
        assert subscriptions.follow  # the domain function the handler called
        assert SubscriptionKind.LEADER.value == "leader"
