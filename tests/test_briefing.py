"""The briefing a reader receives, end to end with real article text (the seed documents):
only what is news, every chosen topic and leader in its own section, "more" pages that work
after a restart, messages that never break inside an item, full and compact formats."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.telegram_html import parse_html
from digests.clock import FakeClock
from digests.config import PROJECT_ROOT, Settings
from digests.ingest.fetch import Fetcher, FetchPolicy
from digests.ingest.seeds import parse_seed_dir
from digests.ingest.service import ingest
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.models import Delivery
from fakebotapi import Sent
from tests.bot_harness import Harness, running_bot
from tests.feed_server import FeedServer, Route

SEVEN = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)  # 07:00 in Hanoi, 5 March
SEEDS = [i for _path, items in parse_seed_dir(PROJECT_ROOT / "seeds") for i in items]
HEADING = re.compile(r"^▌")


def real_items(count: int, newest: datetime, step: timedelta, tag: str) -> list[ParsedItem]:
    """`count` items with the seeds' real titles and leads, dated `newest`, `newest - step`, …"""
    items = []
    for i in range(count):
        seed = SEEDS[i % len(SEEDS)]
        items.append(
            ParsedItem(
                title=f"{seed.title} ({tag} {i + 1})",
                url=f"https://moh.gov.vn/tin/{tag}-{i + 1}",
                published=None,
                summary=seed.summary,
                section="leadership",
            )
        )
        items[-1].published = _when(newest - step * i)
    return items


def _when(moment: datetime):  # type: ignore[no-untyped-def]
    from digests.dates import When

    return When(moment, True)


def store(room: Newsroom, items: list[ParsedItem]) -> None:
    with session_scope(room.sessions) as session:
        ArticleRepository(session).upsert(
            items, source_id=None, now=room.clock.now(), labels=room.labels
        )


