"""`mohbot ingest` with the sources file that ships with the bot, its hosts pointed at local
servers: the portal's six categories and the newspaper's feeds, all ingested, counts printed."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
from pathlib import Path

import pytest
from aiohttp import web

from digests.config import PROJECT_ROOT
from digests.ingest.sources_file import load_sources
from tests.conftest import SHARED
from tests.feed_server import FeedServer, Route

PORTAL = PROJECT_ROOT / "tests" / "data" / "portal"
VNEXPRESS = SHARED / "moh_pages" / "vnexpress_tin-moi-nhat_rss_2017-07-26.xml"
FOOD_FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>ATTP</title>
<item><title>Ngộ độc thực phẩm tại bếp ăn tập thể ở Bình Dương</title>
<link>https://suckhoedoisong.vn/ngo-doc-binh-duong.htm</link>
<pubDate>Thu, 05 Mar 2026 08:00:00 GMT+7</pubDate></item></channel></rss>""".encode()


class AllCategories:
    """The portal's listing for any category: the constructed fixtures, ids made unique."""

    def __init__(self) -> None:
        self.pages = {
            n: json.loads((PORTAL / f"listing_8351_page{n}.json").read_text(encoding="utf-8"))
            for n in (1, 2, 3)
        }
        self.details = json.loads((PORTAL / "details_8351.json").read_text(encoding="utf-8"))

    async def bridge(self, request: web.Request) -> web.Response:
        body = await request.json()
        if request.query.get("url", "").endswith("lay_bai_viet_theo_danh_muc"):
            category = int(body["MA_DANH_MUC"])
            page = copy.deepcopy(self.pages.get(body["PAGE_INDEX"], {"data": {"items": []}}))
            for item in page["data"]["items"]:
                item["maBaiViet"] += category * 1000
                item["maDanhMuc"] = category
                item["tieuDe"] = f"{item['tieuDe']} [{category}]"
            return web.json_response(page)
        aid, category = int(body["maBaiViet"]), int(body["maDanhMuc"])
        detail = copy.deepcopy(self.details[str(aid - category * 1000)])
        detail["data"]["tieuDe"] = f"{detail['data']['tieuDe']} [{category}]"
        return web.json_response(detail)


@pytest.mark.skipif(not VNEXPRESS.exists(), reason="tests/data/shared/moh_pages is not present")
@pytest.mark.slow
async def test_mohbot_ingest_with_the_shipped_sources_file(db_url: str, tmp_path: Path) -> None:
    shipped = (PROJECT_ROOT / "seeds" / "sources.toml").read_text(encoding="utf-8")
    assert {s.name for s in load_sources(PROJECT_ROOT / "seeds" / "sources.toml")} == {
        "moh-leadership",
        "moh-highlights",
        "moh-news",
        "moh-direction",
        "moh-digital",
        "moh-local",
        "skds-home",
        "skds-food-safety",
    }
    portal = AllCategories()
    async with FeedServer() as moh, FeedServer() as skds:
        moh.add_handler("/bridge", portal.bridge)
        skds.add(
            "/rss/home.rss",
            Route(body=VNEXPRESS.read_bytes(), headers={"Content-Type": "application/rss+xml"}),
        )
        skds.add(
            "/rss/an-toan-thuc-pham.rss",
            Route(body=FOOD_FEED, headers={"Content-Type": "text/xml"}),
        )
        local = shipped.replace("https://moh.gov.vn", moh.base_url).replace(
            "https://suckhoedoisong.vn", skds.base_url
        )
        sources = tmp_path / "sources.toml"
        sources.write_text(local, encoding="utf-8")
        env = {**os.environ, "DATABASE_URL": db_url, "SOURCES_FILE": str(sources)}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "ingest",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 120)
    lines = out.decode().splitlines()
    assert process.returncode == 0, err.decode()[-2000:]
    counts = {line.split()[0]: line for line in lines[:-1]}
    for name in (
        "moh-leadership",
        "moh-highlights",
        "moh-news",
        "moh-direction",
        "moh-digital",
        "moh-local",
    ):
        assert "45 new" in counts[name], counts[name]  # up to max_pages pages of 20, all 45 here
    assert "25 new" in counts["skds-home"]
    assert "1 new" in counts["skds-food-safety"]
    assert lines[-1] == "8 sources polled, 0 failed"
    # Not a terminal: progress as plain lines on standard error, the last one complete.
    assert "ingest: 8/8 sources" in err.decode().splitlines()
