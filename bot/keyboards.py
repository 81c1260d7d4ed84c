"""Inline keyboards and their callback data: short, versioned, validated.

Callback data is `<version>:<action>:<argument>` (at most 64 bytes, as Telegram requires).
Anything else (an old version, an unknown action, a forged string) parses to None and the
user is told the button has expired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

VERSION = "1"
MAX_BYTES = 64
_ARGUMENT = re.compile(r"^[a-z0-9][a-z0-9._-]{0,40}$")


class Action(StrEnum):
    TOGGLE_TOPIC = "t"
    TOGGLE_LEADER = "l"
    SUBSCRIBE = "s"
    FOLLOW = "f"
    STOP = "x"
    ADMIN = "a"


@dataclass(frozen=True, slots=True)
class CallbackData:
    action: Action
    argument: str

    def encode(self) -> str:
        data = f"{VERSION}:{self.action.value}:{self.argument}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def parse(cls, data: str | None) -> CallbackData | None:
        if not data or len(data.encode()) > MAX_BYTES:
            return None
        parts = data.split(":", 2)
        if len(parts) != 3 or parts[0] != VERSION:
            return None
        try:
            action = Action(parts[1])
        except ValueError:
            return None
        if not _ARGUMENT.match(parts[2]):
            return None
        return cls(action, parts[2])


def button(text: str, action: Action, argument: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=CallbackData(action, argument).encode())


def toggle_keyboard(
    options: Sequence[tuple[str, str]], chosen: set[str], action: Action, columns: int = 1
) -> InlineKeyboardMarkup:
    """One button per (key, label); ✅ marks the chosen keys."""
    buttons = [
        button(f"{'✅ ' if key in chosen else ''}{label}", action, key) for key, label in options
    ]
    rows = [buttons[i : i + columns] for i in range(0, len(buttons), columns)]
    return InlineKeyboardMarkup(rows)


def choices_keyboard(options: Sequence[tuple[str, str]], action: Action) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(label, action, key)] for key, label in options])


def confirm_keyboard(yes: str, no: str, action: Action) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(yes, action, "yes"), button(no, action, "no")]])