def rss(items: list[ParsedItem]) -> bytes:
    from email.utils import format_datetime
    from xml.sax.saxutils import escape

    body = "".join(
        f"<item><title>{escape(i.title)}</title><link>{i.url}</link><guid>{i.url}</guid>"
        f"<pubDate>{format_datetime(i.published.at)}</pubDate>"  # type: ignore[union-attr]
        f"<description>{escape(i.summary)}</description></item>"
        for i in items
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
    return f"{head}{body}</channel></rss>".encode()


async def digest_at_seven(bot: Harness, chat: int, clock: FakeClock) -> list[Sent]:
    """Move the clock to 07:00 and return the digest's messages to `chat`."""
    before = len(bot.tg.messages_to(chat))
    clock.set(SEVEN)
    await bot.tg.wait_for_messages(chat, before + 1)
    with session_scope(bot.room.sessions) as session:
        parts = session.scalar(select(Delivery.parts).where(Delivery.chat_id == chat))
    assert parts is not None
    # One message a second to a chat: a long digest takes a while.
    return (await bot.tg.wait_for_messages(chat, before + len(parts), timeout=30))[before:]


def items_of(message: Sent) -> list[str]:
    return [line for line in message.text.split("\n") if line.startswith("• ")]


def assert_never_inside_an_item(
    parts: list[Sent], first: tuple[str, ...], pages: bool = False
) -> None:
    """Every part is valid Telegram HTML and starts with a header or a section heading (with
    `pages`, each a page of results, with the header), and every item line is followed by
    its own meta line (never cut from its title)."""
    for index, part in enumerate(parts):
        assert parse_html(part.raw) == part.text
        opening = part.text.split("\n", 1)[0]
        assert opening.startswith(first if index == 0 or pages else ("▌", *first)), opening
        lines = part.text.split("\n")
        for number, line in enumerate(lines):
            if line.startswith("• ") and "↑" not in line:
                assert number + 1 < len(lines) and lines[number + 1].startswith("  "), line


async def every_page(
    bot: Harness, chat: int, first: list[Sent], raw: dict[str, object] | None = None
) -> list[Sent]:
    """`first` (a reply of one message) and every page its "more" buttons lead to (`raw`:
    the first as an earlier server held it, for a bot started since)."""
    (page,) = first
    pages = [page]
    while page.reply_markup:
        (row,) = page.reply_markup["inline_keyboard"]
        before = len(bot.tg.messages_to(chat))
        pressed = raw if raw is not None and page is first[0] else page
        query = bot.tg.press_button(chat, pressed, row[0]["callback_data"])
        await bot.tg.wait_for(lambda q=query: q in bot.tg.callback_answers, what="answer")
        (page,) = (await bot.tg.wait_for_messages(chat, before + 1))[before:]
        pages.append(page)
    return pages


async def test_first_poll_fills_the_archive_quietly(
    settings: Settings, newsroom: Newsroom, clock: FakeClock, tmp_path: Path
) -> None:
    """A source first polled with 200 items, 10 of them within the window: the next digest
    holds those 10 and nothing older; the older ones are in /latest and /search."""
    clock.set(SEVEN - timedelta(hours=1))
    recent = real_items(10, SEVEN - timedelta(hours=2), timedelta(hours=3), "mới")
    old = real_items(190, SEVEN - timedelta(days=3), timedelta(days=5), "cũ")
    settings = settings.model_copy(update={"digest_max_per_topic": 20})
    async with FeedServer() as server:
        url = server.add("/moh.rss", Route(body=rss(recent + old)))
        settings.sources_file.write_text(
            f'[[source]]\nname = "moh"\nkind = "rss"\nurl = "{url}"\nsection = "leadership"\n'
        )
        async with running_bot(settings, newsroom) as bot:
            bot.tg.user(1)
            await bot.say(1, "/start")
            (report,) = await ingest(newsroom, fetcher=Fetcher(FetchPolicy(timeout=5)))
            assert report.new == 200
            parts = await digest_at_seven(bot, 1, clock)
            shown = [line for part in parts for line in items_of(part)]
            assert len(shown) == 10
            text = "\n".join(p.text for p in parts)
            assert all(i.title in text for i in recent)
            assert "(cũ " not in text
            assert "10 tin mới" in parts[0].text
            (latest,) = await bot.say(1, "/latest 11")
            assert "(cũ 1)" in latest.text  # archived, not lost


async def test_every_choice_in_its_own_section(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    """Five topics and one leader, news touching all six: six sections, each article in full
    once (and a one-line reference wherever else it belongs)."""
    clock.set(SEVEN - timedelta(hours=1))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(2)
        await bot.say(2, "/start")
        for topic in ("an toan thuc pham", "chuyen doi so", "bao hiem y te", "duoc"):
            await bot.say(2, f"/subscribe {topic}")
        await bot.say(2, "/follow do xuan tuyen")
        titles = [
            "Thứ trưởng Đỗ Xuân Tuyên kiểm tra an toàn thực phẩm tại Hà Nội",
            "Bộ trưởng Đào Hồng Lan làm việc với tỉnh Cà Mau",
            "Ngộ độc thực phẩm sau bữa cưới ở Hà Giang",
            "Triển khai bệnh án điện tử tại các bệnh viện tuyến tỉnh",
            "Mở rộng quyền lợi người tham gia bảo hiểm y tế",
            # Not a recall: a recall is urgent and comes at once, not in the digest.
            "Kiểm tra chất lượng lô thuốc kháng sinh",
        ]
        store(
            newsroom,
            [
                ParsedItem(
                    title=t,
                    url=f"https://moh.gov.vn/tin/{n}",
                    published=_when(SEVEN - timedelta(hours=n + 1)),
                )
                for n, t in enumerate(titles)
            ],
        )
        parts = await digest_at_seven(bot, 2, clock)
        text = "\n".join(p.text for p in parts)
        headings = [line for line in text.split("\n") if HEADING.match(line)]
        assert len(headings) == 6, headings
        assert headings[-1] == "▌THỨ TRƯỞNG ĐỖ XUÂN TUYÊN"
        for title in titles:
            full = [line for line in text.split("\n") if line == f"• {title}"]
            assert len(full) == 1, title  # in full exactly once; elsewhere "• title ↑ …"


async def test_more_button_pages_through_a_section_and_survives_a_restart(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SEVEN - timedelta(hours=1))
    titles: list[str] = []
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(3)
        await bot.say(3, "/start")
        items = real_items(45, SEVEN - timedelta(hours=1), timedelta(minutes=30), "tin")
        store(newsroom, items)
        (digest,) = await digest_at_seven(bot, 3, clock)
        titles += [line for line in items_of(digest)]
        assert "…và 40 tin khác trong mục này" in digest.text
        *shares, row = digest.reply_markup["inline_keyboard"]  # type: ignore[index]
        # Each of the five items shown has its share button; the section's "more" goes last.
        queries = [b["switch_inline_query"] for r in shares for b in r]
        assert len(set(queries)) == 5 and all(q.startswith("id:") for q in queries)
        assert row[0]["text"].startswith("Xem thêm 40 tin · Hoạt động lãnh đạo Bộ")
        before = len(bot.tg.messages_to(3))
        await bot.press(3, digest, row[0]["callback_data"])
        (page,) = (await bot.tg.wait_for_messages(3, before + 1))[before:]
        assert "(6–15 / 45)" in page.text
        titles += items_of(page)
        button = page.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
        pressed = bot.tg.messages[(page.chat_id, page.message_id)]
    # A new process: the button still leads to the next page.
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(3)
        while True:
            before = len(bot.tg.messages_to(3))
            query = bot.tg.press_button(3, pressed, button["callback_data"])
            await bot.tg.wait_for(lambda q=query: q in bot.tg.callback_answers, what="answer")
            (page,) = (await bot.tg.wait_for_messages(3, before + 1))[before:]
            titles += items_of(page)
            if not page.reply_markup:
                break
            button = page.reply_markup["inline_keyboard"][0][0]
            pressed = bot.tg.messages[(page.chat_id, page.message_id)]
    assert "(36–45 / 45)" in page.text
    assert len(titles) == 45 and len(set(titles)) == 45  # every item once, newest first
    assert titles[0].endswith("(tin 1)") and titles[-1].endswith("(tin 45)")


async def test_search_and_latest_answer_one_message_a_page(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    """/search, a plain-text search and /latest answer with one message (Telegram's 30
    messages a second are shared with the deliveries) and a "more" button to the next page,
    which works after a restart; a search too long for a button gets its pages at once."""
    clock.set(SEVEN - timedelta(hours=1))
    items = real_items(25, SEVEN - timedelta(hours=2), timedelta(minutes=10), "tin")
    for item in items[:22]:
        item.title += " ngộ độc"
    for item in items[:20]:
        item.title += " thực phẩm sau bữa cưới ở Hà Giang"
    store(newsroom, items)
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(5)
        await bot.say(5, "/start")
        # As many results as fit one message (the 20 do not).
        (first,) = await bot.say(5, "/search Ngộ độc")
        shown = len(items_of(first))
        assert 5 < shown < 20
        assert first.text.startswith(f"Kết quả tìm kiếm “Ngộ độc” (1–{shown} / 20)")
        (row,) = first.reply_markup["inline_keyboard"]  # type: ignore[index]
        assert row[0]["text"] == f"Xem thêm {20 - shown} tin"
        assert row[0]["callback_data"] == f"1:p:s.ngo_doc.{shown}"
        (typed,) = await bot.say(5, "ngo doc")  # plain text: the same search, with a hint
        assert "Tìm theo “ngo doc”" in typed.text and typed.reply_markup
        assert items_of(first)[: len(items_of(typed))] == items_of(typed)  # less room
        (latest,) = await bot.say(5, "/latest 20")
        assert latest.text.startswith(f"Tin mới nhất (1–{shown} / 20)") and latest.reply_markup
        # Longer than a button holds: the pages one after another, without buttons.
        long = await bot.say(5, "/search ngo doc thuc pham sau bua cuoi o ha giang", replies=2)
        assert not any(page.reply_markup for page in long)
        assert len(long) == 2 and sum(len(items_of(page)) for page in long) == 20
        raw = {m.message_id: bot.tg.messages[(5, m.message_id)] for m in (first, latest)}
    async with running_bot(settings, newsroom) as bot:  # a new process
        bot.tg.user(5)
        for reply, count in ((first, 20), (latest, 20)):
            pages = await every_page(bot, 5, [reply], raw[reply.message_id])
            titles = [line for page in pages for line in items_of(page)]
            assert len(pages) == 2 and len(titles) == count == len(set(titles))
            assert titles[0].endswith("(tin 1) ngộ độc thực phẩm sau bữa cưới ở Hà Giang")
            assert_never_inside_an_item(pages, ("Kết quả", "Tin mới"), pages=True)
        assert f"({shown + 1}–20 / 20)" in pages[-1].text


@pytest.mark.slow
async def test_long_replies_never_break_inside_an_item(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    """A digest of more than 20,000 characters, and /search and /latest replies over one
    message: every part starts with a header or a section heading (continued)."""
    clock.set(SEVEN - timedelta(hours=1))
    settings = settings.model_copy(update={"digest_max_per_topic": 50})
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(4)
        await bot.say(4, "/start")
        await bot.say(4, "/subscribe an toan thuc pham")
        items = real_items(150, SEVEN - timedelta(hours=1), timedelta(minutes=15), "bài")
        for n, item in enumerate(items):
            if n % 3 == 0:
                item.title += " và an toàn thực phẩm"  # also food safety: references
        store(newsroom, items)
        parts = await digest_at_seven(bot, 4, clock)
        assert sum(len(p.text) for p in parts) > 20_000 and len(parts) >= 5
        assert_never_inside_an_item(parts, ("📰",))
        assert any("(tiếp)" in p.text.split("\n", 1)[0] for p in parts[1:])
        # /search and /latest: one message a page, each reached by the last one's button.
        searched = await every_page(bot, 4, await bot.say(4, "/search bo y te"))
        assert len(searched) >= 2
        assert_never_inside_an_item(searched, ("Kết quả tìm kiếm",), pages=True)
        latest = await every_page(bot, 4, await bot.say(4, "/latest 20"))
        assert len(latest) >= 2
        assert_never_inside_an_item(latest, ("Tin mới nhất",), pages=True)


async def test_full_and_compact_formats(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SEVEN - timedelta(hours=1))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(5, language_code="en")
        await bot.say(5, "/start")
        store(newsroom, real_items(3, SEVEN - timedelta(hours=1), timedelta(hours=1), "x"))
        (full,) = await bot.say(5, "/digest")
        lines = full.text.split("\n")
        first = lines.index(next(line for line in lines if line.startswith("• ")))
        assert lines[first + 1].startswith("  moh.gov.vn · 05/03/2026 06:00")
        assert lines[first + 2].startswith("  ")  # a line of the lead
        (answer,) = await bot.say(5, "/format compact")
        assert "compact" in answer.text
        (mysubs,) = await bot.say(5, "/mysubs")
        assert "Digest format: compact" in mysubs.text
        (compact,) = await bot.say(5, "/digest")
        lines = [line for line in compact.text.split("\n") if line]
        assert lines[2] == "What is new in the last 48 hours."
        assert lines[3] == "▌MINISTRY LEADERSHIP ACTIVITIES"
        body = lines[4:]  # one line per item, nothing else
        assert len(body) == 3 and all(line.endswith("· moh.gov.vn") for line in body)
        (usage,) = await bot.say(5, "/format tiny")
        assert usage.text.startswith("Usage: /format full")


async def test_small_things_readers_noticed(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    """The deep-link welcome names what the reader has; plain text is a search in a private
    chat and ignored in a group; /digest says what it covers, or when the next one comes."""
    clock.set(SEVEN - timedelta(hours=1))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(6)
        (welcome,) = await bot.say(6, "/start food-safety")
        assert "theo: Hoạt động lãnh đạo Bộ, An toàn thực phẩm." in welcome.text
        store(newsroom, real_items(2, SEVEN - timedelta(hours=2), timedelta(hours=1), "y"))
        (found,) = await bot.say(6, "thu truong vu manh ha")
        assert found.text.startswith("Kết quả tìm kiếm “thu truong vu manh ha”")
        assert "Tìm theo “thu truong vu manh ha”. Gõ /help để xem các lệnh." in found.text
        bot.tg.user(7)
        bot.tg.group(-100, "Phòng truyền thông", {7: "administrator"})
        before = len(bot.tg.messages_to(-100))
        bot.tg.send_text(7, "chào cả nhóm", -100)
        await bot.tg.wait_for(lambda: True)
        (digest,) = await bot.say(6, "/digest")
        assert "Tin mới trong 48 giờ qua." in digest.text
        parts = await digest_at_seven(bot, 6, clock)
        assert parts
        (nothing,) = await bot.say(6, "/digest")
        assert nothing.text == (
            "Chưa có tin mới nào theo các chủ đề của bạn kể từ bản tin trước "
            "(07:00 Thứ Năm 05/03). Bản tin tới: 07:00 Thứ Sáu 06/03."
        )
        assert len(bot.tg.messages_to(-100)) == before  # the group's chatter is not answered


async def test_one_story_from_two_outlets_is_one_item(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    """Two outlets' reports of one event (real headlines of 26/12/2025) are one item that links
    the other outlet ("+1 nguồn"); an unrelated poisoning of the same day stays its own item."""
    clock.set(SEVEN - timedelta(hours=1))

    def report(title: str, url: str, hours: int, lead: str) -> ParsedItem:
        return ParsedItem(
            title=title, url=url, published=_when(SEVEN - timedelta(hours=hours)), summary=lead
        )

    school = "Học sinh lớp 2 Trường tiểu học Nguyễn Trãi (Huế) nôn ói sau bữa ăn bán trú."
    items = [
        report(
            "Nhiều em học sinh tiểu học ở Huế nôn ói trong giờ ăn bán trú",
            "https://plo.vn/nhieu-em-hoc-sinh-tieu-hoc-o-hue-non-oi-post888576.html",
            2,
            school,
        ),
        report(
            "Sau bữa ăn trưa, nhiều học sinh một trường tiểu học ở Huế bị nôn ói",
            "https://tienphong.vn/sau-bua-an-trua-nhieu-hoc-sinh-post1808073.tpo",
            3,
            school,
        ),
        report(
            "Hưng Yên: 27 công nhân nhập viện nghi ngộ độc thực phẩm",
            "https://www.phunuvagiadinh.vn/hung-yen-27-cong-nhan-nhap-vien-739304",
            4,
            "Công nhân một công ty ở khu công nghiệp Tiền Hải đau bụng, nôn sau bữa trưa.",
        ),
    ]
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(8)
        await bot.say(8, "/start food-safety")
        store(newsroom, items)
        (digest,) = await bot.say(8, "/digest")
        lines = digest.text.split("\n")
        shown = [line for line in lines if line.startswith("• ")]
        assert shown == ["• " + items[0].title, "• " + items[2].title]
        hue = lines[lines.index(shown[0]) + 1]
        assert hue.startswith("  plo.vn · 05/03/2026 05:00")
        assert hue.endswith("· +1 nguồn: tienphong.vn")
        assert '<a href="https://tienphong.vn/' in digest.raw
        assert "nguồn" not in lines[lines.index(shown[1]) + 1]
