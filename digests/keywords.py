"""Keyword alerts, pure: what a reader types (`Bạch Mai`, `"thuốc giả"`, `sởi -"Hà Nội"`)
parsed into terms of folded syllables, and whether an article's title and lead match them.

No regular expression of the user's is ever run: a term is a run of syllables, compared as
whole syllables, without case or diacritics. Every term must be found (a quoted phrase as
consecutive syllables), no excluded term may be. Input is bounded: the query's length, the
number of terms, the syllables of a phrase.

An alert is indexed by one `anchor`: a two-syllable run of one of its phrases when it has
one (rarer than either syllable), else its longest syllable. Every article that matches
contains the anchor among its `index_keys`, so matching an article looks up the article's
keys, not every alert.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

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

    def matches(self, text: ArticleText) -> bool:
        return all(text.has(t) for t in self.required) and not any(
            text.has(t) for t in self.excluded
        )


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

    __slots__ = ("_runs", "keys")

    def __init__(self, title: str, summary: str = "") -> None:
        runs = [syllables(fold(part[:MAX_ARTICLE_CHARS])) for part in (title, summary) if part]
        # Title and lead apart: a phrase does not run from one into the other.
        self._runs = " | ".join(" ".join(run) for run in runs)
        self._runs = f" {self._runs} "
        keys: set[str] = set()
        for run in runs:
            keys.update(run)
            keys.update(f"{a} {b}" for a, b in itertools.pairwise(run))
        self.keys = keys

    def has(self, term: Term) -> bool:
        return f" {' '.join(term)} " in self._runs


class KeywordIndex:
    """Articles by key, to find the matches of many queries among a set of articles (a
    digest's window, a week): each query looks up its anchor, then checks the few
    candidates in full."""

    def __init__(self, articles: Iterable[tuple[int, str, str]]) -> None:
        self.texts: dict[int, ArticleText] = {}
        self._by_key: dict[str, list[int]] = {}
        for article_id, title, summary in articles:
            text = self.texts[article_id] = ArticleText(title, summary)
            for key in text.keys:
                self._by_key.setdefault(key, []).append(article_id)
        self._queries: dict[str, KeywordQuery] = {}

    def find(self, query_text: str) -> list[int]:
        """The ids of the articles that `query_text` (a stored, canonical query) matches."""
        query = self._queries.get(query_text)
        if query is None:
            query = self._queries[query_text] = parse_query(query_text)
        return [
            article_id
            for article_id in self._by_key.get(query.anchor, ())
            if query.matches(self.texts[article_id])
        ]
