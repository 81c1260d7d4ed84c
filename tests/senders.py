"""A scripted implementation of the delivery engine's Sender protocol, for domain tests of
the engine (the end-to-end tests use the real TelegramSender against the fake Bot API)."""

from __future__ import annotations

import asyncio

from digests.delivery import Blocked
from digests.messages import Buttons


class ScriptedSender:
    """Records sends; answers with scripted faults per chat (a list consumed in order)."""

    def __init__(self, faults: dict[int, list[Exception]] | None = None) -> None:
        self.faults = faults or {}
        self.sent: list[tuple[int, str]] = []
        self.next_id = 1

    async def send(
        self, chat_id: int, text: str, buttons: Buttons = (), thread_id: int | None = None
    ) -> int:
        await asyncio.sleep(0)
        script = self.faults.get(chat_id)
        if script:
            fault = script.pop(0) if not isinstance(script[0], Blocked) else script[0]
            raise fault
        self.sent.append((chat_id, text))
        self.next_id += 1
        return self.next_id

    async def copy(
        self, chat_id: int, from_chat_id: int, message_id: int, thread_id: int | None = None
    ) -> int:
        return await self.send(chat_id, f"copy of {from_chat_id}/{message_id}")

    async def send_photo(
        self, chat_id: int, png: bytes, caption: str, thread_id: int | None = None
    ) -> int:
        return await self.send(chat_id, f"photo of {len(png)} bytes: {caption}", (), thread_id)
