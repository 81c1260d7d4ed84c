"""Per-chat settings: /time, /timezone, /pause, /resume, /lang, and /stop (with confirmation)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext, call, language_of, may_change, reply
from bot.keyboards import Action, CallbackData, confirm_keyboard, tap_of
from bot.setting_commands import registered_view, setting_asked, usage_with_zone
from digests import subscriptions
from digests.schedule import parse_time_of_day


async def set_time(update: Update, context: BotContext) -> None:
    asked = await setting_asked(update, context, parse_time_of_day, usage_with_zone("usage_time"))
    if asked is None:
        return
    texts, at = context.services.texts, asked.value
    view = await call(
        subscriptions.set_digest_time, context.services.newsroom, asked.view.chat_id, at
    )
    text = texts.get(asked.language, "time_set", time=at.strftime("%H:%M"), zone=view.timezone)
    await reply(update, context, text)


async def set_timezone(update: Update, context: BotContext) -> None:
    asked = await setting_asked(update, context, lambda typed: typed or None, "usage_timezone")
    if asked is None:
        return
    texts = context.services.texts
    # An unknown zone raises SubscriptionError: the error handler answers with its text.
    view = await call(
        subscriptions.set_timezone, context.services.newsroom, asked.view.chat_id, asked.value
    )
    at = view.digest_time.strftime("%H:%M")
    await reply(
        update, context, texts.get(asked.language, "timezone_set", zone=view.timezone, time=at)
    )


async def _pause(update: Update, context: BotContext, paused: bool) -> None:
    texts = context.services.texts
    language = await language_of(update, context)
    view = await registered_view(update, context, language)
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
    known = texts.languages
    asked = await setting_asked(
        update,
        context,
        lambda typed: typed.lower() if typed.lower() in known else None,
        "usage_lang",
    )
    if asked is None:
        return
    await call(
        subscriptions.set_language, context.services.newsroom, asked.view.chat_id, asked.value
    )
    await reply(update, context, texts.get(asked.value, "lang_set"))


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


def _format_named(typed: str) -> str | None:
    return _FORMATS.get("-".join(typed.lower().split()))


async def set_format(update: Update, context: BotContext) -> None:
    """/format full|compact: a digest item with its outlet, time and lead, or one line."""
    asked = await setting_asked(update, context, _format_named, "usage_format")
    if asked is None:
        return
    texts = context.services.texts
    await call(subscriptions.set_format, context.services.newsroom, asked.view.chat_id, asked.value)
    await reply(update, context, texts.get(asked.language, f"format_{asked.value}"))


async def stop(update: Update, context: BotContext) -> None:
    texts = context.services.texts
    language = await language_of(update, context)
    view = await registered_view(update, context, language)
    if view is None or not await may_change(update, context, language):
        return
    markup = confirm_keyboard(
        texts.get(language, "stop_yes"), texts.get(language, "stop_no"), Action.STOP
    )
    await reply(update, context, texts.get(language, "stop_confirm"), markup)


async def on_stop(update: Update, context: BotContext, data: CallbackData) -> None:
    query, chat = tap_of(update)
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
