"""Channels: an administrator links a channel to the bot and manages its settings from their
private chat (the channel's own subscriber row, so every setting works as for any chat); the
managers are the ones told when the bot loses its rights there. Each function is one unit of
work; the Telegram checks (who is an administrator with which rights) are the bot's."""

from __future__ import annotations

from dataclasses import dataclass

from digests import subscriptions
from digests.services import Newsroom
from digests.store.channels import ChannelRepository
from digests.store.db import session_scope
from digests.store.models import ChatKind
from digests.store.subscribers import SubscriberRepository


@dataclass(frozen=True, slots=True)
class ChannelView:
    chat_id: int
    title: str
    active: bool
    editing: bool


@dataclass(frozen=True, slots=True)
class Manager:
    user_id: int
    language: str


def link(
    room: Newsroom, chat_id: int, title: str | None, user_id: int, language_code: str | None
) -> subscriptions.Registration:
    """Register the channel (or make it active again) with this person as a manager, who
    is now editing it."""
    registration = subscriptions.register(
        room, chat_id, kind=ChatKind.CHANNEL, language_code=language_code, title=title
    )
    with session_scope(room.sessions) as session:
        subscriber = SubscriberRepository(session).get(chat_id)
        assert subscriber is not None
        if title:
            subscriber.title = title[:255]
        repo = ChannelRepository(session)
        repo.add_manager(subscriber, user_id)
        repo.edit(user_id, subscriber.id)
    return registration


def managed(room: Newsroom, user_id: int) -> list[ChannelView]:
    with session_scope(room.sessions) as session:
        return [
            ChannelView(s.chat_id, s.title or str(s.chat_id), s.active, editing)
            for s, editing in ChannelRepository(session).managed(user_id)
        ]


def edit(room: Newsroom, user_id: int, chat_id: int | None) -> ChannelView | None:
    """Start editing one of the person's channels (None: stop). None when it is not theirs."""
    with session_scope(room.sessions) as session:
        repo = ChannelRepository(session)
        if chat_id is None:
            repo.edit(user_id, None)
            return None
        for subscriber, _editing in repo.managed(user_id):
            if subscriber.chat_id == chat_id:
                repo.edit(user_id, subscriber.id)
                return ChannelView(
                    chat_id, subscriber.title or str(chat_id), subscriber.active, True
                )
        return None


def settings_chat(
    room: Newsroom, chat_id: int, manager: int | None
) -> tuple[int, subscriptions.SubscriberView | None]:
    """The chat whose settings a command from `chat_id` reads and changes (from a private
    chat, the channel its person, `manager`, is editing there, if any) and its subscription.
    Every command asks first: one session for both."""
    with session_scope(room.sessions) as session:
        editing = ChannelRepository(session).editing(manager) if manager is not None else None
        target = chat_id if editing is None else editing
        subscriber = SubscriberRepository(session).get(target)
        return target, subscriptions.view_of(subscriber) if subscriber else None


def target(room: Newsroom, user_id: int) -> int | None:
    """The channel whose settings this person's private-chat commands change now, if any."""
    with session_scope(room.sessions) as session:
        return ChannelRepository(session).editing(user_id)


def managers(room: Newsroom, chat_id: int) -> tuple[str, list[Manager]]:
    """A channel's title and the people to tell about it (none for other chats)."""
    with session_scope(room.sessions) as session:
        subscriber = SubscriberRepository(session).get(chat_id)
        if subscriber is None or subscriber.kind is not ChatKind.CHANNEL:
            return "", []
        people = ChannelRepository(session).managers(subscriber)
        return subscriber.title or str(chat_id), [Manager(u, lang) for u, lang in people]
