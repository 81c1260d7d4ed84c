"""The sources data file (`seeds/sources.toml`): what the bot polls, and how often."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from digests.errors import MohbotError
from digests.records import SourceConfig, SourceKind
from digests.topics.catalog import Catalog

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


class SourcesFileError(MohbotError, ValueError):
    """The sources file is unreadable or an entry is wrong; the message names the entry."""

    default_key = "ingest_bad_sources"

    def __init__(self, message: str) -> None:
        super().__init__(message, error=message)


def parse_duration(value: object) -> int:
    """`900`, `"15m"`, `"2h"`, `"1d"` -> seconds."""
    if isinstance(value, int) and value > 0:
        return value
    match = _DURATION.match(str(value))
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{value!r} is not a duration such as 900, '15m', '2h'")
    return int(match.group(1)) * _UNIT[match.group(2)]


def _section(value: object, catalog: Catalog | None) -> str | None:
    """The topic slug a source's `section` names (a slug, a topic's name or a heading the
    catalog lists); without a catalog, the value as written."""
    if not value:
        return None
    section = str(value).strip()
    if catalog is None:
        return section
    slug = catalog.section_topic(section)
    if slug is None:
        slugs = ", ".join(t.slug for t in catalog.topics)
        raise ValueError(f"section {section!r} names no topic (one of: {slugs})")
    return slug


def _hosts(value: object) -> tuple[str, ...]:
    """`allowed_hosts`: a list of bare host names, such as ["cdn.example.vn"]."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        raise ValueError('allowed_hosts must be a list of host names, e.g. ["cdn.example.vn"]')
    hosts = tuple(h.strip().lower().rstrip(".") for h in value)
    for host in hosts:
        if not _HOST.match(host):
            raise ValueError(
                f"allowed_hosts: {host!r} is not a host name (no scheme, port or path)"
            )
    return hosts


def _count(value: object) -> int:
    """`max_pages`: what `int()` takes (a number, or its digits as a string)."""
    if not isinstance(value, int | float | str):
        kind = type(value).__name__
        raise TypeError(f"int() argument must be a string or a real number, not {kind!r}")
    return int(value)


def _entry(raw: dict[str, object], index: int, catalog: Catalog | None) -> SourceConfig:
    name = str(raw.get("name") or "").strip()
    where = f"source #{index + 1}" + (f" ({name})" if name else "")
    try:
        if not name:
            raise ValueError("missing name")
        kind = SourceKind(str(raw.get("kind", "")))
        url = str(raw.get("url") or "")
        if not re.match(r"^https?://", url):
            raise ValueError(f"url {url!r} is not http(s)")
        level = raw.get("tls_security_level")
        if level is not None and (not isinstance(level, int | float) or level not in (0, 1, 2)):
            raise ValueError("tls_security_level must be 0, 1 or 2")
        category = raw.get("category")
        if kind is SourceKind.MOH_PORTAL and not category:
            raise ValueError("a moh-portal source needs a category")
        return SourceConfig(
            name=name,
            kind=kind,
            url=url,
            section=_section(raw.get("section"), catalog),
            poll_interval=parse_duration(raw.get("poll_interval", 1800)),
            enabled=bool(raw.get("enabled", True)),
            category=str(category) if category is not None else None,
            max_pages=_count(raw.get("max_pages", 3)),
            tls_security_level=None if level is None else int(level),
            allowed_hosts=_hosts(raw.get("allowed_hosts")),
        )
    except (ValueError, TypeError) as exc:
        raise SourcesFileError(f"{where}: {exc}") from None


def load_sources(path: Path, catalog: Catalog | None = None) -> list[SourceConfig]:
    """The sources of the file; with the topic catalog, each `section` is checked and stored
    as its topic's slug (so "Hoạt động của lãnh đạo Bộ" and "leadership" are the same)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesFileError(f"sources file {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesFileError(f"sources file {path}: {exc}") from None
    entries = [_entry(raw, i, catalog) for i, raw in enumerate(data.get("source", []))]
    names = [e.name for e in entries]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SourcesFileError(f"sources file {path}: duplicate names {sorted(duplicates)}")
    return entries
