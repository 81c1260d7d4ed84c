"""The fake Bot API server's channels, rights, forum topics, membership updates, migration,
inline mode and chat-scoped menus, through python-telegram-bot's own `Bot` (as the bot sees
them)."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden

from fakebotapi import FakeTelegram

TOKEN = "123456:TEST-TOKEN"
POST = {"can_post_messages": True}


def article(result_id: str) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        result_id, "Tiêu đề", InputTextMessageContent("<b>Thẻ</b> bài", parse_mode="HTML")
    )


async def test_channel_posting_needs_the_bot_as_an_admin_that_may_post() -> None:
    async with FakeTelegram() as tg, Bot(TOKEN, base_url=f"{tg.base_url}/bot") as bot:
        tg.user(10, "Chủ kênh")
        tg.channel(-100500, "Tin Sở Y tế", {10: "creator"}, username="soyte_tin")
        with pytest.raises(Forbidden, match="not a member of the channel"):
            await bot.send_message(-100500, "x")
        tg.add_bot(-100500, by=10, admin=True, rights={"can_post_messages": False})
        with pytest.raises(BadRequest, match=r"(?i)need administrator rights"):
            await bot.send_message(-100500, "x")
        tg.add_bot(-100500, by=10, admin=True, rights=POST)
        await bot.send_message("@soyte_tin", "Bản tin")
        assert tg.last_to(-100500).text == "Bản tin"
        member = await bot.get_chat_member("@soyte_tin", tg.bot_id)
        assert isinstance(member, ChatMemberAdministrator) and member.can_post_messages is True
        owner = await bot.get_chat_member(-100500, 10)
        assert owner.status == "creator"
        stranger = await bot.get_chat_member(-100500, 11)
        assert stranger.status == "left"
        updates = await bot.get_updates()
        kinds = [
            (u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
            for u in updates
            if u.my_chat_member
        ]
        assert kinds == [("left", "administrator"), ("administrator", "administrator")]
        tg.channel_post(-100500, "Bài mới")
        updates = await bot.get_updates(offset=updates[-1].update_id + 1)
        post = updates[0].channel_post
        assert post is not None and post.sender_chat is not None
        assert post.sender_chat.id == -100500


async def test_forum_topics_deleted_and_closed() -> None:
    async with FakeTelegram() as tg, Bot(TOKEN, base_url=f"{tg.base_url}/bot") as bot:
        tg.user(20)
        tg.forum(-100600, "Phòng KHTC", {20: "administrator"})
        topic = tg.create_topic(-100600, "Bản tin")
        await bot.send_message(-100600, "vào chủ đề", message_thread_id=topic)
        assert tg.last_to(-100600).thread_id == topic
        tg.close_topic(-100600, topic)
        with pytest.raises(BadRequest, match=r"(?i)topic_closed"):
            await bot.send_message(-100600, "x", message_thread_id=topic)
        tg.delete_topic(-100600, topic)
        with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
            await bot.send_message(-100600, "x", message_thread_id=topic)
        with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
            await bot.send_message(-100600, "x", message_thread_id=99999)
        await bot.send_message(-100600, "chủ đề chung")
        assert tg.last_to(-100600).thread_id is None


async def test_blocking_removal_and_migration_as_telegram_says_them() -> None:
    async with FakeTelegram() as tg, Bot(TOKEN, base_url=f"{tg.base_url}/bot") as bot:
        tg.user(30)
        tg.block_bot(30)
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(30, "x")
        tg.unblock_bot(30)
        await bot.send_message(30, "lại được")
        tg.old_group(-40, "Tổ", {30: "creator"})
        tg.add_bot(-40, by=30)
        await bot.send_message(-40, "chào nhóm")
        tg.migrate_group(-40, -100040, by=30)
        with pytest.raises(ChatMigrated) as moved:
            await bot.send_message(-40, "x")
        assert moved.value.new_chat_id == -100040
        await bot.send_message(-100040, "chào siêu nhóm")
        tg.remove_bot(-100040, by=30)
        with pytest.raises(Forbidden, match="kicked"):
            await bot.send_message(-100040, "x")
        statuses = [
            (u.effective_chat.id, u.my_chat_member.new_chat_member.status)
            for u in await bot.get_updates()
            if u.my_chat_member and u.effective_chat
        ]
        assert statuses == [(30, "kicked"), (30, "member"), (-40, "member"), (-100040, "kicked")]


async def test_inline_answers_are_limited_as_telegram_limits_them() -> None:
    async with FakeTelegram() as tg, Bot(TOKEN, base_url=f"{tg.base_url}/bot") as bot:
        tg.user(50)
        query = tg.inline_query(50, "vắc xin")
        with pytest.raises(BadRequest, match=r"(?i)results_too_much"):
            await bot.answer_inline_query(query, [article(str(i)) for i in range(51)])
        with pytest.raises(BadRequest, match=r"(?i)result_id_invalid"):
            await bot.answer_inline_query(query, [article("x" * 65)])
        with pytest.raises(BadRequest, match=r"(?i)result_id_duplicate"):
            await bot.answer_inline_query(query, [article("1"), article("1")])
        await bot.answer_inline_query(query, [article(str(i)) for i in range(50)])
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_inline_query(query, [article("1")])
        sent = tg.choose_result(query, "7", chat_id=50)
        assert sent.text == "Thẻ bài" and tg.current(sent)["via_bot"]["id"] == tg.bot_id
        chosen = [u.chosen_inline_result for u in await bot.get_updates()]
        assert chosen[-1] is not None and chosen[-1].result_id == "7"


async def test_chat_scoped_menus_need_a_known_chat() -> None:
    async with FakeTelegram() as tg, Bot(TOKEN, base_url=f"{tg.base_url}/bot") as bot:
        await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.set_my_commands(
                [BotCommand("stats", "Thống kê")], scope=BotCommandScopeChat(60)
            )
        tg.user(60)
        await bot.set_my_commands(
            [BotCommand("start", "Bắt đầu"), BotCommand("stats", "Thống kê")],
            scope=BotCommandScopeChat(60),
        )
        assert tg.menu_for(60) == ["start", "stats"]
        assert tg.menu_for(61) == ["start"]
