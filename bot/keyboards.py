"""Inline keyboards and their callback data: short, versioned, validated.

Callback data is `<version>:<action>:<argument>` (at most 64 bytes, as Telegram requires).
Anything else (an old version, an unknown action, a forged string) parses to None and the
user is told the button has expired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from telegram import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update

from digests.compose import leader_section, section_leader
from digests.messages import MessagePart

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
    MORE = "m"
    FREQUENCY = "q"
    REMOVE_ALERT = "r"
    CHANNEL = "c"  # manage one of my channels (argument: the channel id without its minus)
    PAGE = "p"  # the next page of a /search or /latest reply


@dataclass(frozen=True, slots=True)
class CallbackData:
    action: Action
    argument: str

    def encode(self) -> str:
        data = f"{VERSION}:{self.action.value}:{self.argument}"
        if len(data.encode()) > MAX_BYTES or not _ARGUMENT.match(self.argument):
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


@dataclass(frozen=True, slots=True)
class MorePage:
    """Where a digest's "more" button leads: a section (a topic's slug, or a leader's section
    key) of the digest that covered first-seen times (since, until], from item `offset` on.
    Everything needed is in the button, so it works after a restart and for as long as the
    articles are stored."""

    section: str
    since: datetime
    until: datetime
    offset: int

    def encode(self) -> str:
        leader = section_leader(self.section)
        kind, slug = ("l", leader) if leader else ("t", self.section)
        start = int(self.since.timestamp())
        span = int(self.until.timestamp()) - start
        argument = f"{kind}.{slug}.{_base36(start)}.{_base36(span)}.{self.offset}"
        return CallbackData(Action.MORE, argument).encode()

    @classmethod
    def parse(cls, argument: str) -> MorePage | None:
        parts = argument.split(".")
        if len(parts) != 5 or parts[0] not in ("t", "l") or not parts[4].isdigit():
            return None
        try:
            start, span = int(parts[2], 36), int(parts[3], 36)
        except ValueError:
            return None
        section = leader_section(parts[1]) if parts[0] == "l" else parts[1]
        since = datetime.fromtimestamp(start, UTC)
        return cls(section, since, since + timedelta(seconds=span), int(parts[4]))


_TERMS = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class ResultPage:
    """Where a /search or /latest reply's "more" button leads, all of it in the button (it
    works after a restart): a search's folded words (`terms`, "ngo_doc": the search only reads
    those) or a /latest's topic (`terms`, a slug, or "" for every topic) and its count, and
    the first result of the page (`offset`)."""

    kind: str  # "s" a search, "l" a /latest
    terms: str
    offset: int
    count: int = 0

    def encode(self) -> str:
        """The callback data; ValueError when it does not fit Telegram's 64 bytes."""
        if self.kind == "s":
            if not _TERMS.match(self.terms):
                raise ValueError(f"not folded words: {self.terms!r}")
            argument = f"s.{self.terms}.{self.offset}"
        else:
            argument = f"l.{self.terms or '_'}.{self.count}.{self.offset}"
        return CallbackData(Action.PAGE, argument).encode()

    @classmethod
    def parse(cls, argument: str) -> ResultPage | None:
        parts = argument.split(".")
        if parts[0] == "s" and len(parts) == 3 and parts[2].isdigit() and _TERMS.match(parts[1]):
            return cls("s", parts[1], int(parts[2]))
        if parts[0] == "l" and len(parts) == 4 and parts[2].isdigit() and parts[3].isdigit():
            return cls("l", "" if parts[1] == "_" else parts[1], int(parts[3]), int(parts[2]))
        return None


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def button(text: str, action: Action, argument: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=CallbackData(action, argument).encode())


def toggle_keyboard(
    options: Sequence[tuple[str, str]],
    chosen: set[str] | dict[str, str],
    action: Action,
    columns: int = 1,
    last_row: Sequence[InlineKeyboardButton] = (),
) -> InlineKeyboardMarkup:
    """One button per (key, label); ✅ marks the chosen keys (or, given a dict, each chosen
    key's own mark); `last_row`, if any, goes under them."""
    marks = chosen if isinstance(chosen, dict) else dict.fromkeys(chosen, "✅")
    buttons = [
        button(f"{marks[key] + ' ' if key in marks else ''}{label}", action, key)
        for key, label in options
    ]
    rows = [buttons[i : i + columns] for i in range(0, len(buttons), columns)]
    if last_row:
        rows.append(list(last_row))
    return InlineKeyboardMarkup(rows)


def confirm_keyboard(yes: str, no: str, action: Action) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(yes, action, "yes"), button(no, action, "no")]])


def markup_of(part: MessagePart) -> InlineKeyboardMarkup | None:
    """A ledger message's buttons as Telegram's inline keyboard."""
    if not part.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, switch_inline_query=b.data)
                if b.share
                else InlineKeyboardButton(b.text, callback_data=b.data)
                for b in row
            ]
            for row in part.buttons
        ]
    )


def tap_of(update: Update) -> tuple[CallbackQuery, Chat]:
    """A button tap's query and chat: a button handler is only called with both."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    return query, chat
