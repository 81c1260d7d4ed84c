"""Articles are classified when stored; a catalog edit re-classifies them with `reclassify`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.config import PROJECT_ROOT
from digests.dates import VN_TZ, When
from digests.ingest.service import import_seeds
from digests.reading import latest, listing
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.models import Article
from digests.topics import classifier as classifier_module
from digests.topics.labels import catalog_labels, reclassify


def _reclassify(room: Newsroom) -> int:
    assert room.labels is not None
    return reclassify(room.sessions, room.labels)


def test_stored_articles_are_classified_and_reclassified(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    import_seeds(newsroom, PROJECT_ROOT / "seeds")
    food = latest(newsroom, "food-safety", 20)
    # Five by the rules; the learned part may add one whose words are food safety's (the
    # Party congress of the Food Safety Department).
    assert 5 <= len(food) <= 6 and all("food-safety" in a.topics for a in food)
    assert {a.title for a in food} >= {
        "Số ca ngộ độc nghi do ăn bánh mì ở TPHCM tiếp tục tăng mạnh"
    }
    leadership = latest(newsroom, "leadership", 20)
    assert all("leadership" in a.topics for a in leadership) and len(leadership) == 20
    unicef = [
        a
        for a, _source in listing(newsroom)
        if a.title == "Bộ trưởng Bộ Y tế Đào Hồng Lan tiếp và làm việc với UNICEF"
    ]
    assert unicef[0].leaders == ("dao-hong-lan",)
    assert unicef[0].topics == ("international", "leadership")

    assert _reclassify(newsroom) == 0  # nothing stale
    text = (PROJECT_ROOT / "seeds" / "topics.toml").read_text(encoding="utf-8")
    text += (
        '\n[[topic]]\nslug = "bread"\nvi = "Bánh mì"\nen = "Bread"\naliases = []\n'
        'strong = ["bánh mì"]\nweak = []\n'
    )
    edited = tmp_path / "topics.toml"
    edited.write_text(text, encoding="utf-8")
    newsroom.labels = catalog_labels(edited)
    assert _reclassify(newsroom) == 82
    assert _reclassify(newsroom) == 0
    bread = {a.title for a in latest(newsroom, "bread", 20)}
    assert bread == {
        "Số ca nghi ngộ độc sau ăn bánh mì lề đường tại Vũng Tàu đã tăng lên 92 ca",
        "Số ca ngộ độc nghi do ăn bánh mì ở TPHCM tiếp tục tăng mạnh",
    }


def test_new_classifier_rules_make_stored_labels_stale(
    newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_seeds(newsroom, PROJECT_ROOT / "seeds")
    assert _reclassify(newsroom) == 0
    # Same catalog, newer rules: every stored label was made by the older ones.
    monkeypatch.setattr(classifier_module, "RULES_VERSION", classifier_module.RULES_VERSION + 1)
    newsroom.labels = catalog_labels(newsroom.settings.topics_file)
    assert _reclassify(newsroom) == 82
    assert _reclassify(newsroom) == 0


def test_stored_articles_are_labelled_at_their_publication_date(newsroom: Newsroom) -> None:
    """A stored article passes its date: a Deputy Minister named before taking office is not
    one of its leaders; the same words a year later are leadership."""
    title = "Ông Nguyễn Tri Thức chủ trì hội nghị ghép tạng tại Bệnh viện Chợ Rẫy năm"
    items = [
        ParsedItem(
            title=f"{title} {year}",
            url=f"https://a.example/{year}",
            published=When(datetime(year, 5, 10, tzinfo=VN_TZ), has_time=False),
        )
        for year in (2023, 2025)
    ]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(newsroom.sessions) as session:
        ids = (
            ArticleRepository(session)
            .upsert([items[0]], source_id=None, now=now, labels=newsroom.labels)
            .ids
        )
        ids += (
            ArticleRepository(session)
            .upsert([items[1]], source_id=None, now=now, labels=newsroom.labels)
            .ids
        )
    with session_scope(newsroom.sessions) as session:
        before, after = (session.get(Article, i) for i in ids)
        assert before is not None and after is not None
        assert [x.leader for x in before.leaders] == []
        assert "leadership" not in {t.topic for t in before.topics}
        assert [x.leader for x in after.leaders] == ["nguyen-tri-thuc"]
        assert "leadership" in {t.topic for t in after.topics}
