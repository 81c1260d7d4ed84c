"""Subscription use cases: register a chat, follow topics and leaders, change settings,
forget a chat. Each function is one unit of work; callers get plain `SubscriberView`s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from digests.compose import FORMATS
from digests.errors import MohbotError
from digests.keywords import KeywordError, parse_query
from digests.schedule import next_occurrence, next_weekly
from digests.services import Newsroom
from digests.store.alerts import AlertRepository
from digests.store.db import session_scope
from digests.store.models import (
    ChatKind,
    Frequency,
    KeywordAlert,
    Subscriber,
    SubscriptionKind,
    UrgentMode,
)
from digests.store.subscribers import SubscriberRepository
from digests.text import fold, lower
from digests.zones import resolve_zone

DEFAULT_TOPIC = "leadership"
LANGUAGES = ("vi", "en")
MAX_KEYWORD_ALERTS = 20
# How readers say how often, with diacritics ("ngay" is at once, "ngày" daily), then folded
# (only what folding leaves unambiguous), then English.
_FREQUENCY_WORDS = {
    "ngay": Frequency.IMMEDIATE,
    "ngay lập tức": Frequency.IMMEDIATE,
    "tức thì": Frequency.IMMEDIATE,
    "ngày": Frequency.DAILY,
    "hằng ngày": Frequency.DAILY,
    "hàng ngày": Frequency.DAILY,
    "mỗi ngày": Frequency.DAILY,
    "tuần": Frequency.WEEKLY,
    "hằng tuần": Frequency.WEEKLY,
    "hàng tuần": Frequency.WEEKLY,
    "mỗi tuần": Frequency.WEEKLY,
}
_FOLDED_FREQUENCY_WORDS = {
    "ngay lap tuc": Frequency.IMMEDIATE,
    "tuc thi": Frequency.IMMEDIATE,
    "hang ngay": Frequency.DAILY,
    "moi ngay": Frequency.DAILY,
    "tuan": Frequency.WEEKLY,
    "hang tuan": Frequency.WEEKLY,
    "moi tuan": Frequency.WEEKLY,
    "now": Frequency.IMMEDIATE,
    "immediately": Frequency.IMMEDIATE,
    "immediate": Frequency.IMMEDIATE,
    "instantly": Frequency.IMMEDIATE,
    "daily": Frequency.DAILY,
    "weekly": Frequency.WEEKLY,
}


def parse_frequency(text: str) -> Frequency | None:
    """A frequency as a reader writes it (`ngay`, `hằng ngày`, `tuần`, `weekly`…), or None."""
    words = " ".join(lower(text).split())
    if words in _FREQUENCY_WORDS:
        return _FREQUENCY_WORDS[words]
    return _FOLDED_FREQUENCY_WORDS.get(fold(words))


def split_frequency(text: str) -> tuple[str, Frequency | None]:
    """What a reader typed after /subscribe or /follow: the topic or leader, and the
    frequency its last words name, if they do (`an toan thuc pham hằng tuần`)."""
    words = text.split()
    for n in (3, 2, 1):
        if len(words) > n:
            frequency = parse_frequency(" ".join(words[-n:]))
            if frequency is not None:
                return " ".join(words[:-n]), frequency
    return text, None


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
    # (kind, key) -> frequency, for every subscription.
    frequencies: dict[tuple[SubscriptionKind, str], Frequency] = field(default_factory=dict)
    urgent_mode: UrgentMode = UrgentMode.ON
    quiet: tuple[time, time] | None = None
    weekly_day: int = 5
    weekly_time: time = time(8, 0)
    next_weekly_at: datetime | None = None

    def frequency(self, kind: SubscriptionKind, key: str) -> Frequency | None:
        return self.frequencies.get((kind, key))


def view_of(subscriber: Subscriber) -> SubscriberView:
    subs = subscriber.subscriptions
    quiet = (
        (subscriber.quiet_start, subscriber.quiet_end)
        if subscriber.quiet_start is not None and subscriber.quiet_end is not None
        else None
    )
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
        frequencies={(s.kind, s.key): s.frequency for s in subs},
        urgent_mode=subscriber.urgent_mode,
        quiet=quiet,
        weekly_day=subscriber.weekly_day,
        weekly_time=subscriber.weekly_time,
        next_weekly_at=subscriber.next_weekly_at,
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
            return Registration(view_of(subscriber), False)
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
        return Registration(view_of(subscriber), True)


def _reschedule(subscriber: Subscriber, room: Newsroom) -> None:
    now = room.clock.now()
    subscriber.next_digest_at = next_occurrence(now, subscriber.digest_time, subscriber.timezone)
    subscriber.next_weekly_at = next_weekly(
        now, subscriber.weekly_day, subscriber.weekly_time, subscriber.timezone
    )


def get(room: Newsroom, chat_id: int) -> SubscriberView | None:
    with session_scope(room.sessions) as session:
        subscriber = SubscriberRepository(session).get(chat_id)
        return view_of(subscriber) if subscriber else None


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
        return view_of(subscriber), bool(changed)


def follow(
    room: Newsroom,
    chat_id: int,
    kind: SubscriptionKind,
    key: str,
    frequency: Frequency | None = None,
) -> tuple[SubscriberView, bool]:
    """Subscribe to a topic or follow a leader (daily unless `frequency` says otherwise; an
    existing subscription takes the new frequency); the bool says whether anything changed."""

    def add(repo: SubscriberRepository, subscriber: Subscriber) -> bool:
        if repo.add_subscription(subscriber, kind, key, frequency or Frequency.DAILY):
            return True
        if frequency is None or subscriber_frequency(subscriber, kind, key) is frequency:
            return False
        return repo.set_frequency(subscriber, kind, key, frequency)

    return _change(room, chat_id, add)


def subscriber_frequency(
    subscriber: Subscriber, kind: SubscriptionKind, key: str
) -> Frequency | None:
    for sub in subscriber.subscriptions:
        if sub.kind is kind and sub.key == key:
            return sub.frequency
    return None


# The frequency a second tap on a subscription's frequency button gives.
NEXT_FREQUENCY = {
    Frequency.DAILY: Frequency.IMMEDIATE,
    Frequency.IMMEDIATE: Frequency.WEEKLY,
    Frequency.WEEKLY: Frequency.DAILY,
}


def cycle_frequency(
    room: Newsroom, chat_id: int, kind: SubscriptionKind, key: str
) -> tuple[SubscriberView, Frequency | None]:
    """daily -> immediately -> weekly -> daily; None when it is not a subscription."""
    after: list[Frequency] = []

    def cycle(repo: SubscriberRepository, subscriber: Subscriber) -> bool:
        now = subscriber_frequency(subscriber, kind, key)
        if now is None:
            return False
        after.append(NEXT_FREQUENCY[now])
        return repo.set_frequency(subscriber, kind, key, after[0])

    view, _changed = _change(room, chat_id, cycle)
    return view, after[0] if after else None


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


def set_urgent_mode(room: Newsroom, chat_id: int, mode: UrgentMode) -> SubscriberView:
    """Urgent items at once (ON, held in quiet hours), never (OFF), or even in quiet hours."""
    return _change(room, chat_id, _setter("urgent_mode", mode))[0]


def set_quiet_hours(
    room: Newsroom, chat_id: int, quiet: tuple[time, time] | None
) -> SubscriberView:
    """Local hours in which items sent at once wait (None: no quiet hours)."""
    start, end = quiet if quiet else (None, None)

    def apply(_repo: SubscriberRepository, subscriber: Subscriber) -> bool:
        changed = (subscriber.quiet_start, subscriber.quiet_end) != (start, end)
        subscriber.quiet_start, subscriber.quiet_end = start, end
        return changed

    return _change(room, chat_id, apply)[0]


def set_weekly(room: Newsroom, chat_id: int, day: int, at: time) -> SubscriberView:
    """The weekly summary's local day (Monday 0 … Sunday 6) and time."""
    if not 0 <= day <= 6:
        raise SubscriptionError(f"no weekday {day}", key="usage_weekly")

    def apply(_repo: SubscriberRepository, subscriber: Subscriber) -> bool:
        subscriber.weekly_day, subscriber.weekly_time = day, at.replace(second=0, microsecond=0)
        _reschedule(subscriber, room)
        return True

    return _change(room, chat_id, apply)[0]


