"""Periodic work that fails as a whole (the database away, the disk full) is tried again
less and less often, and said once per kind of failure, not every minute."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Backoff:
    """When to try a failing periodic task again: `base` seconds after the first failure,
    doubling up to `cap`. Times are a monotonic clock's seconds, given by the caller."""

    base: float = 60.0
    cap: float = 3600.0
    failures: int = 0
    next_try: float = 0.0
    last_error: str | None = None

    def ready(self, now: float) -> bool:
        return now >= self.next_try

    def failed(self, now: float, error: str) -> bool:
        """Record a failure; True when it is worth logging (the first, or a different error)."""
        self.failures += 1
        self.next_try = now + min(self.cap, self.base * 2 ** (self.failures - 1))
        worth_saying = error != self.last_error
        self.last_error = error
        return worth_saying

    def succeeded(self) -> bool:
        """Record a success; True when the task was failing until now."""
        recovered = self.failures > 0
        self.failures, self.next_try, self.last_error = 0, 0.0, None
        return recovered

    @property
    def delay(self) -> float:
        return min(self.cap, self.base * 2 ** max(self.failures - 1, 0))
