"""Admin tools: /ingest (its work a job), /stats, /sources, and the admin check every admin
command and button makes at the moment of use (a refused admin button is logged). Broadcasts
are in `bot/handlers/broadcast.py`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Update

from bot.context import (
    AnyApplication,
    BotContext,
    call,
    language_of,
    reply,
    send_text,
    topic_of,
)
from bot.handlers.errors import answer_for
from bot.names import topic_name
from bot.render import local_time
from bot.texts import Html, Texts
from bot.ticks import poll_and_alert
from digests import stats
from digests.charts import ChartLabels, ChartsUnavailable, render_png
from digests.errors import MohbotError
from digests.ingest.service import SourceReport, source_health
from digests.topics.catalog import Catalog

log = logging.getLogger(__name__)


def is_admin(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.services.admin_ids


async def refuse_non_admin(update: Update, context: BotContext) -> bool:
    """True (and a polite refusal) when the user is not an admin."""
    if is_admin(update, context):
        return False
    language = await language_of(update, context)
    text = context.services.texts.get(language, "admin_only")
    user = update.effective_user
    if update.callback_query:
        log.warning(
            "refused admin button %r from user %s",
            update.callback_query.data,
            user.id if user else None,
        )
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, context, text)
    return True


# -- ingest, stats, sources ---------------------------------------------------------------------
INGEST = "ingest"  # the name of /ingest's job, and of its entry in `admin_work`


@dataclass(frozen=True, slots=True)
class AdminRequest:
    """Who asked for long admin work, and in which language to report when it is done."""

    chat_id: int
    language: str
    thread: int | None = None  # the forum topic the command came from


async def ingest(update: Update, context: BotContext) -> None:
    """/ingest: poll every source now, as a job (the handler answers at once); the job reports
    to the admin when it is done. A second /ingest while one runs says so."""
    if await refuse_non_admin(update, context):
        return
    services = context.services
    language = await language_of(update, context)
    chat = update.effective_chat
    application: AnyApplication = context.application  # its jobs take a BotContext
    queue = application.job_queue
    assert chat is not None and queue is not None
    if INGEST in services.admin_work:
        await reply(update, context, services.texts.get(language, "ingest_running"))
        return
    services.admin_work.add(INGEST)
    try:
        await reply(update, context, services.texts.get(language, "ingest_started"))
    except BaseException:
        services.admin_work.discard(INGEST)
        raise
    queue.run_once(
        ingest_job,
        0,
        data=AdminRequest(chat.id, language, topic_of(update)),
        name=f"admin-{INGEST}",
    )


async def ingest_job(context: BotContext) -> None:
    """The work of /ingest: the scheduled poll's tick over every source, then its report."""
    assert context.job is not None and isinstance(context.job.data, AdminRequest)
    request, services = context.job.data, context.services
    try:
        try:
            reports = await poll_and_alert(services, due_only=False)
        except Exception as exc:  # a broken sources file says why; a fault, an apology
            key, params = answer_for(exc)
            text = services.texts.get(request.language, key, **params)
            await send_text(context.bot, request.chat_id, text, thread=request.thread)
            if not isinstance(exc, MohbotError):
                raise  # a bug or a fault: logged with its traceback by the error handler
            return
        text = ingest_report(services.texts, request.language, reports)
        await send_text(context.bot, request.chat_id, text, thread=request.thread)
    finally:
        services.admin_work.discard(INGEST)


def ingest_report(texts: Texts, language: str, reports: Sequence[SourceReport]) -> str:
    """One line per source polled, then the count of sources and failures."""
    lines = []
    for r in reports:
        if r.error:
            status = texts.get(language, "ingest_failed", error=r.error)
        elif r.not_modified:
            status = texts.get(language, "ingest_not_modified")
        else:
            status = texts.get(language, "ingest_ok", new=r.new, updated=r.updated)
        # `status` is a filled-in text already: escaping it again would show "&amp;lt;".
        lines.append(texts.get(language, "ingest_line", name=r.name, status=Html(status)))
    failed = sum(1 for r in reports if r.error)
    lines.append(texts.get(language, "ingest_done", count=len(reports), failed=failed))
    return "\n".join(lines)


def _counts(mapping: dict[str, int], texts: Texts, catalog: Catalog, language: str) -> str:
    if not mapping:
        return texts.get(language, "none")
    parts = []
    for slug, n in sorted(mapping.items(), key=lambda kv: (-kv[1], kv[0])):
        topic = catalog.topic(slug)
        parts.append(f"{topic_name(topic, language) if topic else slug} {n}")
    return ", ".join(parts)


def stats_text(texts: Texts, catalog: Catalog, figures: stats.Stats, language: str) -> str:
    """The /stats message in the admin's language."""
    return texts.get(
        language,
        "stats",
        active=figures.active,
        paused=figures.paused,
        blocked=figures.blocked,
        new=figures.new_7d,
        per_topic=_counts(figures.per_topic, texts, catalog, language),
        articles_24h=_counts(figures.articles_24h, texts, catalog, language),
        articles_7d=_counts(figures.articles_7d, texts, catalog, language),
        digests=Html(texts.plural(language, "stats_digests", figures.digests_24h)),
        broadcasts=Html(texts.plural(language, "stats_broadcasts", figures.broadcasts_24h)),
        failed=figures.failed_24h,
    )


def chart_labels(texts: Texts, catalog: Catalog, language: str) -> ChartLabels:
    """Every word of the /stats chart in the admin's language, topics in the catalog's order."""
    return ChartLabels(
        title=texts.get(language, "stats_chart_title"),
        day_axis=texts.get(language, "stats_chart_day_axis"),
        articles_axis=texts.get(language, "stats_chart_articles_axis"),
        subscribers_title=texts.get(language, "stats_chart_subscribers"),
        no_articles=texts.get(language, "stats_chart_no_articles"),
        topics={t.slug: topic_name(t, language) for t in catalog.topics},
    )


async def show_stats(update: Update, context: BotContext) -> None:
    if await refuse_non_admin(update, context):
        return
    services = context.services
    language = await language_of(update, context)
    figures = await call(stats.collect, services.newsroom)
    await reply(update, context, stats_text(services.texts, services.catalog, figures, language))
    series = await call(stats.chart_series, services.newsroom)
    labels = chart_labels(services.texts, services.catalog, language)
    try:
        png = await call(render_png, series, labels)
    except ChartsUnavailable:
        await reply(update, context, services.texts.get(language, "stats_no_chart"))
        return
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(
        chat.id, png, caption=services.texts.get(language, "stats_chart_caption")
    )


async def sources(update: Update, context: BotContext) -> None:
    if await refuse_non_admin(update, context):
        return
    services = context.services
    language = await language_of(update, context)
    texts = services.texts
    zone = services.newsroom.settings.timezone
    lines = [texts.get(language, "sources_header")]
    for s in await call(source_health, services.newsroom):
        state = (
            "✅"
            if s.consecutive_failures == 0 and s.last_success_at
            else ("⚠️" if s.consecutive_failures else "•")
        )
        error: str = f" — {s.last_error}" if s.last_error and s.consecutive_failures else ""
        if s.last_note and not s.consecutive_failures:
            state = "🟡"
            error = Html(" — " + texts.get(language, "sources_partial", note=s.last_note))
        line = texts.get(
            language,
            "sources_line",
            state=state,
            name=s.name,
            success=local_time(s.last_success_at, zone) or texts.get(language, "sources_never"),
            failures=s.consecutive_failures,
            error=error,
        )
        lines.append(line)
    await reply(update, context, "\n".join(lines))
