"""Typed SQLAlchemy models. Alembic (`migrations/`) is the only way the schema changes."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from digests.records import SourceKind

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = UTCDateTime()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core statements (`__table__` is typed as any `FromClause`)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as short strings (not native enums) so SQLite and PostgreSQL match exactly.
    return Enum(
        cls,
        native_enum=False,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Source(Base):
    """A place articles come from, with its polling state and health."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[SourceKind] = mapped_column(_enum(SourceKind))
    url: Mapped[str] = mapped_column(String(1000))
    section: Mapped[str | None] = mapped_column(String(64))
    poll_interval: Mapped[int] = mapped_column(Integer, default=1800)  # seconds
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_polled_at: Mapped[datetime | None] = mapped_column(Timestamp)
    next_poll_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_success_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(Timestamp)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # Whether admins were told this source is failing (so they get one alert, one recovery).
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    # A poll that worked but skipped records or cut fields says what (None when all was read).
    last_note: Mapped[str | None] = mapped_column(Text)
    last_skipped: Mapped[int] = mapped_column(Integer, default=0)


class Article(Base):
    """One news item, deduplicated across sources."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_first_seen_at", "first_seen_at"),
        Index("ix_articles_published_at", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    url: Mapped[str | None] = mapped_column(String(1000), unique=True)
    guid: Mapped[str | None] = mapped_column(String(500), unique=True)
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(String(1000), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    section: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # False when the page gave only a date (published_at is then local midnight).
    published_has_time: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    content_hash: Mapped[str] = mapped_column(String(64))
    # Folded (lower-case, no diacritics) title and text, for diacritic-insensitive search.
    search_title: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Fingerprint of the topic catalog the labels below were computed with.
    classified_with: Mapped[str | None] = mapped_column(String(64))
    # Must not wait for a digest (seeds/urgent.toml: Công điện, outbreaks, recalls, …); set
    # when the article is first stored.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Stored but not yet looked at by the alerts (digests/alerts.py); True when first stored.
    alerts_pending: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0", index=True
    )

    source: Mapped[Source | None] = relationship(lazy="joined")
    topics: Mapped[list[ArticleTopic]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    leaders: Mapped[list[ArticleLeader]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    documents: Mapped[list[ArticleDocument]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ArticleDocument.position"
    )


class ArticleTopic(Base):
    __tablename__ = "article_topics"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ArticleLeader(Base):
    __tablename__ = "article_leaders"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    leader: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ArticleDocument(Base):
    """An official document an article names ("Công điện 53/CĐ-BYT"): article <-> document.
    `key` is the code folded for lookups ("53/cd-byt"), `number` its leading number."""

    __tablename__ = "article_documents"
    __table_args__ = (Index("ix_article_documents_kind", "kind"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)
    code: Mapped[str] = mapped_column(String(120))
    number: Mapped[str] = mapped_column(String(8), index=True)
    issuer: Mapped[str | None] = mapped_column(String(64))
    issued_on: Mapped[date | None] = mapped_column(Date)
    signer: Mapped[str | None] = mapped_column(String(120))
    # Order of mention in the title and lead (the first is the item's main document).
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class ArticleLink(Base):
    """A 'Tin liên quan' (related article) link from one stored article to another."""

    __tablename__ = "article_links"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    related_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )


class ChatKind(enum.StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"


class UrgentMode(enum.StrEnum):
    """What a reader does with urgent items: at once, but held in quiet hours (ON); never
    (OFF); at once even in quiet hours (ALWAYS)."""

    ON = "on"
    OFF = "off"
    ALWAYS = "always"


class Subscriber(Base):
    """A Telegram chat (user or group) that receives digests."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    kind: Mapped[ChatKind] = mapped_column(_enum(ChatKind), default=ChatKind.PRIVATE)
    title: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    digest_time: Mapped[time] = mapped_column(Time, default=time(7, 0))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # "full" (linked title, outlet, time, a line of the lead) or "compact" (one line per item).
    digest_format: Mapped[str] = mapped_column(String(16), default="full")
    # False once Telegram says the bot is blocked, the user deactivated or the bot kicked.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    # Articles first seen after this moment go into the next digest.
    last_digest_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_digest_date: Mapped[date | None] = mapped_column(Date)
    # When the next scheduled digest is due (UTC); kept in step with digest_time and timezone
    # so that "who is due now" is one indexed query.
    next_digest_at: Mapped[datetime | None] = mapped_column(Timestamp, index=True)
    urgent_mode: Mapped[UrgentMode] = mapped_column(
        _enum(UrgentMode), default=UrgentMode.ON, server_default="on"
    )
    # Local quiet hours (both set or neither): alerts wait until they end.
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    # The weekly summary's local day (Monday 0 … Sunday 6) and time, and when it is next due.
    weekly_day: Mapped[int] = mapped_column(SmallInteger, default=5, server_default="5")
    weekly_time: Mapped[time] = mapped_column(Time, default=time(8, 0), server_default="08:00:00")
    next_weekly_at: Mapped[datetime | None] = mapped_column(Timestamp, index=True)

    # In a forum supergroup: the topic its messages go to (None: the General topic).
    message_thread_id: Mapped[int | None] = mapped_column(BigInteger)

    subscriptions: Mapped[list[Subscription]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="subscriber"
    )


