"""Inline mode: `@<bot> <words>` in any chat offers matching articles (title, outlet, date, a
line of the lead), newest and best first, 20 a page up to Telegram's 50; the chosen one is
sent by the person as a short card with its link. A digest item's share button types
`id:<n>` after the bot's name, which offers that one article."""

from __future__ import annotations

import logging

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode

from bot.context import BotContext, call
from bot.render import article_card, article_line
from digests import reading, subscriptions
from digests.text import truncate

log = logging.getLogger(__name__)
PAGE = 20  # results a page; Telegram asks for the next page with `offset`
CACHE_SECONDS = 60  # Telegram may answer the same query from its cache this long


async def on_inline_query(update: Update, context: BotContext) -> None:
    query = update.inline_query
    if query is None:
        return
    services = context.services
    room = services.newsroom
    start = int(query.offset) if query.offset.isdigit() else 0
    end = min(start + PAGE, reading.MAX_SHARE_RESULTS)
    if start >= end:
        await query.answer([], cache_time=CACHE_SECONDS)
        return
    articles = await call(reading.for_sharing, room, query.query, end)
    language = subscriptions.language_from_code(query.from_user.language_code)
    zone = room.settings.timezone
    undated = services.texts.get(language, "undated")
    read = services.texts.get(language, "inline_read")
    results = [
        InlineQueryResultArticle(
            id=str(article.id),  # a few digits: well under Telegram's 64 bytes
            title=truncate(" ".join(article.title.split()), 200),
            description=article_line(article, zone, undated),
            input_message_content=InputTextMessageContent(
                article_card(article, zone, undated, read),
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )
        for article in articles[start:end]
    ]
    more = len(articles) >= end and end < reading.MAX_SHARE_RESULTS
    await query.answer(
        results,
        cache_time=CACHE_SECONDS,
        is_personal=False,
        next_offset=str(end) if more else None,
    )


async def on_chosen(update: Update, context: BotContext) -> None:
    """Telegram says which result was sent (when inline feedback is on): counted in the logs."""
    chosen = update.chosen_inline_result
    if chosen is not None:
        log.info("inline result %s shared", chosen.result_id)
