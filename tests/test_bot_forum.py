"""Forum topics end to end through the real Application and the fake Bot API server, on both
databases: /start by an admin inside a topic binds the group's digest to it (every message
goes there), a member cannot; a deleted or closed topic falls back to General, where the
group is told, and its admins are told in their own chats with the bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digests import subscriptions
from digests.clock import FakeClock
from digests.config import Settings
from digests.delivery import enqueue
from digests.messages import MessagePart
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.deliveries import NewDelivery
from digests.store.models import DeliveryKind
from fakebotapi import Sent
from tests.bot_harness import Harness, running_bot

SIX_FIFTY_NINE = datetime(2026, 3, 4, 23, 59, tzinfo=UTC)  # 06:59 in Hanoi, 5 March
FORUM = -1008800
ADMIN_USER, MEMBER = 81, 82


def store(room: Newsroom, *titles: str) -> None:
    items = [ParsedItem(title=t, url=f"https://moh.gov.vn/a/{abs(hash(t))}") for t in titles]
    with session_scope(room.sessions) as session:
        ArticleRepository(session).upsert(
            items, source_id=None, now=room.clock.now(), labels=room.labels
        )


async def start_in_topic(bot: Harness, user: int, topic: int | None) -> Sent:
    before = len(bot.tg.messages_to(FORUM))
    bot.tg.send_text(user, "/start", chat_id=FORUM, thread_id=topic)
    (answer,) = (await bot.tg.wait_for_messages(FORUM, before + 1))[before:]
    return answer


def thread(room: Newsroom) -> int | None:
    view = subscriptions.get(room, FORUM)
    assert view is not None
    return view.thread_id


async def test_start_in_a_topic_binds_the_groups_digest_to_it(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE - timedelta(hours=1))
    async with running_bot(settings, newsroom) as bot:
        tg = bot.tg
        tg.user(ADMIN_USER, "Trưởng phòng")
        tg.user(MEMBER, "Nhân viên")
        tg.forum(FORUM, "Phòng Truyền thông", {ADMIN_USER: "administrator", MEMBER: "member"})
        topic = tg.create_topic(FORUM, "Bản tin Bộ Y tế")
        refused = await start_in_topic(bot, MEMBER, topic)
        assert "quản trị viên" in refused.text and refused.thread_id == topic
        assert subscriptions.get(newsroom, FORUM) is None
        welcome = await start_in_topic(bot, ADMIN_USER, topic)
        assert welcome.thread_id == topic  # the reply stays in the topic
        assert "gửi vào chủ đề này" in welcome.text
        assert thread(newsroom) == topic

        store(newsroom, "Bộ trưởng Đào Hồng Lan chủ trì họp giao ban")
        clock.set(SIX_FIFTY_NINE)
        before = len(tg.messages_to(FORUM))
        clock.advance(timedelta(minutes=1))
        (digest,) = (await tg.wait_for_messages(FORUM, before + 1))[before:]
        assert digest.text.startswith("📰 BẢN TIN BỘ Y TẾ") and digest.thread_id == topic

        # /start in General moves it back there.
        general = await start_in_topic(bot, ADMIN_USER, None)
        assert general.thread_id is None and "chủ đề chung" in general.text
        assert thread(newsroom) is None


async def test_a_deleted_or_closed_topic_falls_back_to_general_and_admins_are_told(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with running_bot(settings, newsroom) as bot:
        tg = bot.tg
        tg.user(ADMIN_USER)
        tg.forum(FORUM, "Phòng Truyền thông", {ADMIN_USER: "creator"})
        await bot.say(ADMIN_USER, "/start")  # the admin has a private chat with the bot
        for gone in (tg.delete_topic, tg.close_topic):
            topic = tg.create_topic(FORUM, "Bản tin")
            await start_in_topic(bot, ADMIN_USER, topic)
            assert thread(newsroom) == topic
            gone(FORUM, topic)
            before = len(tg.messages_to(FORUM))
            told_before = len(tg.messages_to(ADMIN_USER))
            enqueue(
                newsroom,
                [NewDelivery(DeliveryKind.ALERT, FORUM, (MessagePart("Lịch trực Tết"),))],
            )
            arrived = (await tg.wait_for_messages(FORUM, before + 2))[before:]
            texts = {m.text: m.thread_id for m in arrived}
            assert texts["Lịch trực Tết"] is None  # in General, not lost
            (notice,) = [t for t in texts if "Gửi quản trị viên" in t]
            assert texts[notice] is None and "bị xoá hoặc đóng" in notice
            assert thread(newsroom) is None
            (told,) = (await tg.wait_for_messages(ADMIN_USER, told_before + 1))[told_before:]
            assert "nhóm Phòng Truyền thông đã bị xoá hoặc đóng" in told.text
