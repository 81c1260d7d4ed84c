"""/start (with deep links such as `t.me/<bot>?start=food-safety`) and /help."""

from __future__ import annotations

from telegram import Chat, Update

from bot.context import (
    BotContext,
    call,
    chat_view,
    language_of,
    may_change,
    reply,
    topic_of,
)
from bot.handlers.subscriptions import resolve_and_follow, topics_keyboard
from bot.menus import install_admin_menu
from bot.names import leader_names, topic_names
from digests import subscriptions
from digests.store.models import ChatKind


def _chat_kind(chat: Chat) -> ChatKind:
    if chat.type == Chat.PRIVATE:
        return ChatKind.PRIVATE
    return ChatKind.CHANNEL if chat.type == Chat.CHANNEL else ChatKind.GROUP


async def start(update: Update, context: BotContext) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    services = context.services
    language = await language_of(update, context)
    if chat.type != Chat.PRIVATE and not await may_change(update, context, language):
        return
    registration = await call(
        subscriptions.register,
        services.newsroom,
        chat.id,
        kind=_chat_kind(chat),
        language_code=user.language_code if user else None,
        title=chat.title,
    )
    view = registration.subscriber
    language = view.language
    texts = services.texts
    if context.args:
        # A deep link's payload: subscribe (or follow) directly.
        # A new reader is told once, by the welcome that names what they now have.
        await resolve_and_follow(
            update, context, " ".join(context.args), language, quiet=registration.created
        )
        view = await chat_view(update, context, fresh=True) or view
    time_text = view.digest_time.strftime("%H:%M")
    if registration.created and context.args:
        # Welcomed to what they actually have: the default topic and the link's choice.
        ordered = [t.slug for t in services.catalog.topics if t.slug in view.topics]
        chosen = topic_names(services.catalog, ordered, language)
        chosen += leader_names(services.catalog, view.leaders, language)
        text = texts.get(language, "welcome_deep_link", time=time_text, topics=", ".join(chosen))
    elif registration.created:
        leadership = services.catalog.topic(subscriptions.DEFAULT_TOPIC)
        name = topic_names(services.catalog, [leadership.slug], language)[0] if leadership else ""
        text = texts.get(language, "welcome", time=time_text, topic=name)
    else:
        names = topic_names(services.catalog, view.topics, language)
        text = texts.get(
            language, "welcome_back", topics=", ".join(names) or texts.get(language, "none")
        )
    if chat.is_forum:
        # In a forum, /start by an admin chooses the topic the group's digest goes to.
        topic = topic_of(update)
        if topic != view.thread_id:
            await call(subscriptions.set_thread, services.newsroom, chat.id, topic)
        text += "\n\n" + texts.get(language, "topic_bound" if topic else "topic_general")
    await reply(update, context, text, topics_keyboard(context, view, language))
    if chat.type == Chat.PRIVATE and chat.id in services.admin_ids:
        # An admin the bot had never seen at start-up gets the admin menu now.
        await install_admin_menu(context.bot, texts, chat.id)


async def help_command(update: Update, context: BotContext) -> None:
    language = await language_of(update, context)
    view = await chat_view(update, context)
    at = (view.digest_time if view else context.services.newsroom.settings.digest_time).strftime(
        "%H:%M"
    )
    max_age = f"{context.services.newsroom.settings.digest_max_age:g}"
    await reply(
        update,
        context,
        context.services.texts.get(
            language,
            "help",
            time=at,
            max_age=max_age,
            alert_limit=subscriptions.MAX_KEYWORD_ALERTS,
        ),
    )
