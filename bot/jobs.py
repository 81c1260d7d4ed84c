"""Repeating jobs on PTB's JobQueue (APScheduler): the ticks of bot/ticks.py, which `mohbot
worker` runs from its own loop. Each asks the database what is due now (by the Newsroom's
clock) and calls a domain service; nothing lives only in memory."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot import notices
from bot.context import AnyApplication, BotContext, BotServices, call, send_gate, services_of
from bot.keyboards import MorePage
from bot.names import document_kind_name, leader_name, leader_names, topic_name
from bot.render import BlockCache, html_to_plain, render_alert, render_digest, render_weekly
from bot.sender import TelegramSender, delivery_bot
from bot.texts import Html
from bot.ticks import Ticks
from digests.alerts import AlertRenderer
from digests.charts import ChartsUnavailable, WeeklyChartLabels, render_weekly_png
from digests.compose import (
    Digest,
    DigestSection,
    section_document_kind,
    section_keyword,
    section_leader,
)
from digests.delivery import DeliveryEngine
from digests.messages import Button, MessagePart
from digests.reading import ArticleView, share_query
from digests.text import truncate
from digests.weekly import WeeklyRenderer, WeeklySummary

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
        self.documents = services.newsroom.documents
        self.blocks = BlockCache()

    def kind_name(self, slug: str, language: str) -> str:
        return document_kind_name(self.documents, slug, language)

    def section_title(self, key: str, language: str) -> str:
        query = section_keyword(key)
        if query is not None:
            return self.texts.get(language, "keyword_section", query=query)
        kind = section_document_kind(key)
        if kind is not None:
            return self.kind_name(kind, language)
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

    def share_button(self, article: ArticleView, language: str) -> Button:
        """Opens the chat picker with `@bot id:<n>` typed: the article, ready to send."""
        # A button's label is plain text: the title goes in unescaped.
        title = Html(truncate(" ".join(article.title.split()), 24))
        label = self.texts.get(language, "share_button", title=title)
        return Button(label, share_query(article.id), share=True)

    def __call__(self, digest: Digest, note: str | None = None) -> list[MessagePart]:
        return render_digest(
            digest,
            self.texts,
            self.section_title,
            self.leader_label,
            lambda section, language: self.more_button(section, language, digest),
            note=note,
            kind_name=self.kind_name,
            share_button=self.share_button,
            blocks_seen=self.blocks,
        )

    def plain(self, digest: Digest) -> str:
        return "\n\n".join(html_to_plain(part.text) for part in self(digest))


def alert_renderer(services: BotServices) -> AlertRenderer:
    """The function that turns items sent at once into message parts."""
    texts = services.texts
    return lambda message: render_alert(message, texts)


def weekly_renderer(services: BotServices) -> WeeklyRenderer:
    """The function that turns a weekly summary into message parts: the chart (when
    matplotlib is installed) with the counts as its caption, then the lists."""
    texts, titles = services.texts, DigestRenderer(services)

    def render(summary: WeeklySummary) -> list[MessagePart]:
        language = summary.language
        labels = WeeklyChartLabels(
            title=texts.get(language, "weekly_chart_title"),
            axis=texts.get(language, "weekly_chart_axis"),
            topics={slug: titles.section_title(slug, language) for slug, _n in summary.counts},
        )
        chart = None
        if summary.counts:
            try:
                chart = render_weekly_png(summary.counts, labels)
            except ChartsUnavailable:
                log.warning("no chart in the weekly summary: matplotlib is not installed")
        return render_weekly(summary, texts, titles.section_title, chart)

    return render


def digest_renderer(services: BotServices) -> DigestRenderer:
    """The function the dispatcher uses to turn a digest into message parts."""
    return DigestRenderer(services)


def _ticks(context: BotContext) -> Ticks:
    assert context.job is not None and isinstance(context.job.data, Ticks)
    return context.job.data


async def poll_sources(context: BotContext) -> None:
    context.services.newsroom.metrics.poll_cycle()  # for /healthz, whatever the outcome
    await _ticks(context).poll_sources()


async def dispatch_digests(context: BotContext) -> None:
    await _ticks(context).dispatch_digests()


async def deliver(context: BotContext) -> None:
    await _ticks(context).deliver()


async def start_delivery(application: AnyApplication, services: BotServices, worker: str) -> None:
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
        on_blocked=notices.on_blocked(services),
        on_thread_gone=notices.on_thread_gone(services),
    )
    await call(services.engine.recover)


def schedule(application: AnyApplication, intervals: JobIntervals) -> None:
    """The ticks (bot/ticks.py) on PTB's JobQueue; on shutdown PTB waits for running jobs,
    and a delivery stops after its current batch."""
    queue = application.job_queue
    assert queue is not None, "install python-telegram-bot[job-queue]"
    services = services_of(application)
    ticks = Ticks(
        services,
        render=digest_renderer(services),
        render_alert=alert_renderer(services),
        render_weekly=weekly_renderer(services),
        keep_going=lambda: application.running,
        poll_every=intervals.poll,
        dispatch_every=intervals.dispatch,
        deliver_every=intervals.deliver,
    )
    queue.run_repeating(poll_sources, intervals.poll, first=1.0, name="poll-sources", data=ticks)
    queue.run_repeating(
        dispatch_digests, intervals.dispatch, first=0.5, name="dispatch-digests", data=ticks
    )
    queue.run_repeating(deliver, intervals.deliver, first=0.5, name="deliver", data=ticks)
