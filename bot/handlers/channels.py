"""/channel: link a channel (by its @name, a forwarded post, or Telegram's "request chat"
button) after checking that the person and the bot are both its administrators with the right
to post; list the person's channels and pick one to manage from the private chat; tell the
managers when the bot loses or regains its rights there (their messages go through the
ledger)."""

from __future__ import annotations

import logging

from telegram import (
    Chat,
    ChatAdministratorRights,
    ChatMember,
    ChatMemberAdministrator,
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestChat,
    MessageOriginChannel,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden

from bot.context import BotContext, BotServices, argument_text, call, language_of, reply
from bot.handlers.reading import search_text
from bot.keyboards import Action, CallbackData, button
from bot.notices import tell_managers
from digests import channels, subscriptions

log = logging.getLogger(__name__)
REQUEST_ID = 21  # the request-chat button's id (Telegram echoes it in `chat_shared`)
POST = ChatAdministratorRights(
    is_anonymous=False,
    can_manage_chat=False,
    can_delete_messages=False,
    can_manage_video_chats=False,
    can_restrict_members=False,
    can_promote_members=False,
    can_change_info=False,
    can_invite_users=False,
    can_post_stories=False,
    can_edit_stories=False,
    can_delete_stories=False,
    can_post_messages=True,
)
DONE = ("done", "xong", "off")


def may_post(member: ChatMember) -> bool:
    """A channel's owner, or an administrator allowed to post messages."""
    if member.status == ChatMember.OWNER:
        return True
    return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)


def _encode(chat_id: int) -> str:
    return str(-chat_id)


