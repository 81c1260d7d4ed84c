"""What the fake Bot API server records and how it fails: sent messages, injected faults,
Telegram's rate limits, and the errors it answers with."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument", "copyMessage"}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        description: str,
        retry_after: int | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after
        self.parameters = parameters or {}


@dataclass
class Sent:
    """One message the bot sent (or copied, or a photo/document)."""

    method: str
    chat_id: int
    message_id: int
    text: str  # visible text (HTML parsed), or the caption
    raw: str  # as the bot sent it
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    time: float
    photo_bytes: int = 0
    data: bytes = b""  # the photo or document itself
    thread_id: int | None = None  # the forum topic it went to


@dataclass
class Fault:
    method: str | None
    status: int
    description: str
    retry_after: int | None
    chat_id: int | None
    count: int


@dataclass
class Limits:
    global_per_second: int = 30
    per_chat_per_second: int = 1
    group_per_minute: int = 20
    window: deque[float] = field(default_factory=deque)
    per_chat: dict[int, deque[float]] = field(default_factory=dict)
