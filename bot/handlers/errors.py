"""The global error handler, unknown commands, stale buttons and per-user flood protection."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext, language_of, reply
from digests import subscriptions
from digests.errors import MohbotError
from digests.store.db import storage_failed

log = logging.getLogger(__name__)


async def _language(update: Update, context: BotContext) -> str:
    try:
        return await language_of(update, context)
    except Exception:  # the database may be what failed: the user's Telegram language then
        user = update.effective_user
        return subscriptions.language_from_code(user.language_code if user else None)


def answer_for(error: BaseException | None) -> tuple[str, dict[str, object]]:
    """The text key (and its values) that tells the user about `error`."""
    if isinstance(error, MohbotError):
        return error.key, error.params
    if error is not None and storage_failed(error):
        return "error_storage", {}
    return "error", {}


async def error_handler(update: object, context: BotContext) -> None:
    """A domain error (MohbotError) is what the user asked for meeting a rule: they are told,
    in their language, by the error's text key, and the log has one line. Anything else is a
    bug or a fault: logged with its traceback (the log masks secrets) and the update id, and
    the user gets a brief apology, never a stack trace, plainly when the database cannot take
    a write."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    if isinstance(error, MohbotError):
        log.debug("update %s refused: %s", update_id, error)
    else:
        log.error("error while handling update %s: %r", update_id, error, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    key, params = answer_for(error)
    try:
        language = await _language(update, context)
        text = context.services.texts.get(language, key, **params)
        if update.callback_query:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await reply(update, context, text)
    except Exception:  # the apology itself failed (e.g. the user blocked the bot)
        log.warning("could not tell the user about the error in update %s", update_id)


async def unknown_command(update: Update, context: BotContext) -> None:
    language = await language_of(update, context)
    await reply(update, context, context.services.texts.get(language, "unknown_command"))


async def expired_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    language = await language_of(update, context)
    await query.answer(context.services.texts.get(language, "button_expired"), show_alert=True)


async def flood_guard(update: Update, context: BotContext) -> None:
    """Runs before every handler: a user sending commands too fast is told once and ignored."""
    user = update.effective_user
    if user is None or (update.message is None and update.callback_query is None):
        return
    now = time.monotonic()
    flood = context.services.recent_commands
    count = flood.hit(user.id, now)
    if count <= flood.per_window:
        return
    if count == flood.per_window + 1:
        language = await language_of(update, context)
        text = context.services.texts.get(language, "flood")
        if update.callback_query:
            await update.callback_query.answer(text)
        else:
            await reply(update, context, text)
    elif update.callback_query:
        await update.callback_query.answer()
    raise ApplicationHandlerStop
