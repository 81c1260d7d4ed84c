"""Several processes on one PostgreSQL: two `mohbot worker` processes and the bot itself
(`mohbot run`) share 3,000 queued deliveries and one overall rate; a worker is killed in the
middle; every delivery is sent exactly once except those in flight in the killed process, and
no second ever exceeds the limit."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update

from digests import subscriptions
from digests.ingest.service import import_seeds
from digests.messages import MessagePart
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository, NewDelivery
from digests.store.models import ChatKind, DeliveryKind, DeliveryState, Subscriber
from fakebotapi import FakeTelegram
from tests.conftest import _truncate_all, make_settings
from tests.processes import process_env, start_mohbot, stop_all

RATE = 300
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CHATS = range(50_000, 53_000)


def queue(room: Newsroom) -> None:
    now = room.clock.now()
    with session_scope(room.sessions) as session:
        session.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": c,
                    "kind": ChatKind.PRIVATE,
                    "language": "vi",
                    "timezone": "Asia/Ho_Chi_Minh",
                    "digest_time": now.time(),
                    "paused": False,
                    "active": True,
                    "created_at": now,
                }
                for c in CHATS
            ],
        )
        DeliveryRepository(session).queue(
            [
                NewDelivery(
                    kind=DeliveryKind.ALERT, chat_id=c, parts=[MessagePart(f"Thông báo số {c}")]
                )
                for c in CHATS
            ],
            now,
        )


@pytest.mark.slow
async def test_three_processes_one_killed(pg_database: str, tmp_path: Path) -> None:
    _truncate_all(pg_database)
    room = Newsroom.open(make_settings(pg_database))
    queue(room)
    async with FakeTelegram() as tg:
        tg.record_requests = False
        for chat in CHATS:
            tg.user(chat)
        env = process_env(pg_database, tg, tmp_path, token="123:T", send_rate=RATE)
        tg.watch_stalls()
        worker = ("worker", "--deliver-only", "--stale-after", "8")
        workers = [
            start_mohbot(env, *worker, "--name", "w0"),
            start_mohbot(env, *worker, "--name", "w1"),
            # The bot itself sends too, and must share the same rate.
            start_mohbot(env, "run"),
        ]
        try:
            await tg.wait_for(lambda: len(tg.sent) >= 1000, timeout=60, what="a third sent")
            workers[1].send_signal(signal.SIGKILL)
            await asyncio.to_thread(workers[1].wait)
            await asyncio.sleep(0.5)  # the server answers what the dead process had sent
            received_at_kill = {m.chat_id for m in tg.sent}
            with session_scope(room.sessions) as session:
                left = {
                    r.chat_id
                    for r in DeliveryRepository(session).in_state(DeliveryState.SENDING)
                    if r.claimed_by == "w1"
                }
            in_flight = left & received_at_kill
            await tg.wait_for(
                lambda: len({m.chat_id for m in tg.sent}) == len(CHATS), timeout=90, what="all"
            )
            await asyncio.sleep(0.5)
        finally:
            await stop_all(workers)
        received = Counter(m.chat_id for m in tg.sent)
        assert set(received) == set(CHATS)
        repeated = {chat for chat, n in received.items() if n > 1}
        assert repeated <= in_flight, (len(repeated - in_flight), len(in_flight))
        # The senders keep under the limit; what this server stamps may bunch by its own stalls.
        busiest = tg.max_in_window(1.0)
        assert busiest <= RATE * (1 + tg.longest_stall), (busiest, tg.longest_stall)
        with session_scope(room.sessions) as session:
            counts = DeliveryRepository(session).counts()
            senders = {
                r.claimed_by for r in DeliveryRepository(session).in_state(DeliveryState.SENT)
            }
        # All three sent: the bot process too, within the same shared rate.
        assert {"w0", "w1"} < senders and len(senders) == 3, senders
        assert counts[DeliveryState.SENT] == len(CHATS)
    room.close()


@pytest.mark.slow
async def test_two_workers_queue_and_send_each_digest_once(
    pg_database: str, tmp_path: Path
) -> None:
    """Digest queueing runs in whichever process holds the lock: with two full workers (polling,
    queueing and sending) started together, every due subscriber gets one digest."""
    _truncate_all(pg_database)
    room = Newsroom.open(make_settings(pg_database))
    import_seeds(room, SEEDS)
    chats = range(60_000, 60_200)
    for chat in chats:
        subscriptions.register(room, chat)
    with session_scope(room.sessions) as session:  # everyone's digest time has just passed
        session.execute(
            update(Subscriber).values(next_digest_at=room.clock.now() - timedelta(minutes=1))
        )
    async with FakeTelegram() as tg:
        tg.record_requests = False
        for chat in chats:
            tg.user(chat)
        env = process_env(pg_database, tg, tmp_path, token="123:T", send_rate=100)
        workers = [start_mohbot(env, "worker", "--name", name) for name in ("a", "b")]
        try:
            await tg.wait_for(
                lambda: {m.chat_id for m in tg.sent} >= set(chats), timeout=90, what="digests"
            )
            await asyncio.sleep(2.0)  # room for a second digest, were one wrongly queued
        finally:
            await stop_all(workers)
        with session_scope(room.sessions) as session:
            digests = [
                r
                for r in DeliveryRepository(session).in_state(DeliveryState.SENT)
                if r.kind == DeliveryKind.DIGEST
            ]
            parts = {r.chat_id: len(r.parts) for r in digests}
        assert sorted(parts) == list(chats)  # one digest row per subscriber, all sent
        received = Counter(m.chat_id for m in tg.sent)
        assert received == Counter(parts)  # and Telegram got exactly its parts, once
    room.close()
