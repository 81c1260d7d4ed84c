"""Dates as the ministry's sites write them, always read as Asia/Ho_Chi_Minh local time.

Formats seen: `03/03/2026 | 00:19 AM`, `Thứ Năm, ngày 05/03/2026 03:51`, `Thứ Bẩy, …`,
`Thứ 5, 05/03/2026`, `Saturday 2025-07-05 14:25`, `Monday, 24/05/2021, 22:38`,
`(Thứ bảy, 22/05/2021 11:38)`, `18:05 24/05/2021`, `Ngày 08/7/2025` (date only),
`29/04/2026 08:30 AM` (portal API), RFC 822 (`Wed, 26 Jul 2017 19:41:14 +0700`,
`… GMT+7`) and ISO 8601.

An AM/PM marker after a 24-hour time (`14:50 PM`, `00:19 AM`) is redundant: the time is
read as written. For hours 1-12 the marker is honoured (`08:30 PM` is 20:30).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime
from time import struct_time
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_DMY = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_TIME = re.compile(
    r"(?<![\d/])(\d{1,2})[:hH](\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?\s*[Mm]\.?)?(?![\d/])"
)
_OFFSET = re.compile(r"(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$|(?:\s|\d)(Z|GMT|UTC)\s*$")
_RFC822 = re.compile(r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d")
_ISO = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@dataclass(frozen=True, slots=True)
class When:
    """A moment read from a page: aware datetime, and whether the page gave a time of day."""

    at: datetime
    has_time: bool


def _hour(hour: int, marker: str | None) -> int:
    if marker is None or hour == 0 or hour > 12:
        return hour
    if marker.lower() == "p":
        return hour if hour == 12 else hour + 12
    return 0 if hour == 12 else hour


def _explicit_offset(text: str) -> timezone | None:
    match = _OFFSET.search(text)
    if not match:
        return None
    if match.group(4):
        return UTC
    sign = -1 if match.group(1) == "-" else 1
    hours = int(match.group(2))
    minutes = int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _rfc822(text: str) -> datetime | None:
    # email.utils does not know "GMT+7"; rewrite it as "+0700".
    fixed = re.sub(
        r"GMT\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$",
        lambda m: f"{m.group(1)}{int(m.group(2)):02d}{m.group(3) or '00'}",
        text.strip(),
    )
    try:
        parsed = parsedate_to_datetime(fixed)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    return parsed.astimezone(VN_TZ)


def _iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    return parsed.astimezone(VN_TZ)


def parse_when(text: str | None) -> When | None:
    """Read a date (and time, if present) from `text`; None when there is no valid date."""
    if not text or not text.strip():
        return None
    if _RFC822.match(text):
        parsed = _rfc822(text)
        if parsed is not None:
            return When(parsed, True)
    if _ISO.match(text):
        parsed = _iso(text)
        if parsed is not None:
            return When(parsed, True)

    day = None
    span = (0, 0)
    for pattern, order in ((_DMY, (2, 1, 0)), (_YMD, (0, 1, 2))):
        match = pattern.search(text)
        if match:
            parts = [int(g) for g in match.groups()]
            year, month, dom = (parts[i] for i in order)
            try:
                day = date(year, month, dom)
            except ValueError:
                return None
            span = match.span()
            break
    if day is None:
        return None

    rest = text[: span[0]] + " " + text[span[1] :]
    tmatch = _TIME.search(rest)
    if tmatch is None:
        return When(datetime.combine(day, time(0, 0), VN_TZ), False)
    hour = _hour(int(tmatch.group(1)), tmatch.group(4))
    minute, second = int(tmatch.group(2)), int(tmatch.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return When(datetime.combine(day, time(0, 0), VN_TZ), False)
    tz = _explicit_offset(rest[tmatch.end() :]) or VN_TZ
    moment = datetime.combine(day, time(hour, minute, second), tz)
    return When(moment.astimezone(VN_TZ), True)


def from_struct_time(value: struct_time | None) -> datetime | None:
    """feedparser's `*_parsed` fields are UTC `time.struct_time`; make them aware local times."""
    if value is None:
        return None
    try:
        year, month, day, hour, minute, second = value[:6]
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(VN_TZ)
