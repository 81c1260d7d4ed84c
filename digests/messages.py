"""A message as the ledger keeps it: Telegram HTML and, optionally, inline buttons.

Stored in a delivery row's `parts` (JSON): a plain string when the part has no buttons (as
every part was before buttons existed), else an object with the text and the button rows
(each button `[label, callback data]`, or `[label, inline query, "share"]`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: its label and its callback data (at most 64 bytes); or, with `share`,
    a button that opens the chat picker with `@bot <data>` typed (inline mode)."""

    text: str
    data: str
    share: bool = False


SHARE = "share"  # the third element of a stored share button
Buttons = tuple[tuple[Button, ...], ...]  # rows of buttons


@dataclass(frozen=True, slots=True)
class MessagePart:
    """HTML text with its buttons; or, with `photo` (a PNG, base64), a photo and the text as
    its caption (at most 1024 characters)."""

    text: str
    buttons: Buttons = ()
    photo: str = ""

    @classmethod
    def with_photo(cls, png: bytes, caption: str) -> MessagePart:
        return cls(caption, photo=base64.b64encode(png).decode("ascii"))

    @property
    def photo_bytes(self) -> bytes:
        return base64.b64decode(self.photo)

    def to_json(self) -> str | dict[str, object]:
        if not self.buttons and not self.photo:
            return self.text
        value: dict[str, object] = {
            "text": self.text,
            "buttons": [
                [[b.text, b.data, SHARE] if b.share else [b.text, b.data] for b in row]
                for row in self.buttons
            ],
        }
        if self.photo:
            value["photo"] = self.photo
        return value

    @classmethod
    def from_json(cls, value: object) -> MessagePart:
        if isinstance(value, str):
            return cls(value)
        if not isinstance(value, dict) or not isinstance(value.get("text"), str):
            raise ValueError(f"not a message part: {value!r}")
        rows = tuple(
            tuple(Button(str(b[0]), str(b[1]), len(b) > 2 and b[2] == SHARE) for b in row)
            for row in value.get("buttons") or ()
        )
        photo = value.get("photo") or ""
        return cls(value["text"], rows, photo if isinstance(photo, str) else "")
