"""Which items must not wait for a digest: phrases from a data file (`seeds/urgent.toml`),
matched as whole syllables in the title and lead, lower case, either tone-mark placement.
Pure and explainable: `Urgency.reason` says which kind and phrase made an item urgent."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from digests.errors import MohbotError
from digests.text import lower, same_tone_style, syllables

# Only the title and the lead are read, and only this much of them (bounded work per item).
MAX_CHARS = 2000


class UrgencyFileError(MohbotError, ValueError):
    """The urgency file cannot be used; the message says why."""


def _key(text: str) -> str:
    """Syllables of `text`, lower case, one tone style, between spaces: ' công điện 53 '."""
    return " " + " ".join(syllables(same_tone_style(lower(text[:MAX_CHARS])))) + " "


@dataclass(frozen=True, slots=True)
class Urgency:
    """The urgent phrases by kind (dispatch, outbreak, recall, directive)."""

    phrases: tuple[tuple[str, str], ...]  # (kind, phrase as a key)

    def reason(self, title: str, summary: str = "") -> tuple[str, str] | None:
        """(kind, phrase) of the first phrase found in the title or lead, else None."""
        text = _key(title) + "|" + _key(summary)
        for kind, phrase in self.phrases:
            if phrase in text:
                return kind, phrase.strip()
        return None

    def __call__(self, title: str, summary: str = "") -> bool:
        return self.reason(title, summary) is not None


def load_urgency(path: Path) -> Urgency:
    """Read the urgency file; an empty phrase or a kind without phrases is an error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UrgencyFileError(f"{path}: {exc}") from exc
    phrases: list[tuple[str, str]] = []
    for entry in data.get("kind", []):
        name, listed = entry.get("name"), entry.get("phrases")
        if not isinstance(name, str) or not isinstance(listed, list) or not listed:
            raise UrgencyFileError(f"{path}: each [[kind]] needs a name and phrases")
        for phrase in listed:
            key = _key(phrase) if isinstance(phrase, str) else " "
            if not key.strip():
                raise UrgencyFileError(f"{path}: an empty phrase in kind {name!r}")
            phrases.append((name, key))
    return Urgency(tuple(phrases))
