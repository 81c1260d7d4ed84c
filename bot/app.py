"""Builds the Telegram Application: services, handlers, jobs, error handler; and runs it.

`build_application` is the one place where everything is wired together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypedDict

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import AnyApplication, BotContext, BotServices, install_services, services_of
from bot.handlers import (
    admin,
    alerts,
    broadcast,
    channels,
    documents,
    errors,
    inline,
    membership,
    reading,
    settings,
    start,
    subscriptions,
)
from bot.jobs import JobIntervals, schedule, start_delivery
from bot.keyboards import Action, CallbackData
from bot.limiter import GateRateLimiter
from bot.menus import install_menus
from bot.texts import Texts
from digests.config import Settings
from digests.health import HealthServer
from digests.redaction import Redactor
from digests.services import Newsroom
from digests.topics.catalog import load_catalog
from digests.topics.resolver import Resolver

log = logging.getLogger(__name__)
CONCURRENT_UPDATES = 64  # updates handled at once (of different users)

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]
ButtonHandler = Callable[[Update, BotContext, CallbackData], Coroutine[Any, Any, None]]

COMMANDS: dict[str, Handler] = {
    "start": start.start,
    "help": start.help_command,
    "topics": subscriptions.topics,
    "subscribe": subscriptions.subscribe,
    "unsubscribe": subscriptions.unsubscribe,
    "leaders": subscriptions.leaders,
    "follow": subscriptions.follow,
    "unfollow": subscriptions.unfollow,
    "mysubs": subscriptions.mysubs,
    "latest": reading.latest,
    "search": reading.search,
    "vanban": documents.vanban,
    "time": settings.set_time,
    "timezone": settings.set_timezone,
    "pause": settings.pause,
    "resume": settings.resume,
    "lang": settings.set_language,
    "stop": settings.stop,
    "digest": reading.digest,
    # Admin tools (each checks ADMIN_IDS itself).
    "broadcast": broadcast.broadcast,
    "broadcasts": broadcast.list_broadcasts,
    "ingest": admin.ingest,
    "stats": admin.show_stats,
    "sources": admin.sources,
    "format": settings.set_format,
    "alert": alerts.add_alert,
    "alerts": alerts.list_alerts,
    "urgent": alerts.urgent,
    "quiet": alerts.quiet,
    "weekly": alerts.weekly,
    "channel": channels.channel,
}

BUTTONS: dict[Action, ButtonHandler] = {
    Action.TOGGLE_TOPIC: subscriptions.on_toggle,
    Action.TOGGLE_LEADER: subscriptions.on_toggle,
    Action.SUBSCRIBE: subscriptions.on_suggestion,
    Action.FOLLOW: subscriptions.on_suggestion,
    Action.STOP: settings.on_stop,
    Action.ADMIN: broadcast.on_admin_button,
    Action.MORE: reading.on_more,
    Action.PAGE: reading.on_page,
    Action.FREQUENCY: alerts.on_frequency,
    Action.REMOVE_ALERT: alerts.on_remove_alert,
    Action.CHANNEL: channels.on_channel_button,
}


async def on_button(update: Update, context: BotContext) -> None:
    """Every inline button: validate the callback data, then dispatch on its action."""
    query = update.callback_query
    data = CallbackData.parse(query.data if query else None)
    handler = BUTTONS.get(data.action) if data else None
    if data is None or handler is None:
        if query is not None:
            log.info("refused callback data %r from user %s", query.data, query.from_user.id)
        await errors.expired_button(update, context)
        return
    await handler(update, context, data)


async def on_startup(application: AnyApplication) -> None:
    """/healthz and /metrics; command menus in every language (the admins' own); the delivery
    engine; progress of broadcasts that were sending when the bot stopped."""
    services = services_of(application)
    services.health = HealthServer.start(services.newsroom)
    await install_menus(application.bot, services.texts, services.admin_ids)
    await start_delivery(application, services, worker=services.worker_name)
    await broadcast.resume_progress(application)


async def on_shutdown(application: AnyApplication) -> None:
    services = services_of(application)
    if services.health is not None:
        services.health.stop()
    if services.delivery_bot is not None:
        await services.delivery_bot.shutdown()
    if services.gate is not None:
        await services.gate.aclose()


def build_services(settings: Settings, newsroom: Newsroom) -> BotServices:
    catalog = newsroom.catalog or load_catalog(settings.topics_file)
    return BotServices(
        newsroom=newsroom,
        texts=Texts.load(redact=Redactor(settings.secrets)),
        catalog=catalog,
        resolver=Resolver(catalog),
        admin_ids=settings.admin_ids,
    )


def build_application(
    settings: Settings,
    newsroom: Newsroom,
    *,
    rate_limiter: bool = True,
    services: BotServices | None = None,
    intervals: JobIntervals | None = None,
) -> AnyApplication:
    """The bot, wired: handlers by group, the error handler, the command menu."""
    if not settings.token:
        raise ValueError("no TELEGRAM_BOT_TOKEN")
    services = services or build_services(settings, newsroom)
    # Any: the bot's type depends on whether it gets the rate limiter below.
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{settings.telegram_api_base_url}/bot")
        .base_file_url(f"{settings.telegram_api_base_url}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        # Every message of the bot is HTML without link previews: said once here.
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # Updates of different users are handled side by side (each handler has its own
        # database session), so one slow search does not make everyone else wait.
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
    )
    if rate_limiter:
        # Replies spend the same budget as deliveries, and go first (bot/limiter.py).
        builder = builder.rate_limiter(GateRateLimiter(services, max_retries=3))
    application = builder.build()
    install_services(application, services)

    application.add_handler(TypeHandler(Update, errors.flood_guard), group=-1)
    for name, handler in COMMANDS.items():
        application.add_handler(CommandHandler(name, handler))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(
        ChatMemberHandler(membership.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, membership.on_migrate))
    application.add_handler(InlineQueryHandler(inline.on_inline_query))
    application.add_handler(ChosenInlineResultHandler(inline.on_chosen))
    application.add_handler(MessageHandler(filters.COMMAND, errors.unknown_command))
    # Linking a channel: a post forwarded from it, or the one picked with the request button.
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.FORWARDED, channels.on_forward)
    )
    application.add_handler(
        MessageHandler(filters.StatusUpdate.CHAT_SHARED, channels.on_chat_shared)
    )
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, reading.search_text
        )
    )
    application.add_error_handler(errors.error_handler)
    schedule(application, intervals or JobIntervals())
    return application


WEBHOOK_PATH = "telegram"


class WebhookOptions(TypedDict):
    """`Application.run_webhook`'s arguments."""

    listen: str
    port: int
    url_path: str
    webhook_url: str
    secret_token: str | None
    allowed_updates: list[str]


def webhook_options(settings: Settings) -> WebhookOptions:
    """PTB's webhook server: where it listens, the public URL Telegram posts to, and the secret
    token Telegram must send with every request (PTB refuses requests without it)."""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": WEBHOOK_PATH,
        "webhook_url": f"{settings.webhook_url}/{WEBHOOK_PATH}",
        "secret_token": secret,
        "allowed_updates": Update.ALL_TYPES,
    }


