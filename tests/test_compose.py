"""Digest composition (pure) and digest scheduling."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from digests.compose import Reader, compose, leader_section
from digests.reading import ArticleView
from digests.schedule import local_day, next_occurrence

T0 = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)


def article(
    i: int,
    topics: tuple[str, ...] = (),
    leaders: tuple[str, ...] = (),
    hours: float = 0,
    dated: bool = True,
) -> ArticleView:
    return ArticleView(
        id=i,
        title=f"Bài {i}",
        url=f"https://moh.gov.vn/{i}",
        published_at=T0 - timedelta(hours=hours) if dated else None,
        published_has_time=True,
        first_seen_at=T0 - timedelta(hours=hours) if not dated else T0,
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
ORDER = ["leadership", "digital-transformation", "food-safety", "disease-control"]
LEADERS = ["dao-hong-lan", "do-xuan-tuyen"]


def test_every_choice_has_a_section_and_each_article_is_in_full_once() -> None:
    articles = [
        article(1, ("food-safety",), hours=1),
        article(2, ("food-safety", "leadership"), ("dao-hong-lan",), hours=2),
        article(3, ("disease-control",), ("dao-hong-lan",), hours=3),
        article(4, ("disease-control",), hours=4),  # nothing this reader follows
    ]
    digest = compose(
        READER, articles, day=date(2026, 3, 5), topic_order=ORDER, leader_order=LEADERS
    )
    assert digest is not None
    keys = [s.key for s in digest.sections]
    assert keys == ["leadership", "food-safety", leader_section("dao-hong-lan")]
    leadership, food, leader = digest.sections
    assert [(i.article.id, i.full_in) for i in leadership.items] == [(2, None)]
    assert leadership.items[0].topics == ("leadership", "food-safety")
    assert leadership.items[0].leaders == ("dao-hong-lan",)
    # Article 2 is also food safety and Đào Hồng Lan's: one-line references there.
    assert [(i.article.id, i.full_in) for i in food.items] == [(1, None), (2, "leadership")]
    assert [(i.article.id, i.full_in) for i in leader.items] == [(2, "leadership"), (3, None)]
    assert sorted(digest.article_ids) == [1, 2, 3]
    assert digest.total == 3


def test_five_topics_and_a_leader_give_six_sections() -> None:
    topics = ("leadership", "digital-transformation", "food-safety", "disease-control", "x")
    reader = Reader(1, "vi", "Asia/Ho_Chi_Minh", frozenset(topics), frozenset({"do-xuan-tuyen"}))
    # One article touching everything, and one per topic: nothing may be folded away.
    articles = [article(0, topics, ("do-xuan-tuyen",), hours=0)] + [
        article(i + 1, (t,), hours=i + 1) for i, t in enumerate(topics)
    ]
    digest = compose(
        reader, articles, day=date(2026, 3, 5), topic_order=ORDER, leader_order=LEADERS
    )
    assert digest is not None
    assert [s.key for s in digest.sections] == [*ORDER, "x", leader_section("do-xuan-tuyen")]
    full = [i.article.id for s in digest.sections for i in s.items if i.full_in is None]
    assert sorted(full) == [0, 1, 2, 3, 4, 5]  # each article in full exactly once


def test_old_news_is_not_news_and_undated_never_leads() -> None:
    not_before = T0 - timedelta(hours=48)
    articles = [
        article(1, ("food-safety",), hours=2),
        article(2, ("food-safety",), hours=24 * 365 * 5),  # published five years ago
        article(3, ("food-safety",), hours=0.5, dated=False),  # undated, seen just now
        article(4, ("food-safety",), hours=60, dated=False),  # undated, seen 60 h ago
        article(5, ("food-safety",), hours=47),
    ]
    digest = compose(
        READER, articles, day=date(2026, 3, 5), topic_order=ORDER, not_before=not_before
    )
    assert digest is not None
    (food,) = digest.sections
    assert [i.article.id for i in food.items] == [1, 5, 3]  # undated last, old ones gone


def test_a_date_in_the_future_counts_as_when_it_was_seen() -> None:
    ahead = ArticleView(
        id=9,
        title="Sai ngày",
        url=None,
        published_at=T0 + timedelta(days=30),
        published_has_time=True,
        first_seen_at=T0,
        summary="",
        section=None,
        topics=("food-safety",),
        leaders=(),
    )
    digest = compose(
        READER,
        [article(1, ("food-safety",), hours=1), ahead],
        day=date(2026, 3, 5),
        topic_order=ORDER,
    )
    assert digest is not None
    assert [i.article.id for i in digest.sections[0].items] == [9, 1]


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


def test_one_story_from_two_outlets_is_one_item() -> None:
    from digests.stories import story_groups

    def report(i: int, title: str, host: str, hours: float) -> ArticleView:
        return ArticleView(
            id=i,
            title=title,
            url=f"https://{host}/{i}",
            published_at=T0 - timedelta(hours=hours),
            published_has_time=True,
            first_seen_at=T0,
            summary="",
            section=None,
            topics=("food-safety",),
            leaders=(),
        )

    articles = [
        report(1, "Số ca ngộ độc sau ăn bánh mì ở Vũng Tàu tăng lên 92", "tuoitre.vn", 1),
        report(2, "Vũng Tàu: 92 ca ngộ độc sau khi ăn bánh mì", "thanhnien.vn", 3),
        report(3, "Ngộ độc thực phẩm sau bữa cưới ở Hà Giang", "vnexpress.net", 2),
    ]
    stories = story_groups(sorted(articles, key=lambda a: -a.published_at.timestamp()))  # type: ignore[union-attr]
    assert {k: [a.id for a in v] for k, v in stories.items()} == {1: [2]}
    digest = compose(READER, articles, day=date(2026, 3, 5), topic_order=ORDER, stories=stories)
    assert digest is not None
    (food,) = digest.sections
    assert [(i.article.id, [a.id for a in i.also]) for i in food.items] == [(1, [2]), (3, [])]


def test_one_parser_for_a_time_of_day() -> None:
    """DIGEST_TIME and /time read times alike (the bot took '7h30', the setting did not)."""
    from digests.config import load_settings
    from digests.schedule import parse_time_of_day

    assert [parse_time_of_day(t) for t in ("07:30", "7h30", "7h", "19.05", " 6H ")] == [
        time(7, 30),
        time(7, 30),
        time(7, 0),
        time(19, 5),
        time(6, 0),
    ]
    assert [parse_time_of_day(t) for t in ("25:00", "7", "7:3", "abc", "")] == [None] * 5
    assert load_settings(digest_time="7h30", _env_file=None).digest_time == time(7, 30)
