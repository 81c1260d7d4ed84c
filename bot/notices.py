"""Notices to the people who manage a channel, queued in the ledger (urgent): the bot lost or
regained its right to post there. Used by handlers (my_chat_member) and by the delivery
engine (a send refused)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.context import BotServices, call
from digests import channels
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
