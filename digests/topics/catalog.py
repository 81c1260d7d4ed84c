"""The topic catalog (`seeds/topics.toml`) as frozen dataclasses, validated on load."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from digests.paths import TOPICS_FILE
from digests.text import fold

DEFAULT_PATH = TOPICS_FILE
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
# Between the parts of a heading or a breadcrumb ("Tin hoạt động - Bộ Y tế", "Trang chủ > Tin
# tức") and between the segments of a path; a hyphen inside a word or a URL slug is not one.
_SECTION_PARTS = re.compile(r"\s+[-–—|»>:]\s+|[/|»>?#&=]")


class CatalogError(ValueError):
    """The catalog file is wrong; the message names the entry."""


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    name_vi: str
    name_en: str
    description_vi: str
    description_en: str
    aliases: tuple[str, ...]
    strong: tuple[str, ...]
    weak: tuple[str, ...]
    exclude: tuple[str, ...]
    # Headings (or URL paths) under which the ministry's sites publish this topic's news.
    sections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Leader:
    slug: str
    name: str
    title_vi: str
    title_en: str
    variants: tuple[str, ...]
    # The term in office at the ministry (first day, last day); None: not recorded / ongoing.
    since: date | None = None
    until: date | None = None

    @property
    def current(self) -> bool:
        """Whether the leader holds office now (the catalog records no end to the term)."""
        return self.until is None

    def in_office(self, day: date | None) -> bool:
        """Whether the leader held office on `day`; an undated item cannot rule anyone out."""
        if day is None:
            return True
        return (self.since is None or self.since <= day) and (
            self.until is None or day <= self.until
        )


@dataclass(frozen=True, slots=True)
class LeadershipRule:
    titles: tuple[str, ...]
    actions: tuple[str, ...]
    # Titles only the Ministry of Health's own leaders hold ("Bộ trưởng Bộ Y tế", "Health
    # Minister"): such a leader as the headline's or the lead's actor makes leadership.
    ministry_titles: tuple[str, ...] = ()
    # Words in that headline or sentence that make the act someone else's (an appointment, a
    # trial): the leader is then not its actor.
    not_actor: tuple[str, ...] = ()
    action_exclude: tuple[str, ...] = ()
    # Names of other countries: a title followed by one is a foreign leader's, which is not
    # leadership but evidence for `foreign_topic` (as strong as a strong phrase).
    foreign: tuple[str, ...] = ()
    foreign_topic: str | None = None
    # A leader's visit (one of `visits`) to one of `visit_places`, both in the title or the
    # lead of a leadership item, is also news for `visit_topic` (a visit to a hospital is news
    # of the hospital's work).
    visits: tuple[str, ...] = ()
    visit_places: tuple[str, ...] = ()
    visit_topic: str | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    topics: tuple[Topic, ...]
    leaders: tuple[Leader, ...]
    rule: LeadershipRule
    fingerprint: str
    _section_keys: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for topic in self.topics:
            for name in (topic.slug, topic.name_vi, topic.name_en, *topic.sections):
                self._section_keys.setdefault(_section_key(name), topic.slug)

    def topic(self, slug: str) -> Topic | None:
        return next((t for t in self.topics if t.slug == slug), None)

    def section_topic(self, section: str | None) -> str | None:
        """The topic a source's section stands for, or None (a section that is no topic, such
        as "Tin tổng hợp"). Accepted: the slug, the topic's names and its `sections` headings,
        with or without diacritics, alone or as a part of a breadcrumb or a URL path
        ("Tin hoạt động - Bộ y tế", "https://moh.gov.vn/hoat-dong-cua-lanh-dao-bo")."""
        if not section:
            return None
        # In a Liferay address what follows "/-/" names the article, not the section.
        section = section.split("/-/")[0]
        for key in (_section_key(section), *map(_section_key, _SECTION_PARTS.split(section))):
            if key and (slug := self._section_keys.get(key)):
                return slug
        return None

    @property
    def current_leaders(self) -> tuple[Leader, ...]:
        """The leaders in office now, in the catalog's order (what /leaders offers)."""
        return tuple(x for x in self.leaders if x.current)

    def leader(self, key: str) -> Leader | None:
        """A leader by slug or by name as written in the catalog."""
        return next((x for x in self.leaders if key in (x.slug, x.name)), None)


