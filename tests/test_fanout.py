"""Fan-out through the real TelegramSender against the fake Bot API server: 429 storms and
random 5xx lose nothing, blocked users are deactivated and the rest goes on, and a worker
process killed in the middle and restarted delivers every message, repeating at most those
in flight."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from telegram import Bot

from bot.sender import TelegramSender, delivery_bot
from digests import broadcasts, subscriptions
from digests.broadcasts import Audience
from digests.clock import FakeClock
from digests.delivery import DeliveryEngine, DeliveryPolicy
from digests.messages import MessagePart
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository
from digests.store.models import DeliveryState
from fakebotapi import FakeTelegram
from tests.processes import process_env, start_mohbot, stop_all

TOKEN = "123456:TEST-TOKEN"


def fan_out(room: Newsroom, tg: FakeTelegram, chats: range, text: str = "<b>Tin khẩn</b>") -> int:
    for chat in chats:
        tg.user(chat)
        subscriptions.register(room, chat)
    draft = broadcasts.create_draft(room, admin_id=1, text=text)
    broadcasts.set_audience(room, draft, Audience())
    broadcasts.start(room, draft, [MessagePart(text)])
    return draft


async def drain(room: Newsroom, engine: DeliveryEngine, clock: FakeClock) -> None:
    """Run the engine until nothing is queued, moving the clock over retry backoffs."""
    for _ in range(50):
        await engine.run_until_idle()
        with session_scope(room.sessions) as session:
            if DeliveryRepository(session).pending() == 0:
                return
        clock.advance(timedelta(minutes=15))
    raise AssertionError("deliveries still pending")


@pytest.mark.slow
async def test_429_storm_and_random_5xx_lose_nothing(newsroom: Newsroom, clock: FakeClock) -> None:
    async with FakeTelegram() as tg:
        chats = range(10_000, 10_150)
        draft = fan_out(newsroom, tg, chats)
        tg.enforce_limits(global_per_second=20)  # lower than the engine's 60: a storm of 429s
        tg.random_faults(0.15, seed=7, statuses=(500, 502))
        bot = Bot(TOKEN, base_url=f"{tg.base_url}/bot")
        async with bot:
            policy = DeliveryPolicy(rate=60, backoff_initial=1.0)
            engine = DeliveryEngine(newsroom, TelegramSender(bot), worker="t", policy=policy)
            await drain(newsroom, engine, clock)
        received = Counter(s.chat_id for s in tg.sent)
        assert set(received) == set(chats) and max(received.values()) == 1
        rejected = [m for m, _p in tg.requests if m == "sendMessage"]
        assert len(rejected) > len(chats)  # there were 429s and 5xx, all retried
        result = broadcasts.progress(newsroom, draft)
        assert (result.sent, result.failed, result.blocked, result.pending) == (150, 0, 0, 0)


async def test_blocked_users_are_deactivated_and_the_rest_goes_on(
    newsroom: Newsroom, clock: FakeClock
) -> None:
    async with FakeTelegram() as tg:
        chats = range(20_000, 20_040)
        for chat in (20_003, 20_017, 20_031):
            tg.user(chat)
            tg.block(chat)
        draft = fan_out(newsroom, tg, chats)
        bot = Bot(TOKEN, base_url=f"{tg.base_url}/bot")
        async with bot:
            engine = DeliveryEngine(
                newsroom, TelegramSender(bot), worker="t", policy=DeliveryPolicy(rate=100)
            )
            await drain(newsroom, engine, clock)
        assert {s.chat_id for s in tg.sent} == set(chats) - {20_003, 20_017, 20_031}
        for chat in (20_003, 20_017, 20_031):
            view = subscriptions.get(newsroom, chat)
            assert view is not None and not view.active
        result = broadcasts.progress(newsroom, draft)
        assert (result.sent, result.blocked, result.failed) == (37, 3, 0)
        # Blocked chats are never retried.
        blocked_tries = [
            p for m, p in tg.requests if m == "sendMessage" and int(p["chat_id"]) == 20_003
        ]
        assert len(blocked_tries) == 1


@pytest.mark.slow
async def test_slow_answers_do_not_pile_up_into_a_burst(
    newsroom: Newsroom, clock: FakeClock
) -> None:
    """While Telegram answers slowly every connection is busy. A send that took its rate slot
    and then waited for a connection would leave together with the others that waited, once
    answers speed up again: a burst above the rate. Sends take their slot only when they can
    go out."""
    async with FakeTelegram() as tg:
        tg.record_requests = False
        fan_out(newsroom, tg, range(21_000, 21_300))
        tg.answer_delay = 0.5  # 4 connections carry 8 sends a second; the rate allows 50
        settings = newsroom.settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_api_base_url": tg.base_url,
                "send_connections": 4,
            }
        )
        async with delivery_bot(settings) as bot:
            engine = DeliveryEngine(
                newsroom,
                TelegramSender(bot),
                worker="t",
                policy=DeliveryPolicy(rate=50, in_flight=4),
            )
            sending = asyncio.create_task(drain(newsroom, engine, clock))
            await asyncio.sleep(3)
            tg.answer_delay = 0.0
            await sending
        assert len(tg.sent) == 300
        assert tg.max_in_window(1.0) <= 50


@pytest.mark.slow
async def test_killed_worker_restarted_delivers_everything(
    newsroom: Newsroom, clock: FakeClock, tmp_path: Path
) -> None:
    async with FakeTelegram() as tg:
        tg.record_requests = False
        chats = range(30_000, 31_000)
        fan_out(newsroom, tg, chats)
        env = process_env(newsroom.settings.database_url, tg, tmp_path, token=TOKEN, send_rate=250)
        first = start_mohbot(env, "worker", "--name", "worker-a", "--deliver-only")
        await tg.wait_for(lambda: len(tg.sent) >= 300, timeout=60, what="300 messages")
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait)
        await asyncio.sleep(0.5)  # requests the dead process had already sent are answered
        received_at_kill = {s.chat_id for s in tg.sent}
        assert len(received_at_kill) < 1000
        with session_scope(newsroom.sessions) as session:
            left_sending = {
                r.chat_id for r in DeliveryRepository(session).in_state(DeliveryState.SENDING)
            }
        # In flight: accepted by Telegram, not yet marked sent by the process that died.
        in_flight = left_sending & received_at_kill
        # Restarted under the same name: it resumes its rows.
        second = start_mohbot(env, "worker", "--name", "worker-a", "--deliver-only")
        try:
            await tg.wait_for(
                lambda: len({s.chat_id for s in tg.sent}) == 1000, timeout=60, what="all chats"
            )
            await asyncio.sleep(0.5)
        finally:
            await stop_all([second])
        received = Counter(s.chat_id for s in tg.sent)
        assert set(received) == set(chats)
        repeated = {chat for chat, n in received.items() if n > 1}
        assert max(received.values()) <= 2
        assert repeated <= in_flight, (sorted(repeated - in_flight), len(in_flight))
        with session_scope(newsroom.sessions) as session:
            counts = DeliveryRepository(session).counts()
        assert counts[DeliveryState.SENT] == 1000
        assert counts[DeliveryState.QUEUED] == counts[DeliveryState.SENDING] == 0
