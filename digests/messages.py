"""A message as the ledger keeps it: Telegram HTML and, optionally, inline buttons.

Stored in a delivery row's `parts` (JSON): a plain string when the part has no buttons (as
every part was before buttons existed), else an object with the text and the button rows
(each button `[label, callback data]`, or `[label, inline query, "share"]`).
"""

from __future__ import annotations

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
    text: str
    buttons: Buttons = ()

    def to_json(self) -> str | dict[str, object]:
        if not self.buttons:
            return self.text
        return {
            "text": self.text,
            "buttons": [
                [[b.text, b.data, SHARE] if b.share else [b.text, b.data] for b in row]
                for row in self.buttons
            ],
        }

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
        return cls(value["text"], rows)
