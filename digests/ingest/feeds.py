"""RSS/Atom feeds through feedparser, from bytes already fetched (never from a URL).
feedparser is imported when a feed is first read, not when a bot starts up."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from digests.dates import When, from_struct_time, parse_when
from digests.errors import MohbotError
from digests.ingest.bounds import Screening
from digests.ingest.htmltext import html_to_text
from digests.records import ParsedItem
from digests.text import clean_text

if TYPE_CHECKING:
    import feedparser


class FeedError(MohbotError, ValueError):
    """The bytes are not a usable feed; the message says what was received instead."""


# The canonical RFC 822 date with a numeric zone ("Thu, 05 Mar 2026 08:00:00 +0000"), which
# feedparser reads right; for anything else (e.g. "GMT+7", which it reads as GMT) ours decides.
_CANONICAL_RFC822 = re.compile(
    r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})? [+-]\d{4}"
)


def _when(entry: feedparser.FeedParserDict) -> When | None:
    for raw_key, parsed_key in (("published", "published_parsed"), ("updated", "updated_parsed")):
        # dict.get: the fields are stored under these names, and FeedParserDict's own lookup
        # (aliases, fallbacks) costs more than the rest of reading an entry.
        raw = dict.get(entry, raw_key)
        parsed = from_struct_time(dict.get(entry, parsed_key))
        if raw and not (parsed and _CANONICAL_RFC822.fullmatch(raw.strip())):
            # Our parser knows the ministry's formats (e.g. "GMT+7") that feedparser misses.
            when = parse_when(raw)
            if when is not None:
                return when
        if parsed is not None:
            return When(parsed, True)
    return None


def _looks_like_html_page(content: bytes) -> bool:
    head = content[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head


_NOT_XML_TYPES = {"application/octet-stream", "text/plain", "text/html", "binary/octet-stream"}


def _malformed(parsed: feedparser.FeedParserDict) -> bool:
    """True when the XML itself was broken (not merely an encoding override)."""
    import feedparser

    if not parsed.get("bozo"):
        return False
    exception = parsed.get("bozo_exception")
    return not isinstance(
        exception, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    )


def _trusted_content_type(content: bytes, content_type: str | None) -> str | None:
    """Drop a declared charset that cannot be right: bytes that are valid UTF-8 with non-ASCII
    text, served as a single-byte Latin charset, are UTF-8 (a common server misconfiguration)."""
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _NOT_XML_TYPES:
        # A server that labels a feed application/octet-stream or text/plain: let feedparser
        # sniff the bytes (an HTML page is still recognised and refused).
        return None
    if "charset" not in content_type.lower():
        return content_type
    charset = content_type.lower().split("charset", 1)[1].strip(" =:\"'")
    if not charset.startswith(("iso-8859-1", "latin", "windows-1252", "us-ascii", "ascii")):
        return content_type
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return content_type
    if content.isascii():
        return content_type
    return content_type.split(";", 1)[0]


def parse_feed(
    content: bytes,
    *,
    content_type: str | None = None,
    section: str | None = None,
    screening: Screening | None = None,
) -> list[ParsedItem]:
    """The entries of a feed; raises FeedError when nothing usable could be read. Entries that
    cannot be read are skipped and counted in `screening`: one never costs the others."""
    screening = screening if screening is not None else Screening()
    if not content.strip():
        raise FeedError("empty response where a feed was expected")
    content_type = _trusted_content_type(content, content_type)
    headers = {"content-type": content_type} if content_type else {}
    # Text is extracted from the HTML afterwards, so feedparser need not sanitise it or
    # resolve its relative links (both are slow).
    import feedparser

    parsed = feedparser.parse(
        content, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    entries = parsed.get("entries", [])
    if _malformed(parsed):
        # feedparser recovers what it can from broken XML; a truncated document leaves a
        # half-read last entry. Keep only entries complete enough to identify.
        complete = [e for e in entries if e.get("title") and (e.get("link") or e.get("id"))]
        if len(complete) < len(entries):
            screening.skip("incomplete entry of a broken feed", len(entries) - len(complete))
        entries = complete
    if not entries:
        if _looks_like_html_page(content) and not parsed.get("version"):
            raise FeedError("got an HTML page where a feed was expected")
        if parsed.get("version") and not _malformed(parsed):
            return []  # a valid feed with no items yet
        if parsed.get("bozo"):
            reason = parsed.get("bozo_exception")
            raise FeedError(f"broken feed: {reason}" if reason else "broken feed")
        raise FeedError("not an RSS or Atom feed")
    items: list[ParsedItem] = []
    for entry in entries:
        try:
            item = _item(entry, section)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            screening.skip("unreadable entry")
            continue
        if item is None:
            screening.skip("no title")
            continue
        items.append(item)
    return items


def _item(entry: feedparser.FeedParserDict, section: str | None) -> ParsedItem | None:
    get = dict.get  # see _when
    title = html_to_text(get(entry, "title"))
    summary = html_to_text(get(entry, "summary"))
    content_list = get(entry, "content") or []
    body = html_to_text(content_list[0].get("value"), paragraphs=True) if content_list else ""
    if not title:
        title = clean_text(summary[:120]) if summary else ""
    if not title:
        return None
    link = (get(entry, "link") or "").strip() or None
    guid = (get(entry, "id") or "").strip() or None
    return ParsedItem(
        title=title,
        url=link,
        published=_when(entry),
        summary=summary,
        body=body,
        section=section,
        guid=guid,
    )
