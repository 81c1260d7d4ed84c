"""The anchor of the command benchmarks: a minimal python-telegram-bot bot. One handler for
every command, doing the reply work a command of ours does at its simplest: read the text,
render a short HTML answer, send it. Started like `mohbot run` (`run_polling`, PTB's
defaults), from the same environment variables.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT python bench/minimal_bot.py
"""

from __future__ import annotations

import html
import os

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters

ANSWER = (
    "<b>Bản tin Bộ Y tế</b>\n"
    "Bạn đã gửi: <code>{text}</code>\n"
    "Dùng /help để xem các lệnh, /latest để đọc tin mới nhất, /search để tìm tin."
)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    await message.reply_text(ANSWER.format(text=html.escape(message.text[:200])), ParseMode.HTML)


def main() -> None:
    base = os.environ["TELEGRAM_API_BASE_URL"].rstrip("/")
    builder = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
    )
    if os.environ.get("MINIMAL_BOT_RATE_LIMIT") == "1":
        builder = builder.rate_limiter(AIORateLimiter())
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, answer))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
