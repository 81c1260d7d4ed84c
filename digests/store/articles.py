"""Article repository: deduplicating upsert, listing, relations. All article SQL lives here.

An incoming item is the same article as a stored one when it has the same source GUID, the
same URL, or the same normalised title published on the same day (or with no date on
either side). When two versions meet, the fuller text wins: the longer body, a summary that
is not a truncated listing snippet, a date with a time over a date alone.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.sql.elements import ColumnElement

from digests.dates import VN_TZ
from digests.records import DocumentRef, ParsedItem
from digests.store.models import (
    Article,
    ArticleDocument,
    ArticleLeader,
    ArticleLink,
    ArticleTopic,
    table_of,
)
from digests.text import fold, title_key

# (title, summary, body, section, publication date) -> (topic slugs, leader names)
Labeler = Callable[[str, str, str, str | None, date | None], tuple[Sequence[str], Sequence[str]]]
# (title, summary) -> the official documents they name
DocumentFinder = Callable[[str, str], Sequence[DocumentRef]]
_CHUNK = 500  # values per IN list (three lists per statement)
_FTS_INDEX = text(
    "INSERT INTO articles_fts (rowid, search_title, search_text) "
    "SELECT id, search_title, search_text FROM articles WHERE id BETWEEN :first AND :last"
)


@dataclass(slots=True)
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_ids: list[int] = field(default_factory=list)
    # Incoming item index -> stored article id, for every item.
    ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class ArticleLabels:
    """How articles get their topics and leaders, and the catalog fingerprint used; and
    whether a new article is urgent (title, lead -> bool: digests/topics/urgency.py)."""

    labeler: Labeler
    fingerprint: str
    urgency: Callable[[str, str], bool] | None = None
    documents: DocumentFinder | None = None

    def document_rows(self, article_id: int, title: str, summary: str) -> list[dict[str, Any]]:
        """The `article_documents` rows of one article (none without a finder)."""
        if self.documents is None:
            return []
        refs = {(r.kind, r.key): r for r in self.documents(title, summary)}
        return [
            {
                "article_id": article_id,
                "kind": r.kind,
                "key": r.key[:120],
                "code": r.code[:120],
                "number": r.number[:8],
                "issuer": r.issuer[:64] if r.issuer else None,
                "issued_on": r.issued_on,
                "signer": r.signer[:120] if r.signer else None,
                "position": position,
            }
            for position, r in enumerate(refs.values())
        ]


@dataclass(slots=True)
class _NewArticle:
    """An article about to be inserted in bulk (the same attribute names as `Article`, so the
    merge rules apply to both)."""

    source_id: int | None
    url: str | None
    guid: str | None
    title: str
    title_key: str
    summary: str
    body: str
    section: str | None
    published_at: datetime | None
    published_has_time: bool
    first_seen_at: datetime
    updated_at: datetime
    content_hash: str
    id: int | None = None

    def row(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "id"}


def _insert_rows(connection: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert many rows of one shape: COPY on PostgreSQL (a feed's worth of articles loads
    several times faster than through a multi-row INSERT, and rows stream to the server while
    later ones are still being made), executemany elsewhere. COPY skips SQLAlchemy's type
    processing, so the columns' bind processors are applied here."""
    if connection.dialect.name != "postgresql":
        batch = list(rows)
        if batch:
            connection.execute(insert(table), batch)
        return
    stream = iter(rows)
    first = next(stream, None)
    if first is None:
        return
    names = list(first)
    processors = [table.c[name].type.bind_processor(connection.dialect) for name in names]
    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    driver = connection.connection.driver_connection  # psycopg's, in this transaction
    assert driver is not None
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in itertools.chain((first,), stream):
                copy.write_row(
                    [
                        process(row[name]) if process else row[name]
                        for name, process in zip(names, processors, strict=True)
                    ]
                )
    except dbapi_error as exc:
        # Raised as SQLAlchemy would have: callers catch IntegrityError when another process
        # stored the same article first, and retry.
        raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc


def content_hash(title: str, summary: str, body: str) -> str:
    return hashlib.sha256("\x1f".join((title, summary, body)).encode()).hexdigest()


def _is_snippet(text: str) -> bool:
    return text.endswith(("...", "…"))


