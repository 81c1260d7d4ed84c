"""Official documents named in a title or lead: "Công điện số 53/CĐ-BYT", "Quyết định
4308/QĐ-BYT ngày 12/8/2025", "Decision No. 604/QD-BYT", "Thông tư 48", "Resolution 72".

Pure and bounded: `DocumentExtractor.extract(title, lead)` reads at most `MAX_TEXT`
characters and returns `DocumentRef`s (kind, code, lookup key, number, issuer, date, signer),
one per distinct document. The kinds, their Vietnamese and English names and their symbol
abbreviations are data (`seeds/documents.toml`).

How a document is found (rules written against the development half of
`bench/data/documents_labelled.jsonl`):
- a kind's name, optionally "số"/"No.", then a number and the symbol's parts ("/2023",
  "/TT-BYT", "-NQ/TW"), spaces and dashes as texts write them ("15/CT – TTg", "13/2013/ TT-
  BYT"); a symbol part is a year, a known code, or written in capitals;
- or a symbol alone whose first part is a kind's abbreviation ("Số: 46/2018/TT-BYT");
- a name followed by a bare number only for kinds marked `bare`, or after "số"/"No.", and
  not when the number counts something ("kế hoạch 5 năm") or the name follows "dự thảo".
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from digests.paths import SEEDS_DIR
from digests.records import DocumentRef
from digests.text import fold, nfc

DOCUMENTS_FILE = SEEDS_DIR / "documents.toml"
# Title and lead together; a lead longer than this is a body, and documents named that far
# down are not what the item is about.
MAX_TEXT = 4000
# A number longer than this is not a document's (they run to a few thousand a year).
_MAX_DIGITS = 5
# At most this many parts after the number ("/2023/TTLT-BYT-BKHCN" is four).
_MAX_PARTS = 5
_SLUG = re.compile(r"^[a-z][a-z-]{1,30}$")


class DocumentCatalogError(ValueError):
    """The documents data file is wrong; the message names the entry."""


@dataclass(frozen=True, slots=True)
class DocumentKind:
    slug: str
    name_vi: str
    name_en: str
    names: tuple[str, ...]
    abbr: str
    bare: bool

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_vi


# Bumped when the extraction rules change, so that `mohbot reclassify` redoes stored articles.
RULES_VERSION = 1


@dataclass(frozen=True, slots=True)
class DocumentCatalog:
    kinds: tuple[DocumentKind, ...]
    not_after_bare_number: frozenset[str]
    draft_words: tuple[str, ...]
    issuers: tuple[str, ...]
    # Of the file's bytes and the rules' version: stored articles extracted with another are stale.
    fingerprint: str = ""

    def kind(self, slug: str) -> DocumentKind | None:
        return next((k for k in self.kinds if k.slug == slug), None)

    def resolve(self, typed: str) -> DocumentKind | None:
        """A kind from what a reader typed: its slug, or a name in either language, with or
        without diacritics ("cong-dien", "Công điện", "cong dien", "official dispatch")."""
        key = " ".join(fold(typed).replace("-", " ").split())
        if not key:
            return None
        for kind in self.kinds:
            keys = {kind.slug.replace("-", " "), fold(kind.name_vi), fold(kind.name_en)}
            keys.update(fold(n) for n in kind.names)
            if key in keys:
                return kind
        return None


def load_document_catalog(path: Path = DOCUMENTS_FILE) -> DocumentCatalog:
    """Read and check the data file."""
    raw = path.read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    kinds = []
    for entry in data.get("kind", []):
        slug = entry.get("slug", "")
        if not _SLUG.match(slug):
            raise DocumentCatalogError(f"{path}: kind slug {slug!r} is not a-z and hyphens")
        names = tuple(nfc(n) for n in entry.get("names", []))
        if not names or not entry.get("name_vi") or not entry.get("name_en"):
            raise DocumentCatalogError(f"{path}: kind {slug} needs name_vi, name_en and names")
        kinds.append(
            DocumentKind(
                slug=slug,
                name_vi=nfc(entry["name_vi"]),
                name_en=entry["name_en"],
                names=names,
                abbr=nfc(entry.get("abbr", "")),
                bare=bool(entry.get("bare", False)),
            )
        )
    if len({k.slug for k in kinds}) != len(kinds) or not kinds:
        raise DocumentCatalogError(f"{path}: kinds missing or a slug repeated")
    return DocumentCatalog(
        kinds=tuple(kinds),
        not_after_bare_number=frozenset(fold(w) for w in data.get("not_after_bare_number", [])),
        draft_words=tuple(fold(w) for w in data.get("draft_words", [])),
        issuers=tuple(nfc(i) for i in data.get("issuers", [])),
        fingerprint=f"{hashlib.sha256(raw).hexdigest()[:8]}.{RULES_VERSION}",
    )


def document_key(code: str) -> str:
    """The lookup key of a code as anyone types it: "53/CĐ-BYT", "53/cd-byt", "053 / CD - BYT"
    all give "53/cd-byt"; a bare number gives itself ("0053" -> "53")."""
    folded = re.sub(r"\s+", "", fold(nfc(code))).replace("–", "-").replace("—", "-")
    match = re.match(r"0*(\d+)(.*)", folded)
    if not match:
        return folded
    return (match.group(1).lstrip("0") or "0") + match.group(2)


def _folded_with_map(text: str) -> tuple[str, Sequence[int]]:
    """`fold(text)` and, for each character of it, the index of the character it came from
    (the identity unless case folding made one character two, as "ß" -> "ss")."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded, range(len(text))
    where: list[int] = []
    for i, char in enumerate(text):
        where.extend([i] * len(fold(char)))
    return folded, where


