"""The alerts' SQL: articles not yet looked at, who subscribes to what at which frequency,
keyword alerts by anchor, the items each chat gets at once, and what is due to go."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from digests.store.models import (
    AlertItem,
    Article,
    ArticleLeader,
    ArticleTopic,
    Frequency,
    KeywordAlert,
    Subscriber,
    Subscription,
    SubscriptionKind,
    UrgentMode,
    table_of,
)

if TYPE_CHECKING:
    import psycopg

_CHUNK = 1000
_ITEM_COLUMNS = "subscriber_id, article_id, urgent, keyword, due_at"
_INSERT_ITEMS_SQLITE = (
    f"INSERT INTO alert_items ({_ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
# PostgreSQL: the items are copied into a table of this session's (COPY, no per-row
# statement), then moved over in one statement that skips the keys already there.
_NEW_ITEMS_PG = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS new_alert_items (subscriber_id integer, "
    "article_id integer, urgent boolean, keyword varchar(200), due_at timestamptz) "
    "ON COMMIT DELETE ROWS"
)
_COPY_ITEMS_PG = f"COPY new_alert_items ({_ITEM_COLUMNS}) FROM STDIN"
_MOVE_ITEMS_PG = (
    f"INSERT INTO alert_items ({_ITEM_COLUMNS}) SELECT {_ITEM_COLUMNS} FROM new_alert_items "
    "ON CONFLICT DO NOTHING"
)


@dataclass(frozen=True, slots=True)
class ReaderSettings:
    """What deciding when a chat gets an item needs to know about it."""

    id: int
    chat_id: int
    language: str
    timezone: str
    urgent_mode: UrgentMode
    quiet_start: time | None
    quiet_end: time | None


@dataclass(frozen=True, slots=True)
class Interest:
    """One subscription of an active, unpaused reader: a topic or leader, how often."""

    reader: ReaderSettings
    kind: SubscriptionKind
    key: str
    frequency: Frequency


@dataclass(frozen=True, slots=True)
class StoredAlert:
    id: int
    subscriber_id: int
    query: str
    frequency: Frequency


class NewItem(NamedTuple):
    """An item for a chat to get at once, about to be recorded (an `AlertItem` row)."""

    subscriber_id: int
    article_id: int
    urgent: bool
    keyword: str | None
    due_at: datetime


# An item's values in `NewItem`'s order, as a plain tuple where there are very many.
ItemRow = tuple[int, int, bool, str | None, datetime]


@dataclass(frozen=True, slots=True)
class DueItem:
    subscriber_id: int
    chat_id: int
    language: str
    timezone: str
    article_id: int
    urgent: bool
    keyword: str | None


_READER_COLUMNS = (
    Subscriber.id,
    Subscriber.chat_id,
    Subscriber.language,
    Subscriber.timezone,
    Subscriber.urgent_mode,
    Subscriber.quiet_start,
    Subscriber.quiet_end,
)


def _reader(row: Sequence[object]) -> ReaderSettings:
    return ReaderSettings(*row[:7])  # type: ignore[arg-type]


def _chunks(values: Sequence[str] | Sequence[int]) -> Iterable[list[object]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def _cached(process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """A bind processor that converts each distinct value once."""
    if process is None:
        return lambda value: value
    return functools.lru_cache(maxsize=1024)(process)


def _key_order(row: tuple[Any, ...]) -> int:
    return (row[0] << 32) + row[1]


@dataclass(frozen=True, slots=True)
class PendingArticle:
    """An article the alerts have not looked at yet: what matching it needs."""

    id: int
    title: str
    summary: str
    urgent: bool
    published_at: datetime | None
    first_seen_at: datetime
    topics: tuple[str, ...]
    leaders: tuple[str, ...]


class AlertRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- articles --------------------------------------------------------------
    def take_pending(self, limit: int) -> list[PendingArticle]:
        """Up to `limit` articles the alerts have not looked at, now marked as looked at (in
        the caller's transaction: if it fails, they are looked at again). Read as plain rows:
        a batch is thousands of articles, and nothing here needs them as ORM objects."""
        rows = self.session.execute(
            select(
                Article.id,
                Article.title,
                Article.summary,
                Article.urgent,
                Article.published_at,
                Article.first_seen_at,
            )
            .where(Article.alerts_pending)
            .order_by(Article.id)
            .limit(limit)
        ).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        topics: dict[int, list[str]] = {}
        leaders: dict[int, list[str]] = {}
        for chunk in _chunks(ids):
            for owner, label, found in (
                (ArticleTopic.article_id, ArticleTopic.topic, topics),
                (ArticleLeader.article_id, ArticleLeader.leader, leaders),
            ):
                for article_id, value in self.session.execute(
                    select(owner, label).where(owner.in_(chunk))
                ):
                    found.setdefault(article_id, []).append(value)
            self.session.execute(
                update(Article)
                .where(Article.id.in_(chunk))
                .values(alerts_pending=False)
                # Nothing reads the flag of the articles just read: no session object to update.
                .execution_options(synchronize_session=False)
            )
        # The columns are selected in the order of PendingArticle's fields.
        return [
            PendingArticle(
                *r, tuple(sorted(topics.get(r.id, ()))), tuple(sorted(leaders.get(r.id, ())))
            )
            for r in rows
        ]

    # -- who wants what --------------------------------------------------------
    def interests(
        self, topics: Iterable[str], leaders: Iterable[str], *, immediate_only: bool
    ) -> list[Interest]:
        """Subscriptions of active, unpaused readers to these topics or leaders (only the
        immediate ones, unless urgent items call for every reader)."""
        topics, leaders = sorted(set(topics)), sorted(set(leaders))
        if not topics and not leaders:
            return []
        query = (
            select(*_READER_COLUMNS, Subscription.kind, Subscription.key, Subscription.frequency)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(
                Subscriber.active,
                Subscriber.paused.is_(False),
                (
                    (Subscription.kind == SubscriptionKind.TOPIC)
                    & Subscription.key.in_(topics or [""])
                )
                | (
                    (Subscription.kind == SubscriptionKind.LEADER)
                    & Subscription.key.in_(leaders or [""])
                ),
            )
        )
        if immediate_only:
            query = query.where(Subscription.frequency == Frequency.IMMEDIATE)
        return [
            Interest(_reader(row), row.kind, row.key, row.frequency)
            for row in self.session.execute(query)
        ]

    def readers(self, ids: Iterable[int]) -> dict[int, ReaderSettings]:
        """Settings of these readers, the active and unpaused ones only."""
        found: dict[int, ReaderSettings] = {}
        for chunk in _chunks(sorted(set(ids))):
            rows = self.session.execute(
                select(*_READER_COLUMNS).where(
                    Subscriber.id.in_(chunk), Subscriber.active, Subscriber.paused.is_(False)
                )
            )
            for row in rows:
                found[row.id] = _reader(row)
        return found

    # -- keyword alerts --------------------------------------------------------
    def alerts_anchored(self, keys: Iterable[str], frequency: Frequency) -> list[StoredAlert]:
        """Keyword alerts of `frequency` whose anchor is one of `keys` (an indexed lookup
        per chunk)."""
        found: list[StoredAlert] = []
        for chunk in _chunks(sorted(set(keys))):
            rows = self.session.execute(
                select(
                    KeywordAlert.id,
                    KeywordAlert.subscriber_id,
                    KeywordAlert.query,
                    KeywordAlert.frequency,
                ).where(KeywordAlert.anchor.in_(chunk), KeywordAlert.frequency == frequency)
            )
            found += [StoredAlert(*row) for row in rows]
        return found

    def alerts_of(self, subscriber_id: int) -> list[KeywordAlert]:
        return list(
            self.session.scalars(
                select(KeywordAlert)
                .where(KeywordAlert.subscriber_id == subscriber_id)
                .order_by(KeywordAlert.id)
            )
        )

    def count_alerts(self, subscriber_id: int) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(KeywordAlert)
                .where(KeywordAlert.subscriber_id == subscriber_id)
            )
            or 0
        )

    def add_alert(self, alert: KeywordAlert) -> None:
        self.session.add(alert)
        self.session.flush()

    def remove_alert(self, subscriber_id: int, alert_id: int) -> bool:
        result = self.session.execute(
            delete(KeywordAlert).where(
                KeywordAlert.id == alert_id, KeywordAlert.subscriber_id == subscriber_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def queries_of(
        self, subscriber_ids: Sequence[int], frequency: Frequency
    ) -> dict[int, list[str]]:
        """subscriber id -> the queries of its keyword alerts of `frequency`, oldest first."""
        found: dict[int, list[str]] = {}
        for chunk in _chunks(subscriber_ids):
            rows = self.session.execute(
                select(KeywordAlert.subscriber_id, KeywordAlert.query)
                .where(
                    KeywordAlert.subscriber_id.in_(chunk),
                    KeywordAlert.frequency == frequency,
                )
                .order_by(KeywordAlert.id)
            )
            for sid, query in rows:
                found.setdefault(sid, []).append(query)
        return found

    # -- items sent at once ----------------------------------------------------
    def add_items(self, items: Sequence[ItemRow]) -> int:
        """Items for chats to get at once; one a chat has had (or will have) is not added
        again: the primary key (chat, article) makes a second impossible, and of two for
        one key in `items` the first is kept. Returns how many were added. Sent in bulk below
        the ORM (a batch of articles can make hundreds of thousands of items): one
        executemany on SQLite, a COPY and one statement on PostgreSQL."""
        if not items:
            return 0
        connection = self.session.connection()
        table = table_of(AlertItem)
        dialect = connection.dialect
        if dialect.name == "postgresql":
            # One statement may not hold a key twice with a defined winner: the first kept.
            unique: dict[tuple[int, int], ItemRow] = {}
            for item in items:
                unique.setdefault((item[0], item[1]), item)
            connection.exec_driver_sql(_NEW_ITEMS_PG)
            # Empty, also for a second call in one transaction.
            connection.exec_driver_sql("TRUNCATE new_alert_items")
            driver = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
            with driver.cursor() as cursor, cursor.copy(_COPY_ITEMS_PG) as copy:
                for row in unique.values():
                    copy.write_row(row)
            return connection.exec_driver_sql(_MOVE_ITEMS_PG).rowcount
        # The driver gets the values SQLAlchemy's types would give it; due times repeat.
        due = _cached(table.c.due_at.type.dialect_impl(dialect).bind_processor(dialect))
        urgent = _cached(table.c.urgent.type.dialect_impl(dialect).bind_processor(dialect))
        rows = [(s, a, urgent(u), k, due(d)) for s, a, u, k, d in items]
        # In key order: each row lands next to the last in the primary key's index (twice as
        # fast as in the order found); sorted by one integer, not by pairs. The sort keeps
        # the order of rows with one key, so the first stays first.
        rows.sort(key=_key_order)
        return connection.exec_driver_sql(_INSERT_ITEMS_SQLITE, rows).rowcount

    def due(self, now: datetime, limit: int) -> list[DueItem]:
        """Items not yet queued whose time has come, for active, unpaused readers."""
        rows = self.session.execute(
            select(
                AlertItem.subscriber_id,
                Subscriber.chat_id,
                Subscriber.language,
                Subscriber.timezone,
                AlertItem.article_id,
                AlertItem.urgent,
                AlertItem.keyword,
            )
            .join(Subscriber, Subscriber.id == AlertItem.subscriber_id)
            .where(
                AlertItem.queued_at.is_(None),
                AlertItem.due_at <= now,
                Subscriber.active,
                Subscriber.paused.is_(False),
            )
            .order_by(AlertItem.due_at, AlertItem.subscriber_id, AlertItem.article_id)
            .limit(limit)
        )
        return [DueItem(*row) for row in rows]

    def mark_queued(self, items: Iterable[DueItem], now: datetime) -> None:
        by_reader: dict[int, list[int]] = {}
        for item in items:
            by_reader.setdefault(item.subscriber_id, []).append(item.article_id)
        for subscriber_id, article_ids in by_reader.items():
            self.session.execute(
                update(AlertItem)
                .where(
                    AlertItem.subscriber_id == subscriber_id,
                    AlertItem.article_id.in_(article_ids),
                )
                .values(queued_at=now)
            )

    def items_of(self, subscriber_ids: Sequence[int], since: datetime) -> dict[int, set[int]]:
        """The articles first seen after `since` that these readers get (or got) at once."""
        found: dict[int, set[int]] = {}
        for chunk in _chunks(subscriber_ids):
            rows = self.session.execute(
                select(AlertItem.subscriber_id, AlertItem.article_id)
                .join(Article, Article.id == AlertItem.article_id)
                .where(AlertItem.subscriber_id.in_(chunk), Article.first_seen_at > since)
            )
            for sid, aid in rows:
                found.setdefault(sid, set()).add(aid)
        return found
