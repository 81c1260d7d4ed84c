"""One budget per token: the bot's replies and its deliveries share Telegram's overall rate,
and replies go first. Unit tests of the priority gate, then users typing commands during a
broadcast, through the real Application against the fake Bot API server (whose recorded send
times are the measure), in one process and beside a worker process on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from digests import broadcasts, subscriptions
from digests.broadcasts import Audience
from digests.clock import FakeClock
from digests.messages import MessagePart
from digests.ratelimit import LocalGate, Priority, PriorityGate
from digests.services import Newsroom
from fakebotapi import FakeTelegram
from tests.bot_harness import TOKEN, running_bot
from tests.conftest import _truncate_all, make_settings
from tests.processes import process_env, start_mohbot, stop_all


# -- the gate ------------------------------------------------------------------------------
async def test_a_reply_takes_the_next_slot_before_waiting_bulk_sends() -> None:
    gate = PriorityGate(LocalGate(20.0))
    order: list[str] = []

    async def send(name: str, priority: Priority) -> None:
        await gate.acquire(priority)
        order.append(name)

    bulk = [asyncio.create_task(send(f"bulk{i}", Priority.BULK)) for i in range(8)]
    await asyncio.sleep(0.01)  # the first bulk send has its slot; seven wait
    await send("reply", Priority.REPLY)
    assert order == ["bulk0", "reply"]
    await asyncio.gather(*bulk)
    assert order[2:] == [f"bulk{i}" for i in range(1, 8)]


async def test_bulk_sends_still_move_while_replies_crowd() -> None:
    gate = PriorityGate(LocalGate(200.0), bulk_every=5)
    order: list[Priority] = []

    async def send(priority: Priority) -> None:
        await gate.acquire(priority)
        order.append(priority)

    await asyncio.gather(*(send(p) for p in [Priority.BULK] * 4 + [Priority.REPLY] * 20))
    # Every fifth slot goes to a bulk send while both wait.
    assert [i for i, p in enumerate(order) if p is Priority.BULK] == [4, 9, 14, 19]


async def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    gate = PriorityGate(LocalGate(10.0))
    await gate.acquire()  # the next slot is 0.1 s away
    gone = asyncio.create_task(gate.acquire(Priority.BULK))
    await asyncio.sleep(0.01)
    gone.cancel()
    started = time.monotonic()
    await gate.acquire()
    assert time.monotonic() - started < 0.15  # took the slot the cancelled reply would have had
    await gate.aclose()


async def test_a_failing_slot_source_fails_the_waiters() -> None:
    class Broken:
        interval, lateness = 0.1, 0.01

        async def next_slot(self, priority: Priority = Priority.BULK) -> float | None:
            raise OSError("database unreachable")

        def claim_now(self) -> bool:
            return False

        def confirm(self) -> bool:
            return True

    gate = PriorityGate(Broken())
    with pytest.raises(OSError, match="unreachable"):
        await gate.acquire(Priority.REPLY)


async def test_a_flood_wait_holds_every_sender() -> None:
    gate = PriorityGate(LocalGate(100.0))
    gate.hold(0.3)
    started = time.monotonic()
    await gate.acquire()
    assert time.monotonic() - started >= 0.29
    gate.hold(0.2)
    started = time.monotonic()
    await gate.acquire(Priority.REPLY)  # a reply does not jump a flood wait either
    assert time.monotonic() - started >= 0.19
    await gate.aclose()


async def test_a_reply_goes_at_once_while_the_trailing_second_has_room() -> None:
    gate = PriorityGate(LocalGate(10.0))  # slots 0.1 s apart; at most 9 sends in any second
    await gate.acquire()  # bulk: the next slot is 0.1 s away
    started = time.monotonic()
    for _ in range(8):  # room for 8 more in this second: none waits for a slot
        await gate.acquire(Priority.REPLY)
    assert time.monotonic() - started < 0.05
    await gate.acquire(Priority.REPLY)  # the tenth in one second waits for the window
    assert time.monotonic() - started >= 0.9
    await gate.aclose()


def _busiest_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    return max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)


async def test_replies_at_once_and_bulk_slots_never_crowd_a_second() -> None:
    gate = PriorityGate(LocalGate(20.0), bulk_every=4)
    stamps: list[tuple[float, Priority]] = []

    async def send(priority: Priority, after: float) -> None:
        await asyncio.sleep(after)
        await gate.acquire(priority)
        stamps.append((time.monotonic(), priority))

    # 30 bulk sends queued at once, and 30 replies in bursts of 10, over about 2.5 s.
    bulk = [send(Priority.BULK, 0.0) for _ in range(30)]
    replies = [send(Priority.REPLY, 0.3 + 0.8 * (i // 10)) for i in range(30)]
    await asyncio.gather(*bulk, *replies)
    await gate.aclose()
    assert len(stamps) == 60
    assert _busiest_second([t for t, _ in stamps]) <= 19  # the limit less the margin
    # Bulk sends kept moving while replies crowded: one in every `bulk_every` sends at least.
    order = [p for _, p in sorted(stamps)]
    last_bulk = max(i for i, p in enumerate(order) if p is Priority.BULK)
    runs = "".join("r" if p is Priority.REPLY else "b" for p in order[:last_bulk])
    assert "rrrr" not in runs, runs


# -- the bot -------------------------------------------------------------------------------
RATE = 20  # SEND_RATE: low, so that the test is short
SUBSCRIBERS = range(50_000, 50_160)  # the broadcast: 8 s of sending at the full rate
USERS = range(1, 61)  # users typing a command each...
SPREAD = 6.0  # ...over these seconds: 10 a second, half the budget, while the broadcast runs
COMMANDS = ("/help", "/latest", "/mysubs")


async def ask(tg: FakeTelegram, user: int, after: float, latencies: list[float]) -> None:
    """Wait `after` seconds, send a command as `user`, time the bot's answer (by the fake
    server's clock, when the reply arrived there)."""
    await asyncio.sleep(after)
    asked = time.monotonic()
    tg.send_text(user, COMMANDS[user % len(COMMANDS)])
    (answer,) = await tg.wait_for_messages(user, 1, timeout=30)
    latencies.append(answer.time - asked)


