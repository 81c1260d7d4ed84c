"""`mohbot run` stops promptly on SIGTERM even with a long queue to send: the delivery job
finishes its current batch instead of draining the queue, and what it did not send stays
queued for the next start (nothing half-done, nothing lost)."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository
from digests.store.models import DeliveryState
from fakebotapi import FakeTelegram
from tests.processes import process_env, start_mohbot, stop_all
from tests.test_fanout import TOKEN, fan_out


@pytest.mark.slow
async def test_sigterm_stops_the_bot_in_the_middle_of_a_long_broadcast(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    async with FakeTelegram() as tg:
        tg.record_requests = False
        chats = range(40_000, 41_000)  # over half a minute of sending at 30 a second
        fan_out(newsroom, tg, chats)
        env = process_env(newsroom.settings.database_url, tg, tmp_path, token=TOKEN, send_rate=30)
        log = tmp_path / "mohbot.log"
        bot = start_mohbot(env, "run", log=log)
        try:
            await tg.wait_for(lambda: len(tg.sent) >= 60, timeout=60, what="sending started")
            bot.send_signal(signal.SIGTERM)
            asked = time.monotonic()
            code = await asyncio.to_thread(bot.wait, 30)
            took = time.monotonic() - asked
        finally:
            await stop_all([bot])
        assert code == 0, log.read_text(encoding="utf-8", errors="replace")[-2000:]
        assert took < 15, f"took {took:.1f} s to stop"
        received = {s.chat_id for s in tg.sent}
        assert 60 <= len(received) < len(chats)
        with session_scope(newsroom.sessions) as session:
            counts = DeliveryRepository(session).counts()
        # Every message Telegram received is marked sent; the rest waits, queued.
        assert counts[DeliveryState.SENT] == len(received) == len(tg.sent)
        assert counts[DeliveryState.QUEUED] == len(chats) - len(received)
        assert counts[DeliveryState.SENDING] == 0
