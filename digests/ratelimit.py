"""Pacing the overall send rate.

`LocalGate` paces one process (a leaky bucket). `DatabaseGate` paces any number of processes
sharing one PostgreSQL database: the next free sending slot lives in the `rate_limits` table
and each process reserves a few slots at a time with one atomic UPDATE, timed by the database
server's clock (each process maps that clock onto its own by measuring the offset). Slots are
spaced exactly 1/rate apart, so whatever the number of processes the overall rate never
exceeds the limit; a slot a process reaches late is skipped rather than used late, so late
sends cannot bunch up with timely ones. A dead process reserves nothing. Both gates leave a
small margin under the limit for timer jitter.
"""

from __future__ import annotations

import asyncio
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


# Slots are spaced a little under the limit so that timer jitter cannot make one second hold
# more than the limit: 2% in one process, 5% across processes (which also see network jitter
# between them and the database's clock).
LOCAL_MARGIN = 0.98
SHARED_MARGIN = 0.95
# How late a slot may still be used: timer wake-ups are routinely a millisecond or two late,
# which is harmless; a stall longer than this would turn into a burst, so its slots are skipped.
MAX_LATENESS = 0.01
RECALIBRATE_EVERY = 60.0  # seconds between two measurements of the database clock's offset


class LocalGate:
    """Slots spaced exactly 1/rate apart in this process (no bursts); a slot reached late is
    given up for a fresh one rather than used late."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / (rate * LOCAL_MARGIN)
        self.lateness = max(self.interval / 2, MAX_LATENESS)
        self._next = 0.0

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
            if slot > now:
                await asyncio.sleep(slot - now)
            if time.monotonic() - slot <= self.lateness:
                return


_RESERVE = text(
    """
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
        # About 50 ms of sending per reservation: few database round trips at high rates.
        self.batch = batch or max(1, min(100, int(rate / 20)))
        self._slots: deque[float] = deque()  # monotonic times of reserved slots
        self._lock = asyncio.Lock()
        with session_scope(room.sessions) as session:
            session.execute(_ENSURE, {"name": name})
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

    def _reserve(self) -> list[float]:
        if time.monotonic() - self._calibrated > RECALIBRATE_EVERY:
            self._calibrate()
        span = self.batch * self.interval
        with session_scope(self.room.sessions) as session:
            start = float(session.execute(_RESERVE, {"name": self.name, "span": span}).scalar_one())
        # Slots are absolute times of the database clock, so how long the reply took to come
        # back (commit, thread hand-over) cannot shift this process's slots into others'.
        first = start - self._offset
        return [first + i * self.interval for i in range(self.batch)]

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                if not self._slots:
                    self._slots.extend(await asyncio.to_thread(self._reserve))
                slot = self._slots.popleft()
                wait = slot - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                # A process that stalled (CPU, GC) wakes late: a slot already past by more
                # than half an interval is skipped, so a stall never turns into a burst.
                if time.monotonic() - slot <= self.lateness:
                    return
                # Reached too late: skip it (sending now could bunch up with others' slots).


def gate_for(room: Newsroom) -> RateGate:
    """The gate every sending process uses: shared through the database on PostgreSQL (where
    several processes may send), local on SQLite (one process)."""
    rate = room.settings.send_rate
    if room.engine.dialect.name == "postgresql":
        return DatabaseGate(room, rate)
    return LocalGate(rate)
