"""Parser for the seed documents: plain-text dumps of real moh.gov.vn pages.

A dump mixes several page blocks. What the parser recognises, line by line:

* a full article: a title line, then a date line `03/03/2026 | 00:19 AM`, then body
  paragraphs up to "Tin liên quan", a block header or the end; `(Nguồn: …)` and
  `Theo moh.gov.vn` close the body;
* a body-dated article (the digital-transformation portal): a title line followed by a
  long paragraph that opens with `Ngày 08/7/2025`; only the date is known; its page heading
  "Hoạt động chuyển đổi số" puts the page's items in `digital-transformation`;
* listing entries: a title line followed by `Thứ Năm, ngày 05/03/2026 03:51<snippet>` or by
  `Saturday 2025-07-05 14:25`; entries under "HOẠT ĐỘNG CỦA LÃNH ĐẠO BỘ" are `leadership`;
* undated listing entries: a title line followed by a snippet ending in `...`;
* "Tin liên quan": the related titles of the article above (links, not articles; image
  file names are dropped);
* everything else (navigation, the "Mục tiêu & Định hướng" statistics, polls) is not news.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from digests.dates import When, parse_when
from digests.records import ParsedItem
from digests.text import clean_text

_ARTICLE_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}\s*\|\s*\d{1,2}:\d{2}(?:\s*[AaPp][Mm])?$")
_WEEKDAY_VI = r"(?:Thứ\s+(?:Hai|Ba|Tư|Năm|Sáu|Bảy|Bẩy|[2-7])|Chủ\s+Nhật)"
_LISTING_DATE_VI = re.compile(
    rf"^{_WEEKDAY_VI},?\s*(?:ngày\s*)?(\d{{1,2}}/\d{{1,2}}/\d{{4}}\s+\d{{1,2}}:\d{{2}})(.*)$",
    re.IGNORECASE,
)
_LISTING_DATE_EN = re.compile(
    r"^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+"
    r"(\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2})$"
)
_BODY_DATE = re.compile(r"^Ngày\s+\d{1,2}/\d{1,2}/\d{4}\b")
_SOURCE_LINE = re.compile(r"^\(?\s*(?:Nguồn|Theo)\s*:?\s+\S.{0,80}$")
_IMAGE_NAME = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp|svg)$", re.IGNORECASE)
_RELATED_HEADER = "tin liên quan"
_LEADERSHIP_HEADER = "hoạt động của lãnh đạo bộ"
# Block headers of the portal; after "not news" headers nothing is read until the next one.
_BLOCK_HEADERS = {"xuất bản thông tin", "asset publisher", _LEADERSHIP_HEADER}
_NOT_NEWS_HEADERS = {"mục tiêu & định hướng", "thăm dò ý kiến"}
# A page heading that puts the whole document in a section (the digital-transformation portal).
_PAGE_SECTIONS = {"hoạt động chuyển đổi số": "digital-transformation"}
_MIN_BODY_PARAGRAPH = 120


@dataclass(slots=True)
class _Cursor:
    lines: list[str]
    pos: int = 0
    section: str | None = None
    page_section: str | None = None

    def peek(self, offset: int = 0) -> str | None:
        index = self.pos + offset
        return self.lines[index] if index < len(self.lines) else None


def _header_key(line: str) -> str:
    # "Xuất bản thông tin Xuất bản thông tin": a portlet title written twice.
    key = line.casefold()
    half = len(key) // 2
    if len(key) % 2 == 1 and key[:half] == key[half + 1 :]:
        key = key[:half]
    return key


def _is_boundary(line: str) -> bool:
    key = _header_key(line)
    return key in _BLOCK_HEADERS or key in _NOT_NEWS_HEADERS or key == _RELATED_HEADER


def _looks_like_title(line: str) -> bool:
    return 8 <= len(line) <= 400 and not _is_boundary(line) and not line.startswith("- ")


def _read_body(cur: _Cursor, title: str) -> list[str]:
    """Paragraphs from the cursor up to the next boundary or the next dated entry."""
    body: list[str] = []
    while (line := cur.peek()) is not None:
        if _is_boundary(line):
            break
        nxt = cur.peek(1)
        if nxt is not None and _ARTICLE_DATE.match(nxt):
            break
        cur.pos += 1
        if line == "|" or line == title:  # empty sapo separator; title repeated as a caption
            continue
        if _SOURCE_LINE.match(line):
            break
        body.append(line)
    return body


def _full_article(cur: _Cursor, title: str, when: When | None, body: list[str]) -> ParsedItem:
    return ParsedItem(
        title=title,
        published=when,
        summary=body[0] if body else "",
        body="\n".join(body),
        section=cur.section,
    )


def _read_related(cur: _Cursor) -> list[str]:
    titles: list[str] = []
    while (line := cur.peek()) is not None and line.startswith("- "):
        cur.pos += 1
        title = line[2:].strip()
        if title and not _IMAGE_NAME.search(title):
            titles.append(title)
    return titles


def parse_seed_text(text: str) -> list[ParsedItem]:
    """Every news item of one seed document, in document order."""
    lines = [clean_text(raw) for raw in text.splitlines()]
    cur = _Cursor([line for line in lines if line])
    items: list[ParsedItem] = []
    skipping = False
    while (line := cur.peek()) is not None:
        key = _header_key(line)
        if key in _PAGE_SECTIONS:
            cur.page_section = cur.section = _PAGE_SECTIONS[key]
            cur.pos += 1
            continue
        if key in _NOT_NEWS_HEADERS:
            skipping, cur.section = True, None
            cur.pos += 1
            continue
        if key in _BLOCK_HEADERS:
            skipping = False
            cur.section = "leadership" if key == _LEADERSHIP_HEADER else cur.page_section
            cur.pos += 1
            continue
        if key == _RELATED_HEADER:
            cur.pos += 1
            related = _read_related(cur)
            if items and items[-1].is_full:
                items[-1].related.extend(related)
            continue
        nxt = cur.peek(1)
        if skipping or nxt is None or not _looks_like_title(line):
            cur.pos += 1
            continue

        if _ARTICLE_DATE.match(nxt):
            cur.pos += 2
            items.append(_full_article(cur, line, parse_when(nxt), _read_body(cur, line)))
        elif match := _LISTING_DATE_VI.match(nxt):
            cur.pos += 2
            items.append(
                ParsedItem(
                    title=line,
                    published=parse_when(match.group(1)),
                    summary=match.group(2).strip(),
                    section=cur.section,
                )
            )
        elif match := _LISTING_DATE_EN.match(nxt):
            cur.pos += 2
            items.append(
                ParsedItem(title=line, published=parse_when(match.group(1)), section=cur.section)
            )
        elif _BODY_DATE.match(nxt) and len(nxt) >= _MIN_BODY_PARAGRAPH:
            cur.pos += 1
            when = parse_when(nxt[:40])
            items.append(_full_article(cur, line, when, _read_body(cur, line)))
        elif nxt.endswith(("...", "…")) and len(nxt) > len(line) and not line.endswith("..."):
            cur.pos += 2
            items.append(ParsedItem(title=line, summary=nxt, section=cur.section))
        else:
            cur.pos += 1
    return items


def parse_seed_file(path: Path) -> list[ParsedItem]:
    return parse_seed_text(path.read_text(encoding="utf-8"))


def seed_files(directory: Path) -> list[Path]:
    """The seed documents in `directory` (`*.txt`), in name order."""
    return sorted(p for p in directory.glob("*.txt") if p.is_file())


def parse_seed_dir(directory: Path) -> Iterable[tuple[Path, list[ParsedItem]]]:
    for path in seed_files(directory):
        yield path, parse_seed_file(path)
