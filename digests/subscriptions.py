"""Subscription use cases: register a chat, follow topics and leaders, change settings,
forget a chat. Each function is one unit of work; callers get plain `SubscriberView`s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from digests.compose import FORMATS
from digests.errors import MohbotError
from digests.schedule import next_occurrence
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import ChatKind, Subscriber, SubscriptionKind
from digests.store.subscribers import SubscriberRepository
from digests.zones import resolve_zone

DEFAULT_TOPIC = "leadership"
LANGUAGES = ("vi", "en")


SHOWN_ZONE = 40  # characters of a refused time zone repeated back to the user


def _shown(typed: str) -> str:
    printable = "".join(c for c in typed if c.isprintable())
    return printable[:SHOWN_ZONE] + ("…" if len(printable) > SHOWN_ZONE else "")


class SubscriptionError(MohbotError):
    """A change of a subscription that cannot be done; `key` names the text the user is shown."""


@dataclass(frozen=True, slots=True)
class SubscriberView:
    chat_id: int
    kind: ChatKind
    language: str
    timezone: str
    digest_time: time
    paused: bool
    active: bool
    digest_format: str
    last_digest_at: datetime | None
    next_digest_at: datetime | None
    topics: tuple[str, ...]
    leaders: tuple[str, ...]
    # Kinds of official documents with a section of their own (`/vanban cong-dien`).
    documents: tuple[str, ...] = ()
    # A forum group's topic its messages go to (None: the chat itself, or General).
    thread_id: int | None = None
    title: str | None = None


def _view(subscriber: Subscriber) -> SubscriberView:
    subs = subscriber.subscriptions
    return SubscriberView(
        chat_id=subscriber.chat_id,
        kind=subscriber.kind,
        language=subscriber.language,
        timezone=subscriber.timezone,
        digest_time=subscriber.digest_time,
        paused=subscriber.paused,
        active=subscriber.active,
        digest_format=subscriber.digest_format,
        last_digest_at=subscriber.last_digest_at,
        next_digest_at=subscriber.next_digest_at,
        topics=tuple(sorted(s.key for s in subs if s.kind is SubscriptionKind.TOPIC)),
        leaders=tuple(sorted(s.key for s in subs if s.kind is SubscriptionKind.LEADER)),
        documents=tuple(sorted(s.key for s in subs if s.kind is SubscriptionKind.DOCUMENT)),
        thread_id=subscriber.message_thread_id,
        title=subscriber.title,
    )


def language_from_code(code: str | None) -> str:
    """Telegram's `language_code` to one of ours: English for en*, Vietnamese otherwise."""
    return "en" if code and code.lower().startswith("en") else "vi"


@dataclass(frozen=True, slots=True)
class Registration:
    subscriber: SubscriberView
    created: bool


def register(
    room: Newsroom,
    chat_id: int,
    *,
    kind: ChatKind = ChatKind.PRIVATE,
    language_code: str | None = None,
    title: str | None = None,
) -> Registration:
    """Register a chat (subscribed to leadership activities by default), or reactivate it."""
    with session_scope(room.sessions) as session:
        repo = SubscriberRepository(session)
        subscriber = repo.get(chat_id)
        if subscriber is not None:
            if not subscriber.active:
                subscriber.active, subscriber.inactive_reason = True, None
                _reschedule(subscriber, room)
            return Registration(_view(subscriber), False)
        subscriber = repo.create(
            chat_id,
            kind=kind,
            language=language_from_code(language_code),
            timezone=room.settings.timezone,
            digest_time=room.settings.digest_time,
            title=title,
            now=room.clock.now(),
        )
        repo.add_subscription(subscriber, SubscriptionKind.TOPIC, DEFAULT_TOPIC)
        _reschedule(subscriber, room)
        session.flush()
        return Registration(_view(subscriber), True)


def _reschedule(subscriber: Subscriber, room: Newsroom) -> None:
    subscriber.next_digest_at = next_occurrence(
        room.clock.now(), subscriber.digest_time, subscriber.timezone
    )


def get(room: Newsroom, chat_id: int) -> SubscriberView | None:
    with session_scope(room.sessions) as session:
        subscriber = SubscriberRepository(session).get(chat_id)
        return _view(subscriber) if subscriber else None


# A change to one subscriber; True when something changed.
_Change = Callable[[SubscriberRepository, Subscriber], bool]


def _change(room: Newsroom, chat_id: int, change: _Change) -> tuple[SubscriberView, bool]:
    with session_scope(room.sessions) as session:
        repo = SubscriberRepository(session)
        subscriber = repo.get(chat_id)
        if subscriber is None:
            raise SubscriptionError(f"chat {chat_id} is not registered", key="not_registered")
        changed = change(repo, subscriber)
        session.flush()
        return _view(subscriber), bool(changed)


