"""The /stats chart and message: words in the admin's language, one distinct colour per topic,
drawn from the database in a fresh process without pyplot, and the message's plurals."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.handlers.admin import chart_labels, stats_text
from bot.texts import Texts
from digests.charts import PALETTE, UNKNOWN_COLOUR, topic_colours
from digests.clock import SystemClock
from digests.config import PROJECT_ROOT, Settings
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.stats import Stats
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.topics.catalog import load_catalog

PNG = b"\x89PNG\r\n\x1a\n"


def _lab(colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of a `#rrggbb` colour."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _difference(a: str, b: str) -> float:
    """CIE76 ΔE: about 2 is barely visible, over 20 clearly different colours."""
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5


def test_each_topic_of_the_catalog_has_its_own_colour() -> None:
    slugs = [t.slug for t in load_catalog().topics]
    colours = topic_colours(slugs)
    assert len(slugs) == 15 <= len(PALETTE)
    assert len(set(colours.values())) == len(slugs)
    assert UNKNOWN_COLOUR not in colours.values()
    every_pair = min(_difference(a, b) for a, b in itertools.combinations(colours.values(), 2))
    neighbours = min(_difference(colours[a], colours[b]) for a, b in itertools.pairwise(slugs))
    assert every_pair > 25 and neighbours > 50, (every_pair, neighbours)


def test_chart_words_are_in_the_admins_language() -> None:
    texts, catalog = Texts.load(), load_catalog()
    en, vi = chart_labels(texts, catalog, "en"), chart_labels(texts, catalog, "vi")
    assert (en.title, en.day_axis, en.articles_axis) == (
        "Articles per publication day",
        "Publication day",
        "Articles",
    )
    assert (vi.title, vi.day_axis, vi.articles_axis) == (
        "Số tin theo ngày đăng",
        "Ngày đăng",
        "Số tin",
    )
    assert en.subscribers_title == "Subscribers registered so far"
    assert vi.subscribers_title == "Tổng số người đăng ký"
    assert en.topics["food-safety"] == "Food safety"
    assert vi.topics["food-safety"] == "An toàn thực phẩm"
    # The catalog's order, which gives each topic its colour.
    assert list(en.topics) == list(vi.topics) == [t.slug for t in catalog.topics]
    for field in ("title", "day_axis", "articles_axis", "subscribers_title", "no_articles"):
        assert getattr(en, field) != getattr(vi, field), field


def _figures(digests: int, broadcasts: int) -> Stats:
    return Stats(
        active=3,
        paused=1,
        blocked=0,
        new_7d=2,
        per_topic={"food-safety": 2},
        articles_24h={"food-safety": 1},
        articles_7d={"food-safety": 4},
        digests_24h=digests,
        broadcasts_24h=broadcasts,
        failed_24h=0,
    )


def test_stats_message_in_both_languages(tmp_path: Path) -> None:
    texts, catalog = Texts.load(), load_catalog()
    one = stats_text(texts, catalog, _figures(1, 1), "en")
    assert "Delivered in 24 hours: 1 digest, 1 broadcast message, 0 failed" in one
    many = stats_text(texts, catalog, _figures(2, 0), "en")
    assert "Delivered in 24 hours: 2 digests, 0 broadcast messages, 0 failed" in many
    assert "Articles published in 7 days: Food safety 4" in many
    vi = stats_text(texts, catalog, _figures(1, 3), "vi")
    # A broadcast is a "thông báo"; a "bản tin" is the digest.
    assert "Đã gửi trong 24 giờ: 1 bản tin, 3 thông báo, 0 lỗi" in vi
    assert "Tin đăng trong 7 ngày: An toàn thực phẩm 4" in vi


# Run in a fresh interpreter, so that nothing imported by the tests (or pytest's plugins) can
# have loaded pyplot before: what the bot does, from the database to the PNG, and in worker
# threads as the bot does.
DRAW = textwrap.dedent(
    """
    import sys, warnings
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from bot.handlers.admin import chart_labels
    from bot.texts import Texts
    from digests import stats
    from digests.charts import render_png
    from digests.config import load_settings
    from digests.services import Newsroom
    from digests.topics.catalog import load_catalog

    warnings.simplefilter("error")  # a glyph missing from the font is a warning
    room = Newsroom.open(load_settings(database_url=sys.argv[1], _env_file=None), migrate=False)
    try:
        series = stats.chart_series(room)
    finally:
        room.close()
    texts, catalog = Texts.load(), load_catalog()
    labels = [chart_labels(texts, catalog, language) for language in ("vi", "en")]
    with ThreadPoolExecutor(2) as pool:
        drawn = list(pool.map(lambda words: render_png(series, words), labels))
    assert drawn[0] == render_png(series, labels[0])  # the same, drawn alone
    for language, png in zip(("vi", "en"), drawn):
        Path(sys.argv[2], f"stats-{language}.png").write_bytes(png)
    print(",".join(sorted(series.articles)), "matplotlib.pyplot" in sys.modules)
    """
)


@pytest.mark.slow
def test_chart_is_drawn_from_the_database_without_pyplot(
    settings: Settings, newsroom: Newsroom, tmp_path: Path
) -> None:
    with session_scope(newsroom.sessions) as session:
        ArticleRepository(session).upsert(
            [ParsedItem(title="Ngộ độc thực phẩm ở Hà Giang"), ParsedItem(title="Vắc xin sởi")],
            source_id=None,
            # The fresh process has the system clock: the chart's 14 days end today.
            now=SystemClock().now(),
            labels=newsroom.labels,
        )
    done = subprocess.run(
        [sys.executable, "-c", DRAW, settings.database_url, str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    topics, pyplot = done.stdout.split()
    assert {"food-safety", "medicines-vaccines"} <= set(topics.split(",")) and pyplot == "False"
    for language in ("vi", "en"):
        png = (tmp_path / f"stats-{language}.png").read_bytes()
        assert png.startswith(PNG) and len(png) > 20_000
