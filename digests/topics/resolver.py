"""What users type -> a topic or a leader.

Accepted: the slug, the Vietnamese name with or without diacritics, the English name, an alias
or abbreviation (ATTP, CĐS, BHYT), a leader's name with or without title and diacritics
("dao hong lan", "Bộ trưởng Đào Hồng Lan", "Thứ trưởng Bộ y tế Nguyễn Thị Liên Hương"), and
close misspellings (rapidfuzz). Unknown input always gets the three best suggestions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Generic, TypeVar

from digests.text import fold
from digests.topics.catalog import Catalog, Leader, Topic

Item = Topic | Leader
# What a resolution is about: a topic, a leader, or either (`Resolver.resolve`).
_Found = TypeVar("_Found", bound=Item, covariant=True)
_Key = TypeVar("_Key", bound=Item)
# A clear fuzzy winner is taken as the answer; otherwise the user chooses among suggestions.
CONFIDENT = 88.0
MARGIN = 6.0
# Titles that may come before a leader's name.
_TITLES = re.compile(
    r"^(?:(?:pgs|gs|ts|bs|bsckii|bscki|ths)\s+)*"
    r"(?:(?:bo truong|thu truong thuong truc|thu truong|minister|deputy minister"
    r"|standing deputy minister)(?:\s+bo\s+y\s+te)?\s+)?"
)


@dataclass(frozen=True, slots=True)
class Suggestion(Generic[_Found]):
    item: _Found
    score: float


@dataclass(frozen=True, slots=True)
class Resolution(Generic[_Found]):
    match: _Found | None
    suggestions: tuple[Suggestion[_Found], ...]
    exact: bool


def normalise(text: str) -> str:
    """Folded, punctuation-free, single-spaced: 'Chuyển-đổi  SỐ!' -> 'chuyen doi so'."""
    text = fold(unicodedata.normalize("NFC", text))
    return " ".join(re.findall(r"[^\W_]+", text))


class Resolver:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._topic_keys: dict[str, Topic] = {}
        self._leader_keys: dict[str, Leader] = {}
        for topic in catalog.topics:
            for key in (topic.slug, topic.name_vi, topic.name_en, *topic.aliases):
                self._topic_keys.setdefault(normalise(key), topic)
        for leader in catalog.leaders:
            for key in (leader.slug, leader.name, *leader.variants):
                self._leader_keys.setdefault(normalise(key), leader)

    def _lookup(self, text: str, keys: dict[str, _Key], strip_titles: bool) -> Resolution[_Key]:
        query = normalise(text)
        if strip_titles:
            query = _TITLES.sub("", query).strip()
        if not query:
            return Resolution(None, self._default_suggestions(keys), False)
        if query in keys:
            item = keys[query]
            return Resolution(item, (Suggestion(item, 100.0),), True)
        # Imported for the first misspelling (3 MB), not at start-up.
        from rapidfuzz import fuzz, process

        ranked = process.extract(query, list(keys), scorer=fuzz.WRatio, limit=30)
        best: dict[str, Suggestion[_Key]] = {}
        for key, score, _index in ranked:
            item = keys[key]
            # Penalise matches of very different lengths (WRatio is generous to substrings).
            ratio = fuzz.ratio(query, key)
            score = 0.6 * score + 0.4 * ratio
            if item.slug not in best or score > best[item.slug].score:
                best[item.slug] = Suggestion(item, round(score, 1))
        suggestions = tuple(sorted(best.values(), key=lambda s: -s.score)[:3])
        if not suggestions:
            return Resolution(None, self._default_suggestions(keys), False)
        top = suggestions[0]
        runner_up = suggestions[1].score if len(suggestions) > 1 else 0.0
        if top.score >= CONFIDENT and top.score - runner_up >= MARGIN:
            return Resolution(top.item, suggestions, False)
        return Resolution(None, suggestions, False)

    def _default_suggestions(self, keys: dict[str, _Key]) -> tuple[Suggestion[_Key], ...]:
        seen: dict[str, _Key] = {}
        for item in keys.values():
            seen.setdefault(item.slug, item)
        return tuple(Suggestion(item, 0.0) for item in list(seen.values())[:3])

    def resolve_topic(self, text: str) -> Resolution[Topic]:
        return self._lookup(text, self._topic_keys, strip_titles=False)

    def resolve_leader(self, text: str) -> Resolution[Leader]:
        return self._lookup(text, self._leader_keys, strip_titles=True)

    def resolve(self, text: str) -> Resolution[Item]:
        """A topic or a leader, whichever fits best."""
        topic, leader = self.resolve_topic(text), self.resolve_leader(text)
        either: tuple[Resolution[Item], ...] = (topic, leader)
        for exact in either:
            if exact.exact:
                return exact
        if topic.match and not leader.match:
            return topic
        if leader.match and not topic.match:
            return leader
        suggestions: tuple[Suggestion[Item], ...] = topic.suggestions + leader.suggestions
        merged = sorted(suggestions, key=lambda s: -s.score)[:3]
        if topic.match and leader.match:
            best = merged[0]
            return Resolution(best.item, tuple(merged), False)
        return Resolution(None, tuple(merged), False)
