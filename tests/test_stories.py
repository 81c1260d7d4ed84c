"""One story, one item: the headline similarity on real labelled pairs (a few development pairs
of bench/data/headline_pairs.jsonl, copied to tests/data/story_pairs.jsonl), its gates and its
rarity table."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from digests import stories
from digests.stories import Headline, frequencies, group, read_frequencies, same_story

PAIRS = Path(__file__).parent / "data" / "story_pairs.jsonl"
HUE_PLO = "Nhiều em học sinh tiểu học ở Huế nôn ói trong giờ ăn bán trú"
HUE_TIENPHONG = "Sau bữa ăn trưa, nhiều học sinh một trường tiểu học ở Huế bị nôn ói"
HUE_CAFEF = "Nhiều học sinh tiểu học ở Huế nôn ói khi ăn trưa bán trú: Trường báo cáo gì?"
HUNG_YEN = "Hưng Yên: 27 công nhân nhập viện nghi ngộ độc thực phẩm"
NOON = datetime(2025, 12, 26, 12, 0)


def _side(side: dict[str, str | None]) -> Headline:
    published = side["published"]
    return Headline(str(side["title"]), side["outlet"], datetime.fromisoformat(published or ""))


def _pairs() -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("pair", _pairs(), ids=lambda p: p["a"]["title"][:30])
def test_real_pairs_within_two_days(pair: dict) -> None:  # type: ignore[type-arg]
    """Reports of one event by two outlets are one story (a school in Huế, a factory canteen,
    a bakery in Ho Chi Minh City); two events of the same days are not, even two poisonings in
    the same city."""
    assert same_story(_side(pair["a"]), _side(pair["b"])) is pair["same_event"]


def test_rare_words_decide() -> None:
    """A shared place or product weighs more than the words every poisoning shares."""
    table = frequencies()
    assert table.weight("hue") > 1.5 * table.weight("doc")
    assert table.weight("padobaby") == max(table.weight(t) for t in ("hue", "doc", "padobaby"))
    assert stories.similarity(HUE_PLO, HUE_CAFEF) > 3 * stories.similarity(HUE_PLO, HUNG_YEN)


def test_unrelated_news_sharing_common_words_stays_apart() -> None:
    """Real headlines of tests/data/corpus with no topic in common: a tobacco ban and dengue
    share only "biện pháp"."""
    assert not same_story(
        Headline("Đề xuất biện pháp cấm các sản phẩm thuốc lá mới", "a.vn"),
        Headline("Hà Nội phòng chống sốt xuất huyết bằng mọi biện pháp", "b.vn"),
    )


def test_window_and_outlet_gates() -> None:
    """Three days apart, or from one outlet (its own follow-up), the same words are two items."""
    plo = Headline(HUE_PLO, "plo.vn", NOON)
    assert same_story(plo, Headline(HUE_TIENPHONG, "tienphong.vn", NOON + timedelta(hours=30)))
    assert not same_story(plo, Headline(HUE_TIENPHONG, "tienphong.vn", NOON + timedelta(days=3)))
    assert not same_story(plo, Headline(HUE_TIENPHONG, "plo.vn", NOON))


def test_group_keeps_unrelated_items_of_the_day_apart() -> None:
    headlines = [
        Headline(HUE_PLO, "plo.vn", NOON),
        Headline(HUE_TIENPHONG, "tienphong.vn", NOON - timedelta(hours=1)),
        Headline(HUNG_YEN, "phunuvagiadinh.vn", NOON - timedelta(hours=2)),
        Headline(HUE_CAFEF, "cafef.vn", NOON - timedelta(hours=3)),
        Headline(HUE_TIENPHONG, "tienphong.vn", NOON - timedelta(hours=4)),  # a second copy
    ]
    assert group(headlines) == [[0, 1, 3], [2], [4]]


def test_the_rarity_table_is_checked() -> None:
    table = read_frequencies("# comment\n*documents\t10\nhue\t1\n")
    assert table.documents == 10 and table.counts == {"hue": 1}
    assert table.weight("unseen") > table.weight("hue")
    with pytest.raises(ValueError, match=":2: expected"):
        read_frequencies("*documents\t10\nhue 1\n")
    with pytest.raises(ValueError, match="no '\\*documents' line"):
        read_frequencies("hue\t1\n")
