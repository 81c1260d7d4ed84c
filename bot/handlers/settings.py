"""Per-chat settings: /time, /timezone, /pause, /resume, /lang, and /stop (with confirmation)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext, argument_text, call, chat_view, language_of, may_change, reply
from bot.keyboards import Action, CallbackData, confirm_keyboard
from digests import subscriptions
from digests.schedule import parse_time_of_day
from digests.subscriptions import SubscriberView


async def _current(update: Update, context: BotContext, language: str) -> SubscriberView | None:
    view = await chat_view(update, context)
    if view is None:
        await reply(update, context, context.services.texts.get(language, "not_registered"))
    return view


async def set_time(update: Update, context: BotContext) -> None:
    texts = context.services.texts
    language = await language_of(update, context)
    view = await _current(update, context, language)
    if view is None:
        return
    at = parse_time_of_day(argument_text(context))
    if at is None:
        await reply(update, context, texts.get(language, "usage_time", zone=view.timezone))
        return
    if not await may_change(update, context, language):
        return
    view = await call(subscriptions.set_digest_time, context.services.newsroom, view.chat_id, at)
    await reply(
        update,
        context,
        texts.get(language, "time_set", time=at.strftime("%H:%M"), zone=view.timezone),
    )


async def set_timezone(update: Update, context: BotContext) -> None:
    texts = context.services.texts
    language = await language_of(update, context)
    view = await _current(update, context, language)
    if view is None:
        return
    zone = argument_text(context)
    if not zone:
        await reply(update, context, texts.get(language, "usage_timezone"))
        return
    if not await may_change(update, context, language):
        return
    # An unknown zone raises SubscriptionError: the error handler answers with its text.
    view = await call(subscriptions.set_timezone, context.services.newsroom, view.chat_id, zone)
    await reply(
        update,
        context,
        texts.get(
            language, "timezone_set", zone=view.timezone, time=view.digest_time.strftime("%H:%M")
        ),
    )


async def _pause(update: Update, context: BotContext, paused: bool) -> None:
    texts = context.services.texts
    language = await language_of(update, context)
    view = await _current(update, context, language)
    if view is None or not await may_change(update, context, language):
        return
    view = await call(subscriptions.set_paused, context.services.newsroom, view.chat_id, paused)
    key = "paused" if paused else "resumed"
    await reply(update, context, texts.get(language, key, time=view.digest_time.strftime("%H:%M")))


async def pause(update: Update, context: BotContext) -> None:
    await _pause(update, context, True)


async def resume(update: Update, context: BotContext) -> None:
    await _pause(update, context, False)


async def set_language(update: Update, context: BotContext) -> None:
    texts = context.services.texts
    language = await language_of(update, context)
    view = await _current(update, context, language)
    if view is None:
        return
    wanted = argument_text(context).lower()
    if wanted not in texts.languages:
        await reply(update, context, texts.get(language, "usage_lang"))
        return
    if not await may_change(update, context, language):
        return
    await call(subscriptions.set_language, context.services.newsroom, view.chat_id, wanted)
    await reply(update, context, texts.get(wanted, "lang_set"))


# What readers may type for each format, in both languages.
_FORMATS = {
    "full": "full",
    "day-du": "full",
    "đầy-đủ": "full",
    "compact": "compact",
    "gon": "compact",
    "gọn": "compact",
    "ngan": "compact",
    "ngắn": "compact",
}


async def set_format(update: Update, context: BotContext) -> None:
    """/format full|compact: a digest item with its outlet, time and lead, or one line."""
    texts = context.services.texts
    language = await language_of(update, context)
    view = await _current(update, context, language)
    if view is None:
        return
    wanted = _FORMATS.get("-".join(argument_text(context).lower().split()))
    if wanted is None:
        await reply(update, context, texts.get(language, "usage_format"))
        return
    if not await may_change(update, context, language):
        return
    await call(subscriptions.set_format, context.services.newsroom, view.chat_id, wanted)
    await reply(update, context, texts.get(language, f"format_{wanted}"))


async def stop(update: Update, context: BotContext) -> None:
    texts = context.services.texts
    language = await language_of(update, context)
    view = await _current(update, context, language)
    if view is None or not await may_change(update, context, language):
        return
    markup = confirm_keyboard(
        texts.get(language, "stop_yes"), texts.get(language, "stop_no"), Action.STOP
    )
    await reply(update, context, texts.get(language, "stop_confirm"), markup)


async def on_stop(update: Update, context: BotContext, data: CallbackData) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    texts = context.services.texts
    language = await language_of(update, context)
    if data.argument not in ("yes", "no"):
        await query.answer(texts.get(language, "button_expired"), show_alert=True)
        return
    if not await may_change(update, context, language):
        return
    await query.answer()
    if data.argument == "no":
        await query.edit_message_text(texts.get(language, "stop_cancelled"))
        return
    await call(subscriptions.forget, context.services.newsroom, chat.id)
    await query.edit_message_text(texts.get(language, "stopped"))
