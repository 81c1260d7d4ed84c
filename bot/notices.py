"""Notices queued in the ledger (urgent): to the people who manage a channel, when the bot
lost or regained its right to post there (from my_chat_member, or a refused send); to a forum
group's admins, when the topic its digest went to is deleted or closed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.context import BotServices, call
from digests import channels, subscriptions
from digests.delivery import enqueue
from digests.messages import MessagePart
from digests.store.deliveries import NewDelivery
from digests.store.models import DeliveryKind, DeliveryPriority


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
    go to General): the group's admins are told there, urgently."""

    async def gone(chat_id: int, reason: str) -> None:
        view = await call(subscriptions.get, services.newsroom, chat_id)
        language = view.language if view else "vi"
        notice = MessagePart(services.texts.get(language, "topic_gone"))
        await call(
            enqueue,
            services.newsroom,
            [NewDelivery(DeliveryKind.ALERT, chat_id, (notice,), priority=DeliveryPriority.URGENT)],
        )

    return gone
