"""Digest composition (pure) and digest scheduling."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from digests.compose import LEADERS_SECTION, Reader, compose
from digests.reading import ArticleView
from digests.schedule import local_day, next_occurrence

T0 = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)


def article(
    i: int, topics: tuple[str, ...] = (), leaders: tuple[str, ...] = (), hours: int = 0
) -> ArticleView:
    return ArticleView(
        id=i,
        title=f"Bài {i}",
        url=f"https://moh.gov.vn/{i}",
        published_at=T0 - timedelta(hours=hours),
        published_has_time=True,
        first_seen_at=T0,
        summary="",
        section=None,
        topics=topics,
        leaders=leaders,
    )


READER = Reader(
    chat_id=1,
    language="vi",
    timezone="Asia/Ho_Chi_Minh",
    topics=frozenset({"leadership", "food-safety"}),
    leaders=frozenset({"dao-hong-lan"}),
)
ORDER = ["digital-transformation", "food-safety", "leadership", "disease-control"]


def test_leadership_first_each_article_once_with_what_matched() -> None:
    articles = [
        article(1, ("food-safety",), hours=1),
        article(2, ("food-safety", "leadership"), ("dao-hong-lan",), hours=2),
        article(3, ("disease-control",), ("dao-hong-lan",), hours=3),
        article(4, ("disease-control",), hours=4),  # nothing this reader follows
    ]
    digest = compose(READER, articles, day=date(2026, 3, 5), topic_order=ORDER)
    assert digest is not None
    assert [s.key for s in digest.sections] == ["leadership", "food-safety", LEADERS_SECTION]
    leadership, food, leaders = digest.sections
    assert [i.article.id for i in leadership.items] == [2]
    assert leadership.items[0].topics == ("leadership", "food-safety")
    assert leadership.items[0].leaders == ("dao-hong-lan",)
    assert [i.article.id for i in food.items] == [1]
    assert [i.article.id for i in leaders.items] == [3]
    assert sorted(digest.article_ids) == [1, 2, 3]


def test_at_most_n_per_topic_newest_first_and_the_rest_counted() -> None:
    articles = [article(i, ("food-safety",), hours=i) for i in range(1, 9)]
    digest = compose(READER, articles, day=date(2026, 3, 5), topic_order=ORDER, max_per_topic=5)
    assert digest is not None
    (section,) = digest.sections
    assert [i.article.id for i in section.items] == [1, 2, 3, 4, 5]
    assert section.more == 3
    assert digest.total == 8


def test_nothing_new_means_no_digest() -> None:
    assert compose(READER, [], day=date(2026, 3, 5), topic_order=ORDER) is None
    unrelated = [article(1, ("disease-control",))]
    assert compose(READER, unrelated, day=date(2026, 3, 5), topic_order=ORDER) is None


def test_next_occurrence_in_local_time() -> None:
    seven = time(7, 0)
    # 06:59 in Hanoi (23:59 UTC the day before): due at 07:00 the same local day.
    before = datetime(2026, 3, 4, 23, 59, tzinfo=UTC)
    assert next_occurrence(before, seven, "Asia/Ho_Chi_Minh") == datetime(
        2026, 3, 5, 0, 0, tzinfo=UTC
    )
    # Exactly 07:00: the next one is tomorrow.
    at = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
    assert next_occurrence(at, seven, "Asia/Ho_Chi_Minh") == datetime(2026, 3, 6, 0, 0, tzinfo=UTC)
    # Paris in March before the DST change (UTC+1).
    assert next_occurrence(at, seven, "Europe/Paris") == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
    assert local_day(datetime(2026, 3, 4, 17, 30, tzinfo=UTC), "Asia/Ho_Chi_Minh") == date(
        2026, 3, 5
    )
