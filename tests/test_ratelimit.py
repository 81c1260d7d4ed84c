"""The send rate shared through PostgreSQL: several gates (as several processes would have)
never exceed the limit together in any one-second window."""

from __future__ import annotations

import asyncio
import time

import pytest

from digests.ratelimit import DatabaseGate, LocalGate
from digests.services import Newsroom
from tests.conftest import make_settings


def max_in_window(stamps: list[float], window: float = 1.0) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def _drain(gate: LocalGate | DatabaseGate, count: int, stamps: list[float]) -> None:
    for _ in range(count):
        await gate.acquire()
        stamps.append(time.monotonic())


@pytest.mark.slow
async def test_three_processes_share_one_rate(pg_database: str) -> None:
    rate = 50.0
    rooms = [Newsroom.open(make_settings(pg_database)) for _ in range(3)]
    try:
        gates = [DatabaseGate(room, rate, name="test-shared") for room in rooms]
        stamps: list[float] = []
        started = time.monotonic()
        await asyncio.gather(*(_drain(g, 40, stamps) for g in gates))
        elapsed = time.monotonic() - started
    finally:
        for room in rooms:
            room.close()
    assert len(stamps) == 120
    assert max_in_window(stamps) <= rate
    # The three together use the shared rate, not three times it, nor much less.
    assert 120 / rate - 0.2 <= elapsed <= 120 / rate * 1.6, elapsed


@pytest.mark.slow
async def test_local_gate_keeps_its_rate() -> None:
    stamps: list[float] = []
    await _drain(LocalGate(40.0), 100, stamps)
    assert max_in_window(stamps) <= 40


def test_database_gate_needs_postgresql(sqlite_url: str) -> None:
    room = Newsroom.open(make_settings(sqlite_url))
    with pytest.raises(ValueError, match="PostgreSQL"):
        DatabaseGate(room, 30.0)
    room.close()


def test_advisory_lock_lets_one_process_in(pg_database: str) -> None:
    from digests.locks import exclusive

    first, second = (Newsroom.open(make_settings(pg_database)) for _ in range(2))
    try:
        with exclusive(first.engine, "dispatch-digests") as mine:
            assert mine
            with exclusive(second.engine, "dispatch-digests") as theirs:
                assert not theirs
        with exclusive(second.engine, "dispatch-digests") as theirs:
            assert theirs  # released when the first process finished
    finally:
        first.close()
        second.close()
