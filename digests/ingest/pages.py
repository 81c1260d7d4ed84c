"""HTML pages of the ministry's sites: listings, articles and timelines, through BeautifulSoup.

Listings: every link whose address has the shape of an article (Liferay `/-/<id>` and
`/-/asset_publisher/…/content/…`, the 2026 portal's `index.jsp?…aid=…`) is an item; its title is
the link's text, its date and snippet come from the nearest enclosing block. An article linked
from several blocks of a page (a home page) is one item with what each block adds. Articles:
title, date, lead and body from the markup the ministry's Liferay portals use. Output is NFC,
entities decoded, whitespace cleaned, whatever form the page was in (some pages are NFD).

BeautifulSoup (and Soup Sieve with it, 6 MB) is imported when a page is first read: a bot
starting up polls Telegram before it reads any page.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from digests.dates import When, parse_when
from digests.errors import MohbotError
from digests.records import ParsedItem
from digests.text import clean_paragraphs, clean_text, truncate

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

_ARTICLE_HREF = re.compile(r"/-/(?:\d|asset_publisher/[^/]+/content/)|index\.jsp\?.*\baid=\d+")
_DATE_HINT = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}")
_TEMPLATE_TAG = re.compile(r"<\?=.*?\?>")
_SOURCE_LINE = re.compile(r"^\(?\s*(?:Nguồn|Theo)\s*:")
# Articles read from one listing page (the ministry's list 10 to 60); a page of a hundred
# thousand links is cut to this.
MAX_LISTED = 1_000


class PageParseError(MohbotError, ValueError):
    """The page is not a listing or an article we can read; the message says why."""


def _soup(html: str | bytes) -> BeautifulSoup:
    from bs4 import BeautifulSoup

    if isinstance(html, bytes):
        return BeautifulSoup(html, "lxml")
    return BeautifulSoup(_TEMPLATE_TAG.sub("", html), "lxml")


def _text(node: Tag | None) -> str:
    return clean_text(node.get_text(" ", strip=True)) if node is not None else ""


def _date_near(block: Tag, exclude: str) -> When | None:
    for candidate in block.find_all(["small", "time", "span", "div", "p"], limit=40):
        own = candidate.get_text(" ", strip=True)
        if len(own) <= 60 and _DATE_HINT.search(own) and own not in exclude:
            when = parse_when(clean_text(own))
            if when:
                return when
    return None


def _snippet_near(block: Tag, title: str) -> str:
    for paragraph in block.find_all("p"):
        text = _text(paragraph)
        if len(text) >= 40 and text != title:
            return text
    return ""


def _after_link(link: Tag, item: ParsedItem) -> None:
    """Date and snippet written right after the link, before the next article's link."""
    from bs4 import Tag

    for sibling in link.next_siblings:
        if not isinstance(sibling, Tag):
            continue
        if sibling.name == "a" and _ARTICLE_HREF.search(str(sibling.get("href", ""))):
            return
        if sibling.find("a", href=_ARTICLE_HREF):
            return
        text = _text(sibling)
        if item.published is None and len(text) <= 60 and _DATE_HINT.search(text):
            item.published = parse_when(text)
        elif not item.summary and sibling.name == "p" and len(text) >= 40:
            item.summary = text


class _BlockLinks:
    """The article addresses each block of a page links to, read once per block: asking every
    link's enclosing blocks afresh is quadratic on a page of thousands of links."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._urls: dict[int, set[str]] = {}

    def elsewhere(self, block: Tag, url: str) -> bool:
        """Whether the block also lists another article: then it is not this item's own."""
        urls = self._urls.get(id(block))
        if urls is None:
            urls = self._urls[id(block)] = {
                urljoin(self.base_url, str(a["href"]).strip())
                for a in block.find_all("a", href=_ARTICLE_HREF)
            }
        return len(urls) > 1 or (len(urls) == 1 and url not in urls)


