"""Rendering for Telegram: HTML escaping, articles and lists, splitting at 4096 characters.

Every piece of article text goes through `escape`; every reply goes through `split_message`,
which cuts on line boundaries so that no HTML tag is ever cut in two (each rendered line
closes the tags it opens).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.texts import Html, Texts
from digests.alerts import AlertMessage
from digests.compose import Digest, DigestSection, leader_section, news_time, section_leader
from digests.ingest.bounds import safe_link
from digests.messages import Button, MessagePart
from digests.reading import ArticleView
from digests.stories import outlet
from digests.text import storable, truncate
from digests.weekly import WeeklySummary

TELEGRAM_LIMIT = 4096
# Telegram takes at most 100 buttons under a message: room is left for the "more" buttons.
MAX_SHARE_BUTTONS = 80
_TAG = re.compile(r"<[^>]+>")
# Documents named on one item's line; more are rare and the title says the rest.
MAX_DOCUMENTS_SHOWN = 3
# A document kind's name in the reader's language (slug -> "Công điện" / "Official dispatch").
KindName = Callable[[str], str]


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


def article_block(
    article: ArticleView,
    zone: str,
    undated: str,
    *,
    compact: bool = False,
    people: str | None = None,
    reference: str | None = None,
    also: Sequence[ArticleView] = (),
    also_label: str = "+{count}",
    summary_chars: int = 130,
    kind_name: KindName | None = None,
) -> str:
    """One article as a self-contained block of lines (a message never splits inside it).
    Full: linked title; outlet, local time and the followed leaders it names; a line of the
    lead. Compact: title and outlet on one line. A reference (the article is shown in full in
    another section, named by `reference`): title and a pointer, one line. With `kind_name`,
    the official documents it names go on a line of their own ("📄 Công điện 53/CĐ-BYT")."""
    head = f"• {link(article.title, article.url)}"
    source = outlet(article.url)
    if reference is not None:
        return f"{head} <i>↑ {escape(reference)}</i>"
    if compact:
        return head + (f" · <i>{escape(source)}</i>" if source else "")
    when = local_time(article.published_at, zone, article.published_has_time) or undated
    meta = " · ".join(escape(x) for x in (source, when) if x)
    lines = [head, f"  <i>{meta}</i>" + (f" · 👤 {escape(people)}" if people else "")]
    if also:
        # Other outlets' reports of the same story: linked by the outlet's name.
        links = ", ".join(link(outlet(a.url) or a.title[:40], a.url) for a in also)
        lines[-1] += " · " + escape(also_label.format(count=len(also))) + " " + links
    if (documents := documents_line(article, kind_name)) is not None:
        lines.append(f"  {documents}")
    if article.summary:
        lead = truncate(" ".join(article.summary.split()), summary_chars)
        lines.append(f"  {escape(lead)}")
    return "\n".join(lines)


def documents_line(article: ArticleView, kind_name: KindName | None) -> str | None:
    """ "📄 Công điện 53/CĐ-BYT · Quyết định 4308/QĐ-BYT" (HTML), or None without documents."""
    if kind_name is None or not article.documents:
        return None
    shown = article.documents[:MAX_DOCUMENTS_SHOWN]
    return "📄 " + " · ".join(escape(f"{kind_name(d.kind)} {d.code}") for d in shown)


def article_card(article: ArticleView, zone: str, undated: str, read: str) -> str:
    """One article to share in any chat: its title, outlet and date, a few lines of the lead,
    and its link (well under Telegram's 4096 characters)."""
    when = local_time(article.published_at, zone, article.published_has_time) or undated
    meta = " · ".join(escape(x) for x in (outlet(article.url), when) if x)
    lines = [
        f"📰 <b>{escape(truncate(' '.join(article.title.split()), 400))}</b>",
        f"<i>{meta}</i>",
    ]
    if article.summary:
        lines.append(escape(truncate(" ".join(article.summary.split()), 600)))
    url = safe_link(article.url)
    if url:
        lines.append(f'<a href="{escape_attr(url)}">{escape(read)}</a>')
    return "\n".join(lines)


def article_line(article: ArticleView, zone: str, undated: str, chars: int = 120) -> str:
    """Outlet, date and a line of the lead, in plain text (an inline result's description)."""
    when = local_time(article.published_at, zone, article.published_has_time) or undated
    meta = " · ".join(x for x in (outlet(article.url), when) if x)
    lead = truncate(" ".join(article.summary.split()), chars) if article.summary else ""
    return storable(f"{meta}\n{lead}".strip())


class BlockCache:
    """Rendered article blocks by everything a block depends on; emptied when full (a
    dispatcher pass renders the same few hundred articles for thousands of readers)."""

    def __init__(self, size: int = 8_000) -> None:
        self.size = size
        self._kept: dict[tuple[object, ...], str] = {}

    def get(self, key: tuple[object, ...]) -> str | None:
        return self._kept.get(key)

    def put(self, key: tuple[object, ...], block: str) -> None:
        if len(self._kept) >= self.size:
            self._kept.clear()
        self._kept[key] = block


@dataclass(frozen=True, slots=True)
class Section:
    """A heading (HTML, or None) over blocks that are never split, and an optional footer."""

    heading: str | None
    blocks: Sequence[str]
    footer: str | None = None


def _shortened(block: str, limit: int) -> str:
    """A block longer than a whole message: shortened to plain text, never split."""
    if visible_len(block) <= limit:
        return block
    plain = " ".join(html.unescape(_TAG.sub("", block)).split())
    while True:
        cut = escape(truncate(plain, limit))
        if visible_len(cut) <= limit:
            return cut
        limit -= max(1, limit // 10)


def one_message(header: str, blocks: Sequence[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The leading `blocks` that fit one message under `header`, one a line (at least one,
    shortened to plain text if it alone is too long): a page of results that never breaks
    inside one."""
    room = limit - visible_len(header) - 1
    taken: list[str] = []
    size = 0
    for block in blocks:
        block = _shortened(block, room)
        extra = visible_len(block) + (1 if taken else 0)
        if taken and size + extra > room:
            break
        taken.append(block)
        size += extra
    return taken


def pack(
    header: str,
    sections: Sequence[Section],
    continued: Callable[[str], str],
    limit: int = TELEGRAM_LIMIT,
) -> list[str]:
    """Messages of at most `limit` characters that never break inside a block: a message
    that goes on with a section starts with its heading marked as continued (`continued`),
    and a heading is never left alone at the end of a message."""
    messages: list[str] = []
    current: list[str] = []
    lengths: list[int] = []  # the visible length of each line of `current`

    def add(lines: list[str], sizes: list[int]) -> None:
        current.extend(lines)
        lengths.extend(sizes)

    def fits(sizes: list[int]) -> bool:
        # Lines are joined by newlines, and no tag or entity spans two lines: the lengths add.
        return sum(lengths) + sum(sizes) + len(lengths) + len(sizes) - 1 <= limit

    def flush() -> None:
        text = "\n".join(current).strip("\n")
        if text.strip():
            messages.append(text)
        current.clear()
        lengths.clear()

    if header:
        add([header], [visible_len(header)])
    for section in sections:
        if current and section.heading is not None:
            add([""], [0])  # a blank line before each section
        # Room for the section's heading above the longest block.
        blocks = [_shortened(b, limit - 200) for b in section.blocks]
        if section.footer:
            blocks.append(section.footer)
        heading_size = visible_len(section.heading) if section.heading is not None else 0
        for index, block in enumerate(blocks):
            block_size = visible_len(block)
            if index == 0 and section.heading:
                unit, sizes = [section.heading, block], [heading_size, block_size]
            else:
                unit, sizes = [block], [block_size]
            if fits(sizes):
                add(unit, sizes)
                continue
            flush()
            if section.heading is not None:
                again = section.heading if index == 0 else continued(section.heading)
                add([again], [visible_len(again)])
            add([block], [block_size])
    flush()
    return messages


def render_digest(
    digest: Digest,
    texts: Texts,
    section_title: Callable[[str, str], str],
    leader_label: Callable[[Sequence[str], str], str],
    more_button: Callable[[DigestSection, str], Button | None] = lambda _s, _l: None,
    *,
    note: str | None = None,
    limit: int = TELEGRAM_LIMIT,
    kind_name: Callable[[str, str], str] | None = None,
    share_button: Callable[[ArticleView, str], Button | None] = lambda _a, _l: None,
    blocks_seen: BlockCache | None = None,
) -> list[MessagePart]:
    """A digest as Telegram HTML messages, split between items; under each message a share
    button for each item shown in full there, and under the last one the "more" buttons of
    its sections. `note` (HTML), if any, goes under the header. `blocks_seen` keeps article
    blocks for the next digests of a dispatcher pass, which show the same articles."""
    reader = digest.reader
    language, zone = reader.language, reader.timezone
    weekdays = texts.get(language, "weekdays").split(",")
    header = texts.get(
        language,
        "digest_header",
        weekday=weekdays[digest.day.weekday()],
        date=digest.day.strftime("%d/%m/%Y"),
        count=texts.plural(language, "items", digest.total),
    )
    if note:
        header += "\n" + note
    undated = texts.get(language, "undated")
    names = (lambda slug: kind_name(slug, language)) if kind_name else None
    sections = []
    buttons: list[tuple[Button, ...]] = []
    shared: list[tuple[str, Button]] = []  # (the item's link in the text, its share button)
    for section in digest.sections:
        title = section_title(section.key, language)
        own_leader = section_leader(section.key)
        blocks = []
        for item in section.items:
            if item.full_in is None and (share := share_button(item.article, language)):
                url = safe_link(item.article.url)
                if url:
                    shared.append((f'href="{escape_attr(url)}"', share))
            others = tuple(x for x in item.leaders if x != own_leader)
            full_in = item.full_in
            key = (item.article, zone, language, reader.format, others, full_in, item.also)
            block = blocks_seen.get(key) if blocks_seen is not None else None
            if block is None:
                block = article_block(
                    item.article,
                    zone,
                    undated,
                    compact=reader.format == "compact",
                    people=leader_label(others, language) if others else None,
                    reference=section_title(full_in, language) if full_in else None,
                    also=item.also,
                    also_label=texts.get(language, "also_sources"),
                    kind_name=names,
                )
                if blocks_seen is not None:
                    blocks_seen.put(key, block)
            blocks.append(block)
        footer = None
        if section.more:
            footer = texts.get(language, "digest_more", count=section.more)
            if (more := more_button(section, language)) is not None:
                buttons.append((more,))
        heading = texts.get(language, "digest_section", title=title.upper())
        sections.append(Section(heading, blocks, footer))
    texts_of_parts = pack(
        header, sections, lambda h: texts.get(language, "continued", heading=Html(h)), limit
    )
    parts = []
    for index, text in enumerate(texts_of_parts):
        shares = [b for href, b in shared if href in text][:MAX_SHARE_BUTTONS]
        shared = [(href, b) for href, b in shared if href not in text]
        rows = [tuple(shares[i : i + 2]) for i in range(0, len(shares), 2)]
        if index == len(texts_of_parts) - 1:
            rows += buttons
        parts.append(MessagePart(text, tuple(rows)))
    return parts


def render_alert(
    message: AlertMessage, texts: Texts, limit: int = TELEGRAM_LIMIT
) -> list[MessagePart]:
    """Items sent at once: a short header (🚨 when one is urgent), then each item as in a
    digest, with the keyword alert that found it."""
    language, zone = message.language, message.timezone
    header = texts.get(language, "alert_header_urgent" if message.urgent else "alert_header")
    undated = texts.get(language, "undated")
    blocks = []
    for entry in message.entries:
        block = article_block(entry.article, zone, undated)
        if entry.urgent:
            block = "🚨 " + block
        if entry.keyword:
            block += "\n  " + texts.get(language, "alert_keyword", query=entry.keyword)
        blocks.append(block)
    return [MessagePart(text) for text in pack(header, [Section(None, blocks)], str, limit)]


def render_weekly(
    summary: WeeklySummary,
    texts: Texts,
    section_title: Callable[[str, str], str],
    chart: bytes | None,
    limit: int = TELEGRAM_LIMIT,
) -> list[MessagePart]:
    """The weekly summary: the chart with the counts as its caption (or the counts as text,
    without a chart), then each leader's week as a dated list, the top items per topic, and
    what the keyword alerts found."""
    language, zone = summary.language, summary.timezone
    first_day = summary.since.astimezone(ZoneInfo(zone))
    last_day = summary.until.astimezone(ZoneInfo(zone))
    head = texts.get(
        language,
        "weekly_header",
        since=first_day.strftime("%d/%m"),
        until=last_day.strftime("%d/%m/%Y"),
    )
    counts = [
        texts.get(
            language,
            "weekly_count",
            name=section_title(slug, language),
            count=texts.plural(language, "items", n),
        )
        for slug, n in summary.counts
    ]
    caption = "\n".join([head, *counts])
    parts = [MessagePart.with_photo(chart, caption)] if chart else []
    undated = texts.get(language, "undated")
    sections = []
    for leader, items in summary.leaders:
        title = texts.get(
            language, "weekly_leader", name=section_title(leader_section(leader), language)
        )
        blocks = [
            f"• {news_time(a).astimezone(ZoneInfo(zone)).strftime('%d/%m')} — "
            f"{link(a.title, a.url)}"
            for a in items
        ]
        sections.append(Section(texts.get(language, "digest_section", title=title.upper()), blocks))
    for topic, items in summary.top:
        title = texts.get(language, "weekly_top", name=section_title(topic, language))
        blocks = [article_block(a, zone, undated) for a in items]
        sections.append(Section(texts.get(language, "digest_section", title=title.upper()), blocks))
    for query, items in summary.keywords:
        title = texts.get(language, "keyword_section", query=query)
        blocks = [article_block(a, zone, undated, compact=True) for a in items]
        sections.append(Section(texts.get(language, "digest_section", title=title.upper()), blocks))
    header = "" if chart else caption
    if not sections and not header:
        return parts
    if not sections:
        return [*parts, MessagePart(header)]

    def continued(heading: str) -> str:
        return texts.get(language, "continued", heading=Html(heading))

    return parts + [MessagePart(t) for t in pack(header, sections, continued, limit)]


def html_to_plain(text: str) -> str:
    """Terminal rendering of our HTML: links become 'title <url>', tags go, entities decode."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', r"\2 &lt;\1&gt;", text)
    return html.unescape(_TAG.sub("", text))


_PHONE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<style>
body {{ margin: 0; background: #d9e4c8; font: 15px/1.38 -apple-system, "Segoe UI", Roboto,
  "Noto Sans", sans-serif; }}
.chat {{ max-width: 430px; margin: 0 auto; padding: 10px 8px; }}
.bubble {{ background: #fff; border-radius: 12px; padding: 8px 10px; margin: 6px 0;
  white-space: pre-wrap; overflow-wrap: anywhere; box-shadow: 0 1px 1px rgba(0,0,0,.12); }}
a {{ color: #2a7ab8; text-decoration: none; }}
.buttons {{ display: grid; gap: 4px; margin: -2px 0 8px; }}
.button {{ background: rgba(80,110,60,.45); color: #fff; text-align: center;
  border-radius: 8px; padding: 8px; font-weight: 500; }}
</style></head><body><div class="chat">{messages}</div></body></html>
"""


def phone_page(parts: Sequence[MessagePart]) -> str:
    """The messages as a Telegram chat on a phone: a page to look at (or to screenshot in a
    headless browser) before readers do. Telegram HTML is already valid HTML."""
    messages = []
    for part in parts:
        messages.append(f'<div class="bubble">{part.text}</div>')
        if part.buttons:
            rows = "".join(
                f'<div class="button">{escape(b.text)}</div>' for row in part.buttons for b in row
            )
            messages.append(f'<div class="buttons">{rows}</div>')
    return _PHONE_PAGE.format(messages="\n".join(messages))
