"""Ingestion use cases: import the seed documents, poll the sources. Each source is polled
on its own; one broken source records its error and never stops the others."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from digests.errors import MohbotError, one_line
from digests.ingest.bounds import (
    ETAG_CHARS,
    LAST_MODIFIED_CHARS,
    Screening,
    screen,
    validator,
)
from digests.ingest.contracts import ReadContext, ReadResult, SourceFailure
from digests.ingest.feeds import FeedError
from digests.ingest.fetch import Fetcher, FetchError, FetchPolicy
from digests.ingest.readers import READERS
from digests.ingest.seeds import parse_seed_dir
from digests.ingest.sources_file import load_sources
from digests.locks import exclusive
from digests.progress import SILENT, Progress
from digests.records import ParsedItem, SourceConfig, SourceKind
from digests.services import Newsroom
from digests.store.articles import ArticleRepository, UpsertResult
from digests.store.db import session_scope
from digests.store.models import Source
from digests.store.sources import SourceRepository

log = logging.getLogger(__name__)


class UnknownSource(MohbotError):
    """`ingest --source NAME` names no source of the sources file."""


@dataclass(slots=True)
class SourceReport:
    """What one poll of one source did."""

    name: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: bool = False
    error: str | None = None
    consecutive_failures: int = 0
    # Admins should hear of this source now: it just failed for the third time in a row,
    # or it just recovered after such an alert.
    alert: bool = False
    recovered: bool = False
    # Records skipped or fields cut while reading (the poll itself worked), in one line.
    skipped: int = 0
    note: str | None = None
    # The source has just started skipping or cutting records: admins are told once.
    partial_alert: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class SeedReport:
    files: int = 0
    items: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    links: int = 0
    screening: Screening = field(default_factory=Screening)


# -- seed documents ---------------------------------------------------------------------------
def import_seeds(newsroom: Newsroom, directory: Path, progress: Progress = SILENT) -> SeedReport:
    """Store every item of the seed documents in `directory`; importing twice changes nothing.
    `progress` is told of each document stored."""
    report = SeedReport()
    now = newsroom.clock.now()
    parsed = list(parse_seed_dir(directory))
    if not parsed:
        raise FileNotFoundError(f"no seed documents (*.txt) in {directory}")
    progress.expect(len(parsed))
    with session_scope(newsroom.sessions) as session:
        source = SourceRepository(session).seed_source(str(directory))
        articles = ArticleRepository(session)
        related: list[tuple[int, list[str]]] = []
        for _path, read in parsed:
            report.files += 1
            report.items += len(read)
            items = screen(read, report.screening)
            result = articles.upsert(items, source_id=source.id, now=now, labels=newsroom.labels)
            report.new += result.new
            report.updated += result.updated
            report.unchanged += result.unchanged
            related += [
                (i, it.related) for i, it in zip(result.ids, items, strict=True) if it.related
            ]
            progress.step()
        for article_id, titles in related:
            report.links += articles.link_related(article_id, titles)
    return report


# -- polling sources ---------------------------------------------------------------------------
def _config_of(source: Source, configs: dict[str, SourceConfig]) -> SourceConfig:
    return configs.get(source.name) or SourceConfig(
        name=source.name,
        kind=source.kind,
        url=source.url,
        section=source.section,
        poll_interval=source.poll_interval,
    )


def _store(
    newsroom: Newsroom, source_id: int, result: ReadResult | None, error: str | None
) -> SourceReport:
    """Record the poll's outcome; another process inserting the same article first (a unique
    key conflict) is resolved by trying again, which then finds and merges it."""
    for attempt in range(3):
        try:
            with newsroom.write_lock:
                return _store_once(newsroom, source_id, result, error)
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("article conflict while storing source %s; retrying", source_id)
    raise AssertionError("unreachable")


def _upsert(
    newsroom: Newsroom, source_id: int, items: list[ParsedItem], screening: Screening
) -> UpsertResult:
    """Store the items in one transaction; when the database refuses one of them (a value it
    cannot take), store them one by one so that only that one is lost, and count it."""
    now = newsroom.clock.now()
    try:
        with session_scope(newsroom.sessions) as session:
            return ArticleRepository(session).upsert(
                items, source_id=source_id, now=now, labels=newsroom.labels
            )
    except (DataError, UnicodeError, ValueError) as exc:
        log.warning("source %s: a record was refused (%s); storing one by one", source_id, exc)
    total = UpsertResult()
    for item in items:
        try:
            with session_scope(newsroom.sessions) as session:
                one = ArticleRepository(session).upsert(
                    [item], source_id=source_id, now=now, labels=newsroom.labels
                )
        except (DataError, UnicodeError, ValueError):
            screening.skip("refused by the database")
            continue
        total.new += one.new
        total.updated += one.updated
        total.unchanged += one.unchanged
    return total


def _store_once(
    newsroom: Newsroom, source_id: int, result: ReadResult | None, error: str | None
) -> SourceReport:
    now = newsroom.clock.now()
    if error is None:
        assert result is not None
        report = SourceReport(name="")
        report.not_modified = result.not_modified
        if result.items:
            stored = _upsert(newsroom, source_id, result.items, result.screening)
            report.new, report.updated, report.unchanged = (
                stored.new,
                stored.updated,
                stored.unchanged,
            )
    with session_scope(newsroom.sessions) as session:
        source = SourceRepository(session).by_id(source_id)
        assert source is not None
        if error is not None:
            report = SourceReport(name=source.name, error=error)
            report.alert = SourceRepository.record_failure(source, now, error)
            report.consecutive_failures = source.consecutive_failures
            return report
        assert result is not None
        report.name = source.name
        report.recovered = SourceRepository.record_success(
            source,
            now,
            validator(result.etag, ETAG_CHARS),
            validator(result.last_modified, LAST_MODIFIED_CHARS),
        )
        if not result.not_modified:
            report.note = result.screening.note()
            report.skipped = result.screening.skipped_count
            # Told once when a source starts skipping or cutting, again only after a clean poll.
            report.partial_alert = report.note is not None and source.last_note is None
            source.last_note, source.last_skipped = report.note, report.skipped
    return report


def _store_safely(
    newsroom: Newsroom, source: Source, result: ReadResult | None, error: str | None
) -> SourceReport:
    """`_store`, and when storing fails (database errors, a full disk), the failure recorded
    as the source's own; if even that cannot be written, the report still says why."""
    if result is not None:
        result.items = screen(result.items, result.screening)
    try:
        return _store(newsroom, source.id, result, error)
    except (SQLAlchemyError, OSError) as exc:
        error = f"could not store: {one_line(exc)}"
        log.warning("source %s: %s", source.name, error)
    except Exception as exc:  # a bug in classifying or storing must not stop the others
        log.exception("unexpected error storing %s", source.name)
        error = f"unexpected error while storing: {one_line(exc)}"
    try:
        return _store(newsroom, source.id, None, error)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("source %s: the failure could not be recorded: %s", source.name, one_line(exc))
        return SourceReport(name=source.name, error=error)


