"""Beyond the daily digest: keyword alerts (/alert, /alerts with remove buttons), urgent items
(/urgent on|off|always), quiet hours (/quiet 22:00-06:00 | off), the weekly summary's day
and time (/weekly), and the frequency menu (a tap cycles daily -> immediately -> weekly)."""

from __future__ import annotations

from datetime import time

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import BotContext, argument_text, call, chat_view, language_of, may_change, reply
from bot.keyboards import Action, CallbackData, button, tap_of
from bot.names import leader_name, topic_name
from bot.render import escape
from bot.setting_commands import registered_view, setting_asked, usage_with_zone
from bot.texts import Texts
from digests import subscriptions
from digests.alerts import parse_quiet
from digests.schedule import parse_time_of_day
from digests.store.models import Frequency, SubscriptionKind, UrgentMode
from digests.subscriptions import (
    KeywordAlertView,
    SubscriberView,
    SubscriptionError,
    split_frequency,
)
from digests.text import fold

FREQUENCY_MARK = {Frequency.DAILY: "✅", Frequency.IMMEDIATE: "⚡", Frequency.WEEKLY: "📅"}
# How readers name a weekday (folded, Vietnamese and English), Monday 0.
WEEKDAYS = {
    "t2": 0, "thu 2": 0, "thu hai": 0, "mon": 0, "monday": 0,
    "t3": 1, "thu 3": 1, "thu ba": 1, "tue": 1, "tuesday": 1,
    "t4": 2, "thu 4": 2, "thu tu": 2, "wed": 2, "wednesday": 2,
    "t5": 3, "thu 5": 3, "thu nam": 3, "thu": 3, "thursday": 3,
    "t6": 4, "thu 6": 4, "thu sau": 4, "fri": 4, "friday": 4,
    "t7": 5, "thu 7": 5, "thu bay": 5, "sat": 5, "saturday": 5,
    "cn": 6, "chu nhat": 6, "sun": 6, "sunday": 6,
}  # fmt: skip


def frequency_name(context: BotContext, language: str, frequency: Frequency) -> str:
    return context.services.texts.get(language, f"frequency_{frequency.value}")


# -- keyword alerts -----------------------------------------------------------------
def alerts_keyboard(
    context: BotContext, alerts: list[KeywordAlertView], language: str
) -> InlineKeyboardMarkup | None:
    if not alerts:
        return None
    texts = context.services.texts
    rows = [
        [
            button(
                f"{FREQUENCY_MARK[a.frequency]} {a.query}"[:60],
                Action.FREQUENCY,
                f"k.{a.id}",
            ),
            button(texts.get(language, "alert_remove_button"), Action.REMOVE_ALERT, str(a.id)),
        ]
        for a in alerts
    ]
    return InlineKeyboardMarkup(rows)


def _alerts_text(context: BotContext, alerts: list[KeywordAlertView], language: str) -> str:
    texts = context.services.texts
    if not alerts:
        return texts.get(language, "alerts_empty")
    lines = [texts.get(language, "alerts_header", count=len(alerts))]
    lines += [
        f"• <code>{escape(a.query)}</code> · {frequency_name(context, language, a.frequency)}"
        for a in alerts
    ]
    return "\n".join(lines)


async def add_alert(update: Update, context: BotContext) -> None:
    texts = context.services.texts
    language = await language_of(update, context)
    typed = argument_text(context)
    if not typed:
        await reply(update, context, texts.get(language, "usage_alert"))
        return
    view = await registered_view(update, context, language)
    if view is None or not await may_change(update, context, language):
        return
    words, frequency = split_frequency(typed)
    try:
        alert, created = await call(
            subscriptions.add_keyword_alert,
            context.services.newsroom,
            view.chat_id,
            words,
            frequency,
        )
    except SubscriptionError as exc:
        limit = subscriptions.MAX_KEYWORD_ALERTS
        await reply(update, context, texts.get(language, exc.key, limit=limit))
        return
    key = "alert_added" if created else "alert_exists"
    await reply(
        update,
        context,
        texts.get(
            language,
            key,
            query=escape(alert.query),
            frequency=frequency_name(context, language, alert.frequency),
        ),
    )


