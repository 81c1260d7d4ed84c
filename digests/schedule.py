"""Digest times: the next moment a subscriber's local digest time comes round."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# "07:30", "7:30", "7h30", "7h", "19.05": how people write a time of day in Vietnam.
_TIME_OF_DAY = re.compile(r"\s*(\d{1,2})\s*(?:[:h.]\s*(\d{2})?)?\s*", re.IGNORECASE)


def parse_time_of_day(text: str) -> time | None:
    """A time of day as people write it, or None: the one parser of DIGEST_TIME and /time."""
    match = _TIME_OF_DAY.fullmatch(text)
    if match is None or (match.group(2) is None and not re.search(r"[hH]\s*$", text)):
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return time(hour, minute) if hour <= 23 and minute <= 59 else None


def next_occurrence(after: datetime, at: time, zone: str) -> datetime:
    """The first moment strictly after `after` when the local clock in `zone` shows `at` (UTC).

    On a day when `at` does not exist (a DST gap), the digest comes at the first moment after
    the gap; zoneinfo's fold rules give that.
    """
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tz)
    return candidate.astimezone(UTC)


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def next_weekly(after: datetime, weekday: int, at: time, zone: str) -> datetime:
    """The first moment strictly after `after` when it is `at` on `weekday` (Monday 0) in
    `zone` (UTC)."""
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    days = (weekday - local.weekday()) % 7
    candidate = datetime.combine(local.date() + timedelta(days=days), at, tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=days + 7), at, tz)
    return candidate.astimezone(UTC)
