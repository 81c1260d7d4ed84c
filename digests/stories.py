"""One story, one item: reports of the same event from several outlets, published within two
days of each other, are grouped so that a digest shows the story once with its other outlets.

Headlines are compared by their content syllables (folded, without the function words of
Vietnamese and English headlines; English words lose their plural "s" and number words become
digits, so "Seven patients die" meets "7 die"), each weighted by how rare it is in health news:
its inverse document frequency in a table counted from 660 real health headlines and leads
(`seeds/syllable_df.tsv`, built by `bench/story_weights.py`). Two reports of one event share
its rare words (a place, a school, a shop, a person, a case count: "Huế", "Padobaby", "352")
while two events of one kind share only the kind's common words ("ngộ độc", "nhập viện").

Three tests decide (the scores are rarity-weighted Jaccard indexes of the two term sets):
- an anchor: the headlines share at least one rare word (seen in at most about a dozen of the
  660 items), so that the kind's common words alone never make one story;
- the headlines are close (score >= `STRONG`), or they are fairly close (>= `THRESHOLD`) and
  the headlines with their leads agree as well (>= `LEAD_THRESHOLD`): a lead names the place,
  the people and the numbers a short headline leaves out, and two events of one kind part
  there. Without leads the headlines alone are compared.
The date window is a gate, and an outlet's own follow-up is never folded into its first report.

The same tests run a second time on the headlines read as concepts (seeds/story_concepts.toml,
digests/concepts.py: "sởi" and "measles", "tử vong" and "chết", "Hà Nội" and "Hanoi" one term
each, weighed by seeds/concept_df.tsv), so that a Vietnamese and an English report, or two
paraphrases, of one event meet; this reading needs two shared terms (`CONCEPT_SHARED`, each
of weight >= `SHARED_WEIGHT`) and, when leads disagree, a closer headline score
(`CONCEPT_STRONG`). Between a Vietnamese and an English headline the concept reading keeps
only what the other language can share (concepts, numbers, capitalised names): "cắt tóc" and
"hair" are no evidence against the pair. Either reading merges.

Merging unrelated items hides news, missing a merge only repeats it: the thresholds were chosen
on development data only (bench/story_pairs.py prints precision and recall on the development
and held-out labelled pairs, and how often unrelated news is merged).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from digests import paths
from digests.concepts import MARK, Concepts
from digests.concepts import load as load_concepts
from digests.text import fold, syllables

if TYPE_CHECKING:
    from digests.reading import ArticleView

WINDOW = timedelta(days=2)
# Chosen on development data only (the development labelled pairs and the development items of
# tests/data/corpus): the values that merge at most one in 10,000 pairs of unrelated corpus
# items while keeping the most development pairs of one event dated on both sides, with none of
# their other-event pairs within two days merged. See bench/data/README_headline_pairs.md.
THRESHOLD = 0.15
STRONG = 0.3
# Read as concepts (seeds/story_concepts.toml), headlines of one kind of event share more words
# ("tử vong" and "chết" are one): this reading needs two shared terms (a place or a disease
# alone is not an event; the stock concepts of two leads, a death, a province, would otherwise
# join two events of one province) and, when the leads disagree, a closer headline score. On
# the development data any value from 0.35 up gave the same figures (0.3 merged one more pair
# of different events); 0.4 is inside that plateau.
CONCEPT_STRONG = 0.4
CONCEPT_SHARED = 2
# A shared term counts towards those two only if it tells events apart at all: weight >= 2.0,
# seen in at most about one item in seven ("bệnh" is in one in three). Development: 1.5 to 2.5
# merged one or two fewer pairs of different events and no fewer of one event; 2.0 is the middle.
SHARED_WEIGHT = 2.0
LEAD_THRESHOLD = 0.12
# A word seen in at most 11 of the table's 660 items weighs at least ln(661 / 12) = 4.0.
ANCHOR_WEIGHT = 4.0
DF_FILE = paths.SEEDS_DIR / "syllable_df.tsv"
CONCEPT_DF_FILE = paths.SEEDS_DIR / "concept_df.tsv"
# Words that carry no event: Vietnamese function words and the health press's stock words.
_STOP_WORDS = """
    của và các những một có là được bị cho với về tại ở trong trên sau khi đã đang sẽ này
    đó từ theo do vì để như nhiều thêm vụ việc người ca gần hơn lên tới đến ra vào không
    nói gì sao thế nào hay cũng còn mới nhất năm ngày tháng tuần giờ bà ông đồng chí
    bộ y tế trưởng thứ thường trực chính phủ thủ tướng the a an of in on at for to and
    with by from after over as is are be its their new more health ministry minister vietnam
    việt nam tp hcm or was were been being this these those has have had will would could
    might into about down out off says said report reports reported amid following during who
    which what when where how vietnamese
