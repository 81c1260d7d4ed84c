"""Keyword alerts, pure: what a reader types (`Bạch Mai`, `"thuốc giả"`, `sởi -"Hà Nội"`)
parsed into terms of folded syllables, and whether an article's title and lead match them.

No regular expression of the user's is ever run: a term is a run of syllables, compared as
whole syllables, without case or diacritics. Every term must be found (a quoted phrase as
consecutive syllables), no excluded term may be. Input is bounded: the query's length, the
number of terms, the syllables of a phrase.

An alert is stored with one `anchor`: a two-syllable run of one of its phrases when it has
one (rarer than either syllable), else its longest syllable. Every article that matches
contains the anchor among its `keys`, so the alerts a batch of new articles can match are
looked up by the articles' keys, not read all. In memory (`match_all`, `KeywordIndex`) each
query is then indexed by its rarest key among the articles at hand, and only the articles
having that key are checked in full.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from digests.errors import MohbotError
from digests.text import fold, syllables

MAX_QUERY_CHARS = 120
MAX_TERMS = 6
MAX_PHRASE_SYLLABLES = 6
MAX_SYLLABLE_CHARS = 30
# Only this much of the title and the lead is read.
MAX_ARTICLE_CHARS = 3000
# A term: optionally "-", then a quoted phrase or a run of non-space characters.
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')


class KeywordError(MohbotError, ValueError):
    """A query that cannot be an alert; `key` names the message shown to the user."""


Term = tuple[str, ...]  # folded syllables, in order


@dataclass(frozen=True, slots=True)
class KeywordQuery:
    required: tuple[Term, ...]
    excluded: tuple[Term, ...] = ()
    # What `matches` looks for in `ArticleText`'s runs, made once per query.
    _wanted: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _unwanted: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # Each term's one key, when every term has one (a word, or a phrase of two words): the
    # query then matches exactly the texts whose keys hold all of `required_keys` and none
    # of `excluded_keys` (see `ArticleText.keys`); else None.
    required_keys: frozenset[str] | None = field(init=False, repr=False, compare=False)
    excluded_keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_wanted", tuple(_needle(t) for t in self.required))
        object.__setattr__(self, "_unwanted", tuple(_needle(t) for t in self.excluded))
        by_keys = all(len(t) <= 2 for t in self.required + self.excluded)
        required = frozenset(" ".join(t) for t in self.required) if by_keys else None
        object.__setattr__(self, "required_keys", required)
        object.__setattr__(self, "excluded_keys", frozenset(" ".join(t) for t in self.excluded))

    @property
    def canonical(self) -> str:
        """The query as stored: folded, one space apart, phrases quoted; parses to itself."""

        def show(term: Term) -> str:
            return f'"{" ".join(term)}"' if len(term) > 1 else term[0]

        return " ".join([show(t) for t in self.required] + ["-" + show(t) for t in self.excluded])

    @property
    def anchor(self) -> str:
        """The key this alert is indexed by (see the module's docstring)."""
        pairs = [" ".join(t[i : i + 2]) for t in self.required for i in range(len(t) - 1)]
        if pairs:
            return max(pairs, key=len)
        return max((s for t in self.required for s in t), key=len)

    @property
    def keys(self) -> frozenset[str]:
        """Every key an article it matches has: each required syllable, or each pair of
        consecutive syllables of a required phrase."""
        found: set[str] = set()
        for term in self.required:
            found.update(term if len(term) == 1 else map(" ".join, itertools.pairwise(term)))
        return frozenset(found)

    def matches(self, text: ArticleText) -> bool:
        runs = text.runs
        for needle in self._wanted:
            if needle not in runs:
                return False
        return not any(needle in runs for needle in self._unwanted)


def _needle(term: Term) -> str:
    return f" {' '.join(term)} "


@functools.lru_cache(maxsize=65536)
def parse_query(text: str) -> KeywordQuery:
    """The user's words as a query; a KeywordError when empty, too long, or only exclusions.
    Cached: the stored alerts are parsed again at every batch of new articles."""
    text = text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise KeywordError("the alert is too long", key="alert_too_long")
    required: list[Term] = []
    excluded: list[Term] = []
    for match in _TERM.finditer(text.replace("“", '"').replace("”", '"')):
        minus, quoted, word = match.groups()
        words = tuple(syllables(fold(quoted if quoted is not None else word)))
        if not words:
            continue
        if len(words) > MAX_PHRASE_SYLLABLES or any(len(w) > MAX_SYLLABLE_CHARS for w in words):
            raise KeywordError("the alert is too long", key="alert_too_long")
        target = excluded if minus else required
        if words not in target:
            target.append(words)
    if len(required) + len(excluded) > MAX_TERMS:
        raise KeywordError(f"at most {MAX_TERMS} terms an alert", key="alert_too_many_terms")
    if not required:
        raise KeywordError("the alert has no word to look for", key="alert_empty")
    return KeywordQuery(tuple(required), tuple(excluded))


class ArticleText:
    """An article's title and lead as folded syllables, for matching many alerts."""

    __slots__ = ("keys", "runs")

    def __init__(self, title: str, summary: str = "") -> None:
        runs = [syllables(fold(part[:MAX_ARTICLE_CHARS])) for part in (title, summary) if part]
        # Title and lead apart: a phrase does not run from one into the other.
        self.runs = f" {' | '.join(' '.join(run) for run in runs)} "
        keys: set[str] = set()
        for run in runs:
            keys.update(run)
            keys.update(map(" ".join, itertools.pairwise(run)))
        self.keys = keys

    def has(self, term: Term) -> bool:
        return _needle(term) in self.runs


def match_all(
    queries: Iterable[KeywordQuery], texts: Sequence[ArticleText]
) -> Iterator[tuple[KeywordQuery, int]]:
    """(query, index of the text) for every query a text matches. Each query is indexed by
    its rarest key among these texts (one no text has rules it out at once), so a text is
    checked in full only against the queries its own rarest-matching keys point to."""
    count: Counter[str] = Counter()
    for text in texts:
        count.update(text.keys)
    # Queries decided by a text's keys alone (set operations), and those to check in full.
    by_keys: dict[str, list[tuple[KeywordQuery, frozenset[str], frozenset[str]]]] = {}
    in_full: dict[str, list[KeywordQuery]] = {}
    for query in queries:
        rarest = min(query.keys, key=count.__getitem__)
        if not count[rarest]:
            continue
        if query.required_keys is None:
            in_full.setdefault(rarest, []).append(query)
        else:
            entry = (query, query.required_keys, query.excluded_keys)
            by_keys.setdefault(rarest, []).append(entry)
    anchors = by_keys.keys() | in_full.keys()
    for index, text in enumerate(texts):
        keys = text.keys
        for key in keys & anchors:
            for query, required, excluded in by_keys.get(key, ()):
                if required <= keys and keys.isdisjoint(excluded):
                    yield query, index
            for query in in_full.get(key, ()):
                if query.matches(text):
                    yield query, index


class KeywordIndex:
    """Articles by key, to find the matches of many queries among a set of articles (a
    digest's window, a week): each query looks up its rarest key among these articles, then
    checks the few candidates in full."""

    def __init__(self, articles: Iterable[tuple[int, str, str]]) -> None:
        self.texts: dict[int, ArticleText] = {}
        self._by_key: dict[str, list[int]] = {}
        for article_id, title, summary in articles:
            text = self.texts[article_id] = ArticleText(title, summary)
            for key in text.keys:
                self._by_key.setdefault(key, []).append(article_id)
        self._queries: dict[str, tuple[KeywordQuery, Sequence[int]]] = {}

    def find(self, query_text: str) -> list[int]:
        """The ids of the articles that `query_text` (a stored, canonical query) matches."""
        known = self._queries.get(query_text)
        if known is None:
            query = parse_query(query_text)
            lists: list[Sequence[int]] = [self._by_key.get(key, ()) for key in query.keys]
            known = self._queries[query_text] = (query, min(lists, key=len))
        query, candidates = known
        return [a for a in candidates if query.matches(self.texts[a])]
