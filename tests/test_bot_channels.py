"""Channels end to end through the real Application and the fake Bot API server, on both
databases: linking (by @name, a forwarded post, the request-chat button) with the person's and
the bot's rights checked and clear refusals; settings managed from the private chat; the
digest posted to the channel through the ledger; lost rights pause the channel and tell its
managers (by my_chat_member, or by a refused send), restored rights resume it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from digests import channels, subscriptions
from digests.clock import FakeClock
from digests.config import Settings
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository
from digests.store.models import DeliveryKind, DeliveryState
from fakebotapi.records import Sent
from tests.bot_harness import Harness, running_bot

SIX_FIFTY_NINE = datetime(2026, 3, 4, 23, 59, tzinfo=UTC)  # 06:59 in Hanoi, 5 March
CHANNEL = -1001777
OWNER, EDITOR, MEMBER = 71, 72, 73
POST = {"can_post_messages": True}


def store(room: Newsroom, *titles: str) -> None:
    items = [ParsedItem(title=t, url=f"https://moh.gov.vn/a/{abs(hash(t))}") for t in titles]
    with session_scope(room.sessions) as session:
        ArticleRepository(session).upsert(
            items, source_id=None, now=room.clock.now(), labels=room.labels
        )


def setup_channel(bot: Harness, *, bot_may_post: bool = True) -> None:
    """The channel, its owner, an editor who may not post, a reader; the bot an admin that
    may post (unless told otherwise)."""
    tg = bot.tg
    tg.user(OWNER, "Chủ kênh")
    tg.user(EDITOR, "Biên tập")
    tg.user(MEMBER, "Người đọc")
    tg.channel(
        CHANNEL,
        "Tin Sở Y tế",
        {OWNER: "creator", EDITOR: "administrator", MEMBER: "member"},
        username="soyte_tin",
        rights={EDITOR: {"can_post_messages": False}},
    )
    if bot_may_post:
        tg.add_bot(CHANNEL, by=OWNER, admin=True, rights=POST)


@asynccontextmanager
async def channel_bot(
    settings: Settings,
    newsroom: Newsroom,
    clock: FakeClock | None = None,
    *,
    bot_may_post: bool = True,
    linked: bool = False,
) -> AsyncIterator[Harness]:
    """The bot running, the channel and its people set up (`setup_channel`); with `clock`, an
    hour before the 07:00 digest; `linked`: the owner has linked the channel by its @name."""
    if clock is not None:
        clock.set(SIX_FIFTY_NINE - timedelta(hours=1))
    async with running_bot(settings, newsroom) as bot:
        setup_channel(bot, bot_may_post=bot_may_post)
        if linked:
            await bot.say(OWNER, "/channel @soyte_tin")
        yield bot


async def told_owner(bot: Harness, event: Callable[[], object], timeout: float = 5.0) -> Sent:
    """The one message the bot sends the channel's owner after `event` (something that
    happens in Telegram, or on the clock)."""
    before = len(bot.tg.messages_to(OWNER))
    event()
    (told,) = (await bot.tg.wait_for_messages(OWNER, before + 1, timeout=timeout))[before:]
    return told


async def test_linking_checks_both_sides_and_says_why_not(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with channel_bot(settings, newsroom, bot_may_post=False) as bot:
        tg = bot.tg
        (missing,) = await bot.say(OWNER, "/channel @khong_co")
        assert "Không tìm thấy kênh @khong_co" in missing.text
        (no_bot,) = await bot.say(OWNER, "/channel @soyte_tin")
        assert "bot chưa là quản trị viên" in no_bot.text
        tg.add_bot(CHANNEL, by=OWNER, admin=True, rights={"can_post_messages": False})
        (no_right,) = await bot.say(OWNER, "/channel @soyte_tin")
        assert "chưa có quyền «Đăng tin»" in no_right.text
        tg.add_bot(CHANNEL, by=OWNER, admin=True, rights=POST)
        (reader,) = await bot.say(MEMBER, "/channel soyte_tin")
        assert "bạn không phải quản trị viên" in reader.text
        (editor,) = await bot.say(EDITOR, "/channel @soyte_tin")
        assert "không có quyền đăng tin" in editor.text
        assert subscriptions.get(newsroom, CHANNEL) is None
        (linked,) = await bot.say(OWNER, "/channel @soyte_tin")
        assert "Đã liên kết kênh Tin Sở Y tế" in linked.text
        view = subscriptions.get(newsroom, CHANNEL)
        assert view is not None and view.kind.value == "channel" and view.active
        # Not in a group: only from the private chat.
        tg.group(-1001900, "Nhóm", {OWNER: "creator"})
        (group,) = await bot.say(OWNER, "/channel @soyte_tin", chat=-1001900)
        assert "trò chuyện riêng" in group.text


async def test_a_linked_channel_is_managed_from_the_private_chat_and_gets_its_digest(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    async with channel_bot(settings, newsroom, clock) as bot:
        tg = bot.tg
        await bot.say(OWNER, "/start")
        # Linked by forwarding one of its posts.
        linked = await told_owner(bot, lambda: tg.forward_post(OWNER, CHANNEL))
        assert "Đã liên kết kênh Tin Sở Y tế" in linked.text
        # Settings commands now apply to the channel, not to the person.
        await bot.say(OWNER, "/subscribe an toàn thực phẩm")
        await bot.say(OWNER, "/lang en")
        channel = subscriptions.get(newsroom, CHANNEL)
        assert channel is not None and channel.topics == ("food-safety", "leadership")
        assert channel.language == "en"
        own = subscriptions.get(newsroom, OWNER)
        assert own is not None and own.topics == ("leadership",) and own.language == "vi"
        (done,) = await bot.say(OWNER, "/channel done")
        assert "Back to your own settings" in done.text  # the channel's language until then
        await bot.say(OWNER, "/subscribe sốt xuất huyết")
        channel = subscriptions.get(newsroom, CHANNEL)
        assert channel is not None and "dengue" not in " ".join(channel.topics)
        # An administrator who is one no longer cannot change the channel's settings.
        tg.rights[(CHANNEL, EDITOR)] = {"can_post_messages": True}
        await bot.say(EDITOR, "/channel @soyte_tin")
        tg.members[CHANNEL][EDITOR] = "member"
        (refused,) = await bot.say(EDITOR, "/subscribe sốt xuất huyết")
        assert refused.text.startswith("Only the channel's administrators")
        channel = subscriptions.get(newsroom, CHANNEL)
        assert channel is not None and channel.topics == ("food-safety", "leadership")
        # /channel lists it; a tap manages it again.
        (listing, _help) = await bot.say(OWNER, "/channel", replies=2)
        (row,) = listing.reply_markup["inline_keyboard"]  # type: ignore[index]
        assert row[0]["text"] == "Tin Sở Y tế" and row[0]["callback_data"] == "1:c:1001777"
        await bot.press(OWNER, listing, row[0]["callback_data"])
        await tg.wait_for(lambda: channels.target(newsroom, OWNER) == CHANNEL, what="editing")
        assert "request_chat" in _help.reply_markup["keyboard"][0][0]  # type: ignore[index]

        places = ["Hà Giang", "Lào Cai", "Sơn La", "Điện Biên", "Lai Châu", "Cao Bằng", "Huế"]
        store(newsroom, *(f"Ngộ độc thực phẩm sau bữa cưới ở {p}" for p in places))
        clock.set(SIX_FIFTY_NINE)
        clock.advance(timedelta(minutes=1))
        (digest,) = await tg.wait_for_messages(CHANNEL)
        assert digest.text.startswith("📰 MINISTRY OF HEALTH BRIEFING")
        assert "Ngộ độc thực phẩm sau bữa cưới ở Huế" in digest.text
        # A reader's tap on "more" in the channel is answered to them alone.
        more = digest.reply_markup["inline_keyboard"][-1][0]  # type: ignore[index]
        answer = await bot.press(MEMBER, digest, more["callback_data"])
        assert answer.get("show_alert") is True and "/latest" in str(answer.get("text"))
        assert len(tg.messages_to(CHANNEL)) == 1


async def test_the_request_chat_button_links_the_picked_channel(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with channel_bot(settings, newsroom) as bot:
        linked = await told_owner(bot, lambda: bot.tg.share_chat(OWNER, 21, CHANNEL))
        assert "Đã liên kết kênh Tin Sở Y tế" in linked.text
        assert [c.chat_id for c in channels.managed(newsroom, OWNER)] == [CHANNEL]


async def test_lost_rights_pause_the_channel_and_tell_its_managers(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    async with channel_bot(settings, newsroom, clock, linked=True) as bot:
        tg = bot.tg
        # Demoted: paused at once, the manager told.
        told = await told_owner(bot, lambda: tg.set_bot_status(CHANNEL, "member", by=OWNER))
        assert "không còn quyền đăng tin trong kênh Tin Sở Y tế" in told.text
        view = subscriptions.get(newsroom, CHANNEL)
        assert view is not None and not view.active
        resumed = await told_owner(
            bot, lambda: tg.add_bot(CHANNEL, by=OWNER, admin=True, rights=POST)
        )
        assert "lại có quyền đăng tin trong kênh Tin Sở Y tế" in resumed.text
        assert subscriptions.get(newsroom, CHANNEL).active  # type: ignore[union-attr]

        # Rights taken without the bot being told: the digest's send is refused (400), the
        # channel pauses, the manager is told, and the digest is not tried again.
        tg.rights[(CHANNEL, tg.bot_id)] = {"can_post_messages": False}
        store(newsroom, "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban")
        clock.set(SIX_FIFTY_NINE)
        told = await told_owner(bot, lambda: clock.advance(timedelta(minutes=1)), timeout=10)
        assert "không còn quyền đăng tin" in told.text
        assert tg.messages_to(CHANNEL) == []
        view = subscriptions.get(newsroom, CHANNEL)
        assert view is not None and not view.active
        with session_scope(newsroom.sessions) as session:
            counts = DeliveryRepository(session).counts(kind=DeliveryKind.DIGEST)
        assert counts[DeliveryState.BLOCKED] == 1
        assert counts[DeliveryState.QUEUED] == counts[DeliveryState.SENDING] == 0
        # Rights back: the next day's digest carries the news the refused one could not.
        tg.add_bot(CHANNEL, by=OWNER, admin=True, rights=POST)
        await tg.wait_for(lambda: bool(subscriptions.get(newsroom, CHANNEL).active))  # type: ignore[union-attr]
        clock.advance(timedelta(days=1))
        (digest,) = await tg.wait_for_messages(CHANNEL, timeout=10)
        assert "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban" in digest.text
