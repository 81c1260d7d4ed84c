"""`ParsedItem`: what every parser (feeds, pages, portal API, seed dumps) hands to storage."""

from __future__ import annotations

from dataclasses import dataclass, field

from digests.dates import When


@dataclass(slots=True)
class ParsedItem:
    """One news item as a parser read it; all text already cleaned (NFC, entities decoded)."""

    title: str
    url: str | None = None
    published: When | None = None
    summary: str = ""
    body: str = ""
    section: str | None = None
    # A stable key given by the source itself (feed GUID, portal article id), if any.
    guid: str | None = None
    # Related titles listed under a full article ("Tin liên quan"): links, not articles.
    related: list[str] = field(default_factory=list)

    @property
    def is_full(self) -> bool:
        """A full article (body known), as opposed to a listing entry or snippet."""
        return bool(self.body)
