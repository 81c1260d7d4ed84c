"""Records shared by ingestion and storage: what every parser hands to storage (`ParsedItem`)
and what the bot polls (`SourceConfig`, `SourceKind`). Plain data on the floor of the
package: it imports nothing of the project but the floor, so the store can use it without
depending on ingestion."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from digests.dates import When


class SourceKind(enum.StrEnum):
    RSS = "rss"
    LISTING = "listing"
    ARTICLE = "article"
    MOH_PORTAL = "moh-portal"
    SEED = "seed"


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


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One entry of the sources file (`digests/ingest/sources_file.py` reads and checks it)."""

    name: str
    kind: SourceKind
    url: str
    section: str | None = None
    poll_interval: int = 1800  # seconds
    enabled: bool = True
    # moh-portal: the portal's category id (MA_DANH_MUC) and how many listing pages to read.
    category: str | None = None
    max_pages: int = 3
    # OpenSSL security level for this source's host only (1 accepts moh.gov.vn's small DH key).
    tls_security_level: int | None = None
    # Other hosts this source's fetches may reach (redirects, a listing's article links).
    allowed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """An official document an item names (`digests/documents.py` finds them). `code` as the
    document writes it ("53/CĐ-BYT"), `key` folded for lookups ("53/cd-byt"), `number` its
    leading number without leading zeros ("53"); `kind` a slug of `seeds/documents.toml`."""

    kind: str
    code: str
    key: str
    number: str
    issuer: str | None = None
    issued_on: date | None = None
    signer: str | None = None
