"""PTB's rate limiter for the bot's own requests (replies to commands and buttons, edits),
backed by the process's send gate (`digests.ratelimit.PriorityGate`): replies and deliveries
spend one budget per token, as Telegram counts them, and replies go first.

It keeps what PTB's `AIORateLimiter` kept: requests that name a chat count against the
overall rate, twenty a minute to a group, and a flood wait (RetryAfter) is waited out and the
request tried again. Like `AIORateLimiter`, it does not space messages to one private chat a
second apart: Telegram allows a short burst there, and a reply split into parts should arrive
together, not one part a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.context import BotServices, send_gate
from bot.sender import retry_seconds
from digests.delivery import GROUP_WINDOW
from digests.pacing import SlidingWindows
from digests.ratelimit import Priority, PriorityGate

log = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]

GROUP_PER_MINUTE = 20


class GroupWindows:
    """At most `per_minute` messages to one group in any minute (Telegram's limit); quiet
    groups are forgotten (digests/pacing.py)."""

    def __init__(self, per_minute: int = GROUP_PER_MINUTE) -> None:
        self.windows = SlidingWindows(per_minute, GROUP_WINDOW)

    async def wait(self, group: int | str) -> None:
        """Return when one more message may go to `group`, and count it."""
        while True:
            now = time.monotonic()
            wait = self.windows.wait_time(group, now)
            if wait <= 0:
                self.windows.hit(group, now)
                return
            await asyncio.sleep(wait)


def group_of(chat_id: object) -> int | str | None:
    """The group or channel a request goes to (negative ids, or a channel's @name), else None."""
    if isinstance(chat_id, str):
        try:
            chat_id = int(chat_id)
        except ValueError:
            return chat_id
    return chat_id if isinstance(chat_id, int) and chat_id < 0 else None


class GateRateLimiter(BaseRateLimiter[int]):
    """Paces the Application's requests through the process's send gate, as replies.

    `rate_limit_args`, when a call passes it, is the number of flood waits to sit out before
    giving up (as with `AIORateLimiter`).
    """

    def __init__(self, services: BotServices, *, max_retries: int = 3) -> None:
        self.services = services
        self.max_retries = max_retries
        self.groups = GroupWindows()
        self._gate: PriorityGate | None = None

    async def initialize(self) -> None:
        self._gate = await send_gate(self.services)

    async def shutdown(self) -> None:
        """Nothing to release: the gate is the process's, closed with it (`on_shutdown`)."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        gate = self._gate or await send_gate(self.services)
        chat_id = data.get("chat_id")
        group = group_of(chat_id)
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            # Requests that name no chat (answering a button, the command menu) are not
            # messages and do not count, as with AIORateLimiter.
            if chat_id is not None:
                if group is not None:
                    await self.groups.wait(group)
                await gate.acquire(Priority.REPLY)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                seconds = retry_seconds(exc.retry_after)
                log.info("flood wait of %g s from Telegram on %s", seconds, endpoint)
                # Telegram's flood wait covers the whole bot: deliveries pause too.
                gate.hold(seconds)
                await asyncio.sleep(seconds)
        raise AssertionError("unreachable: the last attempt returns or raises")