def parse_listing(html: str | bytes, base_url: str, section: str | None = None) -> list[ParsedItem]:
    """Every article listed on the page, in page order, one item per article address."""
    soup = _soup(html)
    items: dict[str, ParsedItem] = {}
    blocks = _BlockLinks(base_url)
    for link in soup.find_all("a", href=_ARTICLE_HREF):
        href = str(link["href"]).strip()
        url = urljoin(base_url, href)
        if url not in items and len(items) == MAX_LISTED:
            continue
        title = _text(link)
        item = items.get(url)
        if item is None:
            item = items[url] = ParsedItem(title=title, url=url, section=section)
        elif not item.title and title:
            item.title = title
        _after_link(link, item)
        block: Tag | None = link
        for _level in range(3):
            block = block.parent if block is not None else None
            if block is None or block.name in ("body", "html") or blocks.elsewhere(block, url):
                break
            if item.published is None:
                item.published = _date_near(block, title)
            if not item.summary:
                item.summary = _snippet_near(block, title)
            if item.published and item.summary:
                break
    return [i for i in items.values() if i.title]


def _meta(soup: BeautifulSoup, *names: str) -> str:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content"):
            return clean_text(str(tag["content"]))
    return ""


def parse_article(html: str | bytes, url: str, section: str | None = None) -> ParsedItem:
    """One article page: title, date, lead and body."""
    soup = _soup(html)
    title_node = (
        soup.select_one(".asset-title")
        or soup.select_one(".contentDetail h3")
        or soup.select_one("h1.title-detail, h1.article-title, .detail-title")
    )
    title = _text(title_node) or _meta(soup, "og:title")
    content = soup.select_one(".journal-content-article") or soup.select_one(".contentDetail")
    if not title or content is None:
        raise PageParseError(f"no article on {url}: no title or no article body found")
    date_node = soup.select_one(".text-ngayxam-page, .metadata-publish-date, .date-detail, time")
    when = parse_when(_text(date_node)) if date_node else None
    when = when or parse_when(_meta(soup, "description", "article:published_time"))
    lead_node = soup.select_one(".text-justify, .sapo")
    lead = _text(lead_node)
    paragraphs = []
    for node in content.find_all(["p", "h2", "h3", "li"]):
        if node.find(["p", "li"]):  # a container of paragraphs: take the inner ones
            continue
        text = _text(node)
        if not text or _SOURCE_LINE.match(text) or text == lead:
            continue
        if date_node is not None and text == _text(date_node):
            continue
        paragraphs.append(text)
    body = clean_paragraphs("\n".join(dict.fromkeys(paragraphs)))
    canonical = soup.find("link", rel="canonical")
    link = str(canonical["href"]) if canonical and canonical.get("href") else url
    return ParsedItem(
        title=title,
        url=link,
        published=when,
        summary=lead or (body.split("\n", 1)[0] if body else ""),
        body=body,
        section=section,
    )


def parse_timeline(html: str | bytes, url: str, section: str | None = None) -> list[ParsedItem]:
    """The COVID-19 portal's timeline: each entry (`18:05 24/05/2021` + text) is an item."""
    soup = _soup(html)
    items: list[ParsedItem] = []
    for head in soup.select(".timeline-head"):
        when = parse_when(_text(head))
        entry = head.find_parent(class_=re.compile("timeline")) or head.parent
        content = head.find_next_sibling() or entry
        text = clean_paragraphs(content.get_text("\n", strip=True)) if content else ""
        if not text or text == _text(head):
            continue
        first = re.split(r"(?<=[.!?])\s|\n", text, maxsplit=1)[0]
        items.append(
            ParsedItem(
                title=truncate(first, 200),
                url=f"{url}#{when.at.isoformat() if when else len(items)}",
                published=when,
                summary=truncate(text.replace("\n", " "), 300),
                body=text,
                section=section,
            )
        )
    return items


def parse_page(html: str | bytes, url: str, section: str | None = None) -> list[ParsedItem]:
    """An article page gives [article]; a listing, home or timeline page gives its items."""
    soup = _soup(html)
    if soup.select_one(".asset-title, .contentDetail") and soup.select_one(
        ".journal-content-article, .contentDetail"
    ):
        return [parse_article(html, url, section)]
    items = parse_listing(html, url, section)
    if soup.select_one(".timeline-head"):
        items += parse_timeline(html, url, section)
    if not items:
        raise PageParseError(f"nothing to read on {url}: neither an article nor a listing")
    return items
