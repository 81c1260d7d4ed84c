"""Property-based fuzzing (Hypothesis) of what strangers send and what readers receive: the
feed, page and portal readers fail only with their own clear errors, whatever the bytes, and
what they yield fits the limits; every rendered message is valid Telegram HTML within 4,096
characters, whatever the article text."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from xml.sax.saxutils import escape as xml_escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render import TELEGRAM_LIMIT, render_digest
from bot.telegram_html import parse_html, utf16_len
from bot.texts import Texts
from digests.compose import Reader, compose
from digests.ingest import bounds, portal
from digests.ingest.feeds import FeedError, parse_feed
from digests.ingest.pages import PageParseError, parse_page
from digests.reading import ArticleView

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

# Text as hostile sources write it: any code point (surrogates and controls included), markup
# and entity fragments, dangerous schemes, and long runs.
tricky = st.sampled_from(
    [
        "<",
        ">",
        "&",
        "&amp;",
        "&lt;b&gt;",
        "<b>",
        "</a>",
        "<a href='x'>",
        "<!--",
        "]]>",
        "javascript:alert(1)",
        "tg://resolve",
        "\x00",
        "\ud800",
        "\u200b",
        "\ufeff",
        "Bộ trưởng",
        "an toàn thực phẩm",
        "1 < 2 > 0",
        "\n",
        "e\u0301",
        "𝔘𝔫𝔦",
        " " * 50,
    ]
)
hostile_text = st.lists(
    st.one_of(st.text(st.characters(blacklist_categories=()), max_size=40), tricky), max_size=12
).map("".join)
long_text = st.builds(lambda unit, n: unit * n, hostile_text, st.integers(1, 400))


def _checked(items: list[bounds.ParsedItem]) -> None:
    """Screened items fit the columns and carry nothing a database or Telegram refuses."""
    for item in bounds.screen(items, bounds.Screening()):
        assert item.title and len(item.title) <= bounds.TITLE_CHARS
        assert len(item.summary) <= bounds.SUMMARY_CHARS and len(item.body) <= bounds.BODY_CHARS
        for value in (item.title, item.summary, item.body, item.url or "", item.guid or ""):
            assert not _UNSTORABLE.search(value)
        assert item.url is None or item.url.startswith(("http://", "https://"))
        assert item.guid is None or len(item.guid) <= bounds.GUID_CHARS


@FUZZ
@given(st.binary(max_size=3_000))
def test_any_bytes_as_a_feed(content: bytes) -> None:
    try:
        items = parse_feed(content)
    except FeedError:
        return
    _checked(items)


@FUZZ
@given(st.lists(st.tuples(hostile_text, hostile_text, hostile_text, long_text), max_size=6))
def test_feeds_of_hostile_entries(entries: list[tuple[str, str, str, str]]) -> None:
    body = "".join(
        f"<item><title>{xml_escape(t)}</title><link>{xml_escape(link)}</link>"
        f"<guid>{xml_escape(g)}</guid><description>{xml_escape(d)}</description></item>"
        for t, link, g, d in entries
    )
    document = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{body}'
    content = (document + "</channel></rss>").encode("utf-8", "surrogatepass")
    try:
        items = parse_feed(content)
    except FeedError:
        return
    _checked(items)


html_piece = st.one_of(
    hostile_text,
    st.sampled_from(
        [
            '<a href="/-/123">',
            '<a href="index.jsp?pageId=1&aid=9">',
            "</a>",
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            '<h1 class="asset-title">',
            "</h1>",
            '<div class="journal-content-article">',
            '<div class="timeline-head">',
            "12:30 24/05/2021",
            "<script>",
            "</script>",
            "<li>",
            "<ul>",
        ]
    ),
)


@FUZZ
@given(st.lists(html_piece, max_size=40).map("".join))
def test_any_html_as_a_page(page: str) -> None:
    try:
        items = parse_page(page.encode("utf-8", "surrogatepass"), "https://moh.gov.vn/tin")
    except PageParseError:
        return
    _checked(items)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        hostile_text,
        st.sampled_from(["900100", "8351", "abc", "9" * 30, "29/04/2026 08:30 AM"]),
    ),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "data",
                    "items",
                    "maBaiViet",
                    "maDanhMuc",
                    "tieuDe",
                    "moTa",
                    "noiDung",
                    "total",
                    "message",
                    "success",
                    "thoiGianBatDauDang",
                    "x",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@FUZZ
@given(json_values)
def test_any_json_as_a_portal_answer(data: object) -> None:
    data = json.loads(json.dumps(data))  # what the wire can carry
    screening = bounds.Screening()
    try:
        listing = portal.parse_listing_response(data, screening)
    except portal.PortalFormatError:
        listing = None
    if listing is not None:
        for entry in listing.entries:
            assert entry.aid.isdigit() and (entry.cid == "" or entry.cid.isdigit())
            assert portal.detail_request_body(entry.aid, entry.cid or "8351")
    try:
        item = portal.parse_detail_response(data, "900100", "8351", None)
    except portal.PortalFormatError:
        return
    _checked([item])


def _article(i: int, title: str, summary: str, url: str, topics: tuple[str, ...]) -> ArticleView:
    return ArticleView(
        id=i,
        title=title,
        url=url,
        published_at=datetime(2026, 3, 5, 1, i % 60, tzinfo=UTC) if i % 3 else None,
        published_has_time=bool(i % 2),
        first_seen_at=datetime(2026, 3, 5, tzinfo=UTC),
        summary=summary,
        section=None,
        topics=topics,
        leaders=("dao-hong-lan",) if i % 4 == 0 else (),
    )


TEXTS = Texts.load()
TOPICS = ("leadership", "food-safety", "disease-control")


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.one_of(hostile_text, long_text),
            hostile_text,
            hostile_text,
            st.lists(st.sampled_from(TOPICS), min_size=1, max_size=3, unique=True),
        ),
        max_size=40,
    ),
    st.sampled_from(["vi", "en"]),
    st.sampled_from(["full", "compact"]),
)
def test_every_rendered_message_is_valid_telegram_html(
    articles: list[tuple[str, str, str, list[str]]], language: str, layout: str
) -> None:
    """Whatever the text: valid Telegram HTML, within the limit, only http(s) links, and every
    message after the first starts with a section heading (never inside an item)."""
    reader = Reader(
        1, language, "Asia/Ho_Chi_Minh", frozenset(TOPICS), frozenset({"dao-hong-lan"}), layout
    )
    views = [
        _article(i, t or "x", s, u, tuple(topics)) for i, (t, s, u, topics) in enumerate(articles)
    ]
    digest = compose(reader, views, day=date(2026, 3, 5), topic_order=TOPICS, max_per_topic=12)
    if digest is None:
        return
    parts = render_digest(digest, TEXTS, lambda key, _lang: key, lambda names, _l: ",".join(names))
    for index, part in enumerate(parts):
        visible = parse_html(part.text)  # raises EntityError as Telegram would refuse it
        assert utf16_len(visible) <= TELEGRAM_LIMIT
        for href in re.findall(r'href="([^"]*)"', part.text):
            assert href.startswith(("http://", "https://"))
        first_line = part.text.split("\n", 1)[0]
        assert first_line.startswith("📰" if index == 0 else "▌"), first_line
