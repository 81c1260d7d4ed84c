"""The 2026 portal API over local HTTP, with constructed answers (tests/data/portal): a
category listed page by page, details fetched only for unseen article ids, NFC text, the
category's section, local times."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from digests.config import PROJECT_ROOT, Settings
from digests.dates import VN_TZ
from digests.ingest import portal
from digests.ingest.fetch import Fetcher, FetchPolicy
from digests.ingest.service import ingest
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import Article
from tests.feed_server import FeedServer

DATA = PROJECT_ROOT / "tests" / "data" / "portal"


def load(name: str) -> object:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


class PortalServer:
    """Answers the two bridge endpoints from the fixtures and counts the calls."""

    def __init__(self) -> None:
        self.pages = {n: load(f"listing_8351_page{n}.json") for n in (1, 2, 3)}
        self.details = load("details_8351.json")
        self.calls: Counter[str] = Counter()
        self.fail_details: set[str] = set()

    async def bridge(self, request: web.Request) -> web.Response:
        body = await request.json()
        if request.query.get("url", "").endswith("lay_bai_viet_theo_danh_muc"):
            self.calls["listing"] += 1
            assert body["MA_DANH_MUC"] == "8351" and body["PAGE_SIZE"] == 20
            return web.json_response(self.pages.get(body["PAGE_INDEX"], {"data": {"items": []}}))
        aid = str(body["maBaiViet"])
        self.calls[f"detail:{aid}"] += 1
        if aid in self.fail_details:
            return web.Response(status=200, text="<html>Lỗi hệ thống</html>")
        return web.json_response(self.details[aid])  # type: ignore[index]


def test_parsing_the_constructed_answers() -> None:
    listing = portal.parse_listing_response(load("listing_8351_page1.json"))
    assert len(listing.entries) == 20 and listing.total == 45
    first = listing.entries[0]
    assert first.aid == "900100" and first.cid == "8351"
    assert first.published.at == datetime(2026, 4, 29, 14, 50, tzinfo=VN_TZ)  # type: ignore[union-attr]
    assert listing.entries[1].published.at == datetime(2026, 4, 29, 0, 19, tzinfo=VN_TZ)  # type: ignore[union-attr]
    assert listing.entries[2].published.at == datetime(2026, 4, 29, 20, 30, tzinfo=VN_TZ)  # type: ignore[union-attr]
    assert listing.entries[2].title.startswith("Hội nghị triển khai công tác y tế cơ sở & chăm sóc")
    assert unicodedata.is_normalized("NFC", listing.entries[4].title)
    item = portal.parse_detail_response(
        load("details_8351.json")["900101"], 900101, 8351, "leadership"
    )  # type: ignore[index]
    assert item.url == "https://moh.gov.vn/index.jsp?pageId=5803&aid=900101&cid=8351"
    assert item.guid == "moh-portal:900101" and item.section == "leadership"
    assert item.body.split("\n") == [
        "Đoạn một của bài 900101: Bộ Y tế & Sở Y tế thống nhất kế hoạch.",
        "Đoạn hai: Thứ trưởng nhấn mạnh yêu cầu.",
    ]
    assert portal.listing_request_body("8351", 2)["PAGE_INDEX"] == 2
    assert portal.detail_request_body("900101", "8351") == {"maBaiViet": 900101, "maDanhMuc": 8351}
    with pytest.raises(portal.PortalFormatError, match="hết hạn"):
        portal.parse_listing_response(load("error.json"))
    with pytest.raises(portal.PortalFormatError):
        portal.parse_listing_response("<html>")


def write_portal_source(path: Path, url: str, pages: int = 5) -> None:
    path.write_text(
        f'[[source]]\nname = "moh-leadership"\nkind = "moh-portal"\nurl = "{url}"\n'
        f'category = "8351"\nmax_pages = {pages}\npoll_interval = "15m"\n',
        encoding="utf-8",
    )


async def test_portal_listing_paging_and_details_of_unseen_ids(
    newsroom: Newsroom, settings: Settings
) -> None:
    api = PortalServer()
    async with FeedServer() as server:
        server.add_handler("/bridge", api.bridge)
        write_portal_source(settings.sources_file, server.base_url)
        fetcher = Fetcher(FetchPolicy(timeout=2, attempts=1))
        api.fail_details = {"900105"}
        (first,) = await ingest(newsroom, fetcher=fetcher)
        assert first.ok and first.new == 45
        assert api.calls["listing"] == 3
        assert sum(n for k, n in api.calls.items() if k.startswith("detail:")) == 45
        # Second poll: only the article whose detail failed is asked again; paging stops at
        # the first page made only of known articles.
        api.calls.clear()
        api.fail_details = set()
        (second,) = await ingest(newsroom, fetcher=Fetcher(FetchPolicy(timeout=2, attempts=1)))
        await fetcher.aclose()
    assert second.ok
    assert api.calls["listing"] == 2  # page 1 still had 900105 unseen; page 2 was all known
    assert [k for k in api.calls if k.startswith("detail:")] == ["detail:900105"]
    with session_scope(newsroom.sessions) as session:
        articles = {a.guid: a for a in session.scalars(select(Article))}
        assert len(articles) == 45
        a = articles["moh-portal:900100"]
        assert a.section == "leadership" and a.url.endswith("aid=900100&cid=8351")
        assert a.published_at.astimezone(VN_TZ) == datetime(2026, 4, 29, 14, 50, tzinfo=VN_TZ)
        assert {t.topic for t in a.topics} >= {"leadership"}
        assert {leader.leader for leader in a.leaders} == {"dao-hong-lan"}
        assert unicodedata.is_normalized("NFC", articles["moh-portal:900104"].title)
        assert "\u00a0" not in a.summary and a.summary.startswith("Sáng nay, lãnh đạo Bộ Y tế")
        assert "moh-portal:900105" in articles and articles["moh-portal:900105"].body
