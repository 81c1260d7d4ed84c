"""The chat's whole life as Telegram reports it: the bot added, removed, blocked or unblocked
(`my_chat_member`), and a group that became a supergroup (`migrate_to_chat_id`). A chat is
marked unreachable at once, not on the next failed send, and active again when the bot is
back; a migrated group keeps its settings under its new id."""

from __future__ import annotations

import logging

from telegram import Chat, ChatMember, Update

from bot.context import BotContext, call
from bot.handlers import channels
from digests import subscriptions

log = logging.getLogger(__name__)

PRESENT = (
    ChatMember.OWNER,
    ChatMember.ADMINISTRATOR,
    ChatMember.MEMBER,
    ChatMember.RESTRICTED,
)


def gone_reason(chat: Chat, status: str) -> str:
    """Why the bot can no longer write to the chat, as the ledger records it."""
    if chat.type == Chat.PRIVATE:
        return "blocked the bot (my_chat_member)"
    return f"bot {'removed' if status == ChatMember.BANNED else 'left'} (my_chat_member)"


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    if change is None:
        return
    chat, status = change.chat, change.new_chat_member.status
    room = context.services.newsroom
    if chat.type == Chat.CHANNEL:
        await channels.channel_rights_changed(context.services, chat.id, change.new_chat_member)
        return
    if status in PRESENT:
        if await call(subscriptions.mark_reachable, room, chat.id):
            log.info("chat %s is reachable again (%s)", chat.id, status)
    elif await call(subscriptions.mark_unreachable, room, chat.id, gone_reason(chat, status)):
        log.info("chat %s is unreachable: %s", chat.id, status)


async def on_migrate(update: Update, context: BotContext) -> None:
    """The old group's service message names the new supergroup (the new one's message, with
    `migrate_from_chat_id`, says the same and is left alone)."""
    message = update.effective_message
    if message is None or not message.migrate_to_chat_id:
        return
    old, new = message.chat.id, message.migrate_to_chat_id
    if await call(subscriptions.move_chat, context.services.newsroom, old, new):
        log.info("group %s became supergroup %s; its settings moved with it", old, new)
