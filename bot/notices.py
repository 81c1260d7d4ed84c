"""Notices queued in the ledger (urgent): to the people who manage a channel, when the bot
lost or regained its right to post there (from my_chat_member, or a refused send); to a forum
group's admins, when the topic its digest went to is deleted or closed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram.error import TelegramError

from bot.context import BotServices, call
from digests import channels, subscriptions
from digests.delivery import enqueue
from digests.messages import MessagePart
from digests.store.deliveries import NewDelivery
from digests.store.models import DeliveryKind, DeliveryPriority

log = logging.getLogger(__name__)


async def tell_managers(services: BotServices, chat_id: int, key: str) -> int:
    """Queue `key` (channel_lost_rights, channel_resumed) to the channel's managers, urgent;
    returns how many were told (none for a chat that is not a linked channel)."""
    title, managers = await call(channels.managers, services.newsroom, chat_id)
    messages = [
        NewDelivery(
            DeliveryKind.ALERT,
            manager.user_id,
            (MessagePart(services.texts.get(manager.language, key, title=title)),),
            priority=DeliveryPriority.URGENT,
        )
        for manager in managers
    ]
    if messages:
        await call(enqueue, services.newsroom, messages)
    return len(messages)


def on_blocked(services: BotServices) -> Callable[[int], Awaitable[None]]:
    """For the delivery engine: a send to a channel refused (the bot removed, or no longer
    allowed to post; the channel is already paused) tells its managers at once."""

    async def blocked(chat_id: int) -> None:
        if chat_id < 0:  # users and their private chats have positive ids
            await tell_managers(services, chat_id, "channel_lost_rights")

    return blocked


def on_thread_gone(services: BotServices) -> Callable[[int, str], Awaitable[None]]:
    """For the delivery engine: a forum group's topic is deleted or closed (its messages now
    go to General): the group is told there, and each of its administrators who has a chat
    with the bot is told there too, urgently."""

    async def gone(chat_id: int, reason: str) -> None:
        room = services.newsroom
        view = await call(subscriptions.get, room, chat_id)
        language = view.language if view else "vi"
        notices = [
            NewDelivery(
                DeliveryKind.ALERT,
                chat_id,
                (MessagePart(services.texts.get(language, "topic_gone")),),
                priority=DeliveryPriority.URGENT,
            )
        ]
        for admin_id, admin_language in await call(
            subscriptions.reachable_people, room, await _administrators(services, chat_id)
        ):
            text = services.texts.get(admin_language, "topic_gone_admin", title=view_title(view))
            notices.append(
                NewDelivery(
                    DeliveryKind.ALERT,
                    admin_id,
                    (MessagePart(text),),
                    priority=DeliveryPriority.URGENT,
                )
            )
        await call(enqueue, room, notices)

    return gone


def view_title(view: subscriptions.SubscriberView | None) -> str:
    return (view.title if view else None) or "?"


async def _administrators(services: BotServices, chat_id: int) -> list[int]:
    """The people who administer a group (none when Telegram will not say)."""
    bot = services.delivery_bot
    if bot is None:
        return []
    try:
        members = await bot.get_chat_administrators(chat_id)
    except TelegramError as exc:
        log.info("cannot list the administrators of %s: %s", chat_id, exc.message)
        return []
    return [m.user.id for m in members if not m.user.is_bot]
