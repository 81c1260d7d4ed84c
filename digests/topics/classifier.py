"""The classifier: topics (multi-label) and leaders of an article, deterministic and able to
explain itself.

Text is NFC-normalised and split into syllables; catalog phrases match whole syllable runs
only (a phrase never matches inside a longer word), case-folded but with diacritics, since
diacritics tell Vietnamese words apart. Phrases written in capitals are acronyms and match
only in capitals. When a text carries no diacritics at all, phrases are compared folded. Tone
marks are compared in one placement style ("sức khoẻ" is "sức khỏe", "thuỷ đậu" "thủy đậu").

Scores: a strong phrase counts 4 in the title, 2 in the lead (summary, or first paragraph),
0.5 per occurrence in the rest of the body (at most 3 from the body); weak phrases 2, 0.75
and 0.2. A topic needs 4: one strong phrase in the title, or two weak ones. The article's own
section (a topic's slug, its name, or a heading the catalog lists for it) gives its topic
outright, and the leadership rule (titles + action verbs, or a quoted leader) gives
`leadership`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import compress

from digests.text import fold, same_tone_style, syllables
from digests.topics.catalog import Catalog, Leader
from digests.topics.model import (
    BODY_CHARS,
    LEAD_CHARS,
    TITLE_CHARS,
    TopicModel,
    load_model,
    model_checksum,
    model_words,
)

_SYLLABLE = re.compile(r"[^\W_]+", re.UNICODE)
_HAS_DIACRITIC = re.compile("[\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]")
# Bumped whenever the scoring rules below change, so that stored labels made by older rules
# count as stale (with the catalog's fingerprint) and `mohbot reclassify` redoes them.
RULES_VERSION = 12
THRESHOLD = 4.0
PARTIAL = 1.5  # a rule score from here up to THRESHOLD is partial evidence, a model feature
WEIGHTS = {"title": (4.0, 2.0), "lead": (2.0, 0.75), "body": (0.5, 0.2)}
BODY_CAP = 3.0
LEAD_WINDOW = 70  # syllables of the lead the leadership rule looks at
BODY_WINDOW = 60  # and of the body after it (only the ministry's own leaders count there)
FOREIGN_WINDOW = 4  # syllables after a title where a country's name makes it foreign
LEADERSHIP = "leadership"
# Characters of each field that are read: enough for any real article (the body's score is
# capped anyway), and a bound on the work a hostile megabyte of text can cause.
ANALYSED_CHARS = {"title": 1_000, "summary": 5_000, "body": 50_000}
_MODEL_CHARS = {"title": TITLE_CHARS, "lead": LEAD_CHARS, "body": BODY_CHARS}


@dataclass(frozen=True, slots=True)
class Evidence:
    phrase: str
    field: str  # title, lead, body, section, rule
    weight: float


@dataclass(frozen=True, slots=True)
class Classification:
    topics: list[str]
    leaders: list[str]
    explain: dict[str, list[Evidence]] = field(default_factory=dict)
    # Topics the rules saw some evidence for without reaching the threshold (for the model).
    partial: list[str] = field(default_factory=list)
    # Where the rules' evidence lies ("food-safety:title", "leadership:body"), for every
    # topic found or partial (for the model: a topic found in the title is surer than one
    # found in the body only).
    cues: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Phrase:
    tokens: tuple[str, ...]
    original: tuple[str, ...]
    text: str
    owner: str  # topic slug, leader name, or a rule part ("title", "action")
    # strong, weak, exclude, leader; rule-title, rule-action, rule-exclude, rule-foreign,
    # rule-visit, rule-place
    kind: str
    exact_case: bool


def _is_acronym(phrase: str) -> bool:
    letters = [c for c in phrase if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


class _Node:
    """A node of the phrase trie: the phrases that end here, and the next syllables."""

    __slots__ = ("next", "phrases")

    def __init__(self) -> None:
        self.phrases: list[_Phrase] = []
        self.next: dict[str, _Node] = {}


def _child(level: dict[str, _Node], token: str) -> _Node:
    node = level.get(token)
    if node is None:
        node = level[token] = _Node()
    return node


class _Index:
    """Phrases in a trie of their syllables, so that a scan follows, at each position, only
    the syllables that continue some phrase (one dictionary lookup per syllable read, not one
    comparison per phrase: common syllables such as "bộ" or "y" start dozens of phrases)."""

    def __init__(self, phrases: Iterable[_Phrase]) -> None:
        self.root: dict[str, _Node] = {}
        for phrase in phrases:
            if not phrase.tokens:
                continue
            node = _child(self.root, phrase.tokens[0])
            for token in phrase.tokens[1:]:
                node = _child(node.next, token)
            node.phrases.append(phrase)

    def scan(self, text: str, lowered: list[str]) -> list[tuple[int, _Phrase]]:
        """Every phrase found, by start position, the longest first at each position (as the
        classifier's claiming rule expects), in catalog order for the same syllables."""
        found: list[tuple[int, _Phrase]] = []
        n = len(lowered)
        original: list[str] | None = None  # syllables as written, only needed for acronyms
        root = self.root
        # Only the positions where some phrase starts (filtered in C: most syllables start none).
        for i in compress(range(n), map(root.__contains__, lowered)):
            node = root[lowered[i]]
            ends: list[tuple[int, list[_Phrase]]] = []
            end = i + 1
            while True:
                if node.phrases:
                    ends.append((end, node.phrases))
                if end >= n or not node.next:
                    break
                following = node.next.get(lowered[end])
                if following is None:
                    break
                node = following
                end += 1
            for end, phrases in reversed(ends):
                for phrase in phrases:
                    if phrase.exact_case:
                        if original is None:
                            original = _SYLLABLE.findall(text)
                        if tuple(original[i:end]) != phrase.original:
                            continue
                    found.append((i, phrase))
        return found


def _tokens(text: str, folded: bool) -> tuple[str, list[str]]:
    """The NFC text and its syllables as compared (case-folded, or also diacritic-folded)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    compared = fold(text) if folded else same_tone_style(text.casefold())
    if len(compared) == len(text):  # character for character: syllables line up with `text`
        return text, _SYLLABLE.findall(compared)
    # Folding changed the text's shape (e.g. "ß" -> "ss"): fold syllable by syllable instead.
    return text, [_compared(t, folded) for t in _SYLLABLE.findall(text)]


def _compared(syllable: str, folded: bool) -> str:
    return fold(syllable) if folded else same_tone_style(syllable.casefold())


def _phrase(text: str, owner: str, kind: str, folded: bool) -> _Phrase:
    exact = _is_acronym(text) and kind != "leader"
    original = tuple(syllables(unicodedata.normalize("NFC", text)))
    tokens = tuple(_compared(t, folded) for t in original)
    return _Phrase(tokens, original, text, owner, kind, exact)


class Classifier:
    """Compiled once per catalog; `classify` is pure and fast. With a `model` (the learned
    part, `digests.topics.model`), topics other than leadership are decided by the rules and
    the model together: a topic the model is sure of, or one the rules found and the model
    does not rule out; a topic given by the article's section always stays."""

    def __init__(self, catalog: Catalog, model: TopicModel | None = None) -> None:
        self.catalog = catalog
        self.model = model
        self._leaders: dict[str, Leader] = {x.name: x for x in catalog.leaders}
        self._leader_order = {x.name: i for i, x in enumerate(catalog.leaders)}
        self._learned = frozenset(model.topics) if model is not None else frozenset()
        self._indexes = {folded: self._build(folded) for folded in (False, True)}

    def _build(self, folded: bool) -> _Index:
        phrases: list[_Phrase] = []
        for topic in self.catalog.topics:
            for kind, texts in (
                ("strong", topic.strong),
                ("weak", topic.weak),
                ("exclude", topic.exclude),
            ):
                phrases += [_phrase(t, topic.slug, kind, folded) for t in texts]
        for leader in self.catalog.leaders:
            phrases += [_phrase(v, leader.name, "leader", folded) for v in leader.variants]
            if not folded:
                # A name typed without diacritics in a text that has them ("Deputy Minister
                # Do Xuan Tuyen visits Hà Nội"): full names are distinctive enough to match so.
                phrases += [_phrase(v, leader.name, "leader", True) for v in leader.variants]
        phrases += [_phrase(t, "title", "rule-title", folded) for t in self.catalog.rule.titles]
        phrases += [
            _phrase(t, "ministry", "rule-title", folded) for t in self.catalog.rule.ministry_titles
        ]
        phrases += [
            _phrase(t, "not-actor", "rule-not-actor", folded) for t in self.catalog.rule.not_actor
        ]
        phrases += [_phrase(t, "action", "rule-action", folded) for t in self.catalog.rule.actions]
        phrases += [
            _phrase(t, "action", "rule-exclude", folded) for t in self.catalog.rule.action_exclude
        ]
        phrases += [
            _phrase(t, "foreign", "rule-foreign", folded) for t in self.catalog.rule.foreign
        ]
        phrases += [_phrase(t, "visit", "rule-visit", folded) for t in self.catalog.rule.visits]
        phrases += [
            _phrase(t, "place", "rule-place", folded) for t in self.catalog.rule.visit_places
        ]
        return _Index(phrases)

    def classify(
        self,
        title: str,
        summary: str = "",
        body: str = "",
        section: str | None = None,
        published: date | None = None,
    ) -> Classification:
        """Topics and leaders of an article. `published` (the article's date) decides who was
        in office: a leader named outside their term, or called former ("cựu Bộ trưởng …"), is
        not one of the article's leaders and does not make it leadership activity."""
        title = (title or "")[: ANALYSED_CHARS["title"]]
        summary = (summary or "")[: ANALYSED_CHARS["summary"]]
        body = (body or "")[: ANALYSED_CHARS["body"]]
        # No diacritics anywhere (typed without them): compare folded.
        folded = not any(_HAS_DIACRITIC.search(t) for t in (title, summary, body))
        index = self._indexes[folded]
        lead, rest = lead_and_rest(summary, body)

        scores: dict[str, float] = {}
        body_scores: dict[str, float] = {}
        evidence: dict[str, list[Evidence]] = {}
        leaders: list[str] = []
        former: set[str] = set()  # leaders the text calls former
        # In an undated item, a leader whose term has ended is taken as named in office unless
        # the headline or lead speaks of a former office anywhere ("2 cựu Thứ trưởng …").
        # (Looked for only when such a leader is named.)
        cue_text = f"{title}\n{lead}" if published is None else None
        leadership_hits: list[Evidence] = []
        not_actor_title = False
        visited: dict[str, str] = {}  # "visit" and "place" -> the phrase seen in title or lead

        # The learned part's words of each field (`digests.topics.model._words`), from the
        # syllables read here when they are the same.
        words: dict[str, list[str]] = {"title": [], "lead": [], "body": []}
        for field_name, text in (("title", title), ("lead", lead), ("body", rest)):
            if not text:
                continue
            raw = text
            text, lowered = _tokens(text, folded)
            if self.model is not None:
                words[field_name] = model_words(raw, _MODEL_CHARS[field_name], text, lowered)
            hits = self._current(index.scan(text, lowered), lowered, published, cue_text, former)
            excluded: dict[str, set[int]] = {}  # topic -> syllable positions its excludes cover
            for start, phrase in hits:
                if phrase.kind == "exclude":
                    excluded.setdefault(phrase.owner, set()).update(
                        range(start, start + len(phrase.tokens))
                    )
            strong_w, weak_w = WEIGHTS[field_name]
            if field_name == "lead" and all(s < THRESHOLD for s in scores.values()):
                # A headline that names no topic (a teaser, a quote, "Đảm bảo tốt công tác y tế
                # dịp nghỉ lễ": no phrase, or weak ones only) leaves the lead to say what the
                # news is about: its strong phrases weigh as a title's. Weak ones do not, so
                # scattered words stay weak.
                strong_w = WEIGHTS["title"][0]
            # Hits come by start position, longest first: a phrase lies inside an earlier
            # match of its topic exactly when it ends before the furthest end seen so far.
            claimed: dict[str, int] = {}
            for start, phrase in hits:
                end = start + len(phrase.tokens)
                if phrase.kind == "leader":
                    if phrase.owner not in leaders:
                        leaders.append(phrase.owner)
                    continue
                if phrase.kind not in ("strong", "weak"):
                    continue
                covered = excluded.get(phrase.owner)
                if covered and (start in covered or end - 1 in covered):
                    continue
                # A shorter phrase inside a longer match of the same topic adds nothing.
                if end <= claimed.get(phrase.owner, -1):
                    continue
                claimed[phrase.owner] = end
                weight = strong_w if phrase.kind == "strong" else weak_w
                if field_name == "body":
                    body_scores[phrase.owner] = body_scores.get(phrase.owner, 0.0) + weight
                else:
                    scores[phrase.owner] = scores.get(phrase.owner, 0.0) + weight
                evidence.setdefault(phrase.owner, []).append(
                    Evidence(phrase.text, field_name, weight)
                )
            if field_name in ("title", "lead"):
                limit = _rule_window(field_name, lowered)
                for _start, phrase in _rule_words(hits, ("rule-visit", "rule-place"), limit):
                    visited.setdefault(phrase.owner, phrase.text)
                ours, foreign = self._leadership(field_name, text, lowered, hits)
                if field_name == "title" and any(p.kind == "rule-not-actor" for _s, p in hits):
                    not_actor_title = True
                if ours and not not_actor_title:
                    leadership_hits.append(Evidence(text[:80], field_name, THRESHOLD))
                topic = self.catalog.rule.foreign_topic
                if foreign and topic:
                    scores[topic] = scores.get(topic, 0.0) + strong_w
                    evidence.setdefault(topic, []).append(Evidence(foreign, field_name, strong_w))
            elif not leadership_hits and not not_actor_title:
                # The body's first lines: the ministry's own leader (by name or by a title only
                # they hold) and an action ("Phát biểu tại buổi lễ, Thứ trưởng … cho biết").
                ours, _foreign = self._leadership(field_name, text, lowered, hits)
                if ours:
                    leadership_hits.append(Evidence(text[:80], field_name, THRESHOLD))

        for topic, score in body_scores.items():
            scores[topic] = scores.get(topic, 0.0) + min(BODY_CAP, score)
        if section_topic := self.catalog.section_topic(section):
            scores[section_topic] = scores.get(section_topic, 0.0) + THRESHOLD
            evidence.setdefault(section_topic, []).append(
                Evidence(section or "", "section", THRESHOLD)
            )
        if leadership_hits:
            scores[LEADERSHIP] = scores.get(LEADERSHIP, 0.0) + THRESHOLD
            evidence.setdefault(LEADERSHIP, []).extend(leadership_hits)
            topic = self.catalog.rule.visit_topic
            if topic and "visit" in visited and "place" in visited:
                scores[topic] = scores.get(topic, 0.0) + THRESHOLD
                evidence.setdefault(topic, []).append(
                    Evidence(f"{visited['visit']} … {visited['place']}", "rule", THRESHOLD)
                )

        topics = [t.slug for t in self.catalog.topics if scores.get(t.slug, 0.0) >= THRESHOLD]
        partial = [t for t, score in scores.items() if PARTIAL <= score < THRESHOLD]
        cues = _cues(evidence, topics, partial)
        if self.model is not None:
            found = self.model.known_features(
                words["title"],
                words["lead"],
                words["body"],
                topics,
                partial,
                cues,
            )
            headline_only = not lead.strip() and not rest.strip()
            topics = self._with_model(topics, section_topic, evidence, found, headline_only)
        order = self._leader_order
        leaders = [x for x in leaders if x not in former]
        leaders.sort(key=lambda name: order.get(name, 0))
        return Classification(
            topics=topics,
            leaders=leaders,
            explain={t: evidence.get(t, []) for t in topics},
            partial=sorted(partial),
            cues=cues,
        )

    def _with_model(
        self,
        topics: list[str],
        section_topic: str | None,
        evidence: dict[str, list[Evidence]],
        found: set[str],
        headline_only: bool = False,
    ) -> list[str]:
        """The rules' topics, decided again with the model (leadership and the section's topic
        are the rules' alone); the model's topics explained by their strongest features. A
        headline alone is too little for the model (it learnt from items with a lead) to rule
        out what the rules found: then it only adds topics."""
        assert self.model is not None
        # Leadership, the section's topic, and a topic the model was not trained for (one
        # added to the catalog since) are the rules' alone.
        learned = self._learned
        decided = {
            t
            for t in topics
            if headline_only or t in (LEADERSHIP, section_topic) or t not in learned
        }
        for prediction in self.model.predict(found, set(topics), explain=True):
            if prediction.topic in decided or prediction.topic == LEADERSHIP:
                continue
            decided.add(prediction.topic)
            if prediction.topic not in topics:
                words = ", ".join(f for f, _w in prediction.strongest)
                evidence.setdefault(prediction.topic, []).append(
                    Evidence(words, "model", round(prediction.probability, 3))
                )
        return [t.slug for t in self.catalog.topics if t.slug in decided]

    def _current(
        self,
        hits: list[tuple[int, _Phrase]],
        lowered: list[str],
        published: date | None,
        cue_text: str | None,
        former: set[str],
    ) -> list[tuple[int, _Phrase]]:
        """The hits without the leaders who were not in office at the article's date or are
        called former in the text (those are added to `former`). `cue_text`: the headline and
        lead of an undated item, where a former office spoken of rules out past leaders."""
        if not any(p.kind == "leader" for _s, p in hits):
            return hits
        title_starts = {s + len(p.tokens): s for s, p in hits if p.kind == "rule-title"}
        kept = []
        for s, p in hits:
            if p.kind == "leader":
                leader = self._leaders.get(p.owner)
                if leader is not None and (
                    not leader.in_office(published)
                    or (
                        not leader.current
                        and cue_text is not None
                        and _FORMER_CUE.search(cue_text) is not None
                    )
                ):
                    continue
                if _former(lowered[max(0, s - 2) : s]) or _former_title(s, lowered, title_starts):
                    former.add(p.owner)
                    continue
            kept.append((s, p))
        return kept

    def _leadership(
        self, field_name: str, text: str, lowered: list[str], hits: list[tuple[int, _Phrase]]
    ) -> tuple[bool, str | None]:
        """Whether the title (or the start of the lead) reports what a leader did or said: a
        leader's title or name, then an action; in a title, a leader quoted before a colon; in
        the lead, a leader and an action in either order. Also the first foreign leader's title
        seen there ("Bộ trưởng Y tế Lào"), which is not ours."""
        if not any(p.kind in _PERSON_KINDS for _s, p in hits):
            return False, None  # no leader and no title: nobody, ours or foreign
        limit = _rule_window(field_name, lowered)
        actions = [s for s, _p in _rule_words(hits, ("rule-action",), limit)]
        action_at = set(actions)
        foreign_at = {s: s + len(p.tokens) for s, p in hits if p.kind == "rule-foreign"}
        longest: dict[int, _Phrase] = {}  # start -> the longest title there
        people = []
        ours = []  # the ministry's leaders: by name, or by a title only the ministry's have
        named_at = {s for s, p in hits if p.kind == "leader"}
        for s, p in hits:
            if s >= limit or _former(lowered[max(0, s - 2) : s]):
                continue  # a former minister in the news is not the ministry's leadership
            if p.kind == "leader":
                people.append((s, s + len(p.tokens)))
                ours.append((s, s + len(p.tokens)))
            elif p.kind == "rule-title":
                known = longest.get(s)
                if known is None or (len(p.tokens), p.owner == "ministry") > (
                    len(known.tokens),
                    known.owner == "ministry",
                ):
                    longest[s] = p
        foreign: str | None = None
        original: list[str] | None = None
        for s, title_phrase in longest.items():
            end = s + len(title_phrase.tokens)
            if _another_ministry(lowered[end : end + 3]):
                continue
            if fold(title_phrase.text) in _MINISTER_TITLES and end not in named_at:
                # "Bộ trưởng Tô Lâm", "Minister Nguyen Kim Son": a minister named, not ours.
                original = original or _SYLLABLE.findall(text)
                if _named(original, end):
                    continue
            # "Bộ trưởng Y tế Lào", "Thủ tướng Chính phủ nước CHDCND Lào": another country's
            # leader, when its name follows within a few syllables and before any action.
            after = next((i for i in range(end, end + FOREIGN_WINDOW) if i in foreign_at), None)
            if after is not None and not any(a in action_at for a in range(end, after)):
                foreign = foreign or " ".join(lowered[s : foreign_at[after]])
                continue
            people.append((s, end))
            if title_phrase.owner == "ministry" or end in named_at:
                ours.append((s, end))  # "Bộ trưởng Bộ Y tế", or a title before a leader's name
        if not people:
            return False, foreign
        if field_name == "body":
            return bool(ours) and bool(actions), None
        if ours and _actor(field_name, text, lowered, ours, hits):
            return True, foreign
        first_person_end = min(end for _s, end in people)
        if field_name == "lead":
            if ours:
                return bool(actions), foreign
            # Another leader (the Prime Minister, the General Secretary) in the lead counts as
            # the health sector's leadership only as the actor of what it reports, not when
            # mentioned ("theo chỉ đạo của Thủ tướng", "raised by General Secretary To Lam").
            actors = [p for p in people if _actor(field_name, text, lowered, [p], hits)]
            return any(a >= end for a in actions for _s, end in actors), foreign
        if any(a >= first_person_end for a in actions):
            return True, foreign
        if ":" in text:
            before = len(syllables(text.split(":", 1)[0]))
            return any(start < before for start, _e in people), foreign
        return False, foreign


_PERSON_KINDS = frozenset({"leader", "rule-title"})
# Generic titles of a minister: followed by a name that is not a catalog leader's, the
# minister is another one ("Bộ trưởng Tô Lâm").
_MINISTER_TITLES = frozenset({"bo truong", "thu truong", "minister", "deputy minister"})
# Words before a leader that leave them the actor ("bà Đào Hồng Lan", "Acting Minister").
_BEFORE_ACTOR = frozenset(
    {"ong", "ba", "gs", "pgs", "ts", "bs", "ths", "quyen", "acting", "mr", "ms", "dr", "the"}
)
# Right after the leader: the act is done to them, by someone else ("được bổ nhiệm", "bị").
_PASSIVE = frozenset({"duoc", "bi", "was", "is", "has", "been"})
_CLAUSE = re.compile(r"[,;:]|\s[-–—]\s|^")
ACTOR_WINDOW = 30  # syllables of the lead's start where its actor is looked for


def _named(original: list[str], at: int) -> bool:
    """Whether a personal name (two capitalised syllables) starts at `at`."""
    following = original[at : at + 2]
    return len(following) == 2 and all(w[:1].isupper() for w in following)


def _actor(
    field_name: str,
    text: str,
    lowered: list[str],
    ours: list[tuple[int, int]],
    hits: list[tuple[int, _Phrase]],
) -> bool:
    """Whether the ministry's leader is the actor of the headline or of the lead: named (or
    titled) at the start of the headline or of one of its parts ("Hà Nội: Thứ trưởng …"), or
    at the start of a clause of the lead's first sentence ("Ngày 29/11, Bộ trưởng Bộ Y tế ban
    hành …"), and not followed by a passive ("được điều động", "bị khởi tố"). Not when the
    headline or that sentence says the act is someone else's: an appointment, a trial
    (the catalog's `not_actor` words)."""
    head = text.split(". ", 1)[0] if field_name == "lead" else text
    begins = [m.start() for m in _SYLLABLE.finditer(head)]  # where its syllables start
    limit = min(len(begins), ACTOR_WINDOW if field_name == "lead" else len(lowered))
    if any(p.kind == "rule-not-actor" and s < limit for s, p in hits):
        return False
    # Each clause starts after a separator, never inside a syllable: the syllables before it
    # are those that start before it.
    starts = {bisect_left(begins, m.end()) for m in _CLAUSE.finditer(head)}
    ends = dict(ours)
    for start, end in ours:
        while end in ends and ends[end] > end:  # "Thứ trưởng Bộ Y tế" then the name
            end = ends[end]
        if start >= limit or fold(" ".join(lowered[end : end + 1])) in _PASSIVE:
            continue
        at = start
        while at > 0 and at not in starts and fold(lowered[at - 1]) in _BEFORE_ACTOR:
            at -= 1
        if at in starts:
            return True
    return False


def _cues(evidence: dict[str, list[Evidence]], topics: list[str], partial: list[str]) -> list[str]:
    """For each topic found or partial, "topic:field" for every field holding its evidence."""
    return sorted(
        {f"{topic}:{e.field}" for topic in (*topics, *partial) for e in evidence.get(topic, ())}
    )


def lead_and_rest(summary: str, body: str) -> tuple[str, str]:
    """The lead (the summary, or the body's first paragraph) and the rest of the body."""
    paragraphs = [p for p in body.split("\n") if p.strip()]
    if summary.strip():
        if paragraphs and paragraphs[0].strip() == summary.strip():
            return summary, "\n".join(paragraphs[1:])
        return summary, body
    return (paragraphs[0], "\n".join(paragraphs[1:])) if paragraphs else ("", "")


def _rule_window(field_name: str, lowered: list[str]) -> int:
    """How many syllables of the field the leadership rule reads: all of a title, the start
    of a lead."""
    if field_name == "body":
        return BODY_WINDOW
    return LEAD_WINDOW if field_name == "lead" else len(lowered)


def _rule_words(
    hits: list[tuple[int, _Phrase]], kinds: tuple[str, ...], limit: int
) -> list[tuple[int, _Phrase]]:
    """The rule's phrases of these kinds before `limit`, except inside a longer word that only
    contains them ("tiếp tục" is not "tiếp", "thăm khám" is not a visit)."""
    masked = {i for s, p in hits if p.kind == "rule-exclude" for i in range(s, s + len(p.tokens))}
    return [(s, p) for s, p in hits if p.kind in kinds and s < limit and s not in masked]


# The word just before a title or a name that makes its holder a former one ("cựu Bộ
# trưởng", "nguyên Thứ trưởng", "cố Bộ trưởng"); in English, within two words ("former Health
# Minister", "ex-minister"). "nguyen" without diacritics is left out: it is also Nguyễn.
_FORMER_BEFORE = frozenset({"cựu", "nguyên", "cố", "cuu"})
_FORMER_ENGLISH = frozenset({"former", "ex", "late"})


def _former(before: list[str]) -> bool:
    """Whether the syllables just before a title or name say it is a former office."""
    return bool(before) and (
        before[-1] in _FORMER_BEFORE or not _FORMER_ENGLISH.isdisjoint(before[-2:])
    )


_FORMER_CUE = re.compile(
    r"\b(?:cựu|former|ex-|nguyên (?:bộ trưởng|thứ trưởng))", re.IGNORECASE | re.UNICODE
)
_HONORIFICS = frozenset({"ong", "ba", "gs", "pgs", "ts", "bs", "ths", "mr", "ms", "mrs", "dr"})


def _former_title(start: int, lowered: list[str], title_starts: dict[int, int]) -> bool:
    """Whether the titles (and honorifics) just before a name at `start` are a former office:
    "cựu Bộ trưởng Bộ Y tế Nguyễn Thanh Long", "former Health Minister Nguyen Thanh Long"."""
    at = start
    for _ in range(4):
        if at in title_starts:
            at = title_starts[at]
        elif at > 0 and fold(lowered[at - 1]) in _HONORIFICS:
            at -= 1
        elif at >= 3 and [fold(w) for w in lowered[at - 3 : at]] == ["bo", "y", "te"]:
            at -= 3  # "Thứ trưởng Bộ Y tế" read as a title then the ministry's name
        elif at >= 2 and [fold(w) for w in lowered[at - 2 : at]] == ["y", "te"]:
            at -= 2
        else:
            break
    return at != start and _former(lowered[max(0, at - 2) : at])


def _another_ministry(after: list[str]) -> bool:
    """Whether the words after a leader's title name a ministry other than Health: "Bộ trưởng
    Bộ Tài chính", "Thứ trưởng Bộ Ngoại giao", "Deputy Minister of Foreign Affairs". (The
    title "Bộ trưởng Bộ Y tế" is matched whole, so "Bộ" after a title is another ministry.)"""
    words = [fold(w) for w in after]
    if words[:1] == ["bo"]:
        return words[1:3] != ["y", "te"]
    if words[:1] == ["of"]:
        return words[1:2] != ["health"]
    return False


def _published(value: object) -> date | None:
    """The optional `published` field of a `mohbot classify` line: an ISO date or date-time
    (only the date is used); absent or null means undated."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("published must be an ISO date (YYYY-MM-DD) or date-time")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(
            f"published must be an ISO date (YYYY-MM-DD), not {value[:40]!r}"
        ) from None


def shipped_classifier(catalog: Catalog) -> tuple[Classifier, str]:
    """The rules of `catalog` with the shipped model, and the version of the two together
    (stored labels made with another are stale)."""
    model, checksum = load_model()
    return Classifier(catalog, model), _version(checksum)


def shipped_version() -> str:
    """`shipped_classifier`'s version, without building the classifier."""
    return _version(model_checksum())


def _version(checksum: str) -> str:
    return f"r{RULES_VERSION}-m{checksum}"


def classify_jsonl(
    lines: Iterable[str], catalog: Catalog | Classifier, explain: bool = False
) -> Iterator[str]:
    """The `mohbot classify` contract: one JSON object in (`title`, `summary`, `body`,
    `section`, optional `published`), one out (`topics`, `leaders`), in the same order."""
    classifier = catalog if isinstance(catalog, Classifier) else shipped_classifier(catalog)[0]
    for line in lines:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("title"), str):
                raise ValueError("each line must be a JSON object with a string title")
            result = classifier.classify(
                item["title"],
                str(item.get("summary") or ""),
                str(item.get("body") or ""),
                item.get("section") if isinstance(item.get("section"), str) else None,
                _published(item.get("published")),
            )
        except (ValueError, TypeError) as exc:
            yield json.dumps({"topics": [], "leaders": [], "error": str(exc)}, ensure_ascii=False)
            continue
        out: dict[str, object] = {"topics": result.topics, "leaders": result.leaders}
        if explain:
            out["explain"] = {
                topic: [{"phrase": e.phrase, "field": e.field, "weight": e.weight} for e in items]
                for topic, items in result.explain.items()
            }
        yield json.dumps(out, ensure_ascii=False)
