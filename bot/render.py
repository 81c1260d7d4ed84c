"""Rendering for Telegram: HTML escaping, articles and lists, splitting at 4096 characters.

Every piece of article text goes through `escape`; every reply goes through `split_message`,
which cuts on line boundaries so that no HTML tag is ever cut in two (each rendered line
closes the tags it opens).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.texts import Texts
from digests.compose import Digest, DigestItem
from digests.ingest.bounds import safe_link
from digests.text import storable, truncate

TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def escape(text: str) -> str:
    """Text safe in Telegram HTML (control characters and lone surrogates, which Telegram
    refuses, dropped)."""
    return html.escape(storable(text), quote=False)


def escape_attr(text: str) -> str:
    return html.escape(storable(text), quote=True)


def link(title: str, url: str | None) -> str:
    """The title linked to the article; only http(s) addresses become links (a stored
    `javascript:` or `tg://` address from a hostile source is shown as plain title)."""
    url = safe_link(url)
    title = " ".join(title.split())  # one line: `split_message` cuts between lines
    if not url:
        return f"<b>{escape(title)}</b>"
    return f'<a href="{escape_attr(url)}">{escape(title)}</a>'


def local_time(moment: datetime | None, zone: str, with_time: bool = True) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_len(html_text: str) -> int:
    """Length of a message as Telegram counts it: after entities are parsed."""
    return utf16_len(html.unescape(_TAG.sub("", html_text)))


def _hard_split(line: str, limit: int) -> list[str]:
    """A single line longer than a message: drop its markup and cut it on spaces."""
    plain = html.unescape(_TAG.sub("", line))
    pieces: list[str] = []
    current = ""
    for word in plain.split(" "):
        candidate = f"{current} {word}" if current else word
        if utf16_len(escape(candidate)) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(escape(current))
        while utf16_len(escape(word)) > limit:
            pieces.append(escape(word[: limit // 2]))
            word = word[limit // 2 :]
        current = word
    if current:
        pieces.append(escape(current))
    return pieces


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Cut `text` into messages of at most `limit` characters, on line boundaries."""
    if visible_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        length = visible_len(line)
        if length > limit:
            if current:
                parts.append("\n".join(current).strip("\n"))
                current, size = [], 0
            parts.extend(_hard_split(line, limit))
            continue
        extra = length + (1 if current else 0)
        if current and size + extra > limit:
            parts.append("\n".join(current).strip("\n"))
            current, size = [], 0
            extra = length
        current.append(line)
        size += extra
    if current:
        parts.append("\n".join(current).strip("\n"))
    return [p for p in parts if p.strip()]


def bullet_list(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def article_lines(
    title: str,
    url: str | None,
    published: datetime | None,
    has_time: bool,
    summary: str,
    zone: str,
    undated: str,
    matched: str | None = None,
    summary_chars: int = 160,
) -> list[str]:
    """One article as a few self-contained lines: linked title, date, one-line summary."""
    when = local_time(published, zone, has_time) or undated
    head = f"• {link(title, url)}"
    meta = f"  <i>{escape(when)}</i>" + (f" · {escape(matched)}" if matched else "")
    lines = [head, meta]
    if summary:
        lines.append(f"  {escape(truncate(summary.replace(chr(10), ' '), summary_chars))}")
    return lines


def render_digest(
    digest: Digest,
    texts: Texts,
    section_title: Callable[[str, str], str],
    matched_names: Callable[[DigestItem, str], list[str]],
    *,
    plain: bool = False,
) -> str:
    """A digest as Telegram HTML (or, with `plain`, as terminal text)."""
    language, zone = digest.reader.language, digest.reader.timezone
    lines = [texts.get(language, "digest_header", date=digest.day.strftime("%d/%m/%Y")), ""]
    for section in digest.sections:
        lines.append(f"<b>{escape(section_title(section.key, language))}</b>")
        for item in section.items:
            names = matched_names(item, language)
            article = item.article
            lines += article_lines(
                article.title,
                article.url,
                article.published_at,
                article.published_has_time,
                article.summary,
                zone,
                texts.get(language, "undated"),
                matched=texts.get(language, "matched", names=", ".join(names)) if names else None,
            )
        if section.more:
            slug = section.key if section.key != "leaders" else ""
            lines.append(escape(texts.get(language, "more_topics", count=section.more, slug=slug)))
        lines.append("")
    text = "\n".join(lines).strip()
    return html_to_plain(text) if plain else text


def html_to_plain(text: str) -> str:
    """Terminal rendering of our HTML: links become 'title <url>', tags go, entities decode."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', r"\2 &lt;\1&gt;", text)
    return html.unescape(_TAG.sub("", text))