_DIGIT = re.compile(r"\d")
_SYMBOL = re.compile(r"\d\s?[/\-–—]\s?[^\W\d_]")
_SEPARATOR = re.compile(r"(\s?)([/\-–—])(\s?)([a-z0-9]+)")
_NUMBER_PREFIX = re.compile(r"\s*(?:(?:so|no\.?|number|n°)\s*[:.]?\s*)?")
_NUMBER = re.compile(rf"(\d{{1,{_MAX_DIGITS}}})(?![\d.,]\d)")
_STANDALONE = re.compile(rf"(?<![\w/.,-])(\d{{1,{_MAX_DIGITS}}})(?=\s?[/-])")
_MONTH_NAMES = "january february march april may june july august september october november"
_MONTHS = {name: n for n, name in enumerate([*_MONTH_NAMES.split(), "december"], 1)}
_DATE_AFTER = re.compile(
    r"\s*,?\s*(?:ngay|dated|of|ban hanh ngay)\s+"
    r"(?:(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"|(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})"
    r"|([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))"
)
# "Phó Thủ tướng Vũ Đức Đam đã ký Chỉ thị …": a title, a name, "(đã|vừa) ký", the document.
_SIGNER_BEFORE = re.compile(
    r"(?:Phó Thủ tướng|Thủ tướng|Bộ trưởng|Thứ trưởng)(?: Chính phủ| Bộ Y tế)?"
    r"((?:\s+\w+){2,4}?)\s+(?:đã\s+|vừa\s+)?ký(?:\s+ban\s+hành)?\s+$"
)


@dataclass(slots=True)
class _Found:
    ref: DocumentRef
    start: int  # in the folded text
    end: int
    bare: bool = field(default=False)


