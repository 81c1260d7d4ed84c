"""Items that do not wait for the digest: immediate subscriptions, urgent items, keyword alerts.

`find_alerts` looks once at every newly stored article (right after each poll, and every
dispatcher tick): it decides which chats get it at once (an `AlertItem`, due now or when the
chat's quiet hours end) and records which keyword alerts it matched. `queue_due_alerts` puts
the items whose time has come in the delivery ledger, one message per chat for the items
that are due together, in the transaction that marks them queued: a crash either queued the
message and marked its items, or neither; the key (chat, article) makes a second message
about one article to one chat impossible. The digest leaves out what a chat got at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from digests.compose import is_news
from digests.keywords import ArticleText, match_all, parse_query
from digests.locks import exclusive
from digests.messages import MessagePart
from digests.reading import ArticleView, article_view
from digests.schedule import next_occurrence, parse_time_of_day
from digests.services import Newsroom
from digests.store.alerts import (
    AlertRepository,
    DueItem,
    ItemRow,
    NewItem,
    PendingArticle,
    ReaderSettings,
    StoredAlert,
)
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository, NewDelivery
from digests.store.models import (
    DeliveryKind,
    DeliveryPriority,
    Frequency,
    SubscriptionKind,
    UrgentMode,
)

log = logging.getLogger(__name__)

BATCH = 5000  # articles looked at per transaction
DUE_BATCH = 5000  # items queued per transaction
ITEMS_PER_MESSAGE = 10


@dataclass(frozen=True, slots=True)
class AlertEntry:
    article: ArticleView
    urgent: bool
    keyword: str | None  # the keyword alert that matched, as stored


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """One message to one chat: the items that came due together."""

    chat_id: int
    language: str
    timezone: str
    entries: tuple[AlertEntry, ...]

    @property
    def urgent(self) -> bool:
        return any(e.urgent for e in self.entries)


AlertRenderer = Callable[[AlertMessage], list[MessagePart]]


@dataclass(slots=True)
class AlertReport:
    articles: int = 0
    items: int = 0
    matches: int = 0


def quiet_until(now: datetime, reader: ReaderSettings) -> datetime | None:
    """When the reader's quiet hours end, if `now` is inside them; else None."""
    start, end = reader.quiet_start, reader.quiet_end
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(ZoneInfo(reader.timezone)).time()
    inside = start <= local < end if start < end else (local >= start or local < end)
    return next_occurrence(now, end, reader.timezone) if inside else None


def _due_at(now: datetime, reader: ReaderSettings, urgent: bool) -> datetime:
    if urgent and reader.urgent_mode is UrgentMode.ALWAYS:
        return now
    return quiet_until(now, reader) or now


@dataclass
class _Plan:
    """The items of one batch of articles: of subscriptions, one per (chat, article), and of
    keyword alerts."""

    now: datetime
    rows: dict[tuple[int, int], NewItem] = field(default_factory=dict)
    # Items of keyword alerts: many, a key possibly twice (two alerts of one chat); they go
    # first, so that an item shows the alert that found it (the store keeps the first).
    keyword_rows: list[ItemRow] = field(default_factory=list)
    # (reader, urgent) -> when its items are due: the same for every item of the batch.
    due: dict[tuple[int, bool], datetime] = field(default_factory=dict)

    def items(self) -> list[ItemRow]:
        return [*self.keyword_rows, *self.rows.values()]

    def due_for(self, reader: ReaderSettings, urgent: bool) -> datetime:
        key = (reader.id, urgent)
        if key not in self.due:
            self.due[key] = _due_at(self.now, reader, urgent)
        return self.due[key]

    def add(self, reader: ReaderSettings, article: PendingArticle) -> None:
        """An item of the reader's subscriptions (once a chat and article)."""
        key = (reader.id, article.id)
        if key not in self.rows:
            due = self.due_for(reader, article.urgent)
            self.rows[key] = NewItem(reader.id, article.id, article.urgent, None, due)


def _by_subscriptions(repo: AlertRepository, news: Sequence[PendingArticle], plan: _Plan) -> None:
    """Immediate subscriptions get every item of theirs; urgent items go to every reader of
    their topics and leaders who has not turned urgent alerts off."""
    topics = {t for a in news for t in a.topics}
    leaders = {x for a in news for x in a.leaders}
    any_urgent = any(a.urgent for a in news)
    interests = repo.interests(topics, leaders, immediate_only=not any_urgent)
    by_key: dict[tuple[SubscriptionKind, str], list[tuple[ReaderSettings, Frequency]]] = {}
    for interest in interests:
        by_key.setdefault((interest.kind, interest.key), []).append(
            (interest.reader, interest.frequency)
        )
    for article in news:
        keys = [(SubscriptionKind.TOPIC, t) for t in article.topics]
        keys += [(SubscriptionKind.LEADER, x) for x in article.leaders]
        for key in keys:
            for reader, frequency in by_key.get(key, ()):
                if frequency is Frequency.IMMEDIATE or (
                    article.urgent and reader.urgent_mode is not UrgentMode.OFF
                ):
                    plan.add(reader, article)