async def channel(update: Update, context: BotContext) -> None:
    """`/channel` (list and help), `/channel @name` (link), `/channel done` (stop managing)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    services = context.services
    language = await language_of(update, context)
    if chat.type != Chat.PRIVATE:
        await reply(update, context, services.texts.get(language, "channel_private_only"))
        return
    argument = argument_text(context)[:100]
    if argument.lower() in DONE:
        await call(channels.edit, services.newsroom, user.id, None)
        await reply(update, context, services.texts.get(language, "channel_done"))
        return
    if argument:
        await link(update, context, argument)
        return
    mine = await call(channels.managed, services.newsroom, user.id)
    texts = services.texts
    if mine:
        rows = [
            [
                button(
                    f"{'✏️ ' if c.editing else ''}{c.title[:40]}{'' if c.active else ' ⏸'}",
                    Action.CHANNEL,
                    _encode(c.chat_id),
                )
            ]
            for c in mine
        ]
        await reply(
            update, context, texts.get(language, "channel_list"), InlineKeyboardMarkup(rows)
        )
    picker = KeyboardButton(
        texts.get(language, "channel_pick_button"),
        request_chat=KeyboardButtonRequestChat(
            REQUEST_ID,
            chat_is_channel=True,
            user_administrator_rights=POST,
            bot_administrator_rights=POST,
            bot_is_member=True,
        ),
    )
    intro = ("" if mine else texts.get(language, "channel_none") + "\n\n") + texts.get(
        language, "channel_help"
    )
    await context.bot.send_message(
        chat.id,
        intro,
        reply_markup=ReplyKeyboardMarkup([[picker]], resize_keyboard=True, one_time_keyboard=True),
    )


async def on_forward(update: Update, context: BotContext) -> None:
    """A post forwarded from a channel to the private chat: link that channel (any other
    forwarded text is searched for, as typed text is)."""
    message = update.effective_message
    if message is None:
        return
    if not isinstance(message.forward_origin, MessageOriginChannel):
        if message.text and not message.text.startswith("/"):
            await search_text(update, context)
        return
    await link(update, context, message.forward_origin.chat.id)


async def on_chat_shared(update: Update, context: BotContext) -> None:
    """The channel picked with the request-chat button."""
    message = update.effective_message
    if message is None or message.chat_shared is None:
        return
    if message.chat_shared.request_id == REQUEST_ID:
        await link(update, context, message.chat_shared.chat_id)


async def link(update: Update, context: BotContext, reference: str | int) -> None:
    """Check the channel, the person's and the bot's rights there; link it or say why not."""
    user = update.effective_user
    assert user is not None
    services = context.services
    texts = services.texts
    language = await language_of(update, context)
    name = str(reference)
    if isinstance(reference, str) and not reference.lstrip("-").isdigit():
        reference = "@" + reference.lstrip("@")
        name = reference
    try:
        found = await context.bot.get_chat(reference)
    except (BadRequest, Forbidden):
        await reply(update, context, texts.get(language, "channel_not_found", name=name))
        return
    if found.type != Chat.CHANNEL:
        await reply(update, context, texts.get(language, "channel_not_channel", name=name))
        return
    title = found.title or name
    refusal = await _refusal(context, found.id, user.id)
    if refusal is not None:
        await reply(update, context, texts.get(language, refusal, title=title))
        return
    registration = await call(
        channels.link, services.newsroom, found.id, title, user.id, user.language_code
    )
    view = registration.subscriber
    text = texts.get(
        language, "channel_linked", title=title, time=view.digest_time.strftime("%H:%M")
    )
    await reply(update, context, text)


async def _refusal(context: BotContext, chat_id: int, user_id: int) -> str | None:
    """The text key saying why this person may not link this channel, or None."""
    try:
        person = await context.bot.get_chat_member(chat_id, user_id)
        me = await context.bot.get_chat_member(chat_id, context.bot.id)
    except (BadRequest, Forbidden):
        return "channel_bot_not_admin"
    if person.status not in (ChatMember.OWNER, ChatMember.ADMINISTRATOR):
        return "channel_person_not_admin"
    if not may_post(person):
        return "channel_person_cannot_post"
    if me.status != ChatMember.ADMINISTRATOR:
        return "channel_bot_not_admin"
    if not may_post(me):
        return "channel_bot_cannot_post"
    return None


async def on_channel_button(update: Update, context: BotContext, data: CallbackData) -> None:
    """A channel picked from `/channel`'s list: manage it, if the person still may."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    services = context.services
    language = await language_of(update, context)
    if not data.argument.isdigit():
        await query.answer(services.texts.get(language, "button_expired"), show_alert=True)
        return
    chat_id = -int(data.argument)
    mine = {c.chat_id: c for c in await call(channels.managed, services.newsroom, user.id)}
    if chat_id not in mine:
        await query.answer(services.texts.get(language, "button_expired"), show_alert=True)
        return
    refusal = await _refusal(context, chat_id, user.id)
    await query.answer()
    if refusal is not None and refusal.startswith("channel_person"):
        # No longer an administrator there (the bot's own rights only pause the channel).
        text = services.texts.get(language, refusal, title=mine[chat_id].title)
        await reply(update, context, text)
        return
    picked = await call(channels.edit, services.newsroom, user.id, chat_id)
    if picked is None:
        await reply(update, context, services.texts.get(language, "button_expired"))
        return
    paused = "" if picked.active else services.texts.get(language, "channel_paused_note")
    text = services.texts.get(language, "channel_editing", title=picked.title, paused=paused)
    await reply(update, context, text)


async def channel_rights_changed(services: BotServices, chat_id: int, member: ChatMember) -> None:
    """The bot's status in a channel changed: pause (and tell) when it may no longer post,
    resume (and tell) when it may again."""
    room = services.newsroom
    if may_post(member):
        if await call(subscriptions.mark_reachable, room, chat_id):
            await tell_managers(services, chat_id, "channel_resumed")
    elif await call(
        subscriptions.mark_unreachable, room, chat_id, f"bot may not post ({member.status})"
    ):
        log.info("channel %s paused: the bot may not post there", chat_id)
        await tell_managers(services, chat_id, "channel_lost_rights")
