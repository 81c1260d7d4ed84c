"""Per-chat send and command windows kept in memory, bounded whatever the number of chats.

`SlidingWindows` answers "how many times in the last `window` seconds" and "how long until
one more is allowed" for each chat (or user, or group). The delivery engine spaces messages to
a chat and to a group with it, the bot's rate limiter its replies to groups, and the flood
guard counts a user's commands. Memory stays bounded: a chat's entry is forgotten `window`
seconds after its last use (it could no longer hold anything back), and at most `max_keys`
entries are kept, the least recently used dropped first, so a million distinct chats cost no
more than `max_keys` small entries (cachetools' TTLCache does the bookkeeping).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

from cachetools import TTLCache

# More than the chats that can be sent to within a minute at Telegram's 30 messages a second
# (about 1,900), so that no chat still being paced is ever dropped for lack of room.
MAX_KEYS = 8192


class SlidingWindows:
    """At most `per_window` events per key in any `window` seconds. Times are the caller's
    monotonic clock (`time.monotonic()`), passed in so that tests can move them."""

    def __init__(self, per_window: int, window: float, max_keys: int = MAX_KEYS) -> None:
        self.per_window = per_window
        self.window = window
        self._now = 0.0
        # Two more times than the limit are kept: enough to tell "just over" from "still over".
        self._keep = per_window + 2
        self._times: TTLCache[Hashable, deque[float]] = TTLCache(
            max_keys, ttl=window, timer=self._clock
        )

    def _clock(self) -> float:
        return self._now

    def _recent(self, key: Hashable, now: float) -> deque[float] | None:
        self._now = max(self._now, now)
        times = self._times.get(key)
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def wait_time(self, key: Hashable, now: float) -> float:
        """Seconds until one more event for `key` keeps the limit (0 when it may be now)."""
        times = self._recent(key, now)
        if not times or len(times) < self.per_window:
            return 0.0
        return max(0.0, times[-self.per_window] + self.window - now)

    def hit(self, key: Hashable, now: float) -> int:
        """Count an event for `key` now; how many there were in the window, this one
        included (counted up to `per_window` + 2)."""
        times = self._recent(key, now)
        if times is None:
            times = deque(maxlen=self._keep)
        times.append(now)
        self._times[key] = times  # stored again: its time to be forgotten starts anew
        return len(times)

    def __len__(self) -> int:
        """How many keys are remembered."""
        self._times.expire()
        return len(self._times)
