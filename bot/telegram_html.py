"""Telegram's HTML parse mode, as its Bot API enforces it (what `mohbot broadcast` checks before
queueing, and what the tests' fake Bot API server enforces): the allowed tags, proper nesting,
the four named entities, and message length counted in UTF-16 after parsing."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from digests.errors import MohbotError

ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class EntityError(MohbotError, ValueError):
    """The text does not parse as Telegram HTML; the message is Telegram's reason."""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            raise EntityError(f'Unsupported start tag "{tag}"')
        attributes = dict(attrs)
        if tag == "a" and not attributes.get("href"):
            raise EntityError("Can't find end of href attribute")  # Telegram needs the href
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityError('Tag "span" must have class "tg-spoiler"')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise EntityError(f'Unsupported start tag "{tag}/"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            opened = self.stack[-1] if self.stack else tag
            raise EntityError(f'Can\'t find end tag corresponding to start tag "{opened}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            raise EntityError(f'Unsupported entity "&{name};"')
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        raise EntityError('Unsupported start tag "!--"')

    def handle_decl(self, decl: str) -> None:
        raise EntityError('Unsupported start tag "!"')

    def handle_pi(self, data: str) -> None:
        raise EntityError('Unsupported start tag "?"')


def _check_ampersands(text: str) -> None:
    for match in re.finditer("&", text):
        if not _ENTITY.match(text, match.start()):
            raise EntityError(
                "Character '&' is reserved and must be escaped with \"&amp;\" "
                f"at byte offset {match.start()}"
            )


def _check_angles(text: str) -> None:
    # A "<" must open a tag; Python's HTMLParser would silently treat "< 5" as text.
    for match in re.finditer("<", text):
        if not re.match(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>", text[match.start() :]):
            raise EntityError(f'Unexpected "<" at byte offset {match.start()}')


def parse_html(text: str) -> str:
    """The visible text of Telegram HTML, or EntityError with Telegram's reason."""
    _check_ampersands(text)
    _check_angles(text)
    parser = _Parser()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"')
    return "".join(parser.text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
