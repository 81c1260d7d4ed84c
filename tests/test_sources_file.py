"""The sources file's `section`: checked against the topic catalog and stored as the topic's
slug, however it is written; a section that names no topic is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from digests.config import PROJECT_ROOT, Settings
from digests.ingest.service import ingest
from digests.ingest.sources_file import SourcesFileError, load_sources
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import Article
from digests.topics.catalog import load_catalog
from tests.feed_server import FeedServer, Route
from tests.test_ingest_feeds import fast_fetcher, rss

CATALOG = load_catalog()


def write(path: Path, section: str) -> Path:
    path.write_text(
        f'[[source]]\nname = "lanh-dao"\nkind = "rss"\nurl = "https://example.org/a.rss"\n'
        f'section = "{section}"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "section",
    ["leadership", "Hoạt động của lãnh đạo Bộ", "hoat dong cua lanh dao bo", "Tin hoạt động"],
)
def test_a_section_is_stored_as_its_topics_slug(tmp_path: Path, section: str) -> None:
    (config,) = load_sources(write(tmp_path / "sources.toml", section), CATALOG)
    assert config.section == "leadership"


def test_a_section_that_names_no_topic_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match=r"source #1 \(lanh-dao\): section 'leadershp'"):
        load_sources(write(tmp_path / "sources.toml", "leadershp"), CATALOG)
    # Without a catalog there is nothing to check against: taken as written.
    (config,) = load_sources(write(tmp_path / "sources.toml", "leadershp"))
    assert config.section == "leadershp"


def test_the_shipped_sources_name_topics() -> None:
    sections = {
        s.name: s.section for s in load_sources(PROJECT_ROOT / "seeds" / "sources.toml", CATALOG)
    }
    assert sections["moh-leadership"] == "leadership"
    assert sections["skds-food-safety"] == "food-safety"


async def test_items_of_a_section_given_by_its_heading_are_that_topic(
    newsroom: Newsroom, settings: Settings
) -> None:
    headline = [("Hội nghị tổng kết công tác năm", "tong-ket", "Sáng nay, hội nghị diễn ra.")]
    async with FeedServer() as server:
        url = server.add("/lanh-dao.rss", Route(body=rss(headline)))
        settings.sources_file.write_text(
            f'[[source]]\nname = "lanh-dao"\nkind = "rss"\nurl = "{url}"\n'
            'section = "Hoạt động của lãnh đạo Bộ"\n',
            encoding="utf-8",
        )
        (report,) = await ingest(newsroom, fetcher=fast_fetcher())
    assert report.new == 1 and report.error is None
    with session_scope(newsroom.sessions) as session:
        article = session.scalar(select(Article))
        assert article is not None
        assert article.section == "leadership"
        assert "leadership" in [t.topic for t in article.topics]
