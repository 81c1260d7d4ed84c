"""What one item may bring into the database, the same on SQLite and PostgreSQL.

Sources are servers we do not control: a title of a megabyte, a link of ten thousand
characters or a `javascript:` link must neither fail a database write (PostgreSQL refuses a
value longer than its column; SQLite stores it) nor reach a reader. `screen` applies the
limits before anything is classified or stored: text is cut at a word boundary, a link that
cannot be kept is dropped (the item stays, unlinked), an over-long GUID is replaced by its
hash (still a stable key), and every cut or skip is counted in a `Screening` that the source's
health records.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from digests.records import ParsedItem
from digests.text import storable, truncate

# Column sizes of `Article` (digests/store/models.py) and the text sizes worth keeping.
TITLE_CHARS = 500
SUMMARY_CHARS = 2_000
BODY_CHARS = 100_000
URL_CHARS = 1_000
GUID_CHARS = 500
SECTION_CHARS = 64
RELATED_TITLES = 50
# Conditional-GET validators (`Source.etag`, `Source.last_modified`): too long, not kept.
ETAG_CHARS = 500
LAST_MODIFIED_CHARS = 100
# Items read from one answer of a source; a feed of a million entries is cut to this.
ITEMS_PER_READ = 1_000
LINK_SCHEMES = ("http", "https")
_SPACE = re.compile(r"\s")


@dataclass(slots=True)
class Screening:
    """What was skipped (whole records) and cut (fields) while reading one source."""

    skipped: Counter[str] = field(default_factory=Counter)
    cut: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count

    def merge(self, other: Screening) -> None:
        self.skipped.update(other.skipped)
        self.cut.update(other.cut)

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())

    def note(self) -> str | None:
        """One line for admins, or None when every record was read whole."""
        parts = [f"{count} skipped ({reason})" for reason, count in sorted(self.skipped.items())]
        parts += [f"{count} {what}" for what, count in sorted(self.cut.items())]
        return "; ".join(parts) or None


def safe_link(url: str | None) -> str | None:
    """An absolute http(s) address that fits its column, or None."""
    if not url:
        return None
    url = storable(url).strip()
    if not url or len(url) > URL_CHARS or _SPACE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    return url


def _cut(text: str, limit: int, what: str, screening: Screening) -> str:
    if len(text) <= limit:
        return text
    screening.cut[f"{what} cut to {limit:,} characters"] += 1
    return truncate(text, limit)


def screen_item(item: ParsedItem, screening: Screening) -> ParsedItem | None:
    """The item within the limits (changed in place), or None when it cannot be kept."""
    item.title = storable(item.title or "").strip()
    if not item.title:
        screening.skip("no title")
        return None
    item.title = _cut(item.title, TITLE_CHARS, "titles", screening)
    item.summary = _cut(storable(item.summary or ""), SUMMARY_CHARS, "summaries", screening)
    item.body = _cut(storable(item.body or ""), BODY_CHARS, "bodies", screening)
    if item.url:
        link = safe_link(item.url)
        if link is None:
            screening.cut["links dropped (not an http(s) address, or too long)"] += 1
        item.url = link
    if item.guid:
        guid = storable(item.guid).strip()
        if len(guid) > GUID_CHARS:
            guid = "sha256:" + hashlib.sha256(guid.encode()).hexdigest()
            screening.cut["over-long GUIDs replaced by their hash"] += 1
        item.guid = guid or None
    if item.section and len(item.section) > SECTION_CHARS:
        item.section = None
    if len(item.related) > RELATED_TITLES:
        item.related = item.related[:RELATED_TITLES]
    item.related = [truncate(storable(t), TITLE_CHARS) for t in item.related if t]
    return item


def screen(items: Iterable[ParsedItem], screening: Screening) -> list[ParsedItem]:
    """The items that can be kept, within the limits, at most `ITEMS_PER_READ` of them."""
    kept: list[ParsedItem] = []
    for item in items:
        if len(kept) == ITEMS_PER_READ:
            screening.skip(f"beyond the first {ITEMS_PER_READ:,} items")
            continue
        screened = screen_item(item, screening)
        if screened is not None:
            kept.append(screened)
    return kept


def validator(value: str | None, limit: int) -> str | None:
    """A conditional-GET validator (ETag, Last-Modified) worth keeping, or None."""
    if not value or len(value) > limit:
        return None
    return storable(value)
