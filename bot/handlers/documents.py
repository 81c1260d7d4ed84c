"""Official documents: `/vanban` lists the kinds and the chat's own; `/vanban cong-dien` (a
kind's slug or name, Vietnamese or English, with or without diacritics) adds a section of that
kind to the chat's digest, `/vanban bo cong-dien` removes it; `/vanban 53/CĐ-BYT` (also
`53/CD-BYT`, `53`) lists the articles that name that document."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext, argument_text, call, chat_view, language_of, may_change, reply
from bot.handlers.reading import render_articles
from bot.names import document_kind_name
from bot.texts import Html
from digests import reading, subscriptions
from digests.documents import MAX_LOOKUP
from digests.store.models import SubscriptionKind
from digests.subscriptions import SubscriptionError
from digests.text import fold

# "/vanban bo cong-dien", "/vanban off cong-dien", "/vanban -cong-dien": remove the section.
_REMOVE_WORDS = ("bo", "off", "remove", "huy")


async def vanban(update: Update, context: BotContext) -> None:
    language = await language_of(update, context)
    typed = argument_text(context)[:MAX_LOOKUP]
    if not typed:
        await _list_kinds(update, context, language)
        return
    catalog = context.services.newsroom.documents
    words = typed.split()
    remove = typed.startswith("-") or (len(words) > 1 and fold(words[0]) in _REMOVE_WORDS)
    named = typed.lstrip("-") if typed.startswith("-") else typed
    if remove and not typed.startswith("-"):
        named = " ".join(words[1:])
    kind = catalog.resolve(named)
    if kind is not None:
        await _follow_kind(update, context, language, kind.slug, remove=remove)
        return
    await _look_up(update, context, language, typed)


async def _list_kinds(update: Update, context: BotContext, language: str) -> None:
    texts, catalog = context.services.texts, context.services.newsroom.documents
    lines = [
        texts.get(language, "vanban_kind_line", name=kind.name(language), slug=kind.slug)
        for kind in catalog.kinds
    ]
    view = await chat_view(update, context)
    followed = view.documents if view else ()
    mine = [document_kind_name(catalog, slug, language) for slug in followed]
    text = texts.get(
        language,
        "vanban_kinds",
        kinds=Html("\n".join(lines)),
        mine=", ".join(mine) or texts.get(language, "none"),
    )
    await reply(update, context, text)


async def _follow_kind(
    update: Update, context: BotContext, language: str, slug: str, *, remove: bool
) -> None:
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    if await chat_view(update, context) is None:
        await reply(update, context, services.texts.get(language, "not_registered"))
        return
    if not await may_change(update, context, language):
        return
    change = subscriptions.unfollow if remove else subscriptions.follow
    try:
        _view, changed = await call(
            change, services.newsroom, chat.id, SubscriptionKind.DOCUMENT, slug
        )
    except SubscriptionError as exc:
        await reply(update, context, services.texts.get(language, exc.key))
        return
    if remove:
        key = "vanban_unfollowed" if changed else "vanban_not_followed"
    else:
        key = "vanban_followed" if changed else "vanban_already"
    name = document_kind_name(services.newsroom.documents, slug, language)
    await reply(update, context, services.texts.get(language, key, name=name))


async def _look_up(update: Update, context: BotContext, language: str, typed: str) -> None:
    services = context.services
    room = services.newsroom
    query = reading.document_query(room, typed)
    if query is None:
        await reply(update, context, services.texts.get(language, "vanban_usage", query=typed))
        return
    articles = await call(reading.naming_document, room, query)
    if not articles:
        await reply(update, context, services.texts.get(language, "vanban_empty", query=typed))
        return
    view = await chat_view(update, context)
    zone = view.timezone if view else room.settings.timezone
    header = services.texts.get(language, "vanban_header", query=typed, count=len(articles))
    for part in render_articles(context, header, articles, language, zone):
        await reply(update, context, part)