def _day(item_or_article: ParsedItem | Article | _NewArticle) -> date | None:
    """The local (Vietnamese) publication day, the unit in which titles are compared."""
    if isinstance(item_or_article, ParsedItem):
        moment = item_or_article.published.at if item_or_article.published else None
    else:
        moment = item_or_article.published_at
    return moment.astimezone(VN_TZ).date() if moment else None


def _fuller_summary(old: str, new: str) -> str:
    if not new:
        return old
    if not old:
        return new
    if _is_snippet(old) and not _is_snippet(new):
        return new
    if _is_snippet(new) and not _is_snippet(old):
        return old
    return new if len(new) > len(old) else old


def _stored_id(article: Article | _NewArticle) -> int:
    """The id of an article that is in the database (new ones have theirs once inserted)."""
    assert article.id is not None
    return article.id


def _apply(article: Article | _NewArticle, item: ParsedItem) -> None:
    """Merge `item` into `article`: the fuller text wins."""
    if len(item.body) > len(article.body):
        article.body = item.body
    article.summary = _fuller_summary(article.summary, item.summary)
    if item.published and (
        article.published_at is None or (item.published.has_time and not article.published_has_time)
    ):
        article.published_at = item.published.at
        article.published_has_time = item.published.has_time
    article.section = article.section or item.section
    article.url = article.url or item.url
    article.guid = article.guid or item.guid


def search_fields(title: str, summary: str, body: str) -> tuple[str, str]:
    """The folded copies search reads: the title, and title, summary and body."""
    folded_title = fold(title)  # folding is character by character: the title is folded once
    rest = fold(f"{summary}\n{body}")
    return folded_title, f"{folded_title}\n{rest}"


def _search_fields(article: Article) -> None:
    article.search_title, article.search_text = search_fields(
        article.title, article.summary, article.body
    )


def _set_labels(article: Article, labels: ArticleLabels | None) -> None:
    if labels is None:
        return
    topics, leaders = _labels_of(article, labels)
    article.topics = [ArticleTopic(topic=t) for t in dict.fromkeys(topics)]
    article.leaders = [ArticleLeader(leader=name) for name in dict.fromkeys(leaders)]
    article.documents = [
        ArticleDocument(**{k: v for k, v in row.items() if k != "article_id"})
        for row in labels.document_rows(article.id, article.title, article.summary)
    ]
    article.classified_with = labels.fingerprint


def _stale(fingerprint: str | None) -> ColumnElement[bool]:
    """Articles labelled with another catalog or other rules than `fingerprint`, or never;
    every article when `fingerprint` is None."""
    if fingerprint is None:
        return true()
    return or_(Article.classified_with.is_(None), Article.classified_with != fingerprint)


def _labels_of(
    article: Article | _NewArticle, labels: ArticleLabels
) -> tuple[Sequence[str], Sequence[str]]:
    """Topics and leaders of an article, at its publication date."""
    return labels.labeler(
        article.title,
        article.summary,
        article.body,
        article.section,
        _published_day(article.published_at),
    )


def _published_day(published_at: datetime | None) -> date | None:
    """The publication date in Vietnam, which decides who was in office."""
    if published_at is None:
        return None
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    return published_at.astimezone(VN_TZ).date()


# Candidates load without their source, topics and leaders: a poll finds most of its items
# already stored and unchanged, and never reads those; an article that did change loads them
# when its labels are set again.
_BARE = lazyload("*")


# When an article appeared: its publication time, or for an undated one the first sighting.
# coalesce() takes its type from its first argument, so values come back as aware UTC.
_appeared = func.coalesce(Article.published_at, Article.first_seen_at)


@dataclass(frozen=True, slots=True)
class TopicAppearance:
    """An article of a topic, and when it appeared (published, or first seen if undated)."""

    topic: str
    at: datetime