async def poll_source(
    newsroom: Newsroom, fetcher: Fetcher, source: Source, config: SourceConfig
) -> SourceReport:
    """Poll one source and store what it has; never raises for a source's own faults."""

    async def known(guids: list[str]) -> set[str]:
        def query() -> set[str]:
            with session_scope(newsroom.sessions) as session:
                return ArticleRepository(session).known_guids(guids)

        return await asyncio.to_thread(query) if guids else set()

    reader = READERS.get(source.kind)
    result: ReadResult | None = None
    error: str | None = None
    if reader is None:
        error = f"sources of kind {source.kind.value!r} are not polled"
    else:
        ctx = ReadContext(fetcher, config, source.etag, source.last_modified, known)
        try:
            result = await reader(ctx)
        except (FetchError, FeedError, SourceFailure, ValueError) as exc:
            error = str(exc) or exc.__class__.__name__
        except Exception as exc:  # a bug in a parser must not stop the other sources
            log.exception("unexpected error polling %s", source.name)
            error = f"unexpected error: {exc.__class__.__name__}: {exc}"
    if error:
        log.warning("source %s failed: %s", source.name, error)
    return await asyncio.to_thread(_store_safely, newsroom, source, result, error)


def fetch_policy(newsroom: Newsroom) -> FetchPolicy:
    settings = newsroom.settings
    return FetchPolicy(
        timeout=settings.http_timeout,
        max_bytes=settings.http_max_bytes,
        user_agent=settings.user_agent,
    )


