"""Channel managers: who linked which channel, and which channel a person is editing. All
channel-manager SQL."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from digests.store.models import ChannelManager, Subscriber


class ChannelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_manager(self, subscriber: Subscriber, user_id: int) -> None:
        if self.session.get(ChannelManager, (subscriber.id, user_id)) is None:
            self.session.add(ChannelManager(subscriber_id=subscriber.id, user_id=user_id))
            self.session.flush()

    def managed(self, user_id: int) -> list[tuple[Subscriber, bool]]:
        """The channels this person manages, each with whether they are editing it."""
        rows = self.session.execute(
            select(Subscriber, ChannelManager.editing)
            .join(ChannelManager, ChannelManager.subscriber_id == Subscriber.id)
            .where(ChannelManager.user_id == user_id)
            .order_by(Subscriber.title, Subscriber.chat_id)
        ).all()
        return [(subscriber, bool(editing)) for subscriber, editing in rows]

    def edit(self, user_id: int, subscriber_id: int | None) -> None:
        """The person now edits this channel (None: none)."""
        self.session.execute(
            update(ChannelManager)
            .where(ChannelManager.user_id == user_id)
            .values(editing=ChannelManager.subscriber_id == subscriber_id)
        )

    def editing(self, user_id: int) -> int | None:
        """The chat id of the channel this person is editing, if any."""
        return self.session.scalar(
            select(Subscriber.chat_id)
            .join(ChannelManager, ChannelManager.subscriber_id == Subscriber.id)
            .where(ChannelManager.user_id == user_id, ChannelManager.editing)
        )

    def managers(self, subscriber: Subscriber) -> list[tuple[int, str]]:
        """The channel's managers, each with the language of their own chat with the bot."""
        own = select(Subscriber.language).where(Subscriber.chat_id == ChannelManager.user_id)
        rows = self.session.execute(
            select(ChannelManager.user_id, own.scalar_subquery())
            .where(ChannelManager.subscriber_id == subscriber.id)
            .order_by(ChannelManager.user_id)
        ).all()
        return [(user_id, language or "vi") for user_id, language in rows]
