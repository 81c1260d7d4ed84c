"""The bot's shared services, reached through a typed context (no string-keyed lookups in
handlers), and small helpers every handler uses."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar, cast

from telegram import Bot, Chat, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackContext, ExtBot

from bot.render import split_message
from bot.texts import Texts
from digests import channels, subscriptions
from digests.delivery import DeliveryEngine
from digests.health import HealthServer
from digests.pacing import SlidingWindows
from digests.ratelimit import PriorityGate, gate_for
from digests.services import Newsroom
from digests.topics.catalog import Catalog
from digests.topics.resolver import Resolver

FLOOD_WINDOW = 2.0  # seconds
FLOOD_LIMIT = 10  # commands (and button taps) per window: a few a second
P = ParamSpec("P")
R = TypeVar("R")
_SERVICES = "services"


@dataclass
class BotServices:
    newsroom: Newsroom
    texts: Texts
    catalog: Catalog
    resolver: Resolver
    admin_ids: frozenset[int] = frozenset()
    # Per-user times of recent commands, for flood protection (bounded: digests/pacing.py).
    recent_commands: SlidingWindows = field(
        default_factory=lambda: SlidingWindows(FLOOD_LIMIT, FLOOD_WINDOW)
    )
    # The delivery engine and its own Bot (set up when the application starts).
    engine: DeliveryEngine | None = None
    delivery_bot: Bot | None = None
    delivery_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # /healthz and /metrics (started with the application).
    health: HealthServer | None = None
    # The process's one send budget, shared by replies and deliveries (see `send_gate`).
    gate: PriorityGate | None = None
    gate_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The admin work running as a job now (e.g. "ingest"): one of each kind at a time.
    admin_work: set[str] = field(default_factory=set)
    worker_name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


# An Application of any bot, context and data types (the handlers' own are `BotContext`'s).
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


# ExtBot[Any]: the bot's rate limiter (bot/limiter.py) is optional, and typed by its arguments.
class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to the services."""

    # This update's chat, once read (`chat_view`); unset until then.
    _chat_view: subscriptions.SubscriberView | None
    # The chat whose settings this update changes (`target_id`); unset until then.
    _target: int

    @property
    def services(self) -> BotServices:
        return cast(BotServices, self.application.bot_data[_SERVICES])


def install_services(application: AnyApplication, services: BotServices) -> None:
    application.bot_data[_SERVICES] = services


def services_of(application: AnyApplication) -> BotServices:
    """The services `install_services` put in the application."""
    return cast(BotServices, application.bot_data[_SERVICES])


async def call(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a (blocking, database-bound) domain function off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def send_gate(services: BotServices) -> PriorityGate:
    """The process's send gate, made on first use: the bot's rate limiter (replies) and the
    delivery engine (digests, broadcasts) both send through it, so that together they keep
    the one limit Telegram sets per token."""
    async with services.gate_lock:
        if services.gate is None:
            services.gate = await call(gate_for, services.newsroom)
        return services.gate


async def target_id(update: Update, context: BotContext) -> int | None:
    """The chat whose settings this update reads and changes: the chat itself, or, in a
    private chat, the channel its person is managing from there (`/channel`)."""
    if update.effective_chat is None:
        return None
    if not hasattr(context, "_target"):
        await chat_view(update, context)  # reads both at once
    return context._target


async def chat_view(
    update: Update, context: BotContext, *, fresh: bool = False
) -> subscriptions.SubscriberView | None:
    """Who this chat is (its subscription; a managed channel's, see `target_id`), read once
    per update: PTB makes a context for each update, so the answer is kept on it. `fresh`
    reads again, after a change."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return None
    room = context.services.newsroom
    if not hasattr(context, "_target"):
        manager = user.id if chat.type == Chat.PRIVATE and user is not None else None
        context._target, context._chat_view = await call(
            channels.settings_chat, room, chat.id, manager
        )
    elif fresh or not hasattr(context, "_chat_view"):
        context._chat_view = await call(subscriptions.get, room, context._target)
    return context._chat_view


async def language_of(update: Update, context: BotContext) -> str:
    """The chat's language: its stored setting, else Telegram's language_code, else vi."""
    view = await chat_view(update, context)
    if view is not None:
        return view.language
    user = update.effective_user
    return subscriptions.language_from_code(user.language_code if user else None)


async def reply(
    update: Update,
    context: BotContext,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send `text` (HTML) to the update's chat, split at Telegram's limit; markup goes last."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await send_text(context.bot, chat.id, text, markup, thread=topic_of(update))


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    thread: int | None = None,
) -> Message | None:
    """Send `text` (HTML) to a chat (in a forum, to its topic `thread`), split at Telegram's
    limit; markup goes last. For a reply to someone's command, also one a job sends when the
    command's work is done."""
    parts = split_message(text)
    message = None
    for index, part in enumerate(parts):
        message = await bot.send_message(
            chat_id,
            part,
            reply_markup=markup if index == len(parts) - 1 else None,
            message_thread_id=thread,
        )
    return message


def topic_of(update: Update) -> int | None:
    """The forum topic the update came from (a reply goes back there), or None."""
    message = update.effective_message
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


async def is_group_admin(update: Update, context: BotContext) -> bool:
    """In a group, only its administrators may change the group's settings; from a private
    chat, a managed channel's settings only while the person is still its administrator."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if chat.type != Chat.PRIVATE:
        member = await context.bot.get_chat_member(chat.id, user.id)
        return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
    channel = await target_id(update, context)
    if channel is None or channel == chat.id:
        return True
    try:
        member = await context.bot.get_chat_member(channel, user.id)
    except (BadRequest, Forbidden):  # the bot can no longer see the channel: nobody can tell
        return False
    return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


async def may_change(update: Update, context: BotContext, language: str) -> bool:
    """True when the user may change this chat's settings; otherwise tells them why not."""
    if await is_group_admin(update, context):
        return True
    chat = update.effective_chat
    # Refused in a private chat: the person was managing a channel they no longer administer.
    private = chat is not None and chat.type == Chat.PRIVATE
    text = context.services.texts.get(
        language, "channel_admins_only" if private else "group_admins_only"
    )
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, context, text)
    return False


def argument_text(context: BotContext) -> str:
    return " ".join(context.args or []).strip()
