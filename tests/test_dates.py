"""Dates as the ministry's sites write them, read as Asia/Ho_Chi_Minh local time."""

from __future__ import annotations

from datetime import datetime

import pytest

from digests.dates import VN_TZ, parse_when


def vn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("03/03/2026 | 00:19 AM", vn(2026, 3, 3, 0, 19), True),
        ("10/07/2025 | 14:50 PM", vn(2025, 7, 10, 14, 50), True),
        ("29/04/2026 08:30 AM", vn(2026, 4, 29, 8, 30), True),
        ("29/04/2026 08:30 PM", vn(2026, 4, 29, 20, 30), True),
        ("29/04/2026 12:05 AM", vn(2026, 4, 29, 0, 5), True),
        ("Thứ Năm, ngày 05/03/2026 03:51Ngành Y tế Hà Tĩnh", vn(2026, 3, 5, 3, 51), True),
        ("Thứ Bẩy, ngày 17/01/2026 06:47", vn(2026, 1, 17, 6, 47), True),
        ("Thứ 5, 05/03/2026 10:00", vn(2026, 3, 5, 10, 0), True),
        ("Saturday 2025-07-05 14:25", vn(2025, 7, 5, 14, 25), True),
        ("Friday 2025-07-18 08:43", vn(2025, 7, 18, 8, 43), True),
        ("Monday, 24/05/2021, 22:38", vn(2021, 5, 24, 22, 38), True),
        ("(Thứ bảy, 22/05/2021 11:38)", vn(2021, 5, 22, 11, 38), True),
        ("18:05 24/05/2021", vn(2021, 5, 24, 18, 5), True),
        ("Ngày 08/7/2025, Bộ Y tế tổ chức cuộc họp", vn(2025, 7, 8), False),
        ("Wed, 26 Jul 2017 19:41:14 +0700", vn(2017, 7, 26, 19, 41, 14), True),
        ("Wed, 26 Jul 2017 19:41:14 GMT+7", vn(2017, 7, 26, 19, 41, 14), True),
        ("Wed, 26 Jul 2017 12:41:14 GMT", vn(2017, 7, 26, 19, 41, 14), True),
        ("2026-01-02T03:04:05Z", vn(2026, 1, 2, 10, 4, 5), True),
    ],
)
def test_formats(text: str, expected: datetime, has_time: bool) -> None:
    when = parse_when(text)
    assert when is not None
    assert when.at == expected
    assert when.at.utcoffset() == expected.utcoffset()
    assert when.has_time is has_time


@pytest.mark.parametrize("text", ["", "   ", "no date here", "31/02/2026 10:00", "99/99/9999"])
def test_no_valid_date(text: str) -> None:
    assert parse_when(text) is None