async def list_alerts(update: Update, context: BotContext) -> None:
    language = await language_of(update, context)
    view = await registered_view(update, context, language)
    if view is None:
        return
    alerts = await call(subscriptions.keyword_alerts, context.services.newsroom, view.chat_id)
    await reply(
        update,
        context,
        _alerts_text(context, alerts, language),
        alerts_keyboard(context, alerts, language),
    )


async def _redraw_alerts(update: Update, context: BotContext, chat_id: int, language: str) -> None:
    query = update.callback_query
    assert query is not None
    alerts = await call(subscriptions.keyword_alerts, context.services.newsroom, chat_id)
    try:
        await query.edit_message_text(
            _alerts_text(context, alerts, language),
            reply_markup=alerts_keyboard(context, alerts, language),
        )
    except BadRequest as exc:  # a double tap: the message already shows this
        if "not modified" not in str(exc).lower():
            raise


async def on_remove_alert(update: Update, context: BotContext, data: CallbackData) -> None:
    query, chat = tap_of(update)
    texts = context.services.texts
    language = await language_of(update, context)
    if not data.argument.isdigit() or not await may_change(update, context, language):
        await query.answer(texts.get(language, "button_expired"), show_alert=True)
        return
    removed = await call(
        subscriptions.remove_keyword_alert, context.services.newsroom, chat.id, int(data.argument)
    )
    await query.answer(texts.get(language, "alert_removed" if removed else "button_expired"))
    await _redraw_alerts(update, context, chat.id, language)


# -- frequency menu -----------------------------------------------------------------
def frequency_keyboard(
    context: BotContext, view: SubscriberView, language: str
) -> InlineKeyboardMarkup:
    """One button per subscription, marked with its frequency; a tap cycles it."""
    catalog = context.services.catalog
    rows = []
    for code, kind, slugs in (
        ("t", SubscriptionKind.TOPIC, view.topics),
        ("l", SubscriptionKind.LEADER, view.leaders),
    ):
        for slug in slugs:
            if kind is SubscriptionKind.TOPIC:
                topic = catalog.topic(slug)
                label = topic_name(topic, language) if topic else slug
            else:
                leader = catalog.leader(slug)
                label = leader_name(leader, language) if leader else slug
            often = view.frequency(kind, slug) or Frequency.DAILY
            text = f"{FREQUENCY_MARK[often]} {label} · {frequency_name(context, language, often)}"
            rows.append([button(text[:60], Action.FREQUENCY, f"{code}.{slug}")])
    return InlineKeyboardMarkup(rows)


async def on_frequency(update: Update, context: BotContext, data: CallbackData) -> None:
    """ "menu": show the frequency menu; "t.<slug>", "l.<slug>", "k.<id>": cycle one."""
    query, chat = tap_of(update)
    services = context.services
    texts = services.texts
    language = await language_of(update, context)
    view = await chat_view(update, context)
    if view is None:
        await query.answer(texts.get(language, "not_registered"), show_alert=True)
        return
    if data.argument == "menu":
        await query.answer()
        await reply(
            update,
            context,
            texts.get(language, "frequency_menu"),
            frequency_keyboard(context, view, language),
        )
        return
    kind_code, _, key = data.argument.partition(".")
    if not await may_change(update, context, language):
        return
    if kind_code == "k" and key.isdigit():
        frequency = await call(
            subscriptions.cycle_keyword_frequency, services.newsroom, chat.id, int(key)
        )
        if frequency is None:
            await query.answer(texts.get(language, "button_expired"), show_alert=True)
            return
        await query.answer(frequency_name(context, language, frequency))
        await _redraw_alerts(update, context, chat.id, language)
        return
    kinds = {"t": SubscriptionKind.TOPIC, "l": SubscriptionKind.LEADER}
    if kind_code not in kinds:
        await query.answer(texts.get(language, "button_expired"), show_alert=True)
        return
    cycled, now = await call(
        subscriptions.cycle_frequency, services.newsroom, chat.id, kinds[kind_code], key
    )
    if now is None:
        await query.answer(texts.get(language, "button_expired"), show_alert=True)
        return
    await query.answer(frequency_name(context, language, now))
    try:
        await query.edit_message_reply_markup(frequency_keyboard(context, cycled, language))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