def _strings(entry: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogError(f"{where}: {key} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _tables(data: dict[str, object], key: str) -> list[dict[str, object]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CatalogError(f"{key} must be an array of tables ([[{key}]])")
    return value


def _section_key(text: str) -> str:
    """'Tin hoạt động', 'tin-hoat-dong', 'TIN HOẠT ĐỘNG' -> 'tin hoat dong'."""
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def _date(entry: dict[str, object], key: str, where: str) -> date | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CatalogError(f"{where}: {key} must be a date (YYYY-MM-DD)")


def _text(entry: dict[str, object], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: missing {key}")
    return value.strip()


def parse_catalog(data: dict[str, object], fingerprint: str = "") -> Catalog:
    topics: list[Topic] = []
    for index, entry in enumerate(_tables(data, "topic")):
        where = f"topic #{index + 1}"
        slug = _text(entry, "slug", where)
        where = f"topic {slug!r}"
        if not _SLUG.match(slug):
            raise CatalogError(f"{where}: a slug is lower-case letters, digits and hyphens")
        topics.append(
            Topic(
                slug=slug,
                name_vi=_text(entry, "vi", where),
                name_en=_text(entry, "en", where),
                description_vi=str(entry.get("description_vi", "")),
                description_en=str(entry.get("description_en", "")),
                aliases=_strings(entry, "aliases", where),
                strong=_strings(entry, "strong", where),
                weak=_strings(entry, "weak", where),
                exclude=_strings(entry, "exclude", where),
                sections=_strings(entry, "sections", where),
            )
        )
    leaders: list[Leader] = []
    for index, entry in enumerate(_tables(data, "leader")):
        where = f"leader #{index + 1}"
        slug = _text(entry, "slug", where)
        name = _text(entry, "name", f"leader {slug!r}")
        variants = _strings(entry, "variants", f"leader {slug!r}")
        since, until = (
            _date(entry, "since", f"leader {slug!r}"),
            _date(entry, "until", f"leader {slug!r}"),
        )
        if since and until and until < since:
            raise CatalogError(f"leader {slug!r}: until comes before since")
        leaders.append(
            Leader(
                slug=slug,
                name=name,
                title_vi=_text(entry, "title_vi", f"leader {slug!r}"),
                title_en=_text(entry, "title_en", f"leader {slug!r}"),
                variants=tuple(dict.fromkeys((name, *variants))),
                since=since,
                until=until,
            )
        )
    for kind, slugs in (("topic", [t.slug for t in topics]), ("leader", [x.slug for x in leaders])):
        duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
        if duplicates:
            raise CatalogError(f"duplicate {kind} slugs: {', '.join(duplicates)}")
    if not topics:
        raise CatalogError("the catalog has no topics")
    rule = data.get("leadership_rule", {})
    assert isinstance(rule, dict)
    foreign_topic, visit_topic = rule.get("foreign_topic"), rule.get("visit_topic")
    for key, value in (("foreign_topic", foreign_topic), ("visit_topic", visit_topic)):
        if value is not None and value not in {t.slug for t in topics}:
            raise CatalogError(f"leadership_rule.{key}: no topic {value!r}")
    return Catalog(
        topics=tuple(topics),
        leaders=tuple(leaders),
        rule=LeadershipRule(
            titles=_strings(rule, "titles", "leadership_rule"),
            actions=_strings(rule, "actions", "leadership_rule"),
            ministry_titles=_strings(rule, "ministry_titles", "leadership_rule"),
            not_actor=_strings(rule, "not_actor", "leadership_rule"),
            action_exclude=_strings(rule, "action_exclude", "leadership_rule"),
            foreign=_strings(rule, "foreign", "leadership_rule"),
            foreign_topic=str(foreign_topic) if foreign_topic is not None else None,
            visits=_strings(rule, "visits", "leadership_rule"),
            visit_places=_strings(rule, "visit_places", "leadership_rule"),
            visit_topic=str(visit_topic) if visit_topic is not None else None,
        ),
        fingerprint=fingerprint,
    )


def load_catalog(path: Path | None = None) -> Catalog:
    path = path or DEFAULT_PATH
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f"topic catalog {path} not found") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"topic catalog {path}: {exc}") from None
    return parse_catalog(data, hashlib.sha256(raw).hexdigest()[:16])
