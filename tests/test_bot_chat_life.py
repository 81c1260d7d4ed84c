"""The chat's whole life through the real Application and the fake Bot API server, on both
databases: `my_chat_member` marks a chat unreachable at once and reachable again, a group that
becomes a supergroup keeps its settings (told by Telegram, or found on a send), and the admin
commands are in the admins' menus only."""

from __future__ import annotations

from digests import subscriptions
from digests.config import Settings
from digests.delivery import enqueue, outcome_of
from digests.messages import MessagePart
from digests.services import Newsroom
from digests.store.deliveries import NewDelivery
from digests.store.models import DeliveryKind, DeliveryState, SubscriptionKind
from tests.bot_harness import ADMIN, running_bot

ADMIN_ONLY = {"broadcast", "broadcasts", "stats", "sources", "ingest"}


def active(room: Newsroom, chat_id: int) -> bool | None:
    view = subscriptions.get(room, chat_id)
    return None if view is None else view.active


async def test_blocking_and_removal_are_known_at_once(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with running_bot(settings, newsroom) as bot:
        tg = bot.tg
        tg.user(11)
        await bot.say(11, "/start")
        tg.block_bot(11)
        await tg.wait_for(lambda: active(newsroom, 11) is False, what="blocked at once")
        tg.unblock_bot(11)
        await tg.wait_for(lambda: active(newsroom, 11) is True, what="active again")

        tg.user(12, "Quản trị")
        tg.group(-1001200, "Phòng Tổ chức", {12: "administrator"})
        tg.add_bot(-1001200, by=12)
        await bot.say(12, "/start", chat=-1001200)
        await bot.say(12, "/subscribe an toàn thực phẩm", chat=-1001200)
        tg.remove_bot(-1001200, by=12)
        await tg.wait_for(lambda: active(newsroom, -1001200) is False, what="removed")
        view = subscriptions.get(newsroom, -1001200)
        assert view is not None and not view.active
        tg.add_bot(-1001200, by=12)
        await tg.wait_for(lambda: active(newsroom, -1001200) is True, what="re-added")
        view = subscriptions.get(newsroom, -1001200)
        assert view is not None and "food-safety" in view.topics
        # The bot added to a chat that never registered: nothing is made for it.
        tg.group(-1001300, "Nhóm khác", {12: "creator"})
        tg.add_bot(-1001300, by=12)
        tg.remove_bot(-1001300, by=12)
        tg.user(13)
        await bot.say(13, "/start")  # a round trip after those updates
        assert subscriptions.get(newsroom, -1001300) is None


async def test_a_group_that_becomes_a_supergroup_keeps_its_settings(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with running_bot(settings, newsroom) as bot:
        tg = bot.tg
        tg.user(21, "Trưởng phòng")
        tg.old_group(-2100, "Tổ truyền thông", {21: "creator"})
        tg.add_bot(-2100, by=21)
        await bot.say(21, "/start", chat=-2100)
        await bot.say(21, "/follow Đào Hồng Lan", chat=-2100)
        await bot.say(21, "/time 06:45", chat=-2100)
        tg.migrate_group(-2100, -1002100, by=21)
        await tg.wait_for(lambda: subscriptions.get(newsroom, -1002100) is not None, what="moved")
        view = subscriptions.get(newsroom, -1002100)
        assert view is not None and view.leaders == ("dao-hong-lan",)
        assert view.digest_time.strftime("%H:%M") == "06:45"
        assert subscriptions.get(newsroom, -2100) is None


async def test_a_send_to_a_migrated_group_follows_it(
    settings: Settings, newsroom: Newsroom
) -> None:
    """Telegram's update was missed: the send's "upgraded to a supergroup" moves the chat,
    and the message goes to the new id."""
    subscriptions.register(newsroom, -2200)
    subscriptions.follow(newsroom, -2200, SubscriptionKind.TOPIC, "food-safety")
    async with running_bot(settings, newsroom) as bot:
        tg = bot.tg
        tg.user(22)
        tg.old_group(-2200, "Tổ cũ", {22: "creator"})
        tg.chats[-1002200] = {"id": -1002200, "type": "supergroup", "title": "Tổ cũ"}
        tg.migrated[-2200] = -1002200
        (delivery,) = enqueue(
            newsroom, [NewDelivery(DeliveryKind.ALERT, -2200, (MessagePart("Tin khẩn"),))]
        )
        (sent,) = await tg.wait_for_messages(-1002200)
        assert sent.text == "Tin khẩn"
        await tg.wait_for(
            lambda: outcome_of(newsroom, [delivery])[DeliveryState.SENT] == 1, what="sent"
        )
        view = subscriptions.get(newsroom, -1002200)
        assert view is not None and view.topics == ("food-safety", "leadership")


async def test_admin_commands_are_in_the_admins_menus_only(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with running_bot(settings, newsroom) as bot:
        tg = bot.tg
        # The admin had never written to the bot: Telegram refused their menu at start-up.
        assert ADMIN_ONLY.isdisjoint(tg.menu_for(ADMIN, "vi"))
        tg.user(ADMIN, language_code="en")
        tg.user(31, language_code="en")
        await bot.say(ADMIN, "/start")
        await tg.wait_for(lambda: set(tg.menu_for(ADMIN, "en")) >= ADMIN_ONLY, what="menu")
        assert set(tg.menu_for(ADMIN, "vi")) >= ADMIN_ONLY
        assert "subscribe" in tg.menu_for(ADMIN, "en")
        await bot.say(31, "/start")
        for language in ("vi", "en", ""):
            menu = set(tg.menu_for(31, language))
            assert "subscribe" in menu and ADMIN_ONLY.isdisjoint(menu)