"""
# English words that fold to a Vietnamese syllable stay content words: "than" is "thận"
# (kidney), "can" "cần", "may" "máy", "no" "nợ", "it" "ít", "that" "thật", "say" "say".
_STOP = frozenset(fold(w) for w in _STOP_WORDS.split())
_NUMBER_WORDS = {
    word: str(n)
    for n, word in enumerate(
        (
            *("zero", "one", "two", "three", "four", "five", "six"),
            *("seven", "eight", "nine", "ten", "eleven", "twelve"),
        )
    )
}


def _term(syllable: str) -> str:
    """English inflection folded away (no Vietnamese syllable ends in "s"), numbers as digits."""
    syllable = _NUMBER_WORDS.get(syllable, syllable)
    if len(syllable) > 3 and syllable.isascii() and syllable.isalpha():
        if syllable.endswith("ies"):
            return syllable[:-3] + "y"
        if syllable.endswith("s") and not syllable.endswith("ss"):
            return syllable[:-1]
    return syllable


@dataclass(frozen=True, slots=True)
class Headline:
    """What the comparison reads of an article."""

    title: str
    outlet: str | None = None
    published: datetime | None = None
    lead: str = ""


@dataclass(frozen=True, slots=True)
class Frequencies:
    """In how many of `documents` headlines each syllable appears; concept terms are looked up
    in their own table, when given."""

    documents: int
    counts: dict[str, int]
    concepts: Frequencies | None = None

    def weight(self, term: str) -> float:
        """Inverse document frequency: a term never seen weighs the most."""
        count: float = self.counts.get(term, 0)
        if self.concepts is not None and term.startswith(MARK):
            # counted in another number of documents: as a share of this table's
            count = self.concepts.counts.get(term, 0) * self.documents / self.concepts.documents
        return math.log((self.documents + 1) / (count + 1))


def terms(text: str) -> frozenset[str]:
    """The content syllables of a headline, folded (case and diacritics)."""
    found = (_term(s) for s in syllables(fold(text)) if s not in _STOP)
    return frozenset(t for t in found if t not in _STOP)


def concept_terms(text: str) -> frozenset[str]:
    """The content words of a headline with each form of a concept of
    seeds/story_concepts.toml as its concept term ("sởi" and "measles" as `@measles`) and
    every other content syllable as `terms` keeps it."""
    return frozenset(t for t in concepts().fold_words(text, _term) if t not in _STOP)


@cache
def concepts() -> Concepts:
    """The shipped bilingual concept table, read once on first use."""
    return load_concepts(_term)


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
    """The shipped tables, syllables and concepts, read once on first use."""
    syllable_table = read_frequencies(DF_FILE.read_text(encoding="utf-8"))
    concept_table = read_frequencies(CONCEPT_DF_FILE.read_text(encoding="utf-8"))
    return Frequencies(syllable_table.documents, syllable_table.counts, concept_table)


def _jaccard(left: frozenset[str], right: frozenset[str], table: Frequencies) -> float:
    if not left or not right:
        return 0.0
    shared = sum(table.weight(t) for t in left & right)
    union = sum(table.weight(t) for t in left | right)
    return shared / union if union else 0.0


def similarity(a: str, b: str) -> float:
    """Rarity-weighted Jaccard of the two headlines' content syllables, 0 to 1."""
    return _jaccard(terms(a), terms(b), frequencies())


def portable_terms(text: str) -> frozenset[str]:
    """What of a headline can meet a headline in the other language: its concepts, numbers and
    capitalised words (names: "Nha Trang", "iSchool"), not its other words ("cắt tóc", "hair")."""
    return frozenset(t for t in concepts().fold_words(text, _term, _portable) if t not in _STOP)


def _portable(word: str) -> bool:
    return not word.islower()  # a number, a name, an acronym


