"""Progress of a long command on standard error: a tqdm bar on a terminal; elsewhere (a log
file, cron, a service's journal) plain lines, `what: done/total unit`, the first step's, then
at most one every `every` seconds, and the last. Imported by the command line only when a
command needs it."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from tqdm import tqdm

LINE_EVERY = 5.0  # seconds between two plain lines


class CommandProgress:
    """A `digests.progress.Progress` for a command; use it as a context manager."""

    def __init__(
        self, what: str, unit: str, *, stream: TextIO | None = None, every: float = LINE_EVERY
    ) -> None:
        self.what, self.unit, self.every = what, unit, every
        self.stream = stream or sys.stderr
        self.total = self.count = 0
        self._bar: tqdm | None = None
        if self.stream.isatty():
            self._bar = tqdm(total=0, desc=what, unit=f" {unit}", file=self.stream, mininterval=0.5)
        self._said: int | None = None  # the count of the last plain line
        self._said_at = 0.0

    def expect(self, count: int) -> None:
        self.total += count
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    def step(self, count: int = 1) -> None:
        self.count += count
        if self._bar is not None:
            self._bar.update(count)
            return
        now = time.monotonic()
        if self._said is None or self.count >= self.total or now - self._said_at >= self.every:
            self._say(now)

    def _say(self, now: float) -> None:
        print(f"{self.what}: {self.count}/{self.total} {self.unit}", file=self.stream, flush=True)
        self._said, self._said_at = self.count, now

    def __enter__(self) -> CommandProgress:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.count and self._said != self.count:  # where it stopped, if not said yet
            self._say(time.monotonic())
