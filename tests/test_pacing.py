"""Per-chat state in memory is bounded (digests/pacing.py): however many distinct chats
write or are written to, the windows keep at most a fixed number of entries and forget a chat
once its window has passed; the limits themselves hold as before."""

from __future__ import annotations

from dataclasses import fields

import pytest

from bot.context import FLOOD_LIMIT, BotServices
from digests.delivery import GROUP_WINDOW, _ChatPacer
from digests.pacing import MAX_KEYS, SlidingWindows


def test_a_chat_waits_its_interval_and_a_group_its_minute() -> None:
    pacer = _ChatPacer(interval=1.0, group_per_minute=20)
    pacer.record(42, 100.0)
    assert pacer.wait_time(42, 100.25) == pytest.approx(0.75)
    assert pacer.wait_time(43, 100.25) == 0.0
    for n in range(20):
        pacer.record(-7, 200.0 + 2 * n)
    # The 21st message to the group waits until the first of the twenty leaves the window.
    assert pacer.wait_time(-7, 240.0) == pytest.approx(200.0 + GROUP_WINDOW - 240.0)
    assert pacer.wait_time(-7, 200.0 + GROUP_WINDOW) == 0.0


def test_the_flood_count_says_just_over_once() -> None:
    windows = SlidingWindows(FLOOD_LIMIT, 2.0)
    counts = [windows.hit(5, 10.0 + i * 0.01) for i in range(30)]
    assert counts[:FLOOD_LIMIT] == list(range(1, FLOOD_LIMIT + 1))
    assert counts.count(FLOOD_LIMIT + 1) == 1  # the user is told once
    assert all(c > FLOOD_LIMIT + 1 for c in counts[FLOOD_LIMIT + 1 :])
    assert windows.hit(5, 20.0) == 1  # quiet for the window: a fresh start


def test_many_distinct_chats_keep_at_most_the_cap_and_are_forgotten() -> None:
    windows = SlidingWindows(20, GROUP_WINDOW, max_keys=1000)
    for chat in range(50_000):  # all within one window
        windows.hit(chat, 1.0 + chat * 1e-6)
        assert len(windows._times) <= 1000
    assert len(windows) == 1000
    # The most recent chats are the ones kept, still paced.
    assert windows.wait_time(49_999, 2.0) == 0.0 and windows.hit(49_999, 2.0) == 2
    windows.hit(1, 1.0 + GROUP_WINDOW + 5)  # a window later: everyone else forgotten
    assert len(windows) == 1


@pytest.mark.slow
def test_a_million_chats_through_the_bot_s_structures_stay_bounded() -> None:
    """The flood guard's windows (one per user) and the delivery engine's (one per chat)."""
    (field,) = [f for f in fields(BotServices) if f.name == "recent_commands"]
    assert callable(field.default_factory)
    flood = field.default_factory()
    pacer = _ChatPacer(interval=1.0, group_per_minute=20)
    for chat in range(1_000_000):
        now = chat * 1e-7  # a million within a tenth of a second: no entry has expired yet
        flood.hit(chat, now)
        pacer.record(-chat - 1, now)
    assert len(flood) == len(pacer.chats) == len(pacer.groups) == MAX_KEYS