@dataclass(frozen=True, slots=True)
class KeywordAlertView:
    id: int
    query: str
    frequency: Frequency


def _subscriber_id(repo: SubscriberRepository, chat_id: int) -> int:
    subscriber = repo.get(chat_id)
    if subscriber is None:
        raise SubscriptionError(f"chat {chat_id} is not registered", key="not_registered")
    return subscriber.id


def add_keyword_alert(
    room: Newsroom, chat_id: int, text: str, frequency: Frequency | None = None
) -> tuple[KeywordAlertView, bool]:
    """Watch for words (at most MAX_KEYWORD_ALERTS a chat); the bool is False when the chat
    had this alert already (its frequency then changes, if one is given)."""
    try:
        query = parse_query(text)
    except KeywordError as exc:
        raise SubscriptionError(str(exc), key=exc.key) from exc
    with session_scope(room.sessions) as session:
        sid = _subscriber_id(SubscriberRepository(session), chat_id)
        alerts = AlertRepository(session)
        mine = alerts.alerts_of(sid)
        for alert in mine:
            if alert.query == query.canonical:
                if frequency is not None:
                    alert.frequency = frequency
                return KeywordAlertView(alert.id, alert.query, alert.frequency), False
        if len(mine) >= MAX_KEYWORD_ALERTS:
            raise SubscriptionError(
                f"at most {MAX_KEYWORD_ALERTS} alerts a chat",
                key="alert_limit",
                limit=MAX_KEYWORD_ALERTS,
            )
        alert = KeywordAlert(
            subscriber_id=sid,
            query=query.canonical,
            anchor=query.anchor,
            frequency=frequency or Frequency.DAILY,
            created_at=room.clock.now(),
        )
        alerts.add_alert(alert)
        return KeywordAlertView(alert.id, alert.query, alert.frequency), True


def keyword_alerts(room: Newsroom, chat_id: int) -> list[KeywordAlertView]:
    with session_scope(room.sessions) as session:
        sid = _subscriber_id(SubscriberRepository(session), chat_id)
        return [
            KeywordAlertView(a.id, a.query, a.frequency)
            for a in AlertRepository(session).alerts_of(sid)
        ]


def remove_keyword_alert(room: Newsroom, chat_id: int, alert_id: int) -> bool:
    with session_scope(room.sessions) as session:
        sid = _subscriber_id(SubscriberRepository(session), chat_id)
        return AlertRepository(session).remove_alert(sid, alert_id)


def cycle_keyword_frequency(room: Newsroom, chat_id: int, alert_id: int) -> Frequency | None:
    """A keyword alert's frequency, cycled as a subscription's; None when it is gone."""
    with session_scope(room.sessions) as session:
        sid = _subscriber_id(SubscriberRepository(session), chat_id)
        for alert in AlertRepository(session).alerts_of(sid):
            if alert.id == alert_id:
                alert.frequency = NEXT_FREQUENCY[alert.frequency]
                return alert.frequency
        return None


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
