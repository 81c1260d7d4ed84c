"""Admin tools: /broadcast (audience, preview, confirm, progress, report), /broadcasts,
/ingest, /stats, /sources. Every command and every button checks ADMIN_IDS at the moment of
use; a refused admin button is logged."""

from __future__ import annotations

import logging
from typing import NamedTuple

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.context import AnyApplication, BotContext, call, language_of, reply, services_of
from bot.keyboards import Action, CallbackData, button
from bot.names import topic_name
from bot.render import local_time, split_message
from bot.texts import Html, Texts
from bot.ticks import alert_admins
from digests import broadcasts, stats, subscriptions
from digests.broadcasts import Audience, BroadcastError, Progress
from digests.charts import ChartLabels, ChartsUnavailable, render_png
from digests.ingest.service import ingest as ingest_sources
from digests.ingest.service import source_health
from digests.ingest.sources_file import SourcesFileError
from digests.messages import MessagePart
from digests.topics.catalog import Catalog

log = logging.getLogger(__name__)
PROGRESS_EVERY = 3.0  # seconds between edits of a progress message


def is_admin(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.services.admin_ids


async def _refuse(update: Update, context: BotContext) -> bool:
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


# -- broadcast ---------------------------------------------------------------------------------
def _data(broadcast_id: int, op: str, arg: str = "") -> str:
    return f"{broadcast_id}.{op}" + (f".{arg}" if arg else "")


def _audience_keyboard(
    context: BotContext, broadcast_id: int, audience: Audience, language: str
) -> InlineKeyboardMarkup:
    texts = context.services.texts
    chosen = set(audience.topics)
    rows = [
        [
            button(
                ("✅ " if audience.everyone else "") + texts.get(language, "broadcast_everyone"),
                Action.ADMIN,
                _data(broadcast_id, "all"),
            )
        ]
    ]
    topics = context.services.catalog.topics
    for i in range(0, len(topics), 2):
        rows.append(
            [
                button(
                    ("✅ " if t.slug in chosen else "") + topic_name(t, language),
                    Action.ADMIN,
                    _data(broadcast_id, "t", t.slug),
                )
                for t in topics[i : i + 2]
            ]
        )
    rows.append(
        [
            button(
                texts.get(language, "broadcast_preview_button"),
                Action.ADMIN,
                _data(broadcast_id, "pv"),
            ),
            button(
                texts.get(language, "broadcast_cancel"), Action.ADMIN, _data(broadcast_id, "no")
            ),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _audience_label(context: BotContext, audience: Audience, language: str) -> str:
    if audience.everyone:
        return context.services.texts.get(language, "audience_everyone")
    names = [
        topic_name(t, language) if (t := context.services.catalog.topic(slug)) else slug
        for slug in audience.topics
    ]
    return ", ".join(names + list(audience.leaders))


async def broadcast(update: Update, context: BotContext) -> None:
    if await _refuse(update, context):
        return
    services = context.services
    language = await language_of(update, context)
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    text = (message.text_html or "").partition(" ")[2].strip() if message.text else ""
    source = message.reply_to_message
    try:
        if source is not None and source.from_user and source.from_user.id == user.id:
            draft_id = await call(
                broadcasts.create_draft,
                services.newsroom,
                user.id,
                from_chat_id=source.chat_id,
                from_message_id=source.message_id,
            )
        elif text:
            draft_id = await call(broadcasts.create_draft, services.newsroom, user.id, text=text)
        else:
            await reply(update, context, services.texts.get(language, "broadcast_usage"))
            return
    except BroadcastError as exc:
        await reply(update, context, services.texts.get(language, exc.key))
        return
    await call(broadcasts.set_audience, services.newsroom, draft_id, Audience())
    await reply(
        update,
        context,
        services.texts.get(language, "broadcast_audience"),
        _audience_keyboard(context, draft_id, Audience(), language),
    )


async def on_admin_button(update: Update, context: BotContext, data: CallbackData) -> None:
    if await _refuse(update, context):
        return
    query = update.callback_query
    assert query is not None
    services = context.services
    language = await language_of(update, context)
    parts = data.argument.split(".")
    try:
        broadcast_id, op = int(parts[0]), parts[1]
    except (ValueError, IndexError):
        await query.answer(services.texts.get(language, "button_expired"), show_alert=True)
        return
    try:
        if op in ("t", "all"):
            slug = parts[2] if op == "t" and len(parts) > 2 else None
            if op == "t" and (slug is None or services.catalog.topic(slug) is None):
                raise BroadcastError("broadcast_unknown")
            audience, _count = await call(
                broadcasts.toggle_topic, services.newsroom, broadcast_id, slug
            )
            await query.answer()
            try:
                await query.edit_message_reply_markup(
                    _audience_keyboard(context, broadcast_id, audience, language)
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
        elif op == "pv":
            await query.answer()
            await _preview(update, context, broadcast_id, language)
        elif op == "ok":
            await query.answer()
            await _confirm(update, context, broadcast_id, language)
        elif op in ("no", "stop"):
            await call(broadcasts.cancel, services.newsroom, broadcast_id)
            await query.answer()
            await query.edit_message_text(
                services.texts.get(language, "broadcast_cancelled", id=broadcast_id),
                parse_mode=ParseMode.HTML,
            )
        else:
            await query.answer(services.texts.get(language, "button_expired"), show_alert=True)
    except BroadcastError as exc:
        await query.answer(services.texts.get(language, exc.key), show_alert=True)


def _parts(progress: Progress) -> list[MessagePart]:
    return [MessagePart(part) for part in split_message(progress.text)] if progress.text else []


async def _preview(update: Update, context: BotContext, broadcast_id: int, language: str) -> None:
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    draft = await call(broadcasts.draft, services.newsroom, broadcast_id)
    if draft.state.value != "draft":
        raise BroadcastError("broadcast_not_draft")
    count = await call(broadcasts.audience_size, services.newsroom, draft.audience)
    # Exactly what readers will see: the same text and parse mode, or a copy of the message.
    if draft.from_message_id is not None and draft.from_chat_id is not None:
        await context.bot.copy_message(chat.id, draft.from_chat_id, draft.from_message_id)
    else:
        for part in _parts(draft):
            await context.bot.send_message(
                chat.id, part.text, parse_mode=ParseMode.HTML, disable_web_page_preview=True
            )
    texts = services.texts
    markup = InlineKeyboardMarkup(
        [
            [
                button(
                    texts.get(language, "broadcast_confirm"),
                    Action.ADMIN,
                    _data(broadcast_id, "ok"),
                ),
                button(
                    texts.get(language, "broadcast_cancel"), Action.ADMIN, _data(broadcast_id, "no")
                ),
            ]
        ]
    )
    text = texts.get(
        language,
        "broadcast_preview",
        count=count,
        audience=_audience_label(context, draft.audience, language),
    )
    await reply(update, context, text, markup)


async def _confirm(update: Update, context: BotContext, broadcast_id: int, language: str) -> None:
    services = context.services
    query = update.callback_query
    assert query is not None and query.message is not None
    draft = await call(broadcasts.draft, services.newsroom, broadcast_id)
    total = await call(broadcasts.start, services.newsroom, broadcast_id, _parts(draft))
    message = query.message
    await call(
        broadcasts.set_progress_message,
        services.newsroom,
        broadcast_id,
        message.chat.id,
        message.message_id,
    )
    await _show_progress(context, broadcast_id, message.chat.id, message.message_id, language)
    watch_progress(context, broadcast_id, message.chat.id, message.message_id, language)
    log.info(
        "broadcast %s started by %s to %d chats",
        broadcast_id,
        update.effective_user.id if update.effective_user else None,
        total,
    )


def _eta(pending: int, rate: float) -> str:
    seconds = int(pending / max(rate, 1.0)) + 1
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


async def _show_progress(
    context: ContextTypes.DEFAULT_TYPE,
    broadcast_id: int,
    chat_id: int,
    message_id: int,
    language: str,
) -> bool:
    """Edit the progress message; True when the broadcast is finished (final report shown)."""
    services = context.application.bot_data["services"]
    texts = services.texts
    progress = await call(broadcasts.progress, services.newsroom, broadcast_id)
    if progress.finished:
        text = texts.get(
            language,
            "broadcast_report",
            id=broadcast_id,
            sent=progress.sent,
            blocked=progress.blocked,
            failed=progress.failed,
            cancelled=progress.cancelled,
        )
        markup = None
    else:
        text = texts.get(
            language,
            "broadcast_progress",
            id=broadcast_id,
            sent=progress.sent,
            total=progress.total,
            failed=progress.failed,
            blocked=progress.blocked,
            eta=_eta(progress.pending, services.newsroom.settings.send_rate),
        )
        markup = InlineKeyboardMarkup(
            [
                [
                    button(
                        texts.get(language, "broadcast_cancel"),
                        Action.ADMIN,
                        _data(broadcast_id, "stop"),
                    )
                ]
            ]
        )
    try:
        await context.bot.edit_message_text(
            text, chat_id, message_id, parse_mode=ParseMode.HTML, reply_markup=markup
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
    return progress.finished


class _Watched(NamedTuple):
    """A progress message a `_progress_tick` job keeps up to date."""

    broadcast_id: int
    chat_id: int
    message_id: int
    language: str


async def _progress_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    job = context.job
    assert job is not None and isinstance(job.data, _Watched)
    broadcast_id, chat_id, message_id, language = job.data
    if await _show_progress(context, broadcast_id, chat_id, message_id, language):
        job.schedule_removal()


def watch_progress(
    context: ContextTypes.DEFAULT_TYPE,
    broadcast_id: int,
    chat_id: int,
    message_id: int,
    language: str,
) -> None:
    assert context.job_queue is not None
    context.job_queue.run_repeating(
        _progress_tick,
        PROGRESS_EVERY,
        first=PROGRESS_EVERY,
        data=_Watched(broadcast_id, chat_id, message_id, language),
        name=f"broadcast-{broadcast_id}",
    )


async def list_broadcasts(update: Update, context: BotContext) -> None:
    if await _refuse(update, context):
        return
    services = context.services
    language = await language_of(update, context)
    texts = services.texts
    recent = await call(broadcasts.recent, services.newsroom, 10)
    if not recent:
        await reply(update, context, texts.get(language, "broadcasts_empty"))
        return
    lines = [texts.get(language, "broadcasts_header")]
    for p in recent:
        lines.append(
            texts.get(
                language,
                "broadcasts_line",
                id=p.id,
                when=local_time(p.created_at, services.newsroom.settings.timezone) or "",
                audience=_audience_label(context, p.audience, language),
                state=p.state.value,
                sent=p.sent,
                total=p.total,
                blocked=p.blocked,
                failed=p.failed,
            )
        )
    await reply(update, context, "\n".join(lines))


# -- ingest, stats, sources ---------------------------------------------------------------------
async def ingest(update: Update, context: BotContext) -> None:
    if await _refuse(update, context):
        return
    services = context.services
    language = await language_of(update, context)
    texts = services.texts
    await reply(update, context, texts.get(language, "ingest_started"))
    try:
        reports = await ingest_sources(services.newsroom)
    except SourcesFileError as exc:
        await reply(update, context, texts.get(language, "ingest_bad_sources", error=exc))
        return
    await alert_admins(services, reports)
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
    await reply(update, context, "\n".join(lines))


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
    if await _refuse(update, context):
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
    if await _refuse(update, context):
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


async def resume_progress(application: AnyApplication) -> None:
    """After a restart, keep editing the progress messages of broadcasts still sending."""
    services = services_of(application)
    assert application.job_queue is not None
    for broadcast_id, chat_id, message_id in await call(broadcasts.sending, services.newsroom):
        if chat_id is None or message_id is None:
            continue
        language = services.texts.languages[0]
        view = await call(subscriptions.get, services.newsroom, chat_id)
        if view is not None:
            language = view.language
        application.job_queue.run_repeating(
            _progress_tick,
            PROGRESS_EVERY,
            first=0.5,
            data=_Watched(broadcast_id, chat_id, message_id, language),
            name=f"broadcast-{broadcast_id}",
        )