# -- urgent items, quiet hours, weekly summary --------------------------------------
URGENT_WORDS = {
    "on": UrgentMode.ON,
    "bat": UrgentMode.ON,
    "off": UrgentMode.OFF,
    "tat": UrgentMode.OFF,
    "always": UrgentMode.ALWAYS,
    "luon": UrgentMode.ALWAYS,
    "luon luon": UrgentMode.ALWAYS,
}


def _urgent_mode(typed: str) -> UrgentMode | None:
    return URGENT_WORDS.get(" ".join(fold(typed).split()))


def _urgent_usage(texts: Texts, language: str, view: SubscriberView) -> str:
    current = texts.get(language, f"urgent_mode_{view.urgent_mode.value}")
    return texts.get(language, "usage_urgent", mode=current)


async def urgent(update: Update, context: BotContext) -> None:
    asked = await setting_asked(update, context, _urgent_mode, _urgent_usage)
    if asked is None:
        return
    mode = asked.value
    await call(subscriptions.set_urgent_mode, context.services.newsroom, asked.view.chat_id, mode)
    text = context.services.texts.get(asked.language, f"urgent_set_{mode.value}")
    await reply(update, context, text)


def _quiet_choice(typed: str) -> tuple[tuple[time, time] | None] | None:
    """(hours,) for quiet hours, (None,) for none ("off"), None when it is neither."""
    if fold(typed) in ("off", "tat", "khong"):
        return (None,)
    hours = parse_quiet(typed)
    return (hours,) if hours is not None else None


async def quiet(update: Update, context: BotContext) -> None:
    asked = await setting_asked(update, context, _quiet_choice, usage_with_zone("usage_quiet"))
    if asked is None:
        return
    texts, (hours,) = context.services.texts, asked.value
    await call(subscriptions.set_quiet_hours, context.services.newsroom, asked.view.chat_id, hours)
    if hours is None:
        await reply(update, context, texts.get(asked.language, "quiet_off"))
        return
    await reply(
        update,
        context,
        texts.get(
            asked.language,
            "quiet_set",
            start=hours[0].strftime("%H:%M"),
            end=hours[1].strftime("%H:%M"),
            zone=asked.view.timezone,
        ),
    )


def parse_weekly(text: str) -> tuple[int, time] | None:
    """'thứ 7 08:00', 'sat 8h', 'CN 19:30' -> (weekday, time), or None."""
    words = fold(text).split()
    if len(words) < 2:
        return None
    at = parse_time_of_day(words[-1])
    day = WEEKDAYS.get(" ".join(words[:-1]))
    return (day, at) if day is not None and at is not None else None


def _weekly_usage(texts: Texts, language: str, view: SubscriberView) -> str:
    days = texts.get(language, "weekdays").split(",")
    current = f"{days[view.weekly_day]} {view.weekly_time.strftime('%H:%M')}"
    return texts.get(language, "usage_weekly", current=current)


async def weekly(update: Update, context: BotContext) -> None:
    asked = await setting_asked(update, context, parse_weekly, _weekly_usage)
    if asked is None:
        return
    day, at = asked.value
    await call(subscriptions.set_weekly, context.services.newsroom, asked.view.chat_id, day, at)
    texts = context.services.texts
    days = texts.get(asked.language, "weekdays").split(",")
    await reply(
        update,
        context,
        texts.get(asked.language, "weekly_set", day=days[day], time=at.strftime("%H:%M")),
    )
