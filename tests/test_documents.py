"""Official documents: extraction from real titles and leads, storage at ingestion and by
reclassify, the "📄" line on items, and /vanban by kind and by number through the fake Bot
API on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.telegram_html import parse_html
from digests import subscriptions
from digests.clock import FakeClock
from digests.config import Settings
from digests.documents import (
    MAX_TEXT,
    DocumentCatalog,
    DocumentExtractor,
    document_key,
    load_document_catalog,
    parse_lookup,
)
from digests.reading import latest
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleLabels, ArticleRepository
from digests.store.db import session_scope
from digests.store.models import ArticleDocument
from digests.topics.labels import reclassify
from tests.bot_harness import running_bot

SIX_FIFTY_NINE = datetime(2026, 3, 4, 23, 59, tzinfo=UTC)  # 06:59 in Hanoi, 5 March
DISPATCH = "Bộ Y tế ban hành Công điện số 53/CĐ-BYT về phòng, chống bệnh sởi"
DECISION = "Quyết định 4308/QĐ-BYT công bố thủ tục hành chính mới thuộc quản lý Bộ Y tế"


@pytest.fixture(scope="module")
def catalog() -> DocumentCatalog:
    return load_document_catalog()


@pytest.fixture(scope="module")
def extractor(catalog: DocumentCatalog) -> DocumentExtractor:
    return DocumentExtractor(catalog)


def found(extractor: DocumentExtractor, title: str, lead: str = "") -> list[tuple[str, str]]:
    return [(r.kind, r.code) for r in extractor.extract(title, lead)]


# Real titles and leads (tests/data/corpus and stored public pages), with what they name.
REAL = [
    (
        "Giám đốc Bệnh viện K được bổ nhiệm làm Thứ trưởng Bộ Y tế",
        "(Dân trí) - Thủ tướng Chính phủ vừa có Quyết định 600/QĐ-TTg bổ nhiệm ông Trần Văn "
        "Thuấn, Giám đốc Bệnh viện K, giữ chức vụ Thứ trưởng Bộ Y tế.",
        [("quyet-dinh", "600/QĐ-TTg")],
    ),
    (
        "Bộ Y tế ban hành Công điện về triển khai công tác y tế ứng phó với bão Conson",
        "Bộ Y tế đã ban hành Công điện số 1360/CĐ-BYT ngày 09/9/2021 gửi Sở Y tế các tỉnh.",
        [("cong-dien", "1360/CĐ-BYT")],
    ),
    (
        "Decision 604/QD-BYT 2022 promulgating the Guidance on home-based management",
        "On March 14, 2022, the Ministry of Health issues the Decision No. 604/QD-BYT.",
        [("quyet-dinh", "604/QĐ-BYT")],
    ),
    (
        "Vietnam Updates Pricing Process for Medical Device Procurement",
        "On June 30, 2023, the Ministry of Health of Vietnam issued Circular No. 14/2023/TT-BYT "
        "(“Circular 14”). Circular 14 took effect on July 1, 2023.",
        [("thong-tu", "14/2023/TT-BYT")],
    ),
    (
        "Thông tư 13/2013/ TT- BYT",  # spaces inside the symbol, as the page wrote it
        "",
        [("thong-tu", "13/2013/TT-BYT")],
    ),
    (
        "Chỉ thị về việc thực hiện các biện pháp cấp bách phòng, chống dịch Covid – 19",
        "Nhất là Chỉ thị số 15/CT – TTg ngày 27 tháng 3 năm 2020, tuân thủ các chỉ đạo.",
        [("chi-thi", "15/CT-TTg")],
    ),
    (
        "Chỉ 50 bệnh viện dùng bệnh án điện tử, Bộ Y tế đề xuất đổi lộ trình",
        "(CLO) Theo lộ trình trong Thông tư 48, Bộ Y tế yêu cầu các bệnh viện hạng I trở lên.",
        [("thong-tu", "48")],
    ),
    (
        "Mục tiêu từ năm 2030: 100% người dân có sổ sức khỏe điện tử",
        "Nghị quyết số 262/2025/QH15 ngày 11/12/2025 của Quốc hội phê duyệt chủ trương.",
        [("nghi-quyet", "262/2025/QH15")],
    ),
    (
        "Using chip-based ID cards to replace health insurance cards",
        "The Ministry of Health has issued Official Document No 931/BYT-BH, guiding health "
        "departments.",
        [("cong-van", "931/BYT-BH")],
    ),
    # Negatives: a kind without a number, a draft, a number that is no document's.
    (
        "Bộ Y tế ra công văn khẩn về tăng cường phòng, chống dịch Covid-19",
        "Bộ Y tế vừa có công văn khẩn gửi Ủy ban nhân dân các tỉnh.",
        [],
    ),
    (
        "Bộ Y tế đề xuất thí điểm bệnh án điện tử",
        "Bộ Y tế đã xây dựng dự thảo thông tư quy định thí điểm về bệnh án điện tử.",
        [],
    ),
    (
        "Công điện của Thủ tướng Chính phủ",
        "Thủ tướng ký ban hành Công điện, yêu cầu truy vết người tiếp xúc với bệnh nhân số 1440.",
        [],
    ),
    (
        "Kiểm soát mất cân bằng giới tính khi sinh",
        "55 /63 tỉnh thành trên cả nước có sự chênh lệch giới tính.",
        [],
    ),
]


@pytest.mark.parametrize(("title", "lead", "expected"), REAL)
def test_real_titles(
    extractor: DocumentExtractor, title: str, lead: str, expected: list[tuple[str, str]]
) -> None:
    assert found(extractor, title, lead) == expected


def test_issuer_date_and_signer(extractor: DocumentExtractor) -> None:
    (dispatch,) = extractor.extract(
        "Phó Thủ tướng yêu cầu tiếp tục thực hiện có hiệu quả công tác phòng, chống dịch",
        "Ngày 20/9, Phó Thủ tướng Vũ Đức Đam đã ký Chỉ thị số 16/CT-TTg Về nâng cao công tác "
        "chăm sóc sức khỏe Nhân dân.",
    )
    assert (dispatch.issuer, dispatch.signer) == ("TTg", "Vũ Đức Đam")
    (decree,) = extractor.extract(
        "Decree No. 155/2018/ND-CP dated November 12, 2018 of the Government on amendments"
    )
    assert (decree.code, decree.issuer, decree.issued_on) == (
        "155/2018/NĐ-CP",
        "CP",
        date(2018, 11, 12),
    )


def test_without_diacritics_and_a_draft_with_a_number(extractor: DocumentExtractor) -> None:
    assert found(extractor, "Bo Y te ra cong dien 53/CD-BYT") == [("cong-dien", "53/CĐ-BYT")]
    assert found(extractor, "Lấy ý kiến dự thảo Thông tư số 5/2026/TT-BYT") == []
    assert found(extractor, "Kế hoạch 5 năm của ngành y tế") == []


def test_input_is_bounded(extractor: DocumentExtractor) -> None:
    far = "chữ " * (MAX_TEXT // 4)
    assert found(extractor, far + "Công điện 1/CĐ-BYT") == []
    assert found(extractor, "Công điện 1/CĐ-BYT " + far) == [("cong-dien", "1/CĐ-BYT")]


def test_lookup_keys(extractor: DocumentExtractor) -> None:
    assert document_key("53/CĐ-BYT") == document_key("053 / cd - byt") == "53/cd-byt"
    for typed in ("53/CĐ-BYT", "53/CD-BYT", "cong dien 53/cd-byt"):
        query = parse_lookup(typed, extractor)
        assert query is not None and (query.key, query.number) == ("53/cd-byt", "53")
    query = parse_lookup("53", extractor)
    assert query is not None and (query.key, query.number) == (None, "53")
    assert parse_lookup("hello", extractor) is None


def test_kinds_resolve_in_both_languages(catalog: DocumentCatalog) -> None:
    for typed in ("cong-dien", "Công điện", "cong dien", "official dispatch", "CÔNG ĐIỆN"):
        kind = catalog.resolve(typed)
        assert kind is not None and kind.slug == "cong-dien"
    assert catalog.resolve("bánh mì") is None


def _store(room: Newsroom, *items: tuple[str, str]) -> None:
    parsed = [
        ParsedItem(title=t, summary=s, url=f"https://moh.gov.vn/a/{abs(hash(t))}") for t, s in items
    ]
    with session_scope(room.sessions) as session:
        ArticleRepository(session).upsert(
            parsed, source_id=None, now=room.clock.now(), labels=room.labels
        )


def _document_rows(room: Newsroom) -> list[tuple[str, str, str]]:
    with session_scope(room.sessions) as session:
        rows = session.execute(
            select(ArticleDocument.kind, ArticleDocument.code, ArticleDocument.number)
        )
        return sorted((kind, code, number) for kind, code, number in rows)


def test_stored_at_ingestion_and_filled_by_reclassify(newsroom: Newsroom) -> None:
    assert newsroom.labels is not None
    _store(newsroom, (DISPATCH, "Công điện gửi Sở Y tế các tỉnh."), ("Tin khác", ""))
    assert _document_rows(newsroom) == [("cong-dien", "53/CĐ-BYT", "53")]
    (view,) = [a for a in latest(newsroom, limit=5) if a.title == DISPATCH]
    assert [(d.kind, d.code, d.issuer) for d in view.documents] == [
        ("cong-dien", "53/CĐ-BYT", "BYT")
    ]
    # An article stored before extraction existed (labels without a finder, another
    # fingerprint) gets its documents from reclassify.
    older = ArticleLabels(newsroom.labels.labeler, "before-documents")
    with session_scope(newsroom.sessions) as session:
        ArticleRepository(session).upsert(
            [ParsedItem(title=DECISION, url="https://moh.gov.vn/a/4308")],
            source_id=None,
            now=newsroom.clock.now(),
            labels=older,
        )
    assert len(_document_rows(newsroom)) == 1
    assert reclassify(newsroom.sessions, newsroom.labels) == 1
    assert _document_rows(newsroom) == [
        ("cong-dien", "53/CĐ-BYT", "53"),
        ("quyet-dinh", "4308/QĐ-BYT", "4308"),
    ]
    assert reclassify(newsroom.sessions, newsroom.labels) == 0
    with session_scope(newsroom.sessions) as session:
        assert session.scalar(select(func.count()).select_from(ArticleDocument)) == 2


async def test_vanban_by_number_finds_the_articles(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE)
    _store(
        newsroom,
        (DISPATCH, ""),
        ("Hà Nội triển khai Công điện 53/CĐ-BYT, tiêm vaccine sởi cho trẻ", ""),
        ("Nghị định 53/2026/NĐ-CP về giá dịch vụ khám bệnh", ""),
        (DECISION, ""),
    )
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(71, language_code="vi")
        bot.tg.user(72, language_code="en")
        await bot.say(71, "/start")
        for typed in ("53/CĐ-BYT", "53/CD-BYT", "cong dien 53"):
            (answer,) = await bot.say(71, f"/vanban {typed}")
            assert f"Tin về văn bản “{typed}”" in answer.text and "(2)" in answer.text
            assert "phòng, chống bệnh sởi" in answer.text and "tiêm vaccine sởi" in answer.text
            assert "giá dịch vụ" not in answer.text
            assert "📄 Công điện 53/CĐ-BYT" in answer.text
            assert parse_html(answer.raw) == answer.text
        # A number alone: every document with that number, of any kind.
        (by_number,) = await bot.say(71, "/vanban 53")
        assert "(3)" in by_number.text and "📄 Nghị định 53/2026/NĐ-CP" in by_number.text
        (none,) = await bot.say(71, "/vanban 999/CĐ-BYT")
        assert "Chưa có tin nào nêu văn bản “999/CĐ-BYT”" in none.text
        (usage,) = await bot.say(71, "/vanban bánh mì")
        assert "/vanban cong-dien" in usage.text
        # In English, with the kind's English name; also on /latest and /search.
        await bot.say(72, "/start")
        (english,) = await bot.say(72, "/vanban 4308")
        assert "📄 Decision 4308/QĐ-BYT" in english.text
        (search,) = await bot.say(72, "/search benh soi")
        assert "📄 Official dispatch 53/CĐ-BYT" in search.text
        (newest,) = await bot.say(72, "/latest 10")
        assert "📄 Decree 53/2026/NĐ-CP" in newest.text and "📄 Decision 4308/QĐ-BYT" in newest.text


async def test_vanban_by_kind_adds_a_digest_section(
    settings: Settings, newsroom: Newsroom, clock: FakeClock
) -> None:
    clock.set(SIX_FIFTY_NINE - timedelta(hours=1))
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(81, language_code="vi")
        await bot.say(81, "/start")
        (kinds,) = await bot.say(81, "/vanban")
        assert "• Công điện — /vanban cong-dien" in kinds.text
        assert "Bạn đang theo dõi: chưa có" in kinds.text
        (added,) = await bot.say(81, "/vanban Công điện")
        assert "mục Công điện" in added.text
        (again,) = await bot.say(81, "/vanban cong dien")
        assert "đã có mục Công điện" in again.text
        await bot.say(81, "/vanban official dispatch")
        view = subscriptions.get(newsroom, 81)
        assert view is not None and view.documents == ("cong-dien",)
        (kinds,) = await bot.say(81, "/vanban")
        assert "Bạn đang theo dõi: Công điện" in kinds.text
        _store(
            newsroom,
            (DISPATCH, "Bộ Y tế yêu cầu các tỉnh tăng cường tiêm vaccine sởi."),
            ("Sốt xuất huyết tăng ở phía Nam", ""),
        )
        count = len(bot.tg.messages_to(81))
        await bot.tg.wait_for(lambda: bot.app.job_queue is not None, what="jobs")
        clock.set(SIX_FIFTY_NINE + timedelta(minutes=1))  # 07:00
        (digest,) = (await bot.tg.wait_for_messages(81, count + 1))[count:]
        headings = [line for line in digest.text.split("\n") if line.startswith("▌")]
        assert "▌CÔNG ĐIỆN" in headings
        assert "  📄 Công điện 53/CĐ-BYT" in digest.text.split("\n")
        assert "Sốt xuất huyết" not in digest.text
        assert parse_html(digest.raw) == digest.text
        # Removed again: no section tomorrow.
        (removed,) = await bot.say(81, "/vanban bo cong-dien")
        assert "Đã bỏ mục Công điện" in removed.text
        view = subscriptions.get(newsroom, 81)
        assert view is not None and view.documents == ()


async def test_vanban_kind_in_a_group_is_for_admins(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(91, "Admin")
        bot.tg.user(92, "Member")
        bot.tg.group(-1091, "Phòng truyền thông", {91: "administrator", 92: "member"})
        await bot.say(91, "/start@mohbot_test_bot", chat=-1091)
        (refused,) = await bot.say(92, "/vanban cong-dien", chat=-1091)
        assert "quản trị viên" in refused.text
        assert subscriptions.get(newsroom, -1091).documents == ()  # type: ignore[union-attr]
        # Looking a document up is reading: anyone may.
        (lookup,) = await bot.say(92, "/vanban 53", chat=-1091)
        assert "Chưa có tin nào" in lookup.text
