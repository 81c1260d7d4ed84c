"""One story, one item: reports of the same event from several outlets, published within two
days of each other, are grouped so that a digest shows the story once with its other outlets.

Headlines are compared by their content syllables (folded, without the function words of
Vietnamese and English headlines), each weighted by how rare it is in health news: its
inverse document frequency in a table counted from 660 real health headlines and leads
(`seeds/syllable_df.tsv`, built by `bench/story_weights.py`). Two reports of one event share
its rare words (a place, a school, a shop, a person, a case count: "Huế", "Padobaby", "352")
while two events of one kind share only the kind's common words ("ngộ độc", "nhập viện"); the
score is the weighted Jaccard of the two headlines' syllables. The date window is a gate, and an
outlet's own follow-up is never folded into its first report.

Merging unrelated items hides news, missing a merge only repeats it: the threshold was chosen
for precision on development data (bench/story_pairs.py prints precision and recall on the
development and held-out labelled pairs, and how often unrelated news is merged).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from digests import paths
from digests.text import fold, syllables

if TYPE_CHECKING:
    from digests.reading import ArticleView

WINDOW = timedelta(days=2)
# Chosen on development data only: the lowest round value at which unrelated news is merged
# at most once in 10,000 pairs (76,890 pairs of development items of tests/data/corpus from
# different outlets with no topic in common), which merges 10 of the 19 development pairs of
# one event dated on both sides and none of their other-event pairs within two days. The first
# choice, 0.15, fitted to the labelled pairs alone, merged about 20 in 10,000 such pairs.
THRESHOLD = 0.3
DF_FILE = paths.SEEDS_DIR / "syllable_df.tsv"
# Words that carry no event: Vietnamese function words and the health press's stock words.
_STOP_WORDS = """
    của và các những một có là được bị cho với về tại ở trong trên sau khi đã đang sẽ này
    đó từ theo do vì để như nhiều thêm vụ việc người ca gần hơn lên tới đến ra vào không
    nói gì sao thế nào hay cũng còn mới nhất năm ngày tháng tuần giờ bà ông đồng chí
    bộ y tế trưởng thứ thường trực chính phủ thủ tướng the a an of in on at for to and
    with by from after over as is are be its their new more health ministry minister vietnam
    việt nam tp hcm
"""
_STOP = frozenset(fold(w) for w in _STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class Headline:
    """What the comparison reads of an article."""

    title: str
    outlet: str | None = None
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class Frequencies:
    """In how many of `documents` headlines each syllable appears."""

    documents: int
    counts: dict[str, int]

    def weight(self, term: str) -> float:
        """Inverse document frequency: a syllable never seen weighs the most."""
        return math.log((self.documents + 1) / (self.counts.get(term, 0) + 1))


def terms(text: str) -> frozenset[str]:
    """The content syllables of a headline, folded (case and diacritics)."""
    return frozenset(s for s in syllables(fold(text)) if s not in _STOP)


def read_frequencies(text: str) -> Frequencies:
    """Parse the table: a `*documents<TAB>N` line (no syllable holds a `*`), then
    `syllable<TAB>count` lines; `#` starts a comment line."""
    documents = 0
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        term, _, count = line.partition("\t")
        if not count.isdigit():
            raise ValueError(f"{DF_FILE.name}:{number}: expected 'syllable<TAB>count'")
        if term == "*documents":
            documents = int(count)
        else:
            counts[term] = int(count)
    if documents < 1:
        raise ValueError(f"{DF_FILE.name}: no '*documents' line")
    return Frequencies(documents, counts)


@cache
def frequencies() -> Frequencies:
    """The shipped table, read once on first use."""
    return read_frequencies(DF_FILE.read_text(encoding="utf-8"))


def _jaccard(left: frozenset[str], right: frozenset[str], table: Frequencies) -> float:
    if not left or not right:
        return 0.0
    shared = sum(table.weight(t) for t in left & right)
    union = sum(table.weight(t) for t in left | right)
    return shared / union if union else 0.0


def similarity(a: str, b: str) -> float:
    """Rarity-weighted Jaccard of the two headlines' content syllables, 0 to 1."""
    return _jaccard(terms(a), terms(b), frequencies())


def _close(a: Headline, b: Headline) -> bool:
    """Different outlets (an outlet's own follow-up is news), within the window when dated."""
    if a.outlet and b.outlet and a.outlet == b.outlet:
        return False
    return not (a.published and b.published and abs(a.published - b.published) > WINDOW)


def same_story(a: Headline, b: Headline) -> bool:
    """Whether two headlines report the same event."""
    return _close(a, b) and similarity(a.title, b.title) >= THRESHOLD


def group(headlines: Sequence[Headline]) -> list[list[int]]:
    """Indexes of `headlines` grouped into stories, in the order of each story's first
    headline. A headline joins the first story whose lead headline it matches, so a story
    never grows by a chain of weaker resemblances, and never holds two of one outlet."""
    table = frequencies()
    keys = [terms(h.title) for h in headlines]
    stories: list[list[int]] = []
    for index, headline in enumerate(headlines):
        for story in stories:
            lead = story[0]
            if (
                _close(headlines[lead], headline)
                and all(headlines[i].outlet != headline.outlet for i in story)
                and _jaccard(keys[lead], keys[index], table) >= THRESHOLD
            ):
                story.append(index)
                break
        else:
            stories.append([index])
    return stories


def outlet(url: str | None) -> str | None:
    """Where an article was published, as readers name outlets: the site's host."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    return host.removeprefix("www.") or None


def story_groups(articles: Sequence[ArticleView]) -> dict[int, tuple[ArticleView, ...]]:
    """For articles given newest first: the id of each story's first (newest) article -> the
    other outlets' reports of the same story. Articles alone in their story are left out."""
    headlines = [Headline(a.title, outlet(a.url), a.published_at) for a in articles]
    return {
        articles[story[0]].id: tuple(articles[i] for i in story[1:])
        for story in group(headlines)
        if len(story) > 1
    }