def match_keywords(
    repo: AlertRepository, texts: Sequence[ArticleText]
) -> Iterator[tuple[list[StoredAlert], int]]:
    """(the alerts of one query, index of the text) for every immediate keyword query a text
    matches: the alerts are looked up by the texts' keys (the stored anchor's index), then
    matched in memory (`match_all`), each query once however many chats share it."""
    keys: set[str] = set()
    for text in texts:
        keys |= text.keys
    alerts_of: dict[str, list[StoredAlert]] = {}
    for alert in repo.alerts_anchored(keys, Frequency.IMMEDIATE):
        alerts_of.setdefault(alert.query, []).append(alert)
    queries = {parse_query(query_text): alerts for query_text, alerts in alerts_of.items()}
    for query, index in match_all(queries, texts):
        yield queries[query], index


def _by_keywords(repo: AlertRepository, news: Sequence[PendingArticle], plan: _Plan) -> int:
    """Immediate keyword alerts get their items at once (daily and weekly ones are matched
    when their digest or summary is composed)."""
    matches = list(match_keywords(repo, [ArticleText(a.title, a.summary) for a in news]))
    readers = repo.readers({alert.subscriber_id for alerts, _ in matches for alert in alerts})
    # Read once per article, not once per item: there can be hundreds of items an article.
    facts = [(a.id, a.urgent) for a in news]
    found = 0
    # When each reader's items are due, urgent or not (quiet hours): looked up once a reader.
    due_of = {
        urgent: {sid: plan.due_for(reader, urgent) for sid, reader in readers.items()}
        for urgent in (False, True)
    }
    rows = plan.keyword_rows
    for alerts, index in matches:
        article_id, urgent = facts[index]
        found += len(alerts)
        due = due_of[urgent]
        # One comprehension an article's query: this runs for every item (hundreds of
        # thousands); an inactive or paused reader has no due time and gets nothing.
        rows += [
            (a.subscriber_id, article_id, urgent, a.query, due[a.subscriber_id])
            for a in alerts
            if a.subscriber_id in due
        ]
    return found


def find_alerts(room: Newsroom) -> AlertReport:
    """Look once at every article stored since the last look (in one process at a time)."""
    report = AlertReport()
    with exclusive(room.engine, "find-alerts") as mine:
        if not mine:
            return report
        while True:
            now = room.clock.now()
            not_before = now - timedelta(hours=room.settings.digest_max_age)
            with session_scope(room.sessions) as session:
                repo = AlertRepository(session)
                articles = repo.take_pending(BATCH)
                # A source's first poll fills the archive quietly: only news alerts anyone.
                news = [a for a in articles if is_news(a, not_before)]
                plan = _Plan(now)
                if news:
                    _by_subscriptions(repo, news, plan)
                    report.matches += _by_keywords(repo, news, plan)
                    report.items += repo.add_items(plan.items())
                report.articles += len(articles)
            if len(articles) < BATCH:
                break
    if report.articles:
        log.info(
            "alerts: %d new articles, %d items to send at once, %d keyword matches",
            report.articles,
            report.items,
            report.matches,
        )
    return report


def _messages(items: Sequence[DueItem], views: dict[int, ArticleView]) -> list[AlertMessage]:
    """One message per chat (at most ITEMS_PER_MESSAGE items each), urgent items first."""
    by_chat: dict[int, list[DueItem]] = {}
    for item in items:
        by_chat.setdefault(item.subscriber_id, []).append(item)
    messages = []
    for chat_items in by_chat.values():
        chat_items.sort(key=lambda i: (not i.urgent, i.article_id))
        first = chat_items[0]
        for start in range(0, len(chat_items), ITEMS_PER_MESSAGE):
            entries = tuple(
                AlertEntry(views[i.article_id], i.urgent, i.keyword)
                for i in chat_items[start : start + ITEMS_PER_MESSAGE]
            )
            messages.append(AlertMessage(first.chat_id, first.language, first.timezone, entries))
    return messages


def queue_due_alerts(room: Newsroom, render: AlertRenderer) -> int:
    """Queue in the ledger the items whose time has come; returns the messages queued."""
    queued = 0
    with exclusive(room.engine, "queue-alerts") as mine:
        if not mine:
            return 0
        while True:
            now = room.clock.now()
            with session_scope(room.sessions) as session:
                repo = AlertRepository(session)
                items = repo.due(now, DUE_BATCH)
                if not items:
                    break
                ids = sorted({i.article_id for i in items})
                views = {a.id: article_view(a) for a in ArticleRepository(session).by_ids(ids)}
                deliveries = []
                subscriber_of = {i.chat_id: i.subscriber_id for i in items}
                for message in _messages(items, views):
                    deliveries.append(
                        NewDelivery(
                            kind=DeliveryKind.INSTANT,
                            chat_id=message.chat_id,
                            subscriber_id=subscriber_of[message.chat_id],
                            parts=render(message),
                            article_ids=[e.article.id for e in message.entries],
                            priority=DeliveryPriority.URGENT
                            if message.urgent
                            else DeliveryPriority.PROMPT,
                        )
                    )
                DeliveryRepository(session).queue(deliveries, now)
                repo.mark_queued(items, now)
                queued += len(deliveries)
            if len(items) < DUE_BATCH:
                break
    if queued:
        log.info("alerts: %d messages queued", queued)
    return queued


def parse_quiet(text: str) -> tuple[time, time] | None:
    """'22:00-06:00' (any time form /time takes, on either side of a dash) or None."""
    parts = text.replace("–", "-").split("-")
    if len(parts) != 2:
        return None
    start, end = parse_time_of_day(parts[0]), parse_time_of_day(parts[1])
    if start is None or end is None or start == end:
        return None
    return start, end
