"""Readers: how each kind of source is fetched and parsed into `ParsedItem`s."""

from __future__ import annotations

import asyncio
import json
import logging

from digests.ingest import portal
from digests.ingest.bounds import Screening
from digests.ingest.contracts import ReadContext, Reader, ReadResult, SourceFailure
from digests.ingest.feeds import parse_feed
from digests.ingest.fetch import FetchError
from digests.ingest.pages import PageParseError, parse_article, parse_page
from digests.records import ParsedItem, SourceKind


async def read_rss(ctx: ReadContext) -> ReadResult:
    """An RSS/Atom feed, with a conditional GET; GUIDs are namespaced by the source's name."""
    fetched = await ctx.fetcher.get(
        ctx.config.url,
        etag=ctx.etag,
        last_modified=ctx.last_modified,
        origin=ctx.origin,
        security_level=ctx.config.tls_security_level,
    )
    if fetched.not_modified:
        return ReadResult(not_modified=True, etag=ctx.etag, last_modified=ctx.last_modified)
    screening = Screening()
    items = await asyncio.to_thread(
        parse_feed,
        fetched.content,
        content_type=fetched.headers.get("content-type"),
        section=ctx.config.section,
        screening=screening,
    )
    for item in items:
        if item.guid:
            item.guid = f"{ctx.config.name}:{item.guid}"
    return ReadResult(
        items=items, etag=fetched.etag, last_modified=fetched.last_modified, screening=screening
    )


log = logging.getLogger(__name__)

READERS: dict[SourceKind, Reader] = {
    SourceKind.RSS: read_rss,
}


# How many new articles of a listing are fetched in full per poll (the rest come next time).
DETAILS_PER_POLL = 20


async def _fetch_article(ctx: ReadContext, url: str) -> ParsedItem | None:
    try:
        fetched = await ctx.fetcher.get(
            url, origin=ctx.origin, security_level=ctx.config.tls_security_level
        )
        return await asyncio.to_thread(parse_article, fetched.content, url, ctx.config.section)
    except (FetchError, PageParseError) as exc:
        log.info("article %s not read in full: %s", url, exc)
        return None


async def read_listing(ctx: ReadContext) -> ReadResult:
    """A listing page of the ministry's site: its items, then the new ones in full."""
    fetched = await ctx.fetcher.get(
        ctx.config.url,
        etag=ctx.etag,
        last_modified=ctx.last_modified,
        origin=ctx.origin,
        security_level=ctx.config.tls_security_level,
    )
    if fetched.not_modified:
        return ReadResult(not_modified=True, etag=ctx.etag, last_modified=ctx.last_modified)
    try:
        items = await asyncio.to_thread(
            parse_page, fetched.content, fetched.url, ctx.config.section
        )
    except PageParseError as exc:
        raise SourceFailure(str(exc)) from exc
    for item in items:
        item.guid = item.url
    known = await ctx.known_guids([i.guid for i in items if i.guid])
    new = [i for i in items if i.guid not in known and i.url and not i.body][:DETAILS_PER_POLL]
    gate = asyncio.Semaphore(4)

    async def full(item: ParsedItem) -> None:
        async with gate:
            article = await _fetch_article(ctx, item.url or "")
        if article is not None:
            # The listing's date and title stand if the page lacks them; the fuller text wins.
            item.body = article.body
            item.summary = article.summary or item.summary
            item.published = article.published or item.published
            item.title = article.title or item.title

    await asyncio.gather(*(full(item) for item in new))
    return ReadResult(items=items, etag=fetched.etag, last_modified=fetched.last_modified)


async def read_article(ctx: ReadContext) -> ReadResult:
    """A single article page."""
    fetched = await ctx.fetcher.get(
        ctx.config.url,
        etag=ctx.etag,
        last_modified=ctx.last_modified,
        origin=ctx.origin,
        security_level=ctx.config.tls_security_level,
    )
    if fetched.not_modified:
        return ReadResult(not_modified=True, etag=ctx.etag, last_modified=ctx.last_modified)
    try:
        item = await asyncio.to_thread(
            parse_article, fetched.content, fetched.url, ctx.config.section
        )
    except PageParseError as exc:
        raise SourceFailure(str(exc)) from exc
    return ReadResult(items=[item], etag=fetched.etag, last_modified=fetched.last_modified)


READERS[SourceKind.LISTING] = read_listing
READERS[SourceKind.ARTICLE] = read_article


PORTAL_PAGE_SIZE = 20


def _json(content: bytes, what: str) -> object:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        raise SourceFailure(f"the portal's {what} is not JSON (an error page?)") from None


async def read_portal(ctx: ReadContext) -> ReadResult:
    """The 2026 portal API: list a category page by page (stopping at a page of articles we
    already have), then fetch the detail of each article id not seen before."""
    config = ctx.config
    category = config.category or ""
    section = config.section or portal.CATEGORY_SECTIONS.get(category)
    level = config.tls_security_level
    entries: list[portal.PortalEntry] = []
    known: set[str] = set()
    screening = Screening()
    for page in range(1, config.max_pages + 1):
        fetched = await ctx.fetcher.post_json(
            portal.listing_url(config.url),
            portal.listing_request_body(category, page, PORTAL_PAGE_SIZE),
            origin=ctx.origin,
            security_level=level,
        )
        try:
            listing = portal.parse_listing_response(_json(fetched.content, "listing"), screening)
        except portal.PortalFormatError as exc:
            raise SourceFailure(str(exc)) from exc
        entries += listing.entries
        page_known = await ctx.known_guids([f"moh-portal:{e.aid}" for e in listing.entries])
        known |= page_known
        last = len(listing.entries) < PORTAL_PAGE_SIZE or (
            listing.total is not None and page * PORTAL_PAGE_SIZE >= listing.total
        )
        if last or (listing.entries and len(page_known) == len(listing.entries)):
            break
    new = [
        e for e in dict((e.aid, e) for e in entries).values() if f"moh-portal:{e.aid}" not in known
    ]
    gate = asyncio.Semaphore(4)

    async def detail(entry: portal.PortalEntry) -> ParsedItem:
        cid = entry.cid or category
        try:
            async with gate:
                fetched = await ctx.fetcher.post_json(
                    portal.detail_url(config.url),
                    portal.detail_request_body(entry.aid, cid),
                    origin=ctx.origin,
                    security_level=level,
                )
            return portal.parse_detail_response(
                _json(fetched.content, "article"), entry.aid, cid, section, config.url
            )
        except (FetchError, SourceFailure, ValueError, TypeError, KeyError) as exc:
            # The listing's title, date and summary are still news. Stored without the
            # article id, it stays unseen: the next poll fetches the detail, matched by address.
            log.info("portal article %s kept from the listing: %s", entry.aid, exc)
            return ParsedItem(
                title=entry.title,
                url=portal.article_url(entry.aid, cid, config.url),
                published=entry.published,
                summary=entry.summary,
                section=section,
            )

    items = list(await asyncio.gather(*(detail(e) for e in new)))
    return ReadResult(items=items, screening=screening)


READERS[SourceKind.MOH_PORTAL] = read_portal
