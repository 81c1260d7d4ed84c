"""What a reader is: a function from a `ReadContext` (the fetcher, the source's entry, its
cache validators) to a `ReadResult` (items, or "not modified"), failing with `SourceFailure`
for faults of the source. `readers.py` holds the readers, `service.py` runs them; both import
this module, neither imports the other's records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from digests.errors import MohbotError
from digests.ingest.bounds import Screening
from digests.ingest.fetch import Fetcher, Origin
from digests.records import ParsedItem, SourceConfig


@dataclass(slots=True)
class ReadResult:
    """What a reader got from a source: items, or 'not modified', plus cache validators."""

    items: list[ParsedItem] = field(default_factory=list)
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    # Records the reader skipped as malformed; storage adds the fields it had to cut.
    screening: Screening = field(default_factory=Screening)


@dataclass(frozen=True, slots=True)
class ReadContext:
    fetcher: Fetcher
    config: SourceConfig
    etag: str | None
    last_modified: str | None
    # Which of these source GUIDs are already stored (so readers fetch only new details).
    known_guids: Callable[[list[str]], Awaitable[set[str]]]

    @property
    def origin(self) -> Origin:
        """Where this source's fetches may go: its host and the ones its entry allows."""
        return Origin(self.config.url, frozenset(self.config.allowed_hosts))


Reader = Callable[[ReadContext], Awaitable[ReadResult]]


class SourceFailure(MohbotError):
    """Raised by readers for source-specific faults with a user-readable message."""
