"""What users type: slugs, Vietnamese with or without diacritics, English, aliases, leaders'
names with or without titles, misspellings with suggestions."""

from __future__ import annotations

import unicodedata

import pytest

from digests.config import PROJECT_ROOT
from digests.topics.catalog import load_catalog
from digests.topics.resolver import Resolver

R = Resolver(load_catalog())


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("food-safety", "food-safety"),
        ("an toan thuc pham", "food-safety"),
        ("An toàn thực phẩm", "food-safety"),
        ("food safety", "food-safety"),
        ("ATTP", "food-safety"),
        ("chuyển đổi số", "digital-transformation"),
        ("chuyen doi so", "digital-transformation"),
        ("CĐS", "digital-transformation"),
        ("digital transformation", "digital-transformation"),
        ("bhyt", "health-insurance"),
        ("Bảo hiểm y tế", "health-insurance"),
        ("y te co so", "primary-care"),
        ("hiến máu", "blood-organ-donation"),
    ],
)
def test_topics(text: str, slug: str) -> None:
    result = R.resolve_topic(text)
    assert result.match is not None and result.match.slug == slug and result.exact


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("dao hong lan", "dao-hong-lan"),
        ("Đào Hồng Lan", "dao-hong-lan"),
        ("Bộ trưởng Đào Hồng Lan", "dao-hong-lan"),
        ("Thứ trưởng Bộ y tế Nguyễn Thị Liên Hương", "nguyen-thi-lien-huong"),
        ("thu truong thuong truc vu manh ha", "vu-manh-ha"),
        ("PGS.TS Nguyễn Tri Thức", "nguyen-tri-thuc"),
    ],
)
def test_leaders(text: str, slug: str) -> None:
    result = R.resolve_leader(text)
    assert result.match is not None and result.match.slug == slug


def test_nfd_equals_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Chuyển đổi số")
    assert R.resolve_topic(nfd).match == R.resolve_topic("Chuyển đổi số").match


def test_close_misspellings_resolve_with_suggestions() -> None:
    result = R.resolve_topic("an toan thuc phan")
    assert result.match is not None and result.match.slug == "food-safety"
    assert not result.exact
    assert result.suggestions[0].item.slug == "food-safety"
    assert R.resolve_leader("dao hong lam").match.slug == "dao-hong-lan"  # type: ignore[union-attr]


def test_unknown_words_get_three_ranked_suggestions() -> None:
    result = R.resolve_topic("xyzzy")
    assert result.match is None and len(result.suggestions) == 3
    scores = [s.score for s in result.suggestions]
    assert scores == sorted(scores, reverse=True)
    ambiguous = R.resolve("lan")  # a given name alone is not enough
    assert ambiguous.match is None and len(ambiguous.suggestions) == 3
    assert "dao-hong-lan" in [s.item.slug for s in ambiguous.suggestions]


def test_resolve_picks_topic_or_leader() -> None:
    assert R.resolve("ATTP").match.slug == "food-safety"  # type: ignore[union-attr]
    assert R.resolve("tran van thuan").match.slug == "tran-van-thuan"  # type: ignore[union-attr]


def _typed_words() -> list[tuple[str, str]]:
    table = PROJECT_ROOT / "tests" / "data" / "typed_words.tsv"
    rows = []
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words, slug = line.split("\t")
            rows.append((words, slug))
    return rows


@pytest.mark.parametrize(("typed", "slug"), _typed_words())
def test_what_journalists_type_finds_the_topic(typed: str, slug: str) -> None:
    """The words readers use ("sởi", "thuốc giả", "BHYT", "covid", "bệnh viện"), in both
    languages, with or without diacritics, lead to the topic they mean."""
    resolution = R.resolve_topic(typed)
    assert resolution.match is not None and resolution.match.slug == slug
