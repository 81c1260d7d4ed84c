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


ISCHOOL_NIGHT = Headline(
    "Nhiều học sinh Trường iSchool Nha Trang nhập viện trong đêm",
    "vinh24h.vn",
    lead="Sáng nay (18-11), lãnh đạo Trường iSchool Nha Trang gồm 3 cấp học đã đến các bệnh viện "
    "trên địa bàn TP Nha Trang, tỉnh Khánh Hòa để thăm hỏi các học sinh sau khi xảy ra tình trạng "
    "học sinh nhập viện hàng loạt vì các triệu chứng nghi ngộ độc thực phẩm",
)
ISCHOOL_DEATH_TITLE = (
    "Vụ ngộ độc tại Trường Ischool Nha Trang khiến 257 trẻ nhập viện: Một bé lớp 1 tử vong"
)
ISCHOOL_DEATH_LEAD = (
    "Theo Báo Tuổi trẻ, trưa 20/11, Hiệu trưởng Trường Ischool Nha Trang (tỉnh Khánh Hòa), xác "
    "nhận một học sinh lớp 1 trong vụ ngộ độc thực phẩm tại trường ngày 17/11 vừa tử vong trên "
    "đường chuyển viện vào TP.HCM."
)


def test_leads_decide_between_fairly_close_headlines() -> None:
    """Development pair of the fourth round: the two iSchool headlines alone are only fairly
    close, and their leads (the school, Nha Trang, Khánh Hòa) confirm one story. Two made-up
    items of one province on the same day, an H5N1 case and a week of dengue, have headlines
    as close, but their leads share nothing rare: without leads they would be merged."""
    score = stories.similarity(ISCHOOL_NIGHT.title, ISCHOOL_DEATH_TITLE)
    assert stories.THRESHOLD <= score < stories.STRONG
    assert same_story(
        ISCHOOL_NIGHT, Headline(ISCHOOL_DEATH_TITLE, "kenhhot.vn", lead=ISCHOOL_DEATH_LEAD)
    )
    flu = Headline(
        "Khánh Hòa: thêm ca cúm A/H5N1",
        "a.vn",
        lead="Sở Y tế Khánh Hòa cho biết một sinh viên 21 tuổi ở Nha Trang tử vong do nhiễm cúm "
        "gia cầm sau khi tiếp xúc với chim hoang dã.",
    )
    dengue = Headline(
        "Khánh Hòa: thêm ca sốt xuất huyết",
        "b.vn",
        lead="Trung tâm Kiểm soát bệnh tật tỉnh ghi nhận 312 ca mắc trong tuần, tập trung ở Cam "
        "Ranh và Diên Khánh, chưa có trường hợp tử vong.",
    )
    assert stories.THRESHOLD <= stories.similarity(flu.title, dengue.title) < stories.STRONG
    assert same_story(Headline(flu.title, "a.vn"), Headline(dengue.title, "b.vn"))
    assert not same_story(flu, dengue)


def test_common_words_alone_never_make_one_story() -> None:
    """Two headlines made of the words every poisoning report uses are alike, but share no rare
    word, so they are not taken for one event."""
    a, b = "Bệnh viện tiếp nhận nhiều ca ngộ độc", "Nhiều ca ngộ độc vào bệnh viện"
    assert stories.similarity(a, b) >= stories.STRONG
    assert not same_story(Headline(a, "a.vn"), Headline(b, "b.vn"))


def test_english_headlines_fold_inflection_and_number_words() -> None:
    """Development pair of the fourth round (Hòa Bình, May 2017): "Seven patients die" meets
    "7 die"."""
    assert {"7", "die", "patient"} <= stories.terms(
        "Seven patients die during dialysis in northern Vietnam"
    )
    assert same_story(
        Headline("Seven patients die during dialysis in northern Vietnam", "ivteam.com"),
        Headline("7 die in Vietnam hospital", "aseaneconomist.com"),
    )


def test_english_stop_words_spare_vietnamese_syllables() -> None:
    """ "than" is "thận" (kidney) once folded, "can" is "cần": they stay content words."""
    assert "than" in stories.terms("Tin mới nhất vụ tử vong khi chạy thận ở Hòa Bình")
    assert "can" in stories.terms("Cần thêm thuốc cho bệnh viện")


def test_concepts_join_a_vietnamese_and_an_english_report() -> None:
    """Made-up reports of one event in two languages share no syllable but the place and the
    count; read as concepts ("sởi"/"measles", "tử vong"/"die", "Hà Nội"/"Hanoi") they are
    one story. The same place and count with another disease is another event."""
    vi = Headline("Hà Nội: 3 trẻ tử vong vì sởi", "a.vn", NOON)
    en = Headline("Three children die of measles in Hanoi", "b.vn", NOON)
    assert {"@measles", "@hanoi", "@death", "@child", "3"} <= stories.concept_terms(en.title)
    assert stories.concept_terms(vi.title) == stories.concept_terms(en.title)
    assert not same_story(Headline(vi.title, "a.vn"), Headline(en.title.lower(), "a.vn"))
    assert same_story(vi, en)
    assert not same_story(vi, Headline("Three children die of diphtheria in Hanoi", "b.vn", NOON))


def test_concept_forms_keep_their_diacritics_and_names_lose_them() -> None:
    """ "sợi" (a thread) is not "sởi" (measles); "Ha Noi" printed without marks is Hà Nội."""
    assert "@measles" not in stories.concept_terms("Sợi dây chuyền")
    assert "@hanoi" in stories.concept_terms("Ha Noi shuts down restaurants")


def test_the_concept_table_is_checked() -> None:
    from digests.concepts import read_concepts

    table = read_concepts('[word]\nmeasles = ["sởi", "measles"]\n', stories._term)
    assert table.fold_words("Sởi ở Huế", stories._term) == ["@measles", "o", "hue"]
    with pytest.raises(ValueError, match="is a form of"):
        read_concepts('[word]\na = ["sởi"]\nb = ["sởi"]\n', stories._term)


def test_the_shipped_concept_counts_match_the_concept_table() -> None:
    """seeds/concept_df.tsv names only concepts of seeds/story_concepts.toml (rebuild it with
    bench/story_weights.py after editing the table), and a common concept weighs less than a
    rare one."""
    table = frequencies()
    assert table.concepts is not None
    known = set(stories.concepts().forms())
    assert set(table.concepts.counts) <= known
    assert table.weight("@hospital") < table.weight("@trachoma")


def test_across_languages_only_what_both_can_say_counts() -> None:
    """Made-up Vietnamese and English reports of one closure: their other words ("cắt tóc",
    "hair") have no counterpart in the table and do not count against the pair; a Vietnamese
    item of the same day on another matter in the same city stays apart."""
    vi = Headline("Hà Nội đóng cửa nhà hàng, quán cắt tóc từ 12h ngày 25/5", "a.vn", NOON)
    en = Headline("Ha Noi closes restaurants and hair salons from 25/5", "b.vn", NOON)
    assert stories.vietnamese(vi.title) and not stories.vietnamese(en.title)
    assert stories.portable_terms(en.title) == {"@hanoi", "@shop", "25", "5"}
    assert same_story(vi, en)
    other = Headline("Hà Nội ghi nhận 5 ca sốt xuất huyết mới ngày 25/5", "c.vn", NOON)
    assert not same_story(other, en)