def follow(
    room: Newsroom, chat_id: int, kind: SubscriptionKind, key: str
) -> tuple[SubscriberView, bool]:
    """Subscribe to a topic or follow a leader; the bool says whether anything changed."""
    return _change(room, chat_id, lambda repo, s: repo.add_subscription(s, kind, key))


def unfollow(
    room: Newsroom, chat_id: int, kind: SubscriptionKind, key: str
) -> tuple[SubscriberView, bool]:
    return _change(room, chat_id, lambda repo, s: repo.remove_subscription(s, kind, key))


def toggle(
    room: Newsroom, chat_id: int, kind: SubscriptionKind, key: str
) -> tuple[SubscriberView, bool]:
    """Flip one subscription; the bool is True when it is now on."""

    def flip(repo: SubscriberRepository, subscriber: Subscriber) -> bool:
        if repo.remove_subscription(subscriber, kind, key):
            return False
        return repo.add_subscription(subscriber, kind, key)

    view, now_on = _change(room, chat_id, flip)
    return view, now_on


def _setter(attribute: str, value: object, room: Newsroom | None = None) -> _Change:
    """A change of one setting; with `room`, the next digest is rescheduled from now."""

    def apply(_repo: SubscriberRepository, subscriber: Subscriber) -> bool:
        changed = getattr(subscriber, attribute) != value
        setattr(subscriber, attribute, value)
        if room is not None:
            _reschedule(subscriber, room)
        return changed

    return apply


def set_language(room: Newsroom, chat_id: int, language: str) -> SubscriberView:
    if language not in LANGUAGES:
        raise SubscriptionError(f"no language {language[:20]!r}", key="bad_language")
    return _change(room, chat_id, _setter("language", language))[0]


def set_format(room: Newsroom, chat_id: int, digest_format: str) -> SubscriberView:
    """The digest's layout: "full" (title, outlet, time, a line of the lead) or "compact"."""
    if digest_format not in FORMATS:
        raise SubscriptionError(f"no digest format {digest_format[:20]!r}", key="bad_format")
    return _change(room, chat_id, _setter("digest_format", digest_format))[0]


def set_digest_time(room: Newsroom, chat_id: int, at: time) -> SubscriberView:
    return _change(
        room, chat_id, _setter("digest_time", at.replace(second=0, microsecond=0), room)
    )[0]


def set_timezone(room: Newsroom, chat_id: int, zone: str) -> SubscriberView:
    known = resolve_zone(zone)
    if known is None:
        shown = _shown(zone)
        raise SubscriptionError(f"unknown time zone {shown}", key="bad_timezone", zone=shown)
    return _change(room, chat_id, _setter("timezone", known, room))[0]


def set_thread(room: Newsroom, chat_id: int, thread_id: int | None) -> SubscriberView:
    """A forum group's messages go to this topic from now on (None: the General topic)."""
    return _change(room, chat_id, _setter("message_thread_id", thread_id))[0]


def set_paused(room: Newsroom, chat_id: int, paused: bool) -> SubscriberView:
    return _change(room, chat_id, _setter("paused", paused, room))[0]


def forget(room: Newsroom, chat_id: int) -> bool:
    """Delete the chat and all its data; False when there was nothing to delete."""
    with session_scope(room.sessions) as session:
        repo = SubscriberRepository(session)
        subscriber = repo.get(chat_id)
        if subscriber is None:
            return False
        repo.delete(subscriber)
        return True


def mark_unreachable(room: Newsroom, chat_id: int, reason: str) -> bool:
    """Telegram said the bot is blocked, the user deactivated or the bot kicked."""
    with session_scope(room.sessions) as session:
        return SubscriberRepository(session).deactivate(chat_id, reason)


def mark_reachable(room: Newsroom, chat_id: int) -> bool:
    """The bot is back in the chat (re-added, or unblocked): a known chat that was inactive
    is active again with its settings, and its next digest is scheduled. False otherwise."""
    with session_scope(room.sessions) as session:
        subscriber = SubscriberRepository(session).get(chat_id)
        if subscriber is None or subscriber.active:
            return False
        subscriber.active, subscriber.inactive_reason = True, None
        _reschedule(subscriber, room)
        return True


def move_chat(room: Newsroom, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup (a new chat id): it keeps its settings, subscriptions and
    queued messages. False when the old chat was not registered."""
    with session_scope(room.sessions) as session:
        return SubscriberRepository(session).move(old_chat_id, new_chat_id)


def reachable_people(room: Newsroom, user_ids: list[int]) -> list[tuple[int, str]]:
    """Of these people, those with an active private chat with the bot, and its language."""
    with session_scope(room.sessions) as session:
        return SubscriberRepository(session).reachable_private(user_ids)


def active_chat_ids(room: Newsroom) -> list[int]:
    with session_scope(room.sessions) as session:
        return [s.chat_id for s in SubscriberRepository(session).audience(everyone=True)]
