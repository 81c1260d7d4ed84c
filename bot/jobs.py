"""Repeating jobs on PTB's JobQueue (APScheduler). Each tick asks the database what is due
now (by the Newsroom's clock) and calls a domain service; nothing lives only in memory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import TelegramError
from telegram.ext import Application

from bot.context import BotContext, BotServices, call, send_gate
from bot.keyboards import MorePage
from bot.names import leader_name, leader_names, topic_name
from bot.render import html_to_plain, render_digest
from bot.sender import TelegramSender, delivery_bot
from digests import subscriptions
from digests.backoff import Backoff
from digests.compose import Digest, DigestSection, section_leader
from digests.delivery import DeliveryEngine
from digests.dispatch import queue_due_digests
from digests.errors import one_line
from digests.ingest.service import SourceReport, ingest
from digests.ingest.sources_file import SourcesFileError
from digests.messages import Button, MessagePart
from digests.text import truncate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobIntervals:
    """Seconds between ticks; tests use short ones."""

    poll: float = 60.0
    dispatch: float = 60.0
    deliver: float = 2.0


class DigestRenderer:
    """Turns a digest into the messages the ledger sends (`render(digest)`), or into plain
    text for the terminal (`plain(digest)`): section names from the catalog, in the reader's
    language, and a "more" button for each section with more items."""

    def __init__(self, services: BotServices) -> None:
        self.catalog, self.texts = services.catalog, services.texts

    def section_title(self, key: str, language: str) -> str:
        leader = section_leader(key)
        if leader is not None:
            found = self.catalog.leader(leader)
            return leader_name(found, language) if found else leader
        topic = self.catalog.topic(key)
        return topic_name(topic, language) if topic else key

    def leader_label(self, slugs: Sequence[str], language: str) -> str:
        return ", ".join(leader_names(self.catalog, list(slugs), language))

    def more_button(self, section: DigestSection, language: str, digest: Digest) -> Button | None:
        if digest.since is None or digest.until is None:
            return None
        page = MorePage(section.key, digest.since, digest.until, len(section.items))
        try:
            data = page.encode()
        except ValueError:  # a slug too long for a button: the footer still counts them
            return None
        title = self.section_title(section.key, language)
        label = self.texts.get(language, "more_button", count=section.more, title=title)
        return Button(truncate(label, 60), data)

    def __call__(self, digest: Digest, note: str | None = None) -> list[MessagePart]:
        return render_digest(
            digest,
            self.texts,
            self.section_title,
            self.leader_label,
            lambda section, language: self.more_button(section, language, digest),
            note=note,
        )

    def plain(self, digest: Digest) -> str:
        return "\n\n".join(html_to_plain(part.text) for part in self(digest))


def digest_renderer(services: BotServices) -> DigestRenderer:
    """The function the dispatcher uses to turn a digest into message parts."""
    return DigestRenderer(services)


async def poll_sources(context: BotContext) -> None:
    """Poll the sources that are due. When polling fails as a whole (the database away, a
    broken sources file), the next tries come less and less often and each failure is logged
    once, not every minute."""
    backoff: Backoff = context.job.data if context.job else Backoff()  # type: ignore[assignment]
    now = asyncio.get_running_loop().time()
    if not backoff.ready(now):
        return
    try:
        reports = await ingest(context.services.newsroom, due_only=True)
    except (SourcesFileError, SQLAlchemyError, OSError) as exc:
        error = one_line(exc)
        if backoff.failed(now, error):
            log.error("cannot poll the sources (next try in %.0f s): %s", backoff.delay, error)
        return
    if backoff.succeeded():
        log.info("polling the sources works again")
    await notify_admins(context, reports)


async def notify_admins(context: BotContext, reports: list[SourceReport]) -> None:
    """One message to every admin when a source has just failed three times in a row, one when
    it works again, and one when it starts being read only in part (records skipped or cut)."""
    services = context.services
    for report in reports:
        if not (report.alert or report.recovered or report.partial_alert):
            continue
        for admin_id in sorted(services.admin_ids):
            view = await call(subscriptions.get, services.newsroom, admin_id)
            language = view.language if view else "vi"
            if report.alert:
                text = services.texts.get(
                    language,
                    "source_alert",
                    name=report.name,
                    failures=report.consecutive_failures,
                    error=report.error or "",
                )
            elif report.recovered:
                text = services.texts.get(language, "source_recovered", name=report.name)
            else:
                text = services.texts.get(
                    language, "source_partial", name=report.name, note=report.note or ""
                )
            try:
                await context.bot.send_message(admin_id, text, parse_mode="HTML")
            except TelegramError as exc:  # an admin who never opened the bot, or blocked it
                log.warning("could not alert admin %s: %s", admin_id, exc)


async def dispatch_digests(context: BotContext) -> None:
    services = context.services
    await call(queue_due_digests, services.newsroom, digest_renderer(services))
    await deliver(context)


async def deliver(context: BotContext) -> None:
    """Send what is queued; a tick that finds the previous one still sending does nothing."""
    services = context.services
    if services.engine is None or services.delivery_lock.locked():
        return
    async with services.delivery_lock:
        await services.engine.take_over_stale()
        # On shutdown PTB waits for running jobs: stop after the current batch.
        await services.engine.run_until_idle(keep_going=lambda: context.application.running)


async def start_delivery(application: Application, services: BotServices, worker: str) -> None:  # type: ignore[type-arg]
    """A separate Bot without PTB's rate limiter: the engine paces itself."""
    settings = services.newsroom.settings
    bot = delivery_bot(settings)
    await bot.initialize()
    services.delivery_bot = bot
    services.engine = DeliveryEngine(
        services.newsroom,
        TelegramSender(bot),
        worker=worker,
        gate=await send_gate(services),
    )
    await call(services.engine.recover)


def schedule(application: Application, intervals: JobIntervals) -> None:  # type: ignore[type-arg]
    queue = application.job_queue
    assert queue is not None, "install python-telegram-bot[job-queue]"
    queue.run_repeating(
        poll_sources,
        intervals.poll,
        first=1.0,
        name="poll-sources",
        data=Backoff(base=intervals.poll, cap=max(intervals.poll, 3600.0)),
    )
    queue.run_repeating(dispatch_digests, intervals.dispatch, first=0.5, name="dispatch-digests")
    queue.run_repeating(deliver, intervals.deliver, first=0.5, name="deliver")
