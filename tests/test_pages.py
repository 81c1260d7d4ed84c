"""Real saved pages of the ministry's portals (tests/data/shared/moh_pages): listings, the
home page, the timeline (partly NFD), article pages; served over local HTTP as sources too."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from digests.config import Settings
from digests.dates import VN_TZ
from digests.ingest.fetch import Fetcher, FetchPolicy
from digests.ingest.pages import PageParseError, parse_article, parse_listing, parse_page
from digests.ingest.service import ingest
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import Article
from tests.conftest import SHARED
from tests.feed_server import FeedServer, Route

PAGES = SHARED / "moh_pages"
pytestmark = pytest.mark.skipif(
    not PAGES.is_dir(), reason="tests/data/shared/moh_pages is not present"
)
BASE = "https://ncov.moh.gov.vn/web/guest/"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def vn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VN_TZ)


def test_vietnamese_listing() -> None:
    items = parse_listing(page("ncov_moh_chi-dao-dieu-hanh_listing_vi_2021-05-24.html"), BASE)
    assert len(items) == 5
    assert all(i.title and i.url and i.url.startswith("https://") and i.published for i in items)
    first = items[0]
    assert first.title == (
        "Quyết tâm đẩy lùi đợt dịch này, thần tốc hơn nữa, thực hiện bằng được chiến lược vaccine"
    )
    assert first.url == "https://ncov.moh.gov.vn/web/guest/-/6847912-184"
    assert first.published.at == vn(2021, 5, 24, 20, 22)  # type: ignore[union-attr]
    third = items[2]
    assert third.published.at == vn(2021, 5, 22, 15, 34)  # type: ignore[union-attr]  # "Thứ bảy"
    assert third.summary.startswith("Trưa ngày 22/5, Thủ tướng Phạm Minh Chính")


def test_english_listing() -> None:
    items = parse_listing(page("ncov_moh_tin-tuc_listing_en_2021-05-24.html"), BASE)
    assert [i.url.rsplit("/", 1)[1] for i in items] == [  # type: ignore[union-attr]
        "6847426-3899",
        "6847426-3898",
        "6847426-3897",
        "6847426-3896",
        "6847426-3895",
    ]
    assert all(i.published for i in items)
    assert items[1].title == "Bắc Giang có thêm 58 giường điều trị tích cực"
    assert items[1].published.at == vn(2021, 5, 24, 22, 12)  # type: ignore[union-attr]
    assert items[1].summary.startswith("Với sự hỗ trợ của đoàn chuyên gia Bệnh viện Bạch Mai")


def test_home_page_merges_blocks_and_keeps_undated_widgets_undated() -> None:
    items = parse_page(page("ncov_moh_homepage_en_2021-05-24.html"), BASE)
    urls = [i.url for i in items]
    assert len(urls) == len(set(urls))  # one item per article, whichever blocks list it
    by_id = {i.url.rsplit("/", 1)[1]: i for i in items if i.url and "/-/" in i.url}  # type: ignore[union-attr]
    assert by_id["6847426-3899"].published.at == vn(2021, 5, 24, 22, 38)  # type: ignore[union-attr]
    assert by_id["6851640-63"].published.at == vn(2021, 5, 22, 22, 42)  # type: ignore[union-attr]
    # A bullet list shows no dates: those items stay undated, never borrow a neighbour's date.
    assert by_id["6847426-3898"].published is None
    assert by_id["6847426-3898"].title == "Bắc Giang có thêm 58 giường điều trị tích cực"
    timeline = [i for i in items if "#" in (i.url or "")]
    assert timeline and timeline[0].title == "THÔNG BÁO VỀ 96 CA MẮC MỚI (BN5309-5404)"


def test_timeline_nfd_comes_out_nfc() -> None:
    raw = page("ncov_moh_dong-thoi-gian_timeline_NFD_2021-05-24.html")
    assert "ta\u0323i".encode() in raw  # the file really is partly NFD
    items = parse_page(raw, BASE)
    assert len(items) == 10
    assert all(i.published for i in items)
    assert items[0].published.at == vn(2021, 5, 24, 18, 5)  # type: ignore[union-attr]
    assert items[-1].title == "THÔNG BÁO VỀ 20 CA MẮC MỚI (BN4942 - 4961)"
    for item in items:
        for text in (item.title, item.summary, item.body):
            assert unicodedata.is_normalized("NFC", text)
    assert any("tại" in i.body for i in items)


def test_article_pages() -> None:
    article = parse_article(
        page("ncov_moh_article_detail_text_7332445_2021-05-22.html"), BASE + "-/7332445"
    )
    assert article.title == "Những chỉ đạo “nóng” trong phòng, chống dịch COVID-19 trong tuần qua"
    assert article.published.at == vn(2021, 5, 22, 11, 38)  # type: ignore[union-attr]
    assert article.url == "https://moh.gov.vn/-/6847912-182"  # the declared canonical address
    assert article.summary.startswith("Trong tuần qua (từ ngày 17-21/5/2021), Chính phủ")
    assert len(article.body.split("\n")) > 5 and "\u00a0" not in article.body
    assert not any(p.startswith("Nguồn") for p in article.body.split("\n"))
    video = parse_article(page("ncov_moh_article_detail_6848045-2.html"), BASE + "-/6848045-2")
    assert video.title == "Phản ứng thông thường sau tiêm vắc xin phòng COVID-19"
    assert video.published.at == vn(2021, 4, 19, 15, 17)  # type: ignore[union-attr]


def test_not_a_news_page() -> None:
    with pytest.raises(PageParseError):
        parse_page(b"<html><body><p>hello</p></body></html>", "https://moh.gov.vn/x")
    with pytest.raises(PageParseError):
        parse_article(b"<html><body><h1>502 Bad Gateway</h1></body></html>", "https://moh.gov.vn/x")


def _write_sources(path: Path, entries: list[tuple[str, str, str]]) -> None:
    lines = []
    for name, kind, url in entries:
        lines += ["[[source]]", f'name = "{name}"', f'kind = "{kind}"', f'url = "{url}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


async def test_listing_and_article_sources_over_http(
    newsroom: Newsroom, settings: Settings
) -> None:
    listing = page("ncov_moh_tin-tuc_listing_en_2021-05-24.html").decode("utf-8")
    article = page("ncov_moh_article_detail_text_7332445_2021-05-22.html")
    async with FeedServer() as server:
        # The listing points at the portal; serve it with links to this server instead.
        listing = listing.replace("https://ncov.moh.gov.vn/en/web/guest/", server.url("/en/"))
        server.add(
            "/tin-tuc",
            Route(body=listing.encode(), headers={"Content-Type": "text/html; charset=utf-8"}),
        )
        for n in range(3895, 3900):
            server.add(
                f"/en/-/6847426-{n}", Route(body=article if n == 3899 else b"<html>oops</html>")
            )
        video = page("ncov_moh_article_detail_6848045-2.html")
        server.add("/bai-viet", Route(body=video, headers={"Content-Type": "text/html"}))
        _write_sources(
            settings.sources_file,
            [
                ("tin-tuc", "listing", server.url("/tin-tuc")),
                ("bai-viet", "article", server.url("/bai-viet")),
            ],
        )
        fetcher = Fetcher(FetchPolicy(timeout=2, attempts=1))
        reports = {r.name: r for r in await ingest(newsroom, fetcher=fetcher)}
        again = {
            r.name: r
            for r in await ingest(newsroom, fetcher=Fetcher(FetchPolicy(timeout=2, attempts=1)))
        }
    assert reports["tin-tuc"].ok and reports["tin-tuc"].new == 5
    assert reports["bai-viet"].ok and reports["bai-viet"].new == 1
    assert again["tin-tuc"].new == 0 and again["bai-viet"].new == 0
    with session_scope(newsroom.sessions) as session:
        stored = {a.url: a for a in session.scalars(select(Article))}
        full = stored[server.url("/en/-/6847426-3899")]
        # The listing item got the full text from its article page.
        assert full.body and "Chính phủ" in full.body
        assert full.published_at is not None
        assert stored["https://moh.gov.vn/-/6848045-2"].title == (
            "Phản ứng thông thường sau tiêm vắc xin phòng COVID-19"
        )
