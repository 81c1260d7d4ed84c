"""The bilingual vocabulary of health news (seeds/story_concepts.toml) as one term per concept:
"sởi" and "measles" both become `@measles`, "Hà Nội" and "Hanoi" `@hanoi`, "tử vong" and
"chết" `@death`, so that headlines compared by `digests.stories` share their words across
languages and paraphrases.

Words are read in order and the longest form found at a place wins; a word no form covers is
kept as `digests.stories` keys it (folded, an English plural "s" dropped, number words as
digits). `[word]` forms match with their diacritics ("sởi" is not "sợi"); `[name]` forms, the
places and institutions, also match without them ("Ha Noi"), as English pages print them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from digests import paths
from digests.text import fold, lower, same_tone_style, syllables

CONCEPTS_FILE = paths.SEEDS_DIR / "story_concepts.toml"
MARK = "@"  # a concept term starts with it; no syllable does


@dataclass(frozen=True, slots=True)
class Concepts:
    """Forms (tuples of word keys) -> concept term, with diacritics and folded."""

    exact: Mapping[tuple[str, ...], str]
    folded: Mapping[tuple[str, ...], str]
    longest: int

    def forms(self) -> dict[str, list[tuple[str, ...]]]:
        """Each concept term -> its forms, folded."""
        found: dict[str, set[tuple[str, ...]]] = {}
        for form, term in self.exact.items():
            found.setdefault(term, set()).add(tuple(fold(w) for w in form))
        for form, term in self.folded.items():
            found.setdefault(term, set()).add(form)
        return {term: sorted(forms) for term, forms in found.items()}

    def fold_words(
        self, text: str, key: Callable[[str], str], keep: Callable[[str], bool] | None = None
    ) -> list[str]:
        """The words of `text` in order, each form of a concept as its concept term and every
        other word as `key` of its folded spelling (only if `keep` of the word as written)."""
        words = syllables(same_tone_style(lower(text)))
        written = syllables(text)
        if keep is not None and len(written) != len(words):
            keep = None  # lower case split a letter in two: keep every word
        exact = [key(w) for w in words]
        folded = [key(fold(w)) for w in words]
        out: list[str] = []
        start = 0
        while start < len(words):
            for size in range(min(self.longest, len(words) - start), 0, -1):
                term = self.exact.get(tuple(exact[start : start + size])) or self.folded.get(
                    tuple(folded[start : start + size])
                )
                if term:
                    out.append(term)
                    start += size
                    break
            else:
                if keep is None or keep(written[start]):
                    out.append(folded[start])
                start += 1
        return out


def read_concepts(
    text: str, key: Callable[[str], str], name: str = "story_concepts.toml"
) -> Concepts:
    """Parse the table; a form given to two concepts, or an id in both sections, is an error."""
    data = tomllib.loads(text)
    exact: dict[tuple[str, ...], str] = {}
    folded: dict[tuple[str, ...], str] = {}
    seen: set[str] = set()
    for section, forms_of in (("word", exact), ("name", folded)):
        for concept, forms in data.get(section, {}).items():
            if concept in seen or not isinstance(forms, list) or not forms:
                raise ValueError(f"{name}: [{section}] {concept}: a new id and a list of forms")
            seen.add(concept)
            term = MARK + concept
            for form in forms:
                words = syllables(same_tone_style(lower(str(form))))
                keys = (
                    tuple(key(w) for w in words)
                    if section == "word"
                    else tuple(key(fold(w)) for w in words)
                )
                if not keys:
                    raise ValueError(f"{name}: {concept}: empty form {form!r}")
                if forms_of.get(keys, term) != term:
                    raise ValueError(f"{name}: {form!r} is a form of {forms_of[keys]} and {term}")
                forms_of[keys] = term
    longest = max((len(k) for k in (*exact, *folded)), default=1)
    return Concepts(exact, folded, longest)


def load(key: Callable[[str], str], path: Path = CONCEPTS_FILE) -> Concepts:
    """The shipped table."""
    return read_concepts(path.read_text(encoding="utf-8"), key, path.name)
