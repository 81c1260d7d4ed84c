"""Topics and leaders: /topics and /leaders keyboards (a tap toggles and edits the message in
place), /subscribe, /unsubscribe, /follow, /unfollow (with suggestions), /mysubs."""

from __future__ import annotations

import html
import re

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import (
    BotContext,
    argument_text,
    call,
    chat_view,
    language_of,
    may_change,
    reply,
    target_id,
)
from bot.handlers.alerts import FREQUENCY_MARK, frequency_name
from bot.keyboards import Action, CallbackData, button, tap_of, toggle_keyboard
from bot.names import leader_name, leader_names, topic_name, topic_names
from bot.render import escape
from bot.setting_commands import registered_view
from digests import subscriptions
from digests.store.models import Frequency, SubscriptionKind
from digests.subscriptions import SubscriberView, split_frequency
from digests.topics.catalog import Leader, Topic
from digests.topics.resolver import Item, Resolution


def _marks(view: SubscriberView, kind: SubscriptionKind) -> dict[str, str]:
    """Each subscription's mark: ✅ daily, ⚡ immediately, 📅 weekly."""
    keys = view.topics if kind is SubscriptionKind.TOPIC else view.leaders
    return {key: FREQUENCY_MARK[view.frequency(kind, key) or Frequency.DAILY] for key in keys}


def _frequency_row(context: BotContext, language: str) -> list[InlineKeyboardButton]:
    label = context.services.texts.get(language, "frequency_button")
    return [button(label, Action.FREQUENCY, "menu")]


def topics_keyboard(
    context: BotContext, view: SubscriberView, language: str
) -> InlineKeyboardMarkup:
    options = [(t.slug, topic_name(t, language)) for t in context.services.catalog.topics]
    return toggle_keyboard(
        options,
        _marks(view, SubscriptionKind.TOPIC),
        Action.TOGGLE_TOPIC,
        columns=2,
        last_row=_frequency_row(context, language),
    )


def leaders_keyboard(
    context: BotContext, view: SubscriberView, language: str
) -> InlineKeyboardMarkup:
    catalog = context.services.catalog
    # Leaders in office, and a former one only while this chat still follows them.
    options = [
        (leader.slug, leader_name(leader, language))
        for leader in catalog.leaders
        if leader.current or leader.slug in view.leaders
    ]
    return toggle_keyboard(
        options,
        _marks(view, SubscriptionKind.LEADER),
        Action.TOGGLE_LEADER,
        last_row=_frequency_row(context, language),
    )


async def topics(update: Update, context: BotContext) -> None:
    language = await language_of(update, context)
    view = await registered_view(update, context, language)
    if view is None:
        return
    text = context.services.texts.get(language, "topics_header")
    await reply(update, context, text, topics_keyboard(context, view, language))


async def leaders(update: Update, context: BotContext) -> None:
    language = await language_of(update, context)
    view = await registered_view(update, context, language)
    if view is None:
        return
    text = context.services.texts.get(language, "leaders_header")
    await reply(update, context, text, leaders_keyboard(context, view, language))


async def on_toggle(update: Update, context: BotContext, data: CallbackData) -> None:
    """A tap on a topic or leader button: flip it and redraw the same keyboard in place."""
    query, chat = tap_of(update)
    services = context.services
    language = await language_of(update, context)
    is_topic = data.action is Action.TOGGLE_TOPIC
    known = (
        services.catalog.topic(data.argument)
        if is_topic
        else services.catalog.leader(data.argument)
    )
    if known is None:
        await query.answer(services.texts.get(language, "button_expired"), show_alert=True)
        return
    if not await may_change(update, context, language):
        return
    if isinstance(known, Leader) and not known.current:
        current = await chat_view(update, context)
        if current is None or known.slug not in current.leaders:  # only unfollowing is left
            await _former_answer(
                query, services.texts.get(language, "former_leader", name=known.name)
            )
            return
    kind = SubscriptionKind.TOPIC if is_topic else SubscriptionKind.LEADER
    # SubscriptionError (e.g. not registered): the error handler answers with its text.
    view, now_on = await call(
        subscriptions.toggle,
        services.newsroom,
        await target_id(update, context) or chat.id,
        kind,
        data.argument,
    )
    markup = (
        topics_keyboard(context, view, language)
        if is_topic
        else leaders_keyboard(context, view, language)
    )
    name = topic_name(known, language) if isinstance(known, Topic) else known.name
    key = (
        ("subscribed" if now_on else "unsubscribed")
        if is_topic
        else ("followed" if now_on else "unfollowed")
    )
    await query.answer(_plain(services.texts.get(language, key, name=name)))
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as exc:  # a double tap: the keyboard already shows this state
        if "not modified" not in str(exc).lower():
            raise


