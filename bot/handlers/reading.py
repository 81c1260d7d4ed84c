"""Reading now: /latest [topic] [n] and /search <words>."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext, argument_text, call, chat_view, language_of, reply
from bot.handlers import errors
from bot.jobs import digest_renderer
from bot.keyboards import CallbackData, MorePage, ResultPage, markup_of
from bot.names import document_kind_name, topic_name
from bot.render import Section, article_block, one_message, pack
from bot.texts import Html, Texts
from digests import reading
from digests.dispatch import digest_now, section_page
from digests.reading import ArticleView
from digests.text import truncate

DEFAULT_LATEST = 5


def render_articles(
    context: BotContext, header: str, articles: list[ArticleView], language: str, zone: str
) -> list[str]:
    """Articles as messages that never break inside an article; a message that goes on
    repeats the header, marked as continued."""
    texts = context.services.texts
    undated = texts.get(language, "undated")
    documents = context.services.newsroom.documents

    def kind_name(slug: str) -> str:
        return document_kind_name(documents, slug, language)

    blocks = [article_block(a, zone, undated, kind_name=kind_name) for a in articles]
    return pack(
        "",
        [Section(header, blocks)],
        lambda heading: texts.get(language, "continued", heading=Html(heading)),
    )


async def _zone(update: Update, context: BotContext) -> str:
    view = await chat_view(update, context)
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
    await _latest_page(
        update, context, language, ResultPage("l", topic.slug if topic else "", 0, count)
    )


async def _latest_page(
    update: Update, context: BotContext, language: str, page: ResultPage
) -> None:
    services = context.services
    topic = services.catalog.topic(page.terms) if page.terms else None
    articles = await call(reading.latest, services.newsroom, page.terms or None, page.count)
    suffix = f": {topic_name(topic, language)}" if topic else ""
    if len(articles) <= page.offset:
        key = "latest_empty" if not articles else "more_expired"
        await reply(update, context, services.texts.get(language, key, topic=suffix))
        return
    header = services.texts.get(language, "latest_header", topic=suffix)
    await _send_pages(update, context, language, header, articles, page)


async def search(update: Update, context: BotContext) -> None:
    await _answer_search(update, context, argument_text(context))


async def search_text(update: Update, context: BotContext) -> None:
    """Plain text in a private chat is a search, with a one-line hint (groups: ignored)."""
    message = update.effective_message
    if message is not None and message.text:
        await _answer_search(update, context, message.text.strip()[:200], hint=True)


async def _answer_search(
    update: Update, context: BotContext, query: str, hint: bool = False
) -> None:
    services = context.services
    language = await language_of(update, context)
    if not query:
        await reply(update, context, services.texts.get(language, "usage_search"))
        return
    page = ResultPage("s", reading.search_terms(query), 0)
    await _search_page(update, context, language, query, page, hint)


async def _search_page(
    update: Update,
    context: BotContext,
    language: str,
    query: str,
    page: ResultPage,
    hint: bool = False,
) -> None:
    services = context.services
    articles = await call(reading.search, services.newsroom, query, reading.MAX_RESULTS)
    if len(articles) <= page.offset:
        key = "search_empty" if not articles else "more_expired"
        await reply(update, context, services.texts.get(language, key, query=query))
        return
    texts = services.texts
    header = texts.get(language, "search_title", query=query)
    single = texts.get(language, "search_header", query=query, count=len(articles))
    if hint:
        note = "\n" + texts.get(language, "search_hint", query=query)
        header, single = header + note, single + note
    await _send_pages(update, context, language, header, articles, page, single)


async def _send_pages(
    update: Update,
    context: BotContext,
    language: str,
    header: str,
    articles: list[ArticleView],
    page: ResultPage,
    single: str | None = None,
) -> None:
    """The results from `page.offset` on, one message a page (never broken inside a result)
    with a "more" button to the next page, each page's heading numbered ("1–13 / 20"); all
    on one page, the heading is `single` (or `header`). A search whose words do not fit a
    button (a long query, a script without a folded form) gets its pages one after another
    instead."""
    texts = context.services.texts
    zone = await _zone(update, context)
    undated = texts.get(language, "undated")
    documents = context.services.newsroom.documents

    def kind_name(slug: str) -> str:
        return document_kind_name(documents, slug, language)

    total = len(articles)
    offset = page.offset

    def numbered(last: int) -> str:
        return texts.get(
            language,
            "more_page_header",
            heading=Html(header),
            first=offset + 1,
            last=last,
            total=total,
        )

    every = [article_block(a, zone, undated, kind_name=kind_name) for a in articles[offset:]]
    while offset < total:
        blocks = every[offset - page.offset :]
        alone = single or header
        fitting = one_message(alone, blocks) if offset == 0 else []
        if len(fitting) == total:
            heading = alone  # one page: no page numbers
        else:
            # Room under the longest heading this page can have; then the one it has.
            fitting = one_message(numbered(total), blocks)
            heading = numbered(offset + len(fitting))
        offset += len(fitting)
        markup = None
        if offset < total:
            following = ResultPage(page.kind, page.terms, offset, page.count)
            try:
                data = following.encode()
            except ValueError:
                data = None
            if data is not None:
                label = texts.plural(language, "more_results", total - offset)
                markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])
        await reply(update, context, "\n".join([heading, *fitting]), markup)
        if markup is not None:
            return


async def on_page(update: Update, context: BotContext, data: CallbackData) -> None:
    """A /search or /latest reply's "more" button: the next page, as a new message, with a
    button for the page after it (everything comes from the button: it works after a
    restart)."""
    query = update.callback_query
    page = ResultPage.parse(data.argument)
    if query is None or page is None:
        await errors.expired_button(update, context)
        return
    await query.answer()
    language = await language_of(update, context)
    if page.kind == "s":
        await _search_page(update, context, language, page.terms.replace("_", " "), page)
    else:
        await _latest_page(update, context, language, page)


async def digest(update: Update, context: BotContext) -> None:
    """/digest: what is new since the last scheduled digest, now (it does not replace it)."""
    services = context.services
    language = await language_of(update, context)
    chat = update.effective_chat
    assert chat is not None
    result = await call(digest_now, services.newsroom, chat.id)
    view = await chat_view(update, context)
    if view is None:
        await reply(update, context, services.texts.get(language, "not_registered"))
        return
    texts = services.texts
    since = _moment(texts, view.last_digest_at, view.timezone, language)
    if result is None:
        following = _moment(texts, view.next_digest_at, view.timezone, language)
        text = texts.get(language, "digest_nothing_new", since=since or "—", next=following or "—")
        await reply(update, context, text)
        return
    max_age = f"{services.newsroom.settings.digest_max_age:g}"
    covers = (
        texts.get(language, "digest_covers", since=since)
        if since
        else texts.get(language, "digest_covers_first", max_age=max_age)
    )
    for part in digest_renderer(services)(result, note=covers):
        await reply(update, context, part.text, markup_of(part))


def _moment(texts: Texts, moment: datetime | None, zone: str, language: str) -> str | None:
    """'07:00 Thứ Hai 30/11' in the reader's zone and language."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(zone))
    weekday = texts.get(language, "weekdays").split(",")[local.weekday()]
    return f"{local:%H:%M} {weekday} {local:%d/%m}"


