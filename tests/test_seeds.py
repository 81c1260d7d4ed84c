"""The seed documents: parsing (exact titles and times) and import into the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digests.config import PROJECT_ROOT
from digests.dates import VN_TZ
from digests.ingest.seeds import parse_seed_dir, parse_seed_file
from digests.ingest.service import import_seeds
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.models import Article, ArticleLink
from digests.text import title_key

SEEDS = PROJECT_ROOT / "seeds"


def _by_title(items: list[ParsedItem], prefix: str) -> ParsedItem:
    found = [i for i in items if i.title.startswith(prefix)]
    assert len(found) == 1, f"{prefix!r}: {len(found)} matches"
    return found[0]


def _all_items() -> list[ParsedItem]:
    return [item for _path, items in parse_seed_dir(SEEDS) for item in items]


def test_the_five_documents_give_82_distinct_items() -> None:
    items = _all_items()
    keys = {title_key(i.title) for i in items}
    assert len(keys) == 82
    timed = {title_key(i.title) for i in items if i.published and i.published.has_time}
    dated_only = [i for i in items if i.published and not i.published.has_time]
    undated = [i for i in items if i.published is None]
    assert len(timed) == 65
    assert [i.title for i in dated_only] == ["Tiếp tục đẩy nhanh tiến độ chuyển đổi số ngành Y tế"]
    assert len(undated) == 16


def test_full_article_with_00_19_am() -> None:
    items = parse_seed_file(SEEDS / "000_2062d73b37738c3d.txt")
    first = items[0]
    assert first.title == (
        "Thứ trưởng Thường trực Bộ Y tế Vũ Mạnh Hà: Văn phòng Bộ Y tế chủ động tham mưu, "
        "báo cáo, đẩy mạnh chuyển đổi số góp phần hoàn thành nhiệm vụ chung toàn ngành Y tế"
    )
    assert first.published is not None and first.published.at == datetime(
        2026, 3, 3, 0, 19, tzinfo=VN_TZ
    )
    assert first.body.startswith("Sáng 02/3/2026, tại trụ sở Bộ Y tế")
    assert first.body.endswith("hoàn thành nhiệm vụ một cách hiệu quả nhất./.")
    # The title repeated as an image caption stays out of the body and is no second article.
    assert first.title not in first.body.split("\n")
    assert sum(1 for i in items if i.title == first.title) == 1
    assert len(first.related) == 7


def test_listing_item_with_snippet_on_the_date_line() -> None:
    items = parse_seed_file(SEEDS / "000_2062d73b37738c3d.txt")
    item = _by_title(items, "Chủ động phòng dịch, bảo đảm an toàn thực phẩm")
    assert item.published is not None
    assert item.published.at == datetime(2026, 3, 5, 3, 51, tzinfo=VN_TZ)
    assert item.summary.startswith("Ngành Y tế Hà Tĩnh yêu cầu các đơn vị")
    assert item.summary.endswith("trong và sau...")
    assert len(items) == 21


def test_14_50_pm_and_source_line() -> None:
    items = parse_seed_file(SEEDS / "004_5ae3e6983b63c786.txt")
    article = items[-1]
    assert article.title.startswith("Họp Ban chỉ đạo Quốc gia vận động hiến máu tình nguyện")
    assert article.published is not None
    assert article.published.at == datetime(2025, 7, 10, 14, 50, tzinfo=VN_TZ)
    assert article.section is None
    # Image file names in "Tin liên quan" are not news.
    assert not any(t.endswith(".jpg") for t in article.related)
    assert "Tổng quan về Đại hội đại biểu toàn quốc lần thứ XIV của Đảng" in article.related
    second = parse_seed_file(SEEDS / "001_86118fc7a2faf0ed.txt")[1]
    assert second.published is not None
    assert second.published.at == datetime(2026, 1, 10, 7, 36, tzinfo=VN_TZ)
    assert "(Nguồn" not in second.body and second.body.endswith("tiếp tục điều trị chuyên sâu.")


def test_thu_bay_spelled_bay_and_leadership_section() -> None:
    items = parse_seed_file(SEEDS / "004_5ae3e6983b63c786.txt")
    item = _by_title(items, "Tổng Bí thư Tô Lâm dự lễ khởi công")
    assert item.published is not None
    assert item.published.at == datetime(2026, 1, 17, 6, 47, tzinfo=VN_TZ)
    listing = [i for i in items if not i.is_full]
    assert len(listing) == 20
    assert all(i.section == "leadership" for i in listing)


def test_english_dated_listing() -> None:
    items = parse_seed_file(SEEDS / "003_75f02e9b32117530.txt")
    item = _by_title(items, "Bộ trưởng Bộ Y tế Đào Hồng Lan tham dự Hội nghị tiếp xúc cử tri")
    assert item.published is not None
    assert item.published.at == datetime(2025, 7, 5, 14, 25, tzinfo=VN_TZ)
    assert item.section == "leadership"
    quoted = _by_title(items, "'Phải tổ chức thực hiện")
    assert quoted.published is not None
    assert quoted.published.at == datetime(2025, 7, 5, 2, 12, tzinfo=VN_TZ)
    article = items[-1]
    assert article.title.startswith("Hội nghị góp ý kiến dự thảo Kế hoạch hành động")
    assert article.published is not None
    assert article.published.at == datetime(2025, 2, 12, 8, 11, tzinfo=VN_TZ)
    assert article.section is None
    assert article.summary.startswith("Bộ Y tế tổ chức hội nghị góp ý kiến dự thảo")


def test_body_dated_portal_article_and_undated_items() -> None:
    items = parse_seed_file(SEEDS / "002_3da0e874c4a09477.txt")
    assert len(items) == 17
    article = items[0]
    assert article.title == "Tiếp tục đẩy nhanh tiến độ chuyển đổi số ngành Y tế"
    assert article.published is not None and not article.published.has_time
    assert article.published.at.date().isoformat() == "2025-07-08"
    assert "Theo moh.gov.vn" not in article.body
    assert all(i.published is None for i in items[1:])
    assert all(i.section == "digital-transformation" for i in items)
    titles = [i.title for i in items]
    # Navigation and the statistics block are not news.
    assert "Nhận thức số" not in titles and "Mục tiêu & Định hướng" not in titles
    assert not any(t.startswith((">50%", "40%", "100%")) for t in titles)


def test_text_is_nfc_without_nbsp() -> None:
    import unicodedata

    for item in _all_items():
        for text in (item.title, item.summary, item.body):
            assert unicodedata.is_normalized("NFC", text)
            assert "\u00a0" not in text and "  " not in text


def test_import_stores_82_and_is_idempotent(newsroom: Newsroom) -> None:
    first = import_seeds(newsroom, SEEDS)
    assert (first.new, first.items) == (82, 82)
    with session_scope(newsroom.sessions) as session:
        snapshot = {
            a.title_key: (a.content_hash, a.published_at, a.section)
            for a in session.scalars(select(Article))
        }
        links = session.scalar(select(func.count()).select_from(ArticleLink))
    second = import_seeds(newsroom, SEEDS)
    assert (second.new, second.updated, second.unchanged, second.links) == (0, 0, 82, 0)
    with session_scope(newsroom.sessions) as session:
        again = {
            a.title_key: (a.content_hash, a.published_at, a.section)
            for a in session.scalars(select(Article))
        }
        assert again == snapshot
        assert len(again) == 82
        assert not any(a.endswith("jpg") for a in again)
        assert links == 13
        leadership = ArticleRepository(session).newest(section="leadership")
        assert len(leadership) == 40
        tuyen = session.scalar(
            select(Article).where(Article.title.startswith("Tổng Bí thư Tô Lâm dự lễ khởi công"))
        )
        assert tuyen is not None and tuyen.published_at is not None
        assert tuyen.published_at.astimezone(VN_TZ) == datetime(2026, 1, 17, 6, 47, tzinfo=VN_TZ)


def test_fuller_text_wins_when_snippet_meets_article(newsroom: Newsroom, tmp_path: Path) -> None:
    listing = (
        "HOẠT ĐỘNG CỦA LÃNH ĐẠO BỘ\n"
        "Bộ trưởng Đào Hồng Lan tiếp đoàn công tác của WHO\n"
        "Thứ Hai, ngày 02/03/2026 09:00Sáng 2/3, Bộ trưởng Bộ Y tế Đào Hồng Lan tiếp...\n"
    )
    article = (
        "Bộ trưởng Đào Hồng Lan tiếp đoàn công tác của WHO\n"
        "02/03/2026 | 09:00 AM\n"
        "Sáng 2/3, Bộ trưởng Bộ Y tế Đào Hồng Lan tiếp đoàn công tác của Tổ chức Y tế Thế giới.\n"
        "Hai bên trao đổi về hợp tác phòng, chống dịch bệnh.\n"
    )
    (tmp_path / "a.txt").write_text(listing, encoding="utf-8")
    import_seeds(newsroom, tmp_path)
    (tmp_path / "b.txt").write_text(article, encoding="utf-8")
    report = import_seeds(newsroom, tmp_path)
    assert (report.new, report.updated) == (0, 1)
    with session_scope(newsroom.sessions) as session:
        (stored,) = session.scalars(select(Article)).all()
        assert stored.section == "leadership"
        assert stored.summary.endswith("Tổ chức Y tế Thế giới.")
        assert "Hai bên trao đổi" in stored.body


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
@pytest.mark.slow
def test_cli_import_then_articles_json(
    db: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if db == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_database")
        from tests.conftest import _truncate_all

        _truncate_all(url)
    env = {**os.environ, "DATABASE_URL": url}
    cli = [sys.executable, "-m", "bot.cli"]
    done = subprocess.run(
        [*cli, "import-seeds"], env=env, capture_output=True, text=True, check=True
    )
    assert "82 new" in done.stdout
    out = subprocess.run(
        [*cli, "articles", "--json"], env=env, capture_output=True, text=True, check=True
    )
    rows = json.loads(out.stdout)
    assert len(rows) == 82
    assert {"title", "url", "published_at", "section", "source"} <= set(rows[0])
    timed = [r for r in rows if r["published_at"] and r["published_has_time"]]
    assert len(timed) == 65
    assert all(r["published_at"].endswith("+07:00") for r in timed)
    assert sum(1 for r in rows if r["published_at"] is None) == 16
