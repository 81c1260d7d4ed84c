"""Digest times: the next moment a subscriber's local digest time comes round."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


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