class ChannelManager(Base):
    """A person who linked a channel (an administrator of it): they manage its settings from
    their private chat, and are told when the bot loses its rights there. `editing`: the
    channel their settings commands apply to now (one at most per person)."""

    __tablename__ = "channel_managers"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    editing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SubscriptionKind(enum.StrEnum):
    TOPIC = "topic"
    LEADER = "leader"
    # A kind of official documents (`/vanban cong-dien`); the key is the kind's slug.
    DOCUMENT = "document"


class Frequency(enum.StrEnum):
    """How often a subscription's items come: each at once, in the daily digest, or in the
    weekly summary."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_kind_key", "kind", "key"),)

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[SubscriptionKind] = mapped_column(_enum(SubscriptionKind), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    frequency: Mapped[Frequency] = mapped_column(
        _enum(Frequency), default=Frequency.DAILY, server_default="daily"
    )

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")


class KeywordAlert(Base):
    """A chat's watch on words (digests/keywords.py): `query` is its canonical, folded form;
    `anchor` the one key it is indexed by, so that matching a new article against the
    immediate alerts looks up the article's keys, whatever the number of alerts. Daily and
    weekly alerts are matched when their digest or summary is composed."""

    __tablename__ = "keyword_alerts"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "query", name="uq_keyword_alerts_query"),
        Index("ix_keyword_alerts_anchor", "anchor", "frequency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    query: Mapped[str] = mapped_column(String(200))
    anchor: Mapped[str] = mapped_column(String(64))
    frequency: Mapped[Frequency] = mapped_column(
        _enum(Frequency), default=Frequency.DAILY, server_default="daily"
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class AlertItem(Base):
    """An article a chat gets on its own, at once (an immediate subscription, an urgent item,
    an immediate keyword alert): one row per chat and article, so never twice. `due_at` is
    later than the article when quiet hours hold it; `queued_at` is set in the transaction
    that puts its message in the ledger."""

    __tablename__ = "alert_items"
    __table_args__ = (Index("ix_alert_items_queued_due", "queued_at", "due_at"),)

    # No foreign keys (migration 0014): a batch of new articles can record hundreds of
    # thousands of items, and PostgreSQL checked both keys row by row, more than half of the
    # time to write them. The ids come from rows just read; a deleted chat's items are
    # deleted with it (`SubscriberRepository.delete`); articles are never deleted.
    subscriber_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The keyword alert that matched, when one did (shown with the item).
    keyword: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(Timestamp)
    queued_at: Mapped[datetime | None] = mapped_column(Timestamp)


class BroadcastState(enum.StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(Base):
    """An admin's message to everyone or to the readers of some topics or leaders."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    text: Mapped[str] = mapped_column(Text, default="")
    # Set when the admin replied to one of their messages: it is copied, formatting kept.
    from_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    from_message_id: Mapped[int | None] = mapped_column(BigInteger)
    audience: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    state: Mapped[BroadcastState] = mapped_column(
        _enum(BroadcastState), default=BroadcastState.DRAFT
    )
    total: Mapped[int] = mapped_column(Integer, default=0)
    # The admin's progress message, edited while sending (found again after a restart).
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)


class DeliveryKind(enum.StrEnum):
    DIGEST = "digest"
    BROADCAST = "broadcast"
    ALERT = "alert"  # a notice to an admin (a source failing, recovering, read in part)
    INSTANT = "instant"  # items sent at once: immediate subscriptions, urgent items
    WEEKLY = "weekly"  # the weekly summary (one per subscriber per week: its day is the key)


class DeliveryPriority(enum.IntEnum):
    """Lower goes first: an admin's alert or an urgent item must not wait behind an hour of
    digests, nor an immediate item (due within minutes)."""

    URGENT = 0
    PROMPT = 1
    NORMAL = 2


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class Delivery(Base):
    """The ledger: one row per message (digest, broadcast or alert) to one chat."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "kind", "digest_date", name="uq_deliveries_digest"),
        UniqueConstraint("broadcast_id", "chat_id", name="uq_deliveries_broadcast"),
        Index("ix_deliveries_state_next", "state", "priority", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DeliveryKind] = mapped_column(_enum(DeliveryKind))
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE")
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    digest_date: Mapped[date | None] = mapped_column(Date)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    # The message parts, already rendered (HTML) and split to Telegram's limit.
    # Each part: HTML text, or {"text", "buttons"} (digests/messages.py).
    parts: Mapped[list[str | dict[str, object]]] = mapped_column(JSON, default=list)
    # Or, instead of parts, one message to copy as it is (an admin's broadcast with photos).
    copy_from_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    copy_message_id: Mapped[int | None] = mapped_column(BigInteger)
    priority: Mapped[int] = mapped_column(
        SmallInteger, default=DeliveryPriority.NORMAL, server_default="2"
    )
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[DeliveryState] = mapped_column(_enum(DeliveryState), default=DeliveryState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The forum topic the message goes to (None: the chat itself, or a forum's General topic).
    message_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    # The articles a digest carried, so the next digest starts after them.
    article_ids: Mapped[list[int]] = mapped_column(JSON, default=list)


class RateLimit(Base):
    """A send rate shared by every process: the next free sending slot (GCRA).

    Each process reserves slots with one atomic UPDATE, timed by the database server's clock,
    so any number of processes together never exceed the rate.
    """

    __tablename__ = "rate_limits"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_slot: Mapped[datetime] = mapped_column(Timestamp)
