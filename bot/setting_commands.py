"""What every command that changes a chat's setting does before it changes it: the chat must
be registered, the command's argument must parse (else the answer is how the command is
used), and in a group or a managed channel only admins may change it. Shared by the
handlers of bot/handlers/settings.py, alerts.py and subscriptions.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from telegram import Update

from bot.context import BotContext, argument_text, chat_view, language_of, may_change, reply
from bot.texts import Texts
from digests import subscriptions

T = TypeVar("T")


async def registered_view(
    update: Update, context: BotContext, language: str
) -> subscriptions.SubscriberView | None:
    """The chat's subscription; None, the reader told to /start first, when it has none."""
    view = await chat_view(update, context)
    if view is None:
        await reply(update, context, context.services.texts.get(language, "not_registered"))
    return view


@dataclass(frozen=True, slots=True)
class SettingAsked(Generic[T]):
    """A settings command that may go ahead: the reader's language, the chat, what they typed
    (parsed)."""

    language: str
    view: subscriptions.SubscriberView
    value: T


# How a settings command says how it is used: a text's key, or the text made for the chat
# (which may name its current setting).
Usage = str | Callable[[Texts, str, subscriptions.SubscriberView], str]


def usage_with_zone(key: str) -> Usage:
    """A usage text that names the chat's time zone (`{zone}`)."""
    return lambda texts, language, view: texts.get(language, key, zone=view.timezone)


async def setting_asked(
    update: Update, context: BotContext, parse: Callable[[str], T | None], usage: Usage
) -> SettingAsked[T] | None:
    """The first half of every command that changes a chat's setting: the chat must be
    registered, its argument must parse (`parse` gives None: the answer is its `usage`), and
    in a group or a managed channel only admins may change it (`may_change`). None when the
    command stops there, the reader told why."""
    texts = context.services.texts
    language = await language_of(update, context)
    view = await registered_view(update, context, language)
    if view is None:
        return None
    value = parse(argument_text(context))
    if value is None:
        text = (
            texts.get(language, usage) if isinstance(usage, str) else usage(texts, language, view)
        )
        await reply(update, context, text)
        return None
    if not await may_change(update, context, language):
        return None
    return SettingAsked(language, view, value)
