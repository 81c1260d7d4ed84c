"""Time-zone names as people type them: only the IANA zones this system knows, whatever the
case; anything else (a folder such as "America", a path, a NUL byte, 300 characters) is simply
not a zone, and never reaches `ZoneInfo`, which would raise for it or read a file."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

MAX_ZONE_LENGTH = 64  # the longest IANA name has 32 characters


@cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def resolve_zone(name: str) -> str | None:
    """The IANA zone `name` names, spelled as the database spells it; None if it names none."""
    name = name.strip()
    if not name or len(name) > MAX_ZONE_LENGTH:
        return None
    return _zones().get(name.casefold())
