"""Runs the real bot (`build_application`) over HTTP against the fake Bot API server, with a
real database and a fake clock; helpers to act as users and read what the bot sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pydantic import SecretStr
from telegram.ext import Application

from bot.app import build_application, on_shutdown, on_startup
from bot.jobs import JobIntervals
from digests.config import Settings
from digests.services import Newsroom
from fakebotapi import FakeTelegram, Sent

TOKEN = "123456:TEST-TOKEN"
ADMIN = 900
FAST = JobIntervals(poll=3600.0, dispatch=0.2, deliver=0.2)


@dataclass
class Harness:
    tg: FakeTelegram
    app: Application  # type: ignore[type-arg]
    room: Newsroom

    async def say(
        self, user: int, text: str, chat: int | None = None, replies: int = 1
    ) -> list[Sent]:
        """Send a text as `user`; wait for `replies` new messages to the chat; return them."""
        target = user if chat is None else chat
        before = len(self.tg.messages_to(target))
        self.tg.send_text(user, text, chat)
        messages = await self.tg.wait_for_messages(target, before + replies)
        return messages[before:]

    async def press(self, user: int, message: Sent, data: str, edits: int = 0) -> dict[str, object]:
        """Press a button as `user`; wait for Telegram's callback answer (and `edits` message
        edits); return the answer."""
        before = len(self.tg.edits)
        query = self.tg.press_button(user, message, data)
        await self.tg.wait_for(lambda: query in self.tg.callback_answers, what=f"answer to {data}")
        await self.tg.wait_for(lambda: len(self.tg.edits) >= before + edits, what="edits")
        return self.tg.callback_answers[query]


@asynccontextmanager
async def running_bot(
    settings: Settings, room: Newsroom, *, intervals: JobIntervals = FAST
) -> AsyncIterator[Harness]:
    async with FakeTelegram() as tg:
        settings = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_api_base_url": tg.base_url,
                "admin_ids": frozenset({ADMIN}),
            }
        )
        room.settings = settings
        app = build_application(settings, room, intervals=intervals)
        await app.initialize()
        await on_startup(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield Harness(tg, app, room)
        finally:
            await app.updater.stop()
            await app.stop()
            await on_shutdown(app)
            await app.shutdown()