async def _first_contact(application: AnyApplication, settings: Settings) -> None:
    """Initialise the bot (its first call to the Bot API), retrying a network fault with
    back-off up to a minute between tries, and saying so in one line each time: a network blip
    at boot must not end the process. A refused token is not retried (`mohbot` exits 3)."""
    delay = 1.0
    while True:
        try:
            await application.initialize()
            return
        except InvalidToken:
            raise
        except NetworkError as exc:  # TimedOut included
            log.warning(
                "cannot reach the Bot API at %s (%s); trying again in %.0f s",
                settings.telegram_api_base_url,
                exc.message,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)


def run(settings: Settings) -> int:
    """`mohbot run`: long polling, or webhook mode when WEBHOOK_URL is set. SIGINT and SIGTERM
    stop it cleanly (PTB's run_* methods handle them)."""
    newsroom = Newsroom.open(settings)
    try:
        application = build_application(settings, newsroom)
        # Initialised here, on the loop PTB then runs on, because PTB's own start-up retries
        # would log a refused token with a traceback; `mohbot` says that in one line.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(_first_contact(application, settings))
        if settings.webhook_url:
            if settings.webhook_secret is None:
                log.warning("WEBHOOK_SECRET is not set: anyone who finds the URL can post updates")
            application.run_webhook(**webhook_options(settings))
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    finally:
        newsroom.close()
    return 0
