"""The delivery engine: ledger rows go queued -> sending -> sent | blocked | failed.

A row is marked `sending` (claimed) before any call and updated after each message part, so
a crash loses nothing and can at most repeat the part that was in flight. Telegram's rules:
an overall rate (30/s by default, up to 1000/s for paid broadcasts), one message a second per
chat, twenty a minute per group; RetryAfter is obeyed exactly (the whole engine waits);
blocked/deactivated/kicked marks the subscriber inactive and is never retried; a rejected
message (400) is failed at once; network faults and 5xx are retried with backoff, then failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from digests.config import Settings
from digests.messages import Buttons, MessagePart
from digests.pacing import SlidingWindows
from digests.ratelimit import LocalGate, RateGate
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository, NewDelivery
from digests.store.models import Delivery, DeliveryKind, DeliveryState
from digests.store.subscribers import SubscriberRepository

log = logging.getLogger(__name__)


# -- what a sender may say ---------------------------------------------------------------
class SendError(Exception):
    """A message could not be sent; subclasses say what to do about it."""


class Blocked(SendError):
    """The chat is gone for us: bot blocked, user deactivated, bot kicked (403)."""


class Moved(SendError):
    """The group became a supergroup with a new id: the chat moves there and the message is
    sent again to the new id."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"group moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class ThreadGone(SendError):
    """The forum topic the message was for is deleted or closed: the chat falls back to its
    General topic and the message goes there."""


class RetryAfter(SendError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds:g} s")
        self.seconds = seconds


class Rejected(SendError):
    """Telegram refused this message (400): retrying would not help."""


class Transient(SendError):
    """Network fault or server error: worth trying again later."""


class _Withdrawn(Exception):
    """The row's broadcast was cancelled while it waited for its turn."""


class Sender(Protocol):
    async def send(
        self, chat_id: int, text: str, buttons: Buttons = (), thread_id: int | None = None
    ) -> int:
        """Send one HTML message (with inline buttons, if any; into a forum topic, if given);
        returns its message id."""
        ...

    async def copy(
        self, chat_id: int, from_chat_id: int, message_id: int, thread_id: int | None = None
    ) -> int:
        """Copy a message (formatting, photos) to `chat_id`; returns the new message id."""
        ...

    async def send_photo(
        self, chat_id: int, png: bytes, caption: str, thread_id: int | None = None
    ) -> int:
        """Send a photo with an HTML caption (into a forum topic, if given); returns its
        message id."""
        ...


@dataclass(slots=True)
class DeliveryPolicy:
    rate: float = 30.0  # messages a second, overall
    per_chat_interval: float = 1.05  # seconds between two messages to one chat (5% margin)
    group_per_minute: int = 20
    max_attempts: int = 5
    backoff_initial: float = 5.0
    backoff_max: float = 600.0
    batch: int = 200
    stale_after: timedelta = timedelta(minutes=5)
    # Sends awaiting Telegram's answer at once (SEND_CONNECTIONS, the sender's connections). A
    # send takes its rate slot only once it can go out: queued behind busy connections, sends
    # would leave in a burst when slow answers come back, above the rate their slots kept.
    in_flight: int = 8

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DeliveryPolicy:
        """The configured send rate (SEND_RATE) and connections (SEND_CONNECTIONS)."""
        return cls(rate=settings.send_rate, in_flight=settings.send_connections, **overrides)


@dataclass(slots=True)
class DeliveryOutcome:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0


MARK_BATCH = 50  # "sent" marks written together
MARK_EVERY = 0.2  # seconds: marks are never older than this before being written
GROUP_WINDOW = 63.0  # a minute, with the same 5% margin as the other limits


def _messages(row: Delivery) -> int:
    """How many messages a row sends: its parts, or the one message it copies."""
    return 1 if row.copy_message_id is not None else len(row.parts)


class _ChatPacer:
    """Per-chat spacing: one message a second to a chat, twenty a minute to a group; what it
    remembers of each chat is bounded (digests/pacing.py)."""

    def __init__(self, interval: float, group_per_minute: int) -> None:
        self.chats = SlidingWindows(1, interval)
        self.groups = SlidingWindows(group_per_minute, GROUP_WINDOW)

    def wait_time(self, chat_id: int, now: float) -> float:
        wait = self.chats.wait_time(chat_id, now)
        if chat_id < 0:  # groups and channels have negative ids
            wait = max(wait, self.groups.wait_time(chat_id, now))
        return wait

    def record(self, chat_id: int, now: float) -> None:
        self.chats.hit(chat_id, now)
        if chat_id < 0:
            self.groups.hit(chat_id, now)