class DocumentExtractor:
    """Finds the documents a title and lead name; built once from the catalog."""

    def __init__(self, catalog: DocumentCatalog) -> None:
        self.catalog = catalog
        names = sorted(
            ((fold(n), k) for k in catalog.kinds for n in k.names),
            key=lambda pair: -len(pair[0]),
        )
        self._by_name = dict(names)
        alternatives = "|".join(re.escape(n) for n, _ in names)
        self._names = re.compile(rf"(?<![\w])({alternatives})(?![\w])")
        self._by_abbr = {fold(k.abbr): k for k in catalog.kinds if k.abbr}
        self._spelling = {fold(k.abbr): k.abbr for k in catalog.kinds if k.abbr}
        self._spelling.update({fold(i): i for i in catalog.issuers})
        # A cheap first look (most items name no document): a number, and a symbol ("53/CĐ")
        # or a kind's name, as written or without diacritics.
        spellings = {n.lower() for k in catalog.kinds for n in k.names} | set(self._by_name)
        self._spellings = tuple(sorted(spellings))
        drafts = "|".join(re.escape(w) for w in catalog.draft_words) or "(?!)"
        self._draft = re.compile(rf"(?:{drafts})\s*$")

    def extract(self, title: str, lead: str = "") -> list[DocumentRef]:
        text = nfc((f"{title}\n{lead}" if lead else title)[:MAX_TEXT])
        if not self._may_name_documents(text):
            return []
        folded, where = _folded_with_map(text)
        found: list[_Found] = []
        covered: list[tuple[int, int]] = []
        for match in self._names.finditer(folded):
            kind = self._by_name[match.group(1)]
            item = self._after_name(text, folded, where, kind, match.start(), match.end())
            if item is None:
                continue
            covered.append((item.start, item.end))
            # A draft's number is not an issued document's ("dự thảo Thông tư số 5/2026/…").
            if not self._draft.search(folded[max(0, match.start() - 12) : match.start()]):
                found.append(item)
        for match in _STANDALONE.finditer(folded):
            if any(s <= match.start() < e for s, e in covered):
                continue
            item = self._symbol(text, folded, where, match.start(), None)
            if item is not None:
                found.append(item)
        return _merge(found)

    def _may_name_documents(self, text: str) -> bool:
        if _DIGIT.search(text) is None:
            return False
        if _SYMBOL.search(text) is not None:
            return True
        lowered = text.lower()
        return any(name in lowered for name in self._spellings)

    def _after_name(
        self, text: str, folded: str, where: Sequence[int], kind: DocumentKind, start: int, end: int
    ) -> _Found | None:
        prefix = _NUMBER_PREFIX.match(folded, end)
        assert prefix is not None  # everything in it is optional
        has_number_word = bool(prefix.group(0).strip())
        item = self._symbol(text, folded, where, prefix.end(), kind)
        if item is None:
            return None
        if item.bare and not (kind.bare or has_number_word):
            return None
        if item.bare and item.ref.kind != kind.slug:
            return None
        signer = self._signer(text, where[start] if start < len(where) else len(text))
        ref = replace(item.ref, signer=signer) if signer else item.ref
        return _Found(ref, start, item.end, item.bare)

    def _symbol(
        self,
        text: str,
        folded: str,
        where: Sequence[int],
        pos: int,
        kind: DocumentKind | None,
    ) -> _Found | None:
        number = _NUMBER.match(folded, pos)
        if number is None:
            return None
        parts: list[tuple[str, str]] = []  # (separator, the part as it is spelled)
        end = number.end()
        while len(parts) < _MAX_PARTS:
            sep = _SEPARATOR.match(folded, end)
            if sep is None:
                break
            spaced = bool(sep.group(1) or sep.group(3))
            part = sep.group(4)
            original = text[where[sep.start(4)] : where[sep.end(4) - 1] + 1]
            slash = sep.group(2) == "/"
            if not self._symbol_part(part, original, first=not parts, spaced=spaced, slash=slash):
                break
            parts.append((sep.group(2), self._spelling.get(part, original)))
            end = sep.end()
        if end < len(folded) and (folded[end].isalnum()):
            return None
        words = [p for _, p in parts if not p.isdigit()]
        abbr_kind = self._by_abbr.get(fold(words[0])) if words else None
        # Without a kind's name, a symbol needs its kind's abbreviation and an organ ("5/TT"
        # alone is no document's).
        if kind is None and (abbr_kind is None or len(words) < 2):
            return None
        chosen = abbr_kind or kind
        assert chosen is not None
        digits = number.group(1)
        bare = not parts
        if bare:
            following = folded[end:].split(maxsplit=1)
            if following and following[0].strip(".,;:)") in self.catalog.not_after_bare_number:
                return None
            if len(digits) == 4 and 1945 <= int(digits) <= 2100:
                return None
        # The organ after the kind's abbreviation (QĐ-TTg), else the first (931/BYT-BH).
        issuer_parts = words[1:] if abbr_kind is not None else words[:1]
        code = digits + "".join(("/" if s == "/" else "-") + p for s, p in parts)
        ref = DocumentRef(
            kind=chosen.slug,
            code=code,
            key=document_key(code),
            number=digits.lstrip("0") or "0",
            issuer="-".join(issuer_parts) or None,
            issued_on=_date_after(folded, end),
        )
        return _Found(ref, pos, end, bare)

    def _symbol_part(
        self, part: str, original: str, *, first: bool, spaced: bool, slash: bool
    ) -> bool:
        if part.isdigit():  # a year, right after the number: "12/2026/TT-BYT", "85/2012 /NĐ"
            return first and slash and len(part) == 4 and 1945 <= int(part) <= 2100
        if part in self._spelling:
            return True
        if spaced or not part[0].isalpha() or len(part) > 12:
            return False
        return not any(c.islower() for c in original) and len(part) >= 2

    def _signer(self, text: str, start: int) -> str | None:
        window = text[max(0, start - 90) : start]
        match = _SIGNER_BEFORE.search(window)
        if match is None:
            return None
        words = match.group(1).split()
        return " ".join(words) if all(w[0].isupper() for w in words) else None