async def on_more(update: Update, context: BotContext, data: CallbackData) -> None:
    """A digest's "more" button: the next page of that section, as a new message, with a
    button for the page after it. Everything comes from the button and the database, so it
    works after a restart."""
    query = update.callback_query
    chat = update.effective_chat
    page = MorePage.parse(data.argument)
    if query is None or chat is None or page is None:
        await errors.expired_button(update, context)
        return
    services = context.services
    if chat.type == Chat.CHANNEL:
        # A reader's tap in a channel must not post a page for every subscriber of it.
        language = await language_of(update, context)
        text = services.texts.get(language, "more_in_channel", bot=context.bot.username)
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    found = await call(
        section_page, services.newsroom, chat.id, page.section, page.since, page.until, page.offset
    )
    language = await language_of(update, context)
    if found is None or not found.articles:
        await reply(update, context, services.texts.get(language, "more_expired"))
        return
    reader = found.reader
    renderer = digest_renderer(services)
    title = renderer.section_title(page.section, language)
    heading = services.texts.get(
        language,
        "more_page_header",
        heading=Html(services.texts.get(language, "digest_section", title=title.upper())),
        first=found.offset + 1,
        last=found.offset + len(found.articles),
        total=found.total,
    )
    undated = services.texts.get(language, "undated")
    blocks = [
        article_block(
            a,
            reader.timezone,
            undated,
            compact=reader.format == "compact",
            kind_name=lambda slug: renderer.kind_name(slug, language),
        )
        for a in found.articles
    ]
    parts = pack(
        "",
        [Section(heading, blocks)],
        lambda h: services.texts.get(language, "continued", heading=Html(h)),
    )
    markup = None
    rest = found.total - found.offset - len(found.articles)
    if rest > 0:
        following = MorePage(page.section, page.since, page.until, page.offset + len(blocks))
        label = services.texts.get(language, "more_button", count=rest, title=title)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(truncate(label, 60), callback_data=following.encode())]]
        )
    for index, part in enumerate(parts):
        await reply(update, context, part, markup if index == len(parts) - 1 else None)