class ArticleRepository:
    """Reads and writes articles within a caller-owned session (the caller commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- lookups -----------------------------------------------------------------
    def _candidates(self, items: Sequence[ParsedItem], keys: set[str]) -> list[Article]:
        guids = sorted({i.guid for i in items if i.guid})
        urls = sorted({i.url for i in items if i.url})
        ordered_keys = sorted(keys)
        if self.session.get_bind().dialect.name == "postgresql":
            # Three array parameters instead of thousands of scalar ones, in one statement.
            # (The PostgreSQL dialect is imported only where it is used: 2 MB.)
            from sqlalchemy.dialects.postgresql import ARRAY

            def any_of(column: Any, values: list[str]) -> ColumnElement[bool]:
                return column == any_(bindparam(None, values, type_=ARRAY(String)))

            query = (
                select(Article)
                .options(_BARE)
                .where(
                    or_(
                        any_of(Article.guid, guids),
                        any_of(Article.url, urls),
                        any_of(Article.title_key, ordered_keys),
                    )
                )
            )
            return list(self.session.scalars(query))
        # One statement per chunk asks for all three keys (each uses its own index).
        found: dict[int, Article] = {}
        for start in range(0, max(len(guids), len(urls), len(ordered_keys)), _CHUNK):
            end = start + _CHUNK
            query = (
                select(Article)
                .options(_BARE)
                .where(
                    or_(
                        Article.guid.in_(guids[start:end]),
                        Article.url.in_(urls[start:end]),
                        Article.title_key.in_(ordered_keys[start:end]),
                    )
                )
            )
            for article in self.session.scalars(query):
                found[article.id] = article
        return list(found.values())

    def upsert(
        self,
        items: Iterable[ParsedItem],
        *,
        source_id: int | None,
        now: datetime,
        labels: ArticleLabels | None = None,
    ) -> UpsertResult:
        """Store new items, merge known ones; returns counts and the ids of every item."""
        items = list(items)
        result = UpsertResult()
        # Stored articles, and the new ones of this batch (a later item may merge into them).
        by_guid: dict[str, Article | _NewArticle] = {}
        by_url: dict[str, Article | _NewArticle] = {}
        by_key: dict[str, list[Article | _NewArticle]] = {}

        def index(article: Article | _NewArticle) -> None:
            if article.guid:
                by_guid[article.guid] = article
            if article.url:
                by_url[article.url] = article
            by_key.setdefault(article.title_key, []).append(article)

        keys = [title_key(i.title) for i in items]
        for stored in self._candidates(items, set(keys)):
            index(stored)

        pending: list[_NewArticle] = []
        touched: list[Article] = []
        targets: list[Article | _NewArticle] = []
        for item, key in zip(items, keys, strict=True):
            article: Article | _NewArticle | None = (
                by_guid.get(item.guid) if item.guid else None
            ) or (by_url.get(item.url) if item.url else None)
            if not article:
                day = _day(item)
                for candidate in by_key.get(key, ()):
                    other = _day(candidate)
                    if day is None or other is None or day == other:
                        article = candidate
                        break
            if article:
                before = article.content_hash
                _apply(article, item)
                article.content_hash = content_hash(article.title, article.summary, article.body)
                if isinstance(article, Article) and not any(article is a for a in touched):
                    if article.content_hash != before:
                        article.updated_at = now
                        touched.append(article)
                        result.updated += 1
                    else:
                        result.unchanged += 1
            else:
                new = _NewArticle(
                    source_id=source_id,
                    url=item.url,
                    guid=item.guid,
                    title=item.title,
                    title_key=key,
                    summary=item.summary,
                    body=item.body,
                    section=item.section,
                    published_at=item.published.at if item.published else None,
                    published_has_time=bool(item.published and item.published.has_time),
                    first_seen_at=now,
                    updated_at=now,
                    content_hash=content_hash(item.title, item.summary, item.body),
                )
                pending.append(new)
                index(new)
                article = new
            targets.append(article)

        for existing in touched:
            _search_fields(existing)
            _set_labels(existing, labels)
        self._insert(pending, labels)
        self.session.flush()
        result.new = len(pending)
        result.new_ids = [a.id for a in pending if a.id is not None]
        result.ids = [_stored_id(a) for a in targets]
        return result

    def _reserve_ids(self, count: int) -> list[int]:
        """Ids for `count` new articles, so that they can be inserted in one executemany.

        PostgreSQL hands them out from the table's sequence (safe with several processes);
        SQLite has a single writer and this runs inside its write transaction.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            return list(
                self.session.scalars(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('articles', 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"n": count},
                )
            )
        self.session.execute(text("UPDATE articles SET id = id WHERE 0"))  # take the write lock
        highest = self.session.scalar(select(func.max(Article.id))) or 0
        return list(range(highest + 1, highest + 1 + count))

    def _insert(self, pending: list[_NewArticle], labels: ArticleLabels | None) -> None:
        """Insert new articles, their topics and leaders in bulk (Core, not the unit of work)."""
        if not pending:
            return
        ids = self._reserve_ids(len(pending))
        topics: list[dict[str, Any]] = []
        leaders: list[dict[str, Any]] = []
        documents: list[dict[str, Any]] = []

        def rows() -> Iterator[dict[str, Any]]:
            for article, new_id in zip(pending, ids, strict=True):
                article.id = new_id
                row = article.row()
                row["id"] = new_id
                row["search_title"], row["search_text"] = search_fields(
                    article.title, article.summary, article.body
                )
                row["classified_with"] = labels.fingerprint if labels else None
                row["urgent"] = bool(
                    labels and labels.urgency and labels.urgency(article.title, article.summary)
                )
                row["alerts_pending"] = True  # the alerts look at every new article once
                if labels is not None:
                    slugs, names = _labels_of(article, labels)
                    topics.extend({"article_id": new_id, "topic": t} for t in dict.fromkeys(slugs))
                    leaders.extend(
                        {"article_id": new_id, "leader": n} for n in dict.fromkeys(names)
                    )
                    documents.extend(labels.document_rows(new_id, article.title, article.summary))
                yield row

        # Core statements on the session's connection: the ORM's bulk layer adds nothing here.
        connection = self.session.connection()
        # Rows are made (and classified) as they are sent: on PostgreSQL the server indexes
        # the first rows while the next ones are classified.
        _insert_rows(connection, table_of(Article), rows())
        if connection.dialect.name == "sqlite":
            # One statement indexes the whole batch (migration 0006 says why not a trigger);
            # on SQLite the batch's ids are one contiguous range (see _reserve_ids).
            connection.execute(_FTS_INDEX, {"first": pending[0].id, "last": pending[-1].id})
        _insert_rows(connection, table_of(ArticleTopic), topics)
        _insert_rows(connection, table_of(ArticleLeader), leaders)
        _insert_rows(connection, table_of(ArticleDocument), documents)

    def link_related(self, article_id: int, titles: Iterable[str]) -> int:
        """Link an article to the stored articles named in its related list; returns links made."""
        keys = {title_key(t) for t in titles}
        if not keys:
            return 0
        targets = self.session.scalars(
            select(Article.id).where(Article.title_key.in_(keys), Article.id != article_id)
        ).all()
        existing = set(
            self.session.scalars(
                select(ArticleLink.related_id).where(ArticleLink.article_id == article_id)
            )
        )
        made = 0
        for target in targets:
            if target not in existing:
                self.session.add(ArticleLink(article_id=article_id, related_id=target))
                made += 1
        return made

    def related_ids(self, article_id: int) -> list[int]:
        return list(
            self.session.scalars(
                select(ArticleLink.related_id).where(ArticleLink.article_id == article_id)
            )
        )

    # -- reading -----------------------------------------------------------------
    def get(self, article_id: int) -> Article | None:
        return self.session.get(Article, article_id)

    def first_seen_between(self, since: datetime, until: datetime) -> list[Article]:
        """Articles first seen in (since, until], in no order."""
        return list(
            self.session.scalars(
                select(Article).where(Article.first_seen_at > since, Article.first_seen_at <= until)
            )
        )

    def by_ids(self, ids: Iterable[int]) -> list[Article]:
        """These articles (those that exist), in no order."""
        wanted = list(ids)
        if not wanted:
            return []
        return list(self.session.scalars(select(Article).where(Article.id.in_(wanted))))

    def known_guids(self, guids: Iterable[str]) -> set[str]:
        """Which of these guids are stored already."""
        wanted = list(guids)
        if not wanted:
            return set()
        return set(self.session.scalars(select(Article.guid).where(Article.guid.in_(wanted))))

    def newest(
        self,
        *,
        section: str | None = None,
        topic: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Article]:
        """Newest first: by publication time, undated items last, then by first-seen time."""
        query = select(Article)
        if section:
            query = query.where(Article.section == section)
        if topic:
            query = query.where(
                Article.id.in_(select(ArticleTopic.article_id).where(ArticleTopic.topic == topic))
            )
        if since:
            query = query.where(
                or_(
                    Article.published_at >= since,
                    Article.published_at.is_(None) & (Article.first_seen_at >= since),
                )
            )
        if limit:
            # Dated articles by the published_at index, then undated ones if too few: one sort
            # with "undated last" first would sort every row (1.4 s at 100,000 on SQLite).
            dated = query.where(Article.published_at.is_not(None)).order_by(
                Article.published_at.desc(), Article.first_seen_at.desc(), Article.id.desc()
            )
            found = list(self.session.scalars(dated.limit(limit)))
            if len(found) < limit:
                undated = query.where(Article.published_at.is_(None)).order_by(
                    Article.first_seen_at.desc(), Article.id.desc()
                )
                found += self.session.scalars(undated.limit(limit - len(found)))
            return found
        query = query.order_by(
            Article.published_at.is_(None),
            Article.published_at.desc(),
            Article.first_seen_at.desc(),
            Article.id.desc(),
        )
        return list(self.session.scalars(query))

    def naming_document(
        self, *, number: str, key: str | None = None, kind: str | None = None, limit: int = 10
    ) -> list[Article]:
        """Articles naming a document, newest first: by its leading number, narrowed by its
        folded code (`key`, or a beginning of it: "53/cd" finds "53/cd-byt") and kind."""
        wanted = select(ArticleDocument.article_id).where(ArticleDocument.number == number)
        if kind:
            wanted = wanted.where(ArticleDocument.kind == kind)
        if key:
            wanted = wanted.where(
                or_(
                    ArticleDocument.key == key,
                    ArticleDocument.key.startswith(key + "-", autoescape=True),
                    ArticleDocument.key.startswith(key + "/", autoescape=True),
                )
            )
        query = (
            select(Article)
            .where(Article.id.in_(wanted))
            .order_by(
                Article.published_at.is_(None),
                Article.published_at.desc(),
                Article.first_seen_at.desc(),
                Article.id.desc(),
            )
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def count_per_topic(self, since: datetime) -> dict[str, int]:
        """Topic slug -> articles of it that appeared since `since` (published, or first seen
        when undated: never by when they were fetched)."""
        rows = self.session.execute(
            select(ArticleTopic.topic, func.count())
            .join(Article, Article.id == ArticleTopic.article_id)
            .where(_appeared >= since)
            .group_by(ArticleTopic.topic)
        )
        return {topic: n for topic, n in rows}

    def topic_appearances(self, since: datetime) -> list[TopicAppearance]:
        """Each (article, topic) that appeared since `since`, in no order."""
        rows = self.session.execute(
            select(ArticleTopic.topic, _appeared)
            .join(Article, Article.id == ArticleTopic.article_id)
            .where(_appeared >= since)
        )
        return [TopicAppearance(topic, at) for topic, at in rows]

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Article)) or 0

    def stale(self, fingerprint: str | None, batch: int = 1000, after: int = 0) -> list[Article]:
        """The next `batch` stale articles by id, after the article `after`."""
        found = select(Article).where(_stale(fingerprint), Article.id > after)
        return list(self.session.scalars(found.order_by(Article.id).limit(batch)))

    def count_stale(self, fingerprint: str | None) -> int:
        """How many articles `stale` would go through."""
        found = select(func.count()).select_from(Article).where(_stale(fingerprint))
        return int(self.session.scalar(found) or 0)

    def relabel(self, articles: Iterable[Article], labels: ArticleLabels) -> int:
        count = 0
        for article in articles:
            self.session.execute(delete(ArticleTopic).where(ArticleTopic.article_id == article.id))
            self.session.execute(
                delete(ArticleLeader).where(ArticleLeader.article_id == article.id)
            )
            self.session.execute(
                delete(ArticleDocument).where(ArticleDocument.article_id == article.id)
            )
            self.session.expire(article, ["topics", "leaders", "documents"])
            topics, leaders = _labels_of(article, labels)
            rows_t = [{"article_id": article.id, "topic": t} for t in dict.fromkeys(topics)]
            rows_l = [{"article_id": article.id, "leader": n} for n in dict.fromkeys(leaders)]
            if rows_t:
                self.session.execute(insert(ArticleTopic), rows_t)
            if rows_l:
                self.session.execute(insert(ArticleLeader), rows_l)
            rows_d = labels.document_rows(article.id, article.title, article.summary)
            if rows_d:
                self.session.execute(insert(ArticleDocument), rows_d)
            article.classified_with = labels.fingerprint
            count += 1
        return count
