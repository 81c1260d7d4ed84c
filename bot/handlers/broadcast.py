"""Admin broadcasts: /broadcast (audience, preview, confirm, progress, report) and
/broadcasts; the progress messages go on being edited after a restart."""

from __future__ import annotations

import logging
from typing import NamedTuple

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.context import AnyApplication, BotContext, call, language_of, reply, services_of
from bot.handlers.admin import refuse_non_admin
from bot.keyboards import Action, CallbackData, button
from bot.names import topic_name
from bot.render import local_time, split_message
from digests import broadcasts, subscriptions
from digests.broadcasts import Audience, BroadcastError, Progress
from digests.messages import MessagePart

log = logging.getLogger(__name__)
PROGRESS_EVERY = 3.0  # seconds between edits of a progress message


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
    if await refuse_non_admin(update, context):
        return
    services = context.services
    language = await language_of(update, context)
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    text = (message.text_html or "").partition(" ")[2].strip() if message.text else ""
    source = message.reply_to_message
    # A BroadcastError: the error handler answers with its text.
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
    await call(broadcasts.set_audience, services.newsroom, draft_id, Audience())
    await reply(
        update,
        context,
        services.texts.get(language, "broadcast_audience"),
        _audience_keyboard(context, draft_id, Audience(), language),
    )


async def on_admin_button(update: Update, context: BotContext, data: CallbackData) -> None:
    if await refuse_non_admin(update, context):
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
    # A BroadcastError (sent already, unknown): the error handler answers with its text.
    if op in ("t", "all"):
        slug = parts[2] if op == "t" and len(parts) > 2 else None
        if op == "t" and (slug is None or services.catalog.topic(slug) is None):
            raise BroadcastError(f"no topic {slug!r}", key="broadcast_unknown")
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
            services.texts.get(language, "broadcast_cancelled", id=broadcast_id)
        )
    else:
        await query.answer(services.texts.get(language, "button_expired"), show_alert=True)


def _parts(progress: Progress) -> list[MessagePart]:
    return [MessagePart(part) for part in split_message(progress.text)] if progress.text else []


async def _preview(update: Update, context: BotContext, broadcast_id: int, language: str) -> None:
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    draft = await call(broadcasts.draft, services.newsroom, broadcast_id)
    if draft.state.value != "draft":
        raise BroadcastError(
            f"broadcast #{broadcast_id} was already sent or cancelled", key="broadcast_not_draft"
        )
    count = await call(broadcasts.audience_size, services.newsroom, draft.audience)
    # Exactly what readers will see: the same text and parse mode, or a copy of the message.
    if draft.from_message_id is not None and draft.from_chat_id is not None:
        await context.bot.copy_message(chat.id, draft.from_chat_id, draft.from_message_id)
    else:
        for part in _parts(draft):
            await context.bot.send_message(chat.id, part.text)
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
        await context.bot.edit_message_text(text, chat_id, message_id, reply_markup=markup)
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
    if await refuse_non_admin(update, context):
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