@pytest.mark.slow
async def test_replies_and_deliveries_share_one_rate_replies_first(
    db_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    await commands_during_a_broadcast(db_url, tmp_path, clock, worker=False)


@pytest.mark.slow
async def test_replies_go_first_beside_a_worker_process(
    pg_database: str, tmp_path: Path, clock: FakeClock
) -> None:
    """The worker's bulk sends give way to the bot's replies through the database."""
    _truncate_all(pg_database)
    await commands_during_a_broadcast(pg_database, tmp_path, clock, worker=True)


async def commands_during_a_broadcast(
    db_url: str, tmp_path: Path, clock: FakeClock, *, worker: bool
) -> None:
    """Users type commands while a broadcast goes out (sent by the bot's own engine, and by a
    worker process too when `worker`); checks the limit and the replies' waits."""
    settings = make_settings(db_url, sources_file=tmp_path / "sources.toml", send_rate=RATE)
    room = Newsroom.open(settings, clock=clock)
    for chat in SUBSCRIBERS:
        subscriptions.register(room, chat)
    processes = []
    try:
        async with running_bot(settings, room) as bot:
            tg = bot.tg
            tg.record_requests = False
            tg.watch_stalls()
            for chat in (*SUBSCRIBERS, *USERS):
                tg.user(chat)
            if worker:
                env = process_env(db_url, tg, tmp_path, token=TOKEN, send_rate=RATE)
                processes.append(start_mohbot(env, "worker", "--name", "w1", "--deliver-only"))
            text = "<b>Thông báo</b> của Bộ Y tế"
            draft = broadcasts.create_draft(room, admin_id=1, text=text)
            broadcasts.set_audience(room, draft, Audience())
            broadcasts.start(room, draft, [MessagePart(text)])
            await tg.wait_for(lambda: len(tg.sent) >= RATE, timeout=20, what="a fan-out under way")
            latencies: list[float] = []
            step = SPREAD / len(USERS)
            await asyncio.gather(*(ask(tg, u, i * step, latencies) for i, u in enumerate(USERS)))
            replies_done = time.monotonic()
            await tg.wait_for(
                lambda: {m.chat_id for m in tg.sent} >= set(SUBSCRIBERS), timeout=60, what="all"
            )
            await asyncio.sleep(0.3)
    finally:
        await stop_all(processes)
        room.close()

    received = Counter(m.chat_id for m in tg.sent)
    assert all(received[chat] == 1 for chat in (*SUBSCRIBERS, *USERS)), received.most_common(3)
    # The broadcast was still going when the last reply went out: they competed throughout.
    assert max(m.time for m in tg.sent if m.chat_id in SUBSCRIBERS) > replies_done
    # Replies and deliveries together keep the one limit; what this server stamps may bunch by
    # its own stalls (it shares the bot's event loop).
    busiest = tg.max_in_window(1.0)
    assert busiest <= RATE * (1 + tg.longest_stall), (busiest, tg.longest_stall)
    # And a user is answered promptly, whatever the broadcast's queue and whichever process
    # sends it (with only its process's share of the rate, replies would queue here).
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    assert p95 < 0.5, latencies[-5:]
