"""The classifier's labelled sets: labels are kept in `tests/data/*.jsonl`, the text is read
where it lives, through the project's own parsers.

Each label line names its item by `source` and `key`:
- `seeds/<file>` and the item's title: an item of the project's seed documents;
- `seeds/related` and the title: a related title listed under a seed article ("Tin liên
  quan"), title only;
- `moh_pages/<file>` and the item's link: an item of a saved ministry page or feed in
  `tests/data/shared/moh_pages/` (a copy of the saved pages).

`labelled_items.jsonl` labels every seed item (the catalog was written from them);
`heldout_items.jsonl` labels every item of `moh_pages`, plus the related titles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from digests.ingest.feeds import parse_feed
from digests.ingest.pages import parse_page
from digests.ingest.seeds import parse_seed_dir
from digests.records import ParsedItem

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SEEDS = ROOT / "seeds"
MOH_PAGES = DATA / "shared" / "moh_pages"
PAGE_BASE = "https://ncov.moh.gov.vn/"


@dataclass(frozen=True, slots=True)
class LabelledItem:
    title: str
    summary: str
    body: str
    section: str | None
    topics: frozenset[str]
    leaders: frozenset[str]
    where: str  # source and key, for reports
    published: date | None = None


@cache
def _seed_items() -> dict[str, dict[str, ParsedItem]]:
    return {path.name: {i.title: i for i in items} for path, items in parse_seed_dir(SEEDS)}


@cache
def _related_titles() -> frozenset[str]:
    return frozenset(
        r for items in _seed_items().values() for i in items.values() for r in i.related
    )


@cache
def _page_items(name: str) -> dict[str, ParsedItem]:
    path = MOH_PAGES / name
    if path.suffix == ".xml":
        items = parse_feed(path.read_bytes())
    else:
        items = parse_page(path.read_bytes(), PAGE_BASE + name)
    return {i.url: i for i in items if i.url}


def resolve(source: str, key: str) -> ParsedItem:
    """The parsed item a label names; KeyError when the source no longer holds it."""
    kind, _, name = source.partition("/")
    if kind == "seeds" and name == "related":
        if key not in _related_titles():
            raise KeyError(f"no related title {key!r} in the seeds")
        return ParsedItem(title=key)
    if kind == "seeds":
        return _seed_items()[name][key]
    if kind == "moh_pages":
        return _page_items(name)[key]
    raise KeyError(f"unknown source {source!r}")


def load(name: str) -> list[LabelledItem]:
    """A labelled set by name (`labelled_items`, `heldout_items`), text resolved."""
    items = []
    for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        label = json.loads(line)
        item = resolve(label["source"], label["key"])
        items.append(
            LabelledItem(
                title=item.title,
                summary=item.summary,
                body=item.body,
                section=item.section,
                topics=frozenset(label["topics"]),
                leaders=frozenset(label["leaders"]),
                where=f"{label['source']} {label['key']}",
                published=item.published.at.date() if item.published else None,
            )
        )
    return items