def vietnamese(text: str) -> bool:
    """Whether a headline is in Vietnamese: at least three in ten of its words carry marks
    (an English headline may name "Thừa Thiên-Huế", a Vietnamese one "iSchool Nha Trang")."""
    words = [w for w in syllables(text) if not w.isdigit()]
    marked = sum(fold(w) != w.casefold() for w in words)
    return bool(words) and marked * 10 >= len(words) * 3


@dataclass(frozen=True, slots=True)
class _View:
    """One way of reading a headline: its terms, alone and with its lead, and their summed
    weights (so that comparing two views weighs only the terms they share)."""

    title: frozenset[str]
    full: frozenset[str]
    title_weight: float
    full_weight: float


@dataclass(frozen=True, slots=True)
class _Key:
    """What the comparison keeps of a headline: its syllables, and its concepts."""

    syllables: _View
    concepts: _View
    portable: _View
    vietnamese: bool


def _view(headline: Headline, read: Callable[[str], frozenset[str]], table: Frequencies) -> _View:
    title = read(headline.title)
    full = title | read(headline.lead) if headline.lead else title
    title_weight = sum(table.weight(t) for t in title)
    full_weight = sum(table.weight(t) for t in full) if full is not title else title_weight
    return _View(title, full, title_weight, full_weight)


def _key(headline: Headline, table: Frequencies) -> _Key:
    return _Key(
        _view(headline, terms, table),
        _view(headline, concept_terms, table),
        _view(headline, portable_terms, table),
        vietnamese(headline.title),
    )


def _score(
    left: frozenset[str],
    left_weight: float,
    right: frozenset[str],
    right_weight: float,
    table: Frequencies,
) -> float:
    """`_jaccard` from the two sets' precomputed weights: only the shared terms are weighed."""
    if not left or not right:
        return 0.0
    shared = sum(table.weight(t) for t in left & right)
    union = left_weight + right_weight - shared
    return shared / union if union > 0 else 0.0


def _passes(a: _View, b: _View, table: Frequencies, strong: float, least_shared: int) -> bool:
    shared = a.title & b.title
    if not shared or max(table.weight(t) for t in shared) < ANCHOR_WEIGHT:
        return False
    if least_shared > 1 and sum(table.weight(t) >= SHARED_WEIGHT for t in shared) < least_shared:
        return False
    score = _score(a.title, a.title_weight, b.title, b.title_weight, table)
    if score >= strong:
        return True
    return (
        score >= THRESHOLD
        and _score(a.full, a.full_weight, b.full, b.full_weight, table) >= LEAD_THRESHOLD
    )


def _alike(a: _Key, b: _Key, table: Frequencies) -> bool:
    if _passes(a.syllables, b.syllables, table, STRONG, 1):
        return True
    if a.vietnamese == b.vietnamese:
        return _passes(a.concepts, b.concepts, table, CONCEPT_STRONG, CONCEPT_SHARED)
    # across languages, words the other language cannot share do not count against a pair
    return _passes(a.portable, b.portable, table, CONCEPT_STRONG, CONCEPT_SHARED)


def _close(a: Headline, b: Headline) -> bool:
    """Different outlets (an outlet's own follow-up is news), within the window when dated."""
    if a.outlet and b.outlet and a.outlet == b.outlet:
        return False
    return not (a.published and b.published and abs(a.published - b.published) > WINDOW)


def same_story(a: Headline, b: Headline) -> bool:
    """Whether two headlines (with their leads, when known) report the same event."""
    table = frequencies()
    return _close(a, b) and _alike(_key(a, table), _key(b, table), table)


def group(headlines: Sequence[Headline]) -> list[list[int]]:
    """Indexes of `headlines` grouped into stories, in the order of each story's first
    headline. A headline joins the first story whose lead headline it matches, so a story
    never grows by a chain of weaker resemblances, and never holds two of one outlet."""
    table = frequencies()
    keys = [_key(h, table) for h in headlines]
    stories: list[list[int]] = []
    for index, headline in enumerate(headlines):
        for story in stories:
            lead = story[0]
            if (
                _close(headlines[lead], headline)
                and all(headlines[i].outlet != headline.outlet for i in story)
                and _alike(keys[lead], keys[index], table)
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
    headlines = [Headline(a.title, outlet(a.url), a.published_at, a.summary) for a in articles]
    return {
        articles[story[0]].id: tuple(articles[i] for i in story[1:])
        for story in group(headlines)
        if len(story) > 1
    }