class DeliveryEngine:
    """Sends what the ledger has queued. One per process; `worker` names it in the ledger."""

    def __init__(
        self,
        room: Newsroom,
        sender: Sender,
        *,
        worker: str,
        policy: DeliveryPolicy | None = None,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
        gate: RateGate | None = None,
        on_thread_gone: Callable[[int, str], Awaitable[None]] | None = None,
    ) -> None:
        self.room = room
        self.sender = sender
        self.worker = worker
        self.policy = policy or DeliveryPolicy.from_settings(room.settings)
        self.gate = gate or LocalGate(self.policy.rate)
        self.pacer = _ChatPacer(self.policy.per_chat_interval, self.policy.group_per_minute)
        self._in_flight = asyncio.Semaphore(self.policy.in_flight)
        self._resume_at = 0.0  # monotonic time before which nothing is sent (RetryAfter)
        self.on_blocked = on_blocked
        self.on_thread_gone = on_thread_gone
        # (chat, forum topic) found deleted or closed by this engine: sent to General instead.
        self._gone_threads: set[tuple[int, int | None]] = set()
        self._cancelled: set[int] = set()
        self._cancelled_checked = 0.0
        self._next_takeover = 0.0
        # "Sent" marks are written in batches: one statement for many messages. A crash can
        # repeat the messages whose mark was not yet written (they count as in flight).
        self._marks: list[dict[str, object]] = []
        self._marks_written = time.monotonic()
        self._marks_lock = asyncio.Lock()

    # -- ledger transactions (run in a thread) -------------------------------------------
    def _claim(self) -> list[Delivery]:
        # About two seconds of sending per claim, so that other processes get their share and
        # a cancelled broadcast stops quickly.
        batch = min(self.policy.batch, max(10, int(self.policy.rate * 2)))
        with session_scope(self.room.sessions) as session:
            return DeliveryRepository(session).claim(self.worker, self.room.clock.now(), batch)

    async def _is_cancelled(self, broadcast_id: int) -> bool:
        """Whether an admin cancelled this broadcast (checked at most twice a second)."""
        now = time.monotonic()
        if now - self._cancelled_checked > 0.5:
            self._cancelled_checked = now

            def query() -> set[int]:
                with session_scope(self.room.sessions) as session:
                    return DeliveryRepository(session).cancelled_broadcasts()

            self._cancelled = await asyncio.to_thread(query)
        return broadcast_id in self._cancelled

    def recover(self, own: bool = True) -> int:
        """Rows left 'sending' by a dead process (claimed longer than `stale_after` ago) go
        back to the queue; with `own` (on start) also this worker's, left by its last run."""
        with session_scope(self.room.sessions) as session:
            count = DeliveryRepository(session).recover(
                self.room.clock.now(), self.policy.stale_after, self.worker if own else None
            )
        if count:
            log.info("resumed %d deliveries left in flight", count)
        return count

    async def take_over_stale(self) -> int:
        """Every half `stale_after`, put back in the queue what dead processes left 'sending'
        (called by every sending process, so no single one has to survive)."""
        now = time.monotonic()
        if now < self._next_takeover:
            return 0
        self._next_takeover = now + self.policy.stale_after.total_seconds() / 2
        return await asyncio.to_thread(self.recover, False)

    def _update(self, delivery_id: int, **values: object) -> None:
        with session_scope(self.room.sessions) as session:
            row = DeliveryRepository(session).get(delivery_id)
            if row is None:
                return
            for name, value in values.items():
                setattr(row, name, value)

    async def _mark(self, values: dict[str, object]) -> None:
        self._marks.append(values)
        if len(self._marks) >= MARK_BATCH or time.monotonic() - self._marks_written > MARK_EVERY:
            await self.write_marks()

    async def write_marks(self) -> None:
        async with self._marks_lock:
            marks, self._marks = self._marks, []
            self._marks_written = time.monotonic()
            if marks:
                await asyncio.to_thread(self._write_marks, marks)

    def _write_marks(self, marks: list[dict[str, object]]) -> None:
        with session_scope(self.room.sessions) as session:
            DeliveryRepository(session).mark_progress(marks)

    def _blocked(self, delivery_id: int, chat_id: int, reason: str) -> None:
        """The chat is unreachable: the row ends blocked and the chat pauses. A digest that
        could not go leaves its news for the next one, once the chat is back (within
        DIGEST_MAX_AGE): the chat's last digest is the last one that was sent."""
        with session_scope(self.room.sessions) as session:
            ledger, subscribers = DeliveryRepository(session), SubscriberRepository(session)
            row = ledger.get(delivery_id)
            if row is not None:
                row.state, row.last_error = DeliveryState.BLOCKED, reason[:2000]
                if row.kind is DeliveryKind.DIGEST and row.subscriber_id is not None:
                    subscriber = subscribers.get(chat_id)
                    if subscriber is not None:
                        subscriber.last_digest_at = ledger.last_sent_digest_at(row.subscriber_id)
            subscribers.deactivate(chat_id, reason)

    def _thread_gone(self, row: Delivery) -> None:
        """The chat's topic is gone: the chat falls back to its General topic, with what is
        queued for it, and this row goes back to the queue for it."""
        with session_scope(self.room.sessions) as session:
            SubscriberRepository(session).drop_thread(row.chat_id)
            again = DeliveryRepository(session).get(row.id)
            if again is not None:
                again.state, again.claimed_by = DeliveryState.QUEUED, None
                again.next_attempt_at = self.room.clock.now()

    def _moved(self, row: Delivery, new_chat_id: int) -> None:
        """The chat moves with its settings; this row goes back to the queue, to the new id."""
        with session_scope(self.room.sessions) as session:
            SubscriberRepository(session).move(row.chat_id, new_chat_id)
            moved = DeliveryRepository(session).get(row.id)
            if moved is not None:
                moved.chat_id, moved.state, moved.claimed_by = (
                    new_chat_id,
                    DeliveryState.QUEUED,
                    None,
                )
                moved.next_attempt_at = self.room.clock.now()

    # -- sending -------------------------------------------------------------------------
    async def _wait_for_chat(self, chat_id: int) -> None:
        """Until this chat may receive again and no flood wait is on."""
        while True:
            now = time.monotonic()
            wait = max(self._resume_at - now, self.pacer.wait_time(chat_id, now))
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def _send_part(self, row: Delivery, index: int) -> int:
        thread = row.message_thread_id
        if (row.chat_id, thread) in self._gone_threads:
            thread = None  # found gone while this row waited: the General topic
        if row.copy_from_chat_id is not None and row.copy_message_id is not None:
            return await self.sender.copy(
                row.chat_id, row.copy_from_chat_id, row.copy_message_id, thread
            )
        part = MessagePart.from_json(row.parts[index])
        if part.photo:
            return await self.sender.send_photo(row.chat_id, part.photo_bytes, part.text, thread)
        return await self.sender.send(row.chat_id, part.text, part.buttons, thread)

    def _backoff(self, attempts: int) -> timedelta:
        seconds = min(self.policy.backoff_max, self.policy.backoff_initial * 2 ** (attempts - 1))
        return timedelta(seconds=seconds)

    async def _send_with_flood_wait(self, row: Delivery, index: int) -> int:
        """Send one part; on RetryAfter the whole engine pauses exactly that long, then the
        same part is tried again (up to `max_attempts` flood waits)."""
        for _ in range(self.policy.max_attempts):
            await self._wait_for_chat(row.chat_id)
            async with self._in_flight:
                await self.gate.acquire()
                self.pacer.record(row.chat_id, time.monotonic())
                # Checked last: a cancel pressed while this send waited for its turn counts.
                if row.broadcast_id is not None and await self._is_cancelled(row.broadcast_id):
                    raise _Withdrawn
                try:
                    return await self._send_part(row, index)
                except RetryAfter as exc:
                    # Telegram's flood control covers the whole bot: everyone waits.
                    self._resume_at = max(self._resume_at, time.monotonic() + exc.seconds)
                    self.room.metrics.flood_wait(exc.seconds)
                    log.info("flood wait of %g s from Telegram", exc.seconds)
                    last = exc
        raise last

    async def deliver(self, row: Delivery, outcome: DeliveryOutcome) -> None:
        """Send the remaining parts of one claimed row and record what happened."""
        attempts = row.attempts + 1
        index = row.parts_sent
        messages = _messages(row)
        try:
            while index < messages:
                message_id = await self._send_with_flood_wait(row, index)
                self.room.metrics.message_sent(row.kind.value)
                index += 1
                done = index >= messages
                await self._mark(
                    {
                        "delivery_id": row.id,
                        "parts_sent": index,
                        "telegram_message_id": message_id,
                        "state": DeliveryState.SENT if done else DeliveryState.SENDING,
                        "sent_at": self.room.clock.now() if done else None,
                        "attempts": attempts,
                    }
                )
            outcome.sent += 1
        except _Withdrawn:
            return  # its broadcast was cancelled; the row is already marked cancelled
        except Blocked as exc:
            await self.write_marks()  # earlier parts' marks first, the final state last
            log.info("chat %s unreachable: %s", row.chat_id, exc)
            self.room.metrics.chat_blocked()
            await asyncio.to_thread(self._blocked, row.id, row.chat_id, str(exc))
            outcome.blocked += 1
            if self.on_blocked:
                await self.on_blocked(row.chat_id)
        except ThreadGone as exc:
            await self.write_marks()
            log.info("topic %s of %s is gone (%s)", row.message_thread_id, row.chat_id, exc)
            self._gone_threads.add((row.chat_id, row.message_thread_id))
            await asyncio.to_thread(self._thread_gone, row)
            outcome.retried += 1
            if self.on_thread_gone:
                await self.on_thread_gone(row.chat_id, str(exc))
        except Moved as exc:
            await self.write_marks()
            log.info("chat %s moved to %s", row.chat_id, exc.new_chat_id)
            await asyncio.to_thread(self._moved, row, exc.new_chat_id)
            outcome.retried += 1
        except RetryAfter as exc:
            await self.write_marks()
            await asyncio.to_thread(
                self._update,
                row.id,
                state=DeliveryState.QUEUED,
                claimed_by=None,
                next_attempt_at=self.room.clock.now() + timedelta(seconds=exc.seconds),
                last_error=str(exc),
            )
            outcome.retried += 1
        except Rejected as exc:
            await self.write_marks()
            log.warning("message to %s rejected: %s", row.chat_id, exc)
            await asyncio.to_thread(
                self._update,
                row.id,
                state=DeliveryState.FAILED,
                attempts=attempts,
                last_error=str(exc)[:2000],
            )
            outcome.failed += 1
        except Transient as exc:
            await self.write_marks()
            if attempts >= self.policy.max_attempts:
                log.warning("giving up on message to %s: %s", row.chat_id, exc)
                state, when = DeliveryState.FAILED, self.room.clock.now()
                outcome.failed += 1
            else:
                state, when = DeliveryState.QUEUED, self.room.clock.now() + self._backoff(attempts)
                outcome.retried += 1
            await asyncio.to_thread(
                self._update,
                row.id,
                state=state,
                attempts=attempts,
                claimed_by=None,
                next_attempt_at=when,
                last_error=str(exc)[:2000],
            )

    async def run_once(self) -> DeliveryOutcome:
        """Claim one batch and send it; rows to different chats go concurrently."""
        outcome = DeliveryOutcome()
        rows = await asyncio.to_thread(self._claim)
        if not rows:
            return outcome
        by_chat: dict[int, list[Delivery]] = {}
        for row in rows:
            by_chat.setdefault(row.chat_id, []).append(row)

        async def chat_queue(chat_rows: list[Delivery]) -> None:
            for row in chat_rows:
                await self.deliver(row, outcome)

        await asyncio.gather(*(chat_queue(r) for r in by_chat.values()))
        await self.write_marks()
        return outcome

    async def run_until_idle(
        self, max_rounds: int = 10_000, keep_going: Callable[[], bool] | None = None
    ) -> DeliveryOutcome:
        """Send until nothing due is left (rows waiting for a later retry are left queued).

        `keep_going` is asked before each batch (a couple of seconds of sending): a process
        that is shutting down stops there instead of draining the whole queue first.
        """
        total = DeliveryOutcome()
        for _ in range(max_rounds):
            if keep_going is not None and not keep_going():
                break
            outcome = await self.run_once()
            total.sent += outcome.sent
            total.blocked += outcome.blocked
            total.failed += outcome.failed
            total.retried += outcome.retried
            if not (outcome.sent or outcome.blocked or outcome.failed or outcome.retried):
                break
        return total


def enqueue(room: Newsroom, deliveries: Sequence[NewDelivery]) -> list[int]:
    """Queue these messages in the ledger, due now (one transaction); returns their ids."""
    with session_scope(room.sessions) as session:
        return DeliveryRepository(session).queue(deliveries, room.clock.now(), return_ids=True)


def outcome_of(room: Newsroom, ids: Sequence[int]) -> dict[DeliveryState, int]:
    """How many of these deliveries are in each state."""
    with session_scope(room.sessions) as session:
        return DeliveryRepository(session).states_of(ids)