@functools.lru_cache(maxsize=4)
def extractor_for(catalog: DocumentCatalog) -> DocumentExtractor:
    """One extractor per catalog (its patterns are compiled once)."""
    return DocumentExtractor(catalog)


def _date_after(folded: str, end: int) -> date | None:
    match = _DATE_AFTER.match(folded, end)
    if match is None:
        return None
    g = match.groups()
    try:
        if g[0]:
            return date(int(g[2]), int(g[1]), int(g[0]))
        if g[3]:
            return date(int(g[5]), int(g[4]), int(g[3]))
        month = _MONTHS.get(g[6] or "")
        if month is None:
            return None
        return date(int(g[8]), month, int(g[7]))
    except ValueError:
        return None


def _merge(found: list[_Found]) -> list[DocumentRef]:
    """One ref per document: the same key twice is one; a bare number ("Resolution 30") is
    the full symbol of its kind with that number named in the same text."""
    full: dict[tuple[str, str], DocumentRef] = {}
    order: list[tuple[str, str]] = []
    for item in sorted(found, key=lambda f: f.bare):
        ref = item.ref
        slot = (ref.kind, ref.key)
        if item.bare:
            same = next(
                (k for k in order if k[0] == ref.kind and full[k].number == ref.number), None
            )
            if same is not None:
                slot = same
        if slot in full:
            old = full[slot]
            full[slot] = replace(
                old,
                issued_on=old.issued_on or ref.issued_on,
                signer=old.signer or ref.signer,
            )
        else:
            full[slot] = ref
            order.append(slot)
    position = {}
    for item in found:
        for slot in order:
            ref = full[slot]
            if slot not in position and ref.kind == item.ref.kind and ref.number == item.ref.number:
                position[slot] = item.start
    return [full[slot] for slot in sorted(order, key=lambda s: position.get(s, 0))]


# What a reader may type to look a document up: a number, a number and symbol, or a kind's
# name and its number; longer is not a document's number.
MAX_LOOKUP = 100
_TYPED_NUMBER = re.compile(rf"^\d{{1,{_MAX_DIGITS}}}$")
_TYPED_SYMBOL = re.compile(rf"^\d{{1,{_MAX_DIGITS}}}\s*[/-]\s*\S+$")


@dataclass(frozen=True, slots=True)
class DocumentQuery:
    """A lookup: by folded code (`key`), else by leading `number`; of one kind if given."""

    kind: str | None
    key: str | None
    number: str


def parse_lookup(typed: str, extractor: DocumentExtractor) -> DocumentQuery | None:
    """What `/vanban 53/CĐ-BYT`, `/vanban 53/CD-BYT`, `/vanban 53` or `/vanban Công điện 53`
    asks for; None when it names no document."""
    typed = " ".join(nfc(typed).split())[:MAX_LOOKUP]
    if not typed:
        return None
    if _TYPED_NUMBER.match(typed):
        return DocumentQuery(None, None, typed.lstrip("0") or "0")
    refs = extractor.extract(typed)
    if refs:
        ref = refs[0]
        has_symbol = ref.key != ref.number
        return DocumentQuery(ref.kind, ref.key if has_symbol else None, ref.number)
    if _TYPED_SYMBOL.match(typed):
        key = document_key(typed)
        return DocumentQuery(None, key, key.split("/")[0].split("-")[0])
    return None
