"""Search over stored articles: diacritic-insensitive, title matches first, then recency."""

from __future__ import annotations

import unicodedata

from digests.config import PROJECT_ROOT
from digests.ingest.service import import_seeds
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.search import search_articles


def _titles(newsroom: Newsroom, query: str, limit: int = 50) -> list[str]:
    with session_scope(newsroom.sessions) as session:
        return [hit.article.title for hit in search_articles(session, query, limit=limit)]


def test_with_and_without_diacritics_and_nfd(newsroom: Newsroom) -> None:
    import_seeds(newsroom, PROJECT_ROOT / "seeds")
    accented = _titles(newsroom, "ngộ độc")
    assert accented == _titles(newsroom, "ngo doc")
    assert accented == _titles(newsroom, unicodedata.normalize("NFD", "NGỘ ĐỘC"))
    assert accented[:2] == [
        # Both title matches, the newer (05/03 03:21) before the older (04/03 07:31).
        "Số ca nghi ngộ độc sau ăn bánh mì lề đường tại Vũng Tàu đã tăng lên 92 ca",
        "Số ca ngộ độc nghi do ăn bánh mì ở TPHCM tiếp tục tăng mạnh",
    ]


def test_title_matches_rank_before_text_matches(newsroom: Newsroom) -> None:
    import_seeds(newsroom, PROJECT_ROOT / "seeds")
    titles = _titles(newsroom, "chuyen doi so")
    assert len(titles) >= 15
    in_title = [t for t in titles if "chuyển đổi số" in t.casefold()]
    # Every title containing the phrase comes before any item that has it only in the text.
    assert titles[: len(in_title)] == in_title
    with session_scope(newsroom.sessions) as session:
        hits = search_articles(session, "chuyen doi so", limit=50)
        dated = [h.article.title for h in hits if h.rank == 0 and h.article.published_at]
        undated = [h for h in hits if h.rank == 0 and h.article.published_at is None]
    # Dated title matches, newest first (04/03/26, 03/03/26, 06/01/26, 08/07/25, 12/02/25).
    assert [t[:30] for t in dated] == [
        "Hoàn thiện thể chế, thúc đẩy c",
        "Thứ trưởng Thường trực Bộ Y tế",
        "Thứ trưởng Bộ Y tế Nguyễn Tri ",
        "Tiếp tục đẩy nhanh tiến độ chu",
        "Hội nghị góp ý kiến dự thảo Kế",
    ]
    # Undated items come after every dated item of their rank (they used to lead: their
    # first-seen time stood in for a date).
    assert all(titles.index(h.article.title) > titles.index(dated[-1]) for h in undated)


def test_every_word_must_match(newsroom: Newsroom) -> None:
    import_seeds(newsroom, PROJECT_ROOT / "seeds")
    assert _titles(newsroom, "uốn ván") == [
        "Nhiều ca mắc uốn ván, bác sĩ liên tục cảnh báo không được chủ quan với vết thương nhỏ"
    ]
    assert _titles(newsroom, "uon van xyzzy") == []
    assert _titles(newsroom, "  ...  ") == []


def test_a_common_word_shows_the_newest_matches(newsroom: Newsroom) -> None:
    """With more matches than are shown, the newest come first: the database ranks and cuts
    (SQLite's full-text query used to return the oldest 500 candidates, unordered)."""
    from datetime import UTC, datetime, timedelta

    from digests.dates import When
    from digests.records import ParsedItem
    from digests.store.articles import ArticleRepository

    start = datetime(2020, 1, 1, tzinfo=UTC)
    items = [
        ParsedItem(
            title=f"Bản tin y tế số {i}",
            url=f"https://moh.gov.vn/tin/{i}",
            published=When(start + timedelta(days=i), True),
        )
        for i in range(1200)
    ]
    with session_scope(newsroom.sessions) as session:
        ArticleRepository(session).upsert(items, source_id=None, now=start, labels=None)
    assert _titles(newsroom, "ban tin y te", limit=3) == [
        "Bản tin y tế số 1199",
        "Bản tin y tế số 1198",
        "Bản tin y tế số 1197",
    ]
