"""Every command end to end, over HTTP against the fake Bot API server, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.telegram_html import parse_html
from digests import subscriptions
from digests.config import PROJECT_ROOT, Settings
from digests.ingest.service import import_seeds
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.models import Subscriber, Subscription
from tests.bot_harness import running_bot


def buttons(markup: dict | None) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [
        (b["text"], b.get("callback_data", ""))
        for row in (markup or {}).get("inline_keyboard", [])
        for b in row
    ]


async def test_deep_link_subscribes_directly(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(301, language_code="vi")
        # One message for a new reader: the welcome names what the link gave them.
        (welcome,) = await bot.say(301, "/start food-safety")
        assert "theo: Hoạt động lãnh đạo Bộ, An toàn thực phẩm." in welcome.text
        view = subscriptions.get(newsroom, 301)
        assert view is not None and view.topics == ("food-safety", "leadership")
        # A deep link to a leader follows them.
        await bot.say(301, "/start dao-hong-lan", replies=2)
        assert subscriptions.get(newsroom, 301).leaders == ("dao-hong-lan",)  # type: ignore[union-attr]


async def test_group_admins_only(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(401, "Admin")
        bot.tg.user(402, "Member")
        bot.tg.group(-1001, "Phòng truyền thông", {401: "administrator", 402: "member"})
        (refused,) = await bot.say(402, "/start@mohbot_test_bot", chat=-1001)
        assert "quản trị viên" in refused.text
        assert subscriptions.get(newsroom, -1001) is None
        (welcome,) = await bot.say(401, "/start@mohbot_test_bot", chat=-1001)
        assert "Chào mừng" in welcome.text
        assert subscriptions.get(newsroom, -1001).kind.value == "group"  # type: ignore[union-attr]
        # A member's tap on the group's keyboard is refused with an alert; nothing changes.
        answer = await bot.press(402, welcome, "1:t:food-safety")
        assert answer.get("show_alert") is True
        assert subscriptions.get(newsroom, -1001).topics == ("leadership",)  # type: ignore[union-attr]
        (refused_sub,) = await bot.say(402, "/subscribe attp", chat=-1001)
        assert "quản trị viên" in refused_sub.text
        # Everyone may read.
        (mysubs,) = await bot.say(402, "/mysubs", chat=-1001)
        assert "Hoạt động lãnh đạo Bộ" in mysubs.text
        await bot.press(401, welcome, "1:t:food-safety", edits=1)
        assert subscriptions.get(newsroom, -1001).topics == ("food-safety", "leadership")  # type: ignore[union-attr]


async def test_stop_deletes_the_users_data(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(501, language_code="en")
        await bot.say(501, "/start")
        await bot.say(501, "/follow tran van thuan")
        (confirm,) = await bot.say(501, "/stop")
        assert "delete all your data" in confirm.text
        assert [d for _t, d in buttons(confirm.reply_markup)] == ["1:x:yes", "1:x:no"]
        await bot.press(501, confirm, "1:x:no", edits=1)
        assert subscriptions.get(newsroom, 501) is not None
        (confirm,) = await bot.say(501, "/stop")
        await bot.press(501, confirm, "1:x:yes", edits=1)
        assert "data is deleted" in bot.tg.current(confirm)["text"]
        assert subscriptions.get(newsroom, 501) is None
        with session_scope(newsroom.sessions) as session:
            assert session.scalar(select(func.count()).select_from(Subscription)) == 0
            assert session.scalar(select(func.count()).select_from(Subscriber)) == 0


async def test_forged_and_stale_buttons_are_refused_politely(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(601, language_code="en")
        (welcome,) = await bot.say(601, "/start")
        for forged in ("0:t:food-safety", "1:t:no-such-topic", "1:z:x", "garbage", "1:t:../../etc"):
            answer = await bot.press(601, welcome, forged)
            assert (
                answer.get("text")
                == "This button has expired. Type the command again for fresh buttons."
            )
        # An admin button pressed by someone who is not an admin.
        answer = await bot.press(601, welcome, "1:a:1.ok")
        assert answer.get("text") == "This command is for the bot's administrators."
        assert subscriptions.get(newsroom, 601).topics == ("leadership",)  # type: ignore[union-attr]


async def test_unknown_command_and_wrong_arguments(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(701, language_code="vi")
        await bot.say(701, "/start")
        (unknown,) = await bot.say(701, "/frobnicate")
        assert "/help" in unknown.text
        (usage,) = await bot.say(701, "/time 25:99")
        assert "Cách dùng" in usage.text and "/time 07:30" in usage.text
        (usage,) = await bot.say(701, "/subscribe")
        assert "Ví dụ" in usage.text
        (usage,) = await bot.say(701, "/latest 500")
        assert "Cách dùng" in usage.text
        (bad_zone,) = await bot.say(701, "/timezone Mars/Olympus")
        assert "Mars/Olympus" in bad_zone.text
        (usage,) = await bot.say(701, "/lang fr")
        assert "/lang vi" in usage.text


async def test_unknown_topic_gets_suggestion_buttons(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(801, language_code="en")
        await bot.say(801, "/start")
        (suggest,) = await bot.say(801, "/subscribe vacxin thuoc")
        options = buttons(suggest.reply_markup)
        assert len(options) == 3 and options[0][1] == "1:s:medicines-vaccines"
        await bot.press(801, suggest, options[0][1], edits=1)
        assert "medicines-vaccines" in subscriptions.get(newsroom, 801).topics  # type: ignore[union-attr]


async def test_settings_commands(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(901, language_code="vi")
        await bot.say(901, "/start")
        (done,) = await bot.say(901, "/time 06:45")
        assert "06:45" in done.text
        (done,) = await bot.say(901, "/timezone Europe/Paris")
        assert "Europe/Paris" in done.text
        (paused,) = await bot.say(901, "/pause")
        assert "/resume" in paused.text
        view = subscriptions.get(newsroom, 901)
        assert view is not None and view.paused and view.timezone == "Europe/Paris"
        assert view.digest_time.strftime("%H:%M") == "06:45"
        await bot.say(901, "/resume")
        assert not subscriptions.get(newsroom, 901).paused  # type: ignore[union-attr]
        (leaders,) = await bot.say(901, "/leaders")
        assert ("Bộ trưởng Đào Hồng Lan", "1:l:dao-hong-lan") in buttons(leaders.reply_markup)
        await bot.press(901, leaders, "1:l:dao-hong-lan", edits=1)
        assert subscriptions.get(newsroom, 901).leaders == ("dao-hong-lan",)  # type: ignore[union-attr]
        (gone,) = await bot.say(901, "/unfollow Bộ trưởng Đào Hồng Lan")
        assert "Đào Hồng Lan" in gone.text
        assert subscriptions.get(newsroom, 901).leaders == ()  # type: ignore[union-attr]


async def test_leaders_are_the_current_ones_and_a_former_one_is_answered_plainly(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(911, language_code="vi")
        bot.tg.user(912, language_code="en")
        await bot.say(911, "/start")
        await bot.say(912, "/start")
        (leaders,) = await bot.say(911, "/leaders")
        slugs = [data.rsplit(":", 1)[-1] for _text, data in buttons(leaders.reply_markup)]
        assert "le-duc-luan" in slugs and "nguyen-thanh-long" not in slugs
        (former,) = await bot.say(911, "/follow nguyen thanh long")
        assert "không còn giữ chức vụ" in former.text and "Nguyễn Thanh Long" in former.text
        (former_en,) = await bot.say(912, "/follow Nguyễn Thị Kim Tiến")
        assert "no longer holds office" in former_en.text
        # An old button for a former leader answers the same, and follows no one.
        answer = await bot.press(911, leaders, "1:l:nguyen-thanh-long")
        assert answer.get("show_alert") is True and "không còn" in answer.get("text", "")
        assert subscriptions.get(newsroom, 911).leaders == ()  # type: ignore[union-attr]
        assert subscriptions.get(newsroom, 912).leaders == ()  # type: ignore[union-attr]


async def test_latest_and_search(settings: Settings, newsroom: Newsroom) -> None:
    import_seeds(newsroom, PROJECT_ROOT / "seeds")
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(1001, language_code="vi")
        await bot.say(1001, "/start")
        (latest,) = await bot.say(1001, "/latest an toan thuc pham 3")
        assert latest.text.startswith("Tin mới nhất: An toàn thực phẩm")
        assert latest.text.count("•") == 3
        assert "Chủ động phòng dịch, bảo đảm an toàn thực phẩm phục vụ bầu cử" in latest.text
        (found,) = await bot.say(1001, "/search ngo doc banh mi")
        assert "Số ca nghi ngộ độc sau ăn bánh mì lề đường tại Vũng Tàu" in found.text
        (nothing,) = await bot.say(1001, "/search xyzzyq")
        assert "Không tìm thấy" in nothing.text


async def test_long_search_result_is_paged_into_valid_messages(
    settings: Settings, newsroom: Newsroom
) -> None:
    """One message a page, never over Telegram's limit, each valid HTML; the "more"
    buttons lead through all 20 results."""
    long_summary = "Bệnh viện <Chợ Rẫy> & các cơ sở y tế " * 6
    items = [
        ParsedItem(
            title=f"Thông báo số {i}: tiêm chủng & <phòng bệnh> mùa mưa",
            url=f"https://moh.gov.vn/a?x={i}&y=1",
            summary=long_summary,
        )
        for i in range(20)
    ]
    with session_scope(newsroom.sessions) as session:
        ArticleRepository(session).upsert(
            items, source_id=None, now=newsroom.clock.now(), labels=newsroom.labels
        )
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(1101, language_code="en")
        await bot.say(1101, "/start")
        (page,) = await bot.say(1101, "/search tiem chung")
        parts = [page]
        while page.reply_markup:
            (row,) = page.reply_markup["inline_keyboard"]
            before = len(bot.tg.messages_to(1101))
            await bot.press(1101, page, row[0]["callback_data"])
            (page,) = (await bot.tg.wait_for_messages(1101, before + 1))[before:]
            parts.append(page)
        assert len(parts) >= 2
        assert sum(p.text.count("•") for p in parts) == 20
        assert sum(len(p.raw) for p in parts) > 5000
        for part in parts:
            assert part.text.startswith("Search results for “tiem chung”")
            assert len(part.text.encode("utf-16-le")) // 2 <= 4096
            assert parse_html(part.raw) == part.text  # each part is valid HTML on its own
        assert "<Chợ Rẫy> &" in parts[0].text  # article text escaped, shown as written


async def test_flood_protection(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(1201, language_code="en")
        await bot.say(1201, "/start")
        for _ in range(15):
            bot.tg.send_text(1201, "/help")
        await bot.tg.wait_for(
            lambda: any("a little fast" in m.text for m in bot.tg.messages_to(1201)),
            what="flood notice",
        )
        await bot.tg.wait_for(lambda: not bot.tg.updates, what="all updates fetched")
        helps = [m for m in bot.tg.messages_to(1201) if "/subscribe" in m.text]
        notices = [m for m in bot.tg.messages_to(1201) if "a little fast" in m.text]
        assert len(notices) == 1 and len(helps) < 15


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_one_lookup_of_the_chat_per_update(
    settings: Settings, newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command read the chat's subscription two or three times (language, then the
    handler's own view); it is read once per update now, in one session with the channel the
    person may be managing from their private chat."""
    from digests import channels
    from digests import subscriptions as subs

    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(901)
        await bot.say(901, "/start")
        reads: list[int] = []
        original = subs.get

        def counted(room: Newsroom, chat_id: int) -> subs.SubscriberView | None:
            reads.append(chat_id)
            return original(room, chat_id)

        settings_chat = channels.settings_chat

        def counted_both(
            room: Newsroom, chat_id: int, manager: int | None
        ) -> tuple[int, subs.SubscriberView | None]:
            reads.append(chat_id)
            return settings_chat(room, chat_id, manager)

        monkeypatch.setattr(subs, "get", counted)
        monkeypatch.setattr(channels, "settings_chat", counted_both)
        for command in ("/mysubs", "/help", "/latest", "/time 7h30"):
            reads.clear()
            await bot.say(901, command)
            assert reads == [901], (command, reads)
