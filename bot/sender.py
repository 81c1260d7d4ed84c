"""The Telegram implementation of the delivery engine's `Sender`: Telegram's errors grouped
by what to do about them (blocked, wait, rejected, try again later)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta

from telegram import Bot, Message, MessageId
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.http import AiohttpRequest
from bot.keyboards import markup_of
from digests import delivery
from digests.config import Settings
from digests.messages import Buttons, MessagePart


def delivery_bot(settings: Settings) -> Bot:
    """A `Bot` for the delivery engine, without PTB's rate limiter (the engine paces itself),
    sending over aiohttp (bot/http.py: a quarter of httpx's CPU per message).

    Its connection pool (SEND_CONNECTIONS) should cover the send rate times the round trip:
    PTB's plain `Bot` has one connection, which serialises every send behind the previous
    answer.
    """
    api_root = settings.telegram_api_base_url
    request = AiohttpRequest(settings.send_connections, pool_timeout=30.0)
    return Bot(
        settings.token or "",
        base_url=f"{api_root}/bot",
        base_file_url=f"{api_root}/file/bot",
        request=request,
    )


# 400s that mean the chat itself is gone, or the bot may no longer post there (a channel
# whose admins took its rights), not that this message is wrong.
_GONE = (
    "chat not found",
    "user not found",
    "group chat was deactivated",
    "peer_id_invalid",
    "need administrator rights",
    "not enough rights",
    "chat_write_forbidden",
)


# 400s for a forum topic that is deleted or closed (the message may go to General instead).
_TOPIC_GONE = ("message thread not found", "topic_closed", "topic_deleted", "topic_id_invalid")


def retry_seconds(value: int | float | timedelta) -> float:
    """A RetryAfter's wait in seconds (PTB 22 gives an int, or a timedelta when asked to)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends through its own `Bot` (no PTB rate limiter: the engine paces itself)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def _call(
        self, coroutine: Awaitable[Message | MessageId], thread_id: int | None = None
    ) -> int:
        try:
            message = await coroutine
        except RetryAfter as exc:
            raise delivery.RetryAfter(retry_seconds(exc.retry_after)) from exc
        except Forbidden as exc:
            raise delivery.Blocked(exc.message) from exc
        except ChatMigrated as exc:
            raise delivery.Moved(exc.new_chat_id) from exc
        except BadRequest as exc:  # a subclass of NetworkError: must come first
            if thread_id is not None and any(m in exc.message.lower() for m in _TOPIC_GONE):
                raise delivery.ThreadGone(exc.message) from exc
            if any(marker in exc.message.lower() for marker in _GONE):
                raise delivery.Blocked(exc.message) from exc
            raise delivery.Rejected(exc.message) from exc
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            raise delivery.Transient(exc.message) from exc
        except TelegramError as exc:
            raise delivery.Transient(exc.message) from exc
        return message.message_id

    async def send(
        self, chat_id: int, text: str, buttons: Buttons = (), thread_id: int | None = None
    ) -> int:
        return await self._call(
            self.bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                disable_web_page_preview=True,
                reply_markup=markup_of(MessagePart(text, buttons)),
                message_thread_id=thread_id,
            ),
            thread_id,
        )

    async def copy(
        self, chat_id: int, from_chat_id: int, message_id: int, thread_id: int | None = None
    ) -> int:
        return await self._call(
            self.bot.copy_message(chat_id, from_chat_id, message_id, message_thread_id=thread_id),
            thread_id,
        )

    async def send_photo(
        self, chat_id: int, png: bytes, caption: str, thread_id: int | None = None
    ) -> int:
        return await self._call(
            self.bot.send_photo(
                chat_id,
                png,
                caption=caption,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread_id,
            ),
            thread_id,
        )