async def ingest(
    newsroom: Newsroom,
    *,
    only: str | None = None,
    due_only: bool = False,
    fetcher: Fetcher | None = None,
    concurrency: int = 8,
    due_check_every: float = 5.0,
    progress: Progress = SILENT,
) -> list[SourceReport]:
    """Poll the sources of the sources file (all, one by name, or only those due), telling
    `progress` of each poll started and done. Scheduled
    polls (`due_only`) run in one process at a time (an advisory lock on PostgreSQL); while
    any of them is still running, sources falling due meanwhile are polled too (looked for
    every `due_check_every` seconds and whenever a poll ends), so a slow source delays no
    other."""
    if due_only:
        with exclusive(newsroom.engine, "poll-sources") as mine:
            if not mine:
                return []
            return await _ingest(
                newsroom, None, True, fetcher, concurrency, due_check_every, progress
            )
    return await _ingest(newsroom, only, False, fetcher, concurrency, due_check_every, progress)


async def _ingest(
    newsroom: Newsroom,
    only: str | None,
    due_only: bool,
    fetcher: Fetcher | None,
    concurrency: int,
    due_check_every: float,
    progress: Progress,
) -> list[SourceReport]:
    configs = {c.name: c for c in load_sources(newsroom.settings.sources_file, newsroom.catalog)}
    if only is not None and only not in configs:
        raise UnknownSource(f"no source named {only!r} in {newsroom.settings.sources_file}")

    def prepare() -> list[Source]:
        with session_scope(newsroom.sessions) as session:
            repo = SourceRepository(session)
            repo.sync(configs.values())
            if only is not None:
                found = repo.get(only)
                return [found] if found else []
            if due_only:
                return repo.due(newsroom.clock.now())
            return [s for s in repo.all() if s.enabled and s.kind is not SourceKind.SEED]

    def due_now(running: set[str]) -> list[Source]:
        with session_scope(newsroom.sessions) as session:
            due = SourceRepository(session).due(newsroom.clock.now())
            return [s for s in due if s.name not in running]

    sources = await asyncio.to_thread(prepare)
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(fetch_policy(newsroom))
    gate = asyncio.Semaphore(concurrency)

    async def one(source: Source) -> SourceReport:
        async with gate:
            return await poll_source(newsroom, fetcher, source, _config_of(source, configs))

    polls: dict[asyncio.Task[SourceReport], str] = {}

    def start(batch: list[Source]) -> set[asyncio.Task[SourceReport]]:
        tasks = {asyncio.create_task(one(source)): source.name for source in batch}
        polls.update(tasks)
        progress.expect(len(tasks))
        return set(tasks)

    try:
        running = start(sources)
        while running:
            # The caller (the bot's tick) awaits this whole call: without looking again, a
            # source falling due while another hangs would wait for the slowest poll.
            done, running = await asyncio.wait(
                running,
                timeout=due_check_every if due_only else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in done:
                task.result()  # a failure to store stops the batch, as it always did
            progress.step(len(done))
            if due_only and running:
                running |= start(await asyncio.to_thread(due_now, {polls[t] for t in running}))
        return [task.result() for task in polls]
    finally:
        for task in polls:
            task.cancel()
        await asyncio.gather(*polls, return_exceptions=True)
        if own_fetcher:
            await fetcher.aclose()


@dataclass(frozen=True, slots=True)
class SourceHealth:
    name: str
    kind: str
    enabled: bool
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    # What the last poll skipped or cut, when it read the source only in part.
    last_note: str | None = None


def source_health(newsroom: Newsroom) -> list[SourceHealth]:
    """Every polled source with its health, for admins."""
    with session_scope(newsroom.sessions) as session:
        return [
            SourceHealth(
                name=s.name,
                kind=s.kind.value,
                enabled=s.enabled,
                last_success_at=s.last_success_at,
                last_error=s.last_error,
                last_error_at=s.last_error_at,
                consecutive_failures=s.consecutive_failures,
                last_note=s.last_note,
            )
            for s in SourceRepository(session).all()
            if s.kind is not SourceKind.SEED
        ]
