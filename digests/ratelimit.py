"""Pacing the overall send rate: one budget per bot token.

`LocalGate` paces one process (a leaky bucket). `DatabaseGate` paces any number of processes
sharing one PostgreSQL database: the next free sending slot lives in the `rate_limits` table
and each process reserves a few slots at a time with one atomic UPDATE, timed by the database
server's clock (each process maps that clock onto its own by measuring the offset). Slots are
spaced exactly 1/rate apart, so whatever the number of processes the overall rate never
exceeds the limit; a slot a process reaches late is skipped rather than used late, so late
sends cannot bunch up with timely ones. A dead process reserves nothing. Both gates leave a
small margin under the limit for timer jitter.

`PriorityGate` hands one of those slot sources' slots to whoever should have it when the slot
comes: a reply to a user before a bulk send (digests, broadcasts). Telegram counts both
against the same limit, so they must share one budget; a process has one `PriorityGate`, used
by its delivery engine and by the bot's rate limiter for replies. Across processes, bulk
reservations give way while another process has replies waiting.

In one process (`LocalGate`), a reply need not wait for the next evenly spaced slot: the gate
also counts what it let through in the trailing second, and a reply goes at once while that
second has room. Every send, slotted or not, is checked against that count when it goes, so
no one-second window ever holds more than the limit (less the margin).

Infrastructure, not a repository: `DatabaseGate` runs its own SQL (one atomic UPDATE per
reservation, in a short transaction of its own), so tests/test_layers.py names this module as
one of the two outside `digests/store/` allowed to.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections import deque
from typing import Protocol

from sqlalchemy import text

from digests.services import Newsroom
from digests.store.db import session_scope


class RateGate(Protocol):
    async def acquire(self) -> None:
        """Return when one more message may be sent."""
        ...


class Priority(enum.IntEnum):
    """Who is waiting for a slot."""

    REPLY = 0  # someone waiting for the bot's answer
    BULK = 1  # the ledger: digests, broadcasts


class SlotSource(Protocol):
    """Where sending slots come from: this process's clock, or the database's shared one."""

    interval: float  # seconds between two slots
    lateness: float  # how long after its time a slot may still be used

    async def next_slot(self, priority: Priority = Priority.BULK) -> float | None:
        """The `time.monotonic()` time of the next slot reserved for this process (it may have
        passed already: whoever uses it checks `lateness`), for a send of `priority`; None
        when a bulk send should give way (replies wait elsewhere) and ask again a little later."""
        ...

    def claim_now(self) -> bool:
        """Take one send now, outside the schedule of slots, if this source can tell that the
        trailing second has room for it (and count it); False when it cannot tell."""
        ...

    def confirm(self) -> bool:
        """Whether a slot just reached may be used (and count it)."""
        ...


# Slots are spaced a little under the limit so that timer jitter cannot make one second hold
# more than the limit: 2% in one process, 5% across processes (which also see network jitter
# between them and the database's clock).
LOCAL_MARGIN = 0.98
SHARED_MARGIN = 0.95
# While replies and bulk sends both wait, one slot in this many still goes to a bulk send. A
# crowd of commands must not stop the ledger outright: its claimed rows would sit 'sending'
# until other processes took them over as stale, and sent them twice.
BULK_EVERY = 10
# How late a slot may still be used: timer wake-ups are routinely a millisecond or two late,
# which is harmless; a stall longer than this would turn into a burst, so its slots are skipped.
MAX_LATENESS = 0.01
# A slot computed as "one second after that send" lands a hair later, so that the float
# subtraction made when it comes cannot find the second a hair short of full.
_ROUNDING = 1e-6
RECALIBRATE_EVERY = 60.0  # seconds between two measurements of the database clock's offset


async def _wait_for(slot: float, lateness: float) -> bool:
    """Sleep until `slot`; whether it may still be used. A process that stalled (CPU, GC) wakes
    late: a slot already past by more than `lateness` is skipped, so a stall never turns into
    a burst (sending now could bunch up with the next slots, or with other processes')."""
    wait = slot - time.monotonic()
    if wait > 0:
        await asyncio.sleep(wait)
    return time.monotonic() - slot <= lateness


class LocalGate:
    """Slots spaced at least 1/rate apart in this process (no bursts); a slot reached late is
    given up for a fresh one rather than used late. It also keeps the times of the sends it let
    through in the trailing second: a send goes only while fewer than `capacity` went in that
    second, so a reply may go at once (`claim_now`) without ever crowding a second, and no slot
    is set where that second is already full (it is set when the second's oldest send leaves)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / (rate * LOCAL_MARGIN)
        self.lateness = max(self.interval / 2, MAX_LATENESS)
        self.capacity = max(1, int(rate * LOCAL_MARGIN))  # sends in any one second
        self._next = 0.0
        self._sent: deque[float] = deque()  # monotonic times of the trailing second's sends
        # One sender at a time picks its slot: a slot set while earlier ones still waited for
        # theirs could not see the trailing second fill up, and would be given up.
        self._lock = asyncio.Lock()

    async def next_slot(self, priority: Priority = Priority.BULK) -> float | None:
        # Never a slot at which the trailing second is already known to be full: slots spaced
        # 1/rate apart hold one send more than `capacity` in some seconds, and a slot found
        # full when it comes is given up, which cost a whole interval (3% at 30/s).
        now = time.monotonic()
        slot = max(self._next, now)
        sent = self._trim(now)
        if len(sent) >= self.capacity:
            slot = max(slot, sent[-self.capacity] + 1.0 + _ROUNDING)
        self._next = slot + self.interval
        return slot

    def _trim(self, now: float) -> deque[float]:
        """The sends of the second before `now`."""
        sent = self._sent
        while sent and now - sent[0] >= 1.0:
            sent.popleft()
        return sent

    def claim_now(self) -> bool:
        now = time.monotonic()
        sent = self._trim(now)
        if len(sent) >= self.capacity:
            return False
        sent.append(now)
        return True

    def confirm(self) -> bool:
        return self.claim_now()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                slot = await self.next_slot()
                if slot is not None and await _wait_for(slot, self.lateness) and self.confirm():
                    return


# A bulk reservation gives way while another process has replies waiting (its row
# `<name>:replies` holds until when), unless `force` (the bulk sends' minimum share).
_RESERVE_BULK = text(
    """
    UPDATE rate_limits
       SET next_slot = GREATEST(next_slot, clock_timestamp()) + make_interval(secs => :span)
     WHERE name = :name
       AND (:force OR NOT EXISTS (
            SELECT FROM rate_limits WHERE name = :replies AND next_slot > clock_timestamp()))
    RETURNING EXTRACT(EPOCH FROM next_slot - make_interval(secs => :span))
    """
)
# A reservation for replies says so for `lease` seconds (renewed by the next one).
_RESERVE_REPLY = text(
    """
    WITH waiting AS (
        UPDATE rate_limits SET next_slot = clock_timestamp() + make_interval(secs => :lease)
         WHERE name = :replies
    )
    UPDATE rate_limits
       SET next_slot = GREATEST(next_slot, clock_timestamp()) + make_interval(secs => :span)
     WHERE name = :name
    RETURNING EXTRACT(EPOCH FROM next_slot - make_interval(secs => :span))
    """
)
_DB_NOW = text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")
_ENSURE = text(
    "INSERT INTO rate_limits (name, next_slot) VALUES (:name, clock_timestamp()) "
    "ON CONFLICT (name) DO NOTHING"
)


class DatabaseGate:
    def __init__(self, room: Newsroom, rate: float, name: str = "telegram", batch: int = 0) -> None:
        if room.engine.dialect.name != "postgresql":
            raise ValueError("a shared rate needs PostgreSQL")
        self.room = room
        self.name = name
        self.interval = 1.0 / (rate * SHARED_MARGIN)
        self.lateness = max(self.interval / 2, MAX_LATENESS)
        # About 10 ms of sending per reservation. A reservation's slots are this process's
        # alone, at the full rate: a process that cannot send that fast while they last loses
        # the ones it reaches late, and the others cannot have them. With 50 ms batches two
        # workers sent no more than one, skipping two slots in three (bench/fanout_paid.py).
        self.batch = batch or max(1, min(100, int(rate / 100)))
        self._slots: deque[float] = deque()  # monotonic times of reserved slots
        self._lock = asyncio.Lock()
        self.replies = f"{name}:replies"
        # Long enough to cover the moments between two replies' reservations.
        self.lease = max(0.1, 2 * self.batch * self.interval)
        self._gave_way = 0  # bulk reservations refused in a row
        with session_scope(room.sessions) as session:
            for row in (name, self.replies):
                session.execute(_ENSURE, {"name": row})
        self._offset = self._calibrated = 0.0
        self._calibrate()

    def _calibrate(self) -> None:
        """Map the database clock onto this process's monotonic clock: of a few round trips,
        the quickest bounds the error best (NTP's idea, on a small scale)."""
        best_rtt, offset = float("inf"), 0.0
        with self.room.engine.connect() as connection:
            for _ in range(5):
                before = time.monotonic()
                db_now = float(connection.execute(_DB_NOW).scalar_one())
                after = time.monotonic()
                if after - before < best_rtt:
                    best_rtt, offset = after - before, db_now - (before + after) / 2
        self._offset, self._calibrated = offset, time.monotonic()

    def _reserve(self, priority: Priority) -> list[float]:
        if time.monotonic() - self._calibrated > RECALIBRATE_EVERY:
            self._calibrate()
        span = self.batch * self.interval
        names = {"name": self.name, "replies": self.replies, "span": span}
        with session_scope(self.room.sessions) as session:
            if priority is Priority.REPLY:
                found = session.execute(_RESERVE_REPLY, {**names, "lease": self.lease})
            else:
                force = self._gave_way >= BULK_EVERY - 1
                found = session.execute(_RESERVE_BULK, {**names, "force": force})
            value = found.scalar_one_or_none()
        if value is None:
            self._gave_way += 1
            return []
        self._gave_way = 0
        start = float(value)
        # Slots are absolute times of the database clock, so how long the reply took to come
        # back (commit, thread hand-over) cannot shift this process's slots into others'.
        first = start - self._offset
        return [first + i * self.interval for i in range(self.batch)]

    async def next_slot(self, priority: Priority = Priority.BULK) -> float | None:
        if not self._slots:
            self._slots.extend(await asyncio.to_thread(self._reserve, priority))
            if not self._slots:  # gave way to replies waiting in another process
                await asyncio.sleep(self.batch * self.interval)
                return None
        return self._slots.popleft()

    def claim_now(self) -> bool:
        """Other processes' sends are not seen here: every send waits for a reserved slot."""
        return False

    def confirm(self) -> bool:
        """A reserved slot is this process's alone."""
        return True

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                slot = await self.next_slot()
                if slot is not None and await _wait_for(slot, self.lateness):
                    return


class PriorityGate:
    """One process's share of the send budget, with two priorities: each slot of `slots` goes,
    when it comes, to the oldest waiting reply, else to the oldest waiting bulk send (and to a
    bulk send at least every `bulk_every` slots when both wait).

    Why priorities rather than a share of the budget set aside for replies: a reserved share
    is lost to broadcasts whenever nobody is typing (most of the time), and is still too small
    at a busy minute. Here bulk sends get every slot nobody is waiting for, and a reply waits
    about one slot, whatever the length of the queue, since the choice is made when the slot
    comes rather than when the wait begins. Where the slot source can tell that the trailing
    second has room (`LocalGate.claim_now`), a reply with no reply queued before it does not
    wait at all; it still counts toward the bulk sends' minimum share.

    Across processes (`DatabaseGate`), a process with replies waiting reserves its slots as
    replies and marks that in the database for a moment; meanwhile the other processes' bulk
    reservations give way (but for their minimum share, one try in `BULK_EVERY`). Each
    process reserves only one batch ahead (about 50 ms, one slot at low rates), so a reply
    waits for at most one batch of each other sending process, instead of getting only its
    process's share of the rate.
    """

    def __init__(self, slots: SlotSource, *, bulk_every: int = BULK_EVERY) -> None:
        self.slots = slots
        self.bulk_every = bulk_every
        self._waiting: dict[Priority, deque[asyncio.Future[None]]] = {p: deque() for p in Priority}
        self._replies_in_a_row = 0  # slots given to replies while bulk sends waited
        self._held_until = 0.0
        self._pump: asyncio.Task[None] | None = None

    async def acquire(self, priority: Priority = Priority.BULK) -> None:
        """Return when one more message may be sent (bulk unless said otherwise)."""
        if priority is Priority.REPLY and self._may_go_now():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[priority].append(waiter)
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._hand_out(), name="send-gate")
        # A waiter cancelled meanwhile is cancelled with its task, and skipped.
        await waiter

    def hold(self, seconds: float) -> None:
        """Give no slot to anyone in this process for `seconds` (Telegram's flood wait covers
        the whole bot, replies and deliveries alike)."""
        self._held_until = max(self._held_until, time.monotonic() + seconds)

    async def aclose(self) -> None:
        """Stop handing out slots; whoever still waits is cancelled."""
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        for queue in self._waiting.values():
            while queue:
                queue.popleft().cancel()

    def _may_go_now(self) -> bool:
        """A reply goes at once, outside the slots, when no reply queued before it, no flood
        wait holds, bulk sends are not owed their share, and the trailing second has room."""
        if self._replies_waiting() or time.monotonic() < self._held_until:
            return False
        bulk_waits = bool(self._waiting[Priority.BULK])
        if bulk_waits and self._replies_in_a_row >= self.bulk_every - 1:
            return False
        if not self.slots.claim_now():
            return False
        self._replies_in_a_row = self._replies_in_a_row + 1 if bulk_waits else 0
        return True

    def _anyone_waiting(self) -> bool:
        for queue in self._waiting.values():
            while queue and queue[0].done():  # cancelled while waiting
                queue.popleft()
        return any(self._waiting.values())

    def _replies_waiting(self) -> bool:
        return self._anyone_waiting() and bool(self._waiting[Priority.REPLY])

    def _choose(self) -> asyncio.Future[None] | None:
        if not self._anyone_waiting():
            return None
        replies, bulk = self._waiting[Priority.REPLY], self._waiting[Priority.BULK]
        if replies and not (bulk and self._replies_in_a_row >= self.bulk_every - 1):
            self._replies_in_a_row = self._replies_in_a_row + 1 if bulk else 0
            return replies.popleft()
        self._replies_in_a_row = 0
        return bulk.popleft() if bulk else None

    async def _hand_out(self) -> None:
        """Runs while anyone waits: waits for the next slot, then gives it to whoever should
        have it by then."""
        try:
            while self._anyone_waiting():
                held = self._held_until - time.monotonic()
                if held > 0:
                    await asyncio.sleep(held)
                    continue
                # Asked for a reply when one waits: across processes that makes bulk senders
                # give way (the choice of waiter is still made when the slot comes).
                wanted = Priority.REPLY if self._replies_waiting() else Priority.BULK
                slot = await self.slots.next_slot(wanted)
                if slot is None or not await _wait_for(slot, self.slots.lateness):
                    continue
                if time.monotonic() < self._held_until:
                    continue
                if not self._anyone_waiting() or not self.slots.confirm():
                    continue  # nobody left, or the trailing second is full: the slot goes unused
                waiter = self._choose()
                if waiter is not None:
                    waiter.set_result(None)
        except Exception as exc:  # the database unreachable, say: every waiter hears of it
            for queue in self._waiting.values():
                while queue:
                    waiter = queue.popleft()
                    if not waiter.done():
                        waiter.set_exception(exc)


def gate_for(room: Newsroom) -> PriorityGate:
    """The gate a process sends through (one per process, replies and deliveries together):
    shared through the database on PostgreSQL (where several processes may send), local on
    SQLite (one process)."""
    rate = room.settings.send_rate
    slots: SlotSource
    if room.engine.dialect.name == "postgresql":
        slots = DatabaseGate(room, rate)
    else:
        slots = LocalGate(rate)
    return PriorityGate(slots)
