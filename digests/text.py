"""Vietnamese text normalisation: NFC, cleaning, case and diacritic folding, syllables.

Every piece of text that enters the database goes through `clean_text`; every
comparison of what users type goes through `fold`.
"""

from __future__ import annotations

import html
import re
import unicodedata

_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_ZERO_WIDTH = re.compile(r"[\u200c\u200d\u2060]")
# Control characters (PostgreSQL refuses NUL in text) and lone surrogates (which no database
# can encode, and which a hostile JSON document can carry as "\ud800").
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# A syllable: a run of letters and digits (Vietnamese words are written as syllables).
_SYLLABLE = re.compile(r"[^\W_]+", re.UNICODE)


def nfc(text: str) -> str:
    """Compose Unicode: NFD input (decomposed diacritics) becomes NFC."""
    return unicodedata.normalize("NFC", text)


def clean_text(text: str | None) -> str:
    """Decode HTML entities, compose to NFC and collapse all whitespace to single spaces."""
    if not text:
        return ""
    text = html.unescape(text)
    text = _ZERO_WIDTH.sub("", _CONTROL.sub("", text))
    text = _SURROGATE.sub("\ufffd", text)
    text = _SPACES.sub(" ", text)
    return nfc(text).strip()


def clean_paragraphs(text: str | None) -> str:
    """Like `clean_text` but keeps paragraph breaks (one newline between non-empty lines)."""
    if not text:
        return ""
    lines = (clean_text(line) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _fold_table() -> dict[int, int | None]:
    """Every precomposed Latin letter to its base letter, combining marks to nothing."""
    table: dict[int, int | None] = {ord("đ"): ord("d"), ord("Đ"): ord("D"), ord("ð"): ord("d")}
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base != chr(code) and base.isascii():
            table[code] = ord(base)
    for code in range(0x0300, 0x0370):  # combining diacritical marks (NFD input)
        table[code] = None
    return table


_DIACRITICS = _fold_table()


def fold(text: str) -> str:
    """Case- and diacritic-insensitive key: 'Chuyển đổi Số' -> 'chuyen doi so' (NFC or NFD)."""
    return text.translate(_DIACRITICS).casefold()


def _tone_table() -> dict[str, str]:
    """Old-style tone placement in open syllables ending in -oa, -oe, -uy ("hoà", "khoẻ",
    "thuỷ") -> the new style ("hòa", "khỏe", "thủy"), on lower-case NFC text."""
    table = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for mark in ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            old = first + unicodedata.normalize("NFC", second + mark)
            table[old] = unicodedata.normalize("NFC", first + mark) + second
    return table


_TONES = _tone_table()
# Only where the pair ends the syllable: in "hoàn", "khuyến" the mark sits there in both styles.
_OLD_TONE = re.compile("(" + "|".join(_TONES) + r")(?![^\W\d_])")


def same_tone_style(text: str) -> str:
    """Lower-case NFC text with tone marks placed one way, so that "sức khoẻ" and "sức khỏe",
    "thuỷ đậu" and "thủy đậu" compare equal. Keeps the text's length."""
    return _OLD_TONE.sub(lambda m: _TONES[m.group(1)], text)


def lower(text: str) -> str:
    """NFC and case-folded, diacritics kept: the key for matching Vietnamese phrases exactly."""
    return nfc(text).casefold()


def syllables(text: str) -> list[str]:
    """Split text into syllable tokens (letters and digits), in order."""
    return _SYLLABLE.findall(text)


def title_key(title: str) -> str:
    """The normalised title used to recognise the same article from two places."""
    return " ".join(syllables(fold(clean_text(title))))


def storable(text: str) -> str:
    """`text` without control characters and lone surrogates, for text that is not otherwise
    cleaned (addresses, GUIDs)."""
    if _UNSTORABLE.search(text) is None:  # nearly always: one scan, no copy
        return text
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def truncate(text: str, limit: int) -> str:
    """Shorten `text` to at most `limit` characters on a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,.;:") + "…"
