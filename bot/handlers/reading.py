"""Reading now: /latest [topic] [n] and /search <words>."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext, argument_text, call, language_of, reply
from bot.names import topic_name
from bot.render import article_lines
from digests import reading, subscriptions
from digests.reading import ArticleView

DEFAULT_LATEST = 5


def render_articles(
    context: BotContext, header: str, articles: list[ArticleView], language: str, zone: str
) -> str:
    texts = context.services.texts
    lines = [header, ""]
    for article in articles:
        lines += article_lines(
            article.title,
            article.url,
            article.published_at,
            article.published_has_time,
            article.summary,
            zone,
            texts.get(language, "undated"),
        )
        lines.append("")
    return "\n".join(lines).strip()


async def _zone(update: Update, context: BotContext) -> str:
    chat = update.effective_chat
    view = await call(subscriptions.get, context.services.newsroom, chat.id) if chat else None
    return view.timezone if view else context.services.newsroom.settings.timezone


async def latest(update: Update, context: BotContext) -> None:
    """`/latest`, `/latest 10`, `/latest food safety`, `/latest an toan thuc pham 3`."""
    services = context.services
    language = await language_of(update, context)
    words = list(context.args or [])
    count = DEFAULT_LATEST
    if words and words[-1].isdigit():
        count = int(words.pop())
        if not 1 <= count <= reading.MAX_RESULTS:
            await reply(
                update,
                context,
                services.texts.get(language, "usage_latest", max=reading.MAX_RESULTS),
            )
            return
    topic = None
    if words:
        resolution = services.resolver.resolve_topic(" ".join(words))
        if resolution.match is None:
            await reply(
                update,
                context,
                services.texts.get(language, "usage_latest", max=reading.MAX_RESULTS),
            )
            return
        topic = resolution.match
    articles = await call(reading.latest, services.newsroom, topic.slug if topic else None, count)
    suffix = f": {topic_name(topic, language)}" if topic else ""
    if not articles:
        await reply(update, context, services.texts.get(language, "latest_empty", topic=suffix))
        return
    header = services.texts.get(language, "latest_header", topic=suffix)
    await reply(
        update,
        context,
        render_articles(context, header, articles, language, await _zone(update, context)),
    )


async def search(update: Update, context: BotContext) -> None:
    services = context.services
    language = await language_of(update, context)
    query = argument_text(context)
    if not query:
        await reply(update, context, services.texts.get(language, "usage_search"))
        return
    articles = await call(reading.search, services.newsroom, query, reading.MAX_RESULTS)
    if not articles:
        await reply(update, context, services.texts.get(language, "search_empty", query=query))
        return
    header = services.texts.get(language, "search_header", query=query, count=len(articles))
    await reply(
        update,
        context,
        render_articles(context, header, articles, language, await _zone(update, context)),
    )


async def digest(update: Update, context: BotContext) -> None:
    """/digest: what is new since the last scheduled digest, now (it does not replace it)."""
    from bot.jobs import digest_renderer, topic_order
    from digests.dispatch import digest_now

    services = context.services
    language = await language_of(update, context)
    chat = update.effective_chat
    assert chat is not None
    result = await call(digest_now, services.newsroom, chat.id, topic_order(services))
    if result is None:
        view = await call(subscriptions.get, services.newsroom, chat.id)
        key = "not_registered" if view is None else "digest_empty"
        await reply(update, context, services.texts.get(language, key))
        return
    for part in digest_renderer(services)(result):
        await reply(update, context, part)