async def _former_answer(query: CallbackQuery, text: str) -> None:
    """A button for a leader no longer in office: the plain answer, as an alert."""
    await query.answer(_plain(text), show_alert=True)


def _plain(html_text: str) -> str:
    """Callback answers are plain text (at most 200 characters)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))[:200]


async def resolve_and_follow(
    update: Update,
    context: BotContext,
    text: str,
    language: str,
    *,
    quiet: bool = False,
    unfollow: bool = False,
    leaders_only: bool = False,
    topics_only: bool = False,
    frequency: Frequency | None = None,
) -> bool:
    """Resolve what the user typed to a topic or leader and (un)follow it; suggestions when
    unsure. Returns True when something was resolved."""
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    resolver = services.resolver
    resolution: Resolution[Item]
    if leaders_only:
        resolution = resolver.resolve_leader(text)
    elif topics_only:
        resolution = resolver.resolve_topic(text)
    else:
        resolution = resolver.resolve(text)
    match = resolution.match
    if match is None:
        await _suggest(update, context, text, resolution, language, leaders_only, unfollow)
        return False
    if isinstance(match, Leader) and not match.current and not unfollow:
        # Following a former leader would bring only old news: say so plainly.
        if not quiet:
            await reply(
                update, context, services.texts.get(language, "former_leader", name=match.name)
            )
        return True
    is_topic = isinstance(match, Topic)
    kind = SubscriptionKind.TOPIC if is_topic else SubscriptionKind.LEADER
    chat_id = await target_id(update, context) or chat.id
    if unfollow:
        _view, changed = await call(
            subscriptions.unfollow, services.newsroom, chat_id, kind, match.slug
        )
    else:
        _view, changed = await call(
            subscriptions.follow, services.newsroom, chat_id, kind, match.slug, frequency
        )
    if isinstance(match, Topic):
        name = topic_name(match, language)
        key = (
            ("unsubscribed" if changed else "not_subscribed")
            if unfollow
            else ("subscribed" if changed else "already_subscribed")
        )
    else:
        name = match.name
        key = (
            ("unfollowed" if changed else "not_followed")
            if unfollow
            else ("followed" if changed else "already_followed")
        )
    if not quiet:
        text = services.texts.get(language, key, name=name)
        if frequency is not None and not unfollow:
            how = frequency_name(context, language, frequency)
            text += "\n" + services.texts.get(language, "frequency_set", name=name, frequency=how)
        await reply(update, context, text)
    return True


async def _suggest(
    update: Update,
    context: BotContext,
    text: str,
    resolution: Resolution[Item],
    language: str,
    leaders_only: bool,
    unfollow: bool,
) -> None:
    """Nothing matched with confidence: offer the three best candidates as buttons (or, when
    unfollowing, name them)."""
    texts = context.services.texts
    labelled = [
        (
            s.item,
            topic_name(s.item, language)
            if isinstance(s.item, Topic)
            else leader_name(s.item, language),
        )
        for s in resolution.suggestions[:3]
    ]
    if unfollow or not labelled:
        message = texts.get(language, "no_suggestions", query=text)
        if labelled:
            message += "\n" + ", ".join(escape(label) for _item, label in labelled)
        await reply(update, context, message)
        return
    markup = InlineKeyboardMarkup(
        [
            [
                button(
                    label, Action.SUBSCRIBE if isinstance(item, Topic) else Action.FOLLOW, item.slug
                )
            ]
            for item, label in labelled
        ]
    )
    key = "unknown_leader" if leaders_only else "unknown_topic"
    await reply(update, context, texts.get(language, key, query=text), markup)


async def on_suggestion(update: Update, context: BotContext, data: CallbackData) -> None:
    """A tap on a suggestion button: subscribe to that topic or follow that leader."""
    query, chat = tap_of(update)
    services = context.services
    language = await language_of(update, context)
    is_topic = data.action is Action.SUBSCRIBE
    known = (
        services.catalog.topic(data.argument)
        if is_topic
        else services.catalog.leader(data.argument)
    )
    if known is None:
        await query.answer(services.texts.get(language, "button_expired"), show_alert=True)
        return
    if not await may_change(update, context, language):
        return
    if isinstance(known, Leader) and not known.current:
        await _former_answer(query, services.texts.get(language, "former_leader", name=known.name))
        return
    kind = SubscriptionKind.TOPIC if is_topic else SubscriptionKind.LEADER
    # SubscriptionError (e.g. not registered): the error handler answers with its text.
    _view, changed = await call(
        subscriptions.follow,
        services.newsroom,
        await target_id(update, context) or chat.id,
        kind,
        data.argument,
    )
    if isinstance(known, Topic):
        key = "subscribed" if changed else "already_subscribed"
        name = topic_name(known, language)
    else:
        key = "followed" if changed else "already_followed"
        name = known.name
    text = services.texts.get(language, key, name=name)
    await query.answer()
    await query.edit_message_text(text)


async def _change_command(
    update: Update, context: BotContext, *, usage: str, unfollow: bool, leaders: bool
) -> None:
    language = await language_of(update, context)
    text = argument_text(context)
    if not text:
        await reply(update, context, context.services.texts.get(language, usage))
        return
    if await registered_view(update, context, language) is None:
        return
    if not await may_change(update, context, language):
        return
    frequency = None
    if not unfollow:
        text, frequency = split_frequency(text)
    await resolve_and_follow(
        update,
        context,
        text,
        language,
        unfollow=unfollow,
        leaders_only=leaders,
        topics_only=not leaders,
        frequency=frequency,
    )


async def subscribe(update: Update, context: BotContext) -> None:
    await _change_command(update, context, usage="usage_subscribe", unfollow=False, leaders=False)


async def unsubscribe(update: Update, context: BotContext) -> None:
    await _change_command(update, context, usage="usage_unsubscribe", unfollow=True, leaders=False)


async def follow(update: Update, context: BotContext) -> None:
    await _change_command(update, context, usage="usage_follow", unfollow=False, leaders=True)


async def unfollow(update: Update, context: BotContext) -> None:
    await _change_command(update, context, usage="usage_unfollow", unfollow=True, leaders=True)


async def mysubs(update: Update, context: BotContext) -> None:
    language = await language_of(update, context)
    view = await registered_view(update, context, language)
    if view is None:
        return
    services = context.services
    texts = services.texts
    none = texts.get(language, "none")

    def how_often(kind: SubscriptionKind, slugs: tuple[str, ...], names: list[str]) -> str:
        shown = []
        for slug, name in zip(slugs, names, strict=True):
            often = view.frequency(kind, slug) or Frequency.DAILY
            shown.append(f"{name} ({frequency_name(context, language, often)})")
        return ", ".join(shown) or none

    alerts = await call(subscriptions.keyword_alerts, services.newsroom, view.chat_id)
    days = texts.get(language, "weekdays").split(",")
    quiet = (
        f"{view.quiet[0].strftime('%H:%M')}–{view.quiet[1].strftime('%H:%M')}"
        if view.quiet
        else texts.get(language, "quiet_none")
    )
    text = texts.get(
        language,
        "mysubs",
        topics=how_often(
            SubscriptionKind.TOPIC,
            view.topics,
            topic_names(services.catalog, view.topics, language),
        ),
        leaders=how_often(
            SubscriptionKind.LEADER,
            view.leaders,
            leader_names(services.catalog, view.leaders, language),
        ),
        alerts=", ".join(
            f"<code>{escape(a.query)}</code> ({frequency_name(context, language, a.frequency)})"
            for a in alerts
        )
        or none,
        urgent=texts.get(language, f"urgent_mode_{view.urgent_mode.value}"),
        quiet=quiet,
        weekly=f"{days[view.weekly_day]} {view.weekly_time.strftime('%H:%M')}",
        time=view.digest_time.strftime("%H:%M"),
        zone=view.timezone,
        language=texts.get(view.language, "language_name"),
        format=texts.get(language, f"format_name_{view.digest_format}"),
        state=texts.get(language, "state_paused" if view.paused else "state_active"),
    )
    await reply(update, context, text, topics_keyboard(context, view, language))
