"""The learned part of the classifier: one linear model per topic (logistic regression,
one-vs-rest) over syllables and syllable pairs of the article's NFC, diacritic-folded title,
lead and the start of its body, with the rules' own verdicts as features too.

Trained on the development part of the labelled corpus only (`bench/train_classifier.py`,
scikit-learn, a dev dependency); shipped as a small JSON file (`seeds/topic_model.json`) and
applied here in plain Python: a sum of the weights of the features present, per topic, then a
threshold chosen by cross-validation. Nothing heavy is imported and nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import re
import struct
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, pairwise
from pathlib import Path

from digests.paths import SEEDS_DIR
from digests.text import fold

MODEL_FILE = SEEDS_DIR / "topic_model.json"
FORMAT = 1
# Characters of each part that make features: a headline and lead are short; the body's start
# says what the article is about (the corpus the model learnt from holds body excerpts of at
# most about 600 characters: longer text would show it more words than it was trained on).
TITLE_CHARS = 300
LEAD_CHARS = 1_000
BODY_CHARS = 600
_SYLLABLE = re.compile(r"[^\W\d_]+", re.UNICODE)
SCALE = 10_000  # weights have 4 decimals
FIELD_BITS = 64  # each topic's field of a packed integer: read back as an unsigned 64-bit one
OFFSET = 1 << 40  # keeps every packed field positive (|weight| * SCALE < 2**40)


def _words(text: str, limit: int) -> list[str]:
    text = text[:limit]
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _SYLLABLE.findall(fold(text))


def _safe_characters() -> str:
    """The characters (of the Latin scripts and the common punctuation) for which the words of
    a text are the words of its syllables as the classifier compares them (`model_words`):
    case-folding and diacritic-folding each keep them one character, folding after either
    changes nothing more, and one that is not part of a syllable folds to no letter."""
    safe = []
    for code in (*range(0x0000, 0x0250), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070)):
        char = chr(code)
        folded, lowered = fold(char), char.casefold()
        if (
            len(folded) == 1
            and len(lowered) == 1
            and fold(lowered) == folded
            and fold(folded) == folded
            and (_SYLLABLE_CHAR.match(lowered) or not _LETTER.match(folded))
        ):
            safe.append(char)
    return "".join(safe)


_SYLLABLE_CHAR = re.compile(r"[^\W_]")  # as the classifier's syllables (letters and digits)
_LETTER = re.compile(r"[^\W\d_]")
_UNSAFE = re.compile("[^" + "".join(map(re.escape, _safe_characters())) + "]")
# The words of a compared syllable (none for a number, two for "covid19x"), computed once per
# distinct syllable; bounded, so that hostile text cannot grow it without end.
_SYLLABLE_WORDS: dict[str, tuple[str, ...]] = {}
_SYLLABLE_WORDS_MAX = 50_000


def model_words(raw: str, limit: int, text: str, compared: list[str]) -> list[str]:
    """`_words(raw, limit)`, taken from the classifier's syllables of the same text when that
    gives the same words: `text` is `raw` in NFC and `compared` its syllables case-folded (tone
    marks placed one way) or diacritic-folded. It does when `raw` is within the limit and every
    character of `text` is one of `_safe_characters()`: the folded text is then, character for
    character, the folded syllables and what lies between them, which holds no letter."""
    if len(raw) > limit or _UNSAFE.search(text) is not None:
        return _words(raw, limit)
    known = _SYLLABLE_WORDS
    try:
        return list(chain.from_iterable(map(known.__getitem__, compared)))
    except KeyError:
        pass
    words: list[str] = []
    for syllable in compared:
        found = known.get(syllable)
        if found is None:
            found = tuple(_SYLLABLE.findall(fold(syllable)))
            if len(known) < _SYLLABLE_WORDS_MAX:
                known[syllable] = found
        words += found
    return words


def _candidates(
    title: str,
    lead: str,
    body: str,
    rule_topics: Iterable[str],
    partial_topics: Iterable[str],
    cues: Iterable[str] = (),
) -> Iterator[str]:
    """Every feature of an article, some more than once."""
    head = _words(title, TITLE_CHARS)
    text = head + _words(lead, LEAD_CHARS) + _words(body, BODY_CHARS)
    pairs = list(map("_".join, pairwise(text)))  # the headline's pairs come first
    return chain(
        text,
        pairs,
        map("t:".__add__, head),
        map("t:".__add__, pairs[: max(0, len(head) - 1)]),
        map("r:".__add__, rule_topics),
        map("p:".__add__, partial_topics),
        map("c:".__add__, cues),
    )


def features(
    title: str,
    lead: str,
    body: str,
    rule_topics: Iterable[str] = (),
    partial_topics: Iterable[str] = (),
    cues: Iterable[str] = (),
) -> set[str]:
    """The features of an article: headline syllables and pairs ("t:" prefix), syllables and
    pairs of headline, lead and body start together, the topics the rules gave ("r:"), those
    they saw some evidence for ("p:") and where that evidence lies ("c:", `Classification.
    cues`)."""
    return set(_candidates(title, lead, body, rule_topics, partial_topics, cues))


def known_features(
    vocabulary: frozenset[str],
    title: str,
    lead: str,
    body: str,
    rule_topics: Iterable[str] = (),
    partial_topics: Iterable[str] = (),
    cues: Iterable[str] = (),
) -> frozenset[str]:
    """`features(…) & vocabulary`, without building the features the model does not know."""
    return vocabulary.intersection(
        _candidates(title, lead, body, rule_topics, partial_topics, cues)
    )


@dataclass(frozen=True, slots=True)
class Prediction:
    topic: str
    probability: float
    # The features that pushed most towards the topic, strongest first (for --explain).
    strongest: tuple[tuple[str, float], ...]


class TopicModel:
    """Per-topic weights by feature, with a bias and a decision threshold per topic."""

    def __init__(self, data: dict[str, object]) -> None:
        if data.get("format") != FORMAT:
            raise ValueError(f"topic model format {data.get('format')!r}, expected {FORMAT}")
        topics = data["topics"]
        assert isinstance(topics, list)
        self.topics: tuple[str, ...] = tuple(str(t["slug"]) for t in topics)
        self.bias = tuple(float(t["bias"]) for t in topics)
        # A topic is given when its probability reaches `threshold`, or, when the rules found
        # it, `rule_threshold` (lower: the model only has to not rule it out).
        self.thresholds = tuple(float(t["threshold"]) for t in topics)
        self.rule_thresholds = tuple(float(t["rule_threshold"]) for t in topics)
        # Weights are stored with 4 decimals: as integers (ten-thousandths) they add exactly,
        # in any order. Each feature's weights for all topics are packed into one integer, a
        # field of FIELD_BITS per topic (offset to stay positive), so that an article's scores
        # are one sum of the packed integers of its features, done in C, then unpacked.
        count = len(topics)
        weights: dict[str, list[float]] = {}
        for index, topic in enumerate(topics):
            for feature, weight in topic["weights"].items():
                row = weights.get(str(feature))
                if row is None:
                    row = weights[str(feature)] = [0.0] * count
                row[index] = float(weight)
        self.rows: dict[str, tuple[float, ...]] = {f: tuple(row) for f, row in weights.items()}
        # Packed little-end first: topic i's field is bits FIELD_BITS * i and up.
        packing = struct.Struct(f"<{count}Q")
        self._packed = {
            feature: int.from_bytes(
                packing.pack(*[round(w * SCALE) + OFFSET for w in row]), "little"
            )
            for feature, row in self.rows.items()
        }
        self.vocabulary = frozenset(self.rows)
        # The features made of words, by their words: an article's are looked up from its
        # words and pairs of words without building the text of every candidate ("t:" and
        # "_" never occur in a word).
        self._title_words = {f[2:]: f for f in self.vocabulary if f.startswith("t:")}
        self._pairs = {
            (parts[0], parts[1]): f
            for f in self.vocabulary
            if ":" not in f and len(parts := f.split("_")) == 2
        }
        self._title_pairs = {
            (parts[0], parts[1]): f
            for f in self.vocabulary
            if f.startswith("t:") and len(parts := f[2:].split("_")) == 2
        }
        # A probability threshold p as a score threshold: log(p / (1 - p)); none above 1.
        self._bars = tuple(_logit(t) for t in self.thresholds)
        self._rule_bars = tuple(_logit(t) for t in self.rule_thresholds)

    def known_features(
        self,
        head: list[str],
        lead: list[str],
        body: list[str],
        rule_topics: Iterable[str] = (),
        partial_topics: Iterable[str] = (),
        cues: Iterable[str] = (),
    ) -> set[str]:
        """`known_features(self.vocabulary, …)` from the words (`_words`) of the title, lead
        and body start."""
        text = head + lead + body
        pairs = list(pairwise(text))
        found = set(filter(None, map(self._pairs.get, pairs)))
        found.update(filter(None, map(self._title_pairs.get, pairs[: max(0, len(head) - 1)])))
        found.update(filter(None, map(self._title_words.get, head)))
        found.update(self.vocabulary.intersection(text))
        found.update(self.vocabulary.intersection(map("r:".__add__, rule_topics)))
        found.update(self.vocabulary.intersection(map("p:".__add__, partial_topics)))
        found.update(self.vocabulary.intersection(map("c:".__add__, cues)))
        return found

    def _scores(self, found: set[str] | frozenset[str]) -> tuple[list[float], list[str]]:
        """Per topic, the score; and the features of the article that carry weights."""
        present = list(self.vocabulary & found)
        total = sum(map(self._packed.__getitem__, present))
        offset = OFFSET * len(present)
        # The fields, as unsigned 64-bit integers read from the sum's bytes (no field carries
        # into the next: a feature adds less than 2**41 to each, and there are far fewer than
        # 2**23 features).
        fields = memoryview(total.to_bytes(8 * len(self.bias), sys.byteorder)).cast("Q")
        scores = [
            bias + (field - offset) / SCALE for bias, field in zip(self.bias, fields, strict=True)
        ]
        return scores, present

    def probabilities(self, found: set[str]) -> dict[str, float]:
        """Every topic's probability for an article with these features."""
        scores, _present = self._scores(found)
        return {topic: _sigmoid(score) for topic, score in zip(self.topics, scores, strict=True)}

    def predict(
        self, found: set[str] | frozenset[str], by_rules: set[str], explain: bool = False
    ) -> list[Prediction]:
        """The topics whose probability reaches their threshold (the lower one for a topic
        the rules found)."""
        scores, present = self._scores(found)
        out = []
        for index, score in enumerate(scores):
            topic = self.topics[index]
            if score < (self._rule_bars if topic in by_rules else self._bars)[index]:
                continue
            strongest: tuple[tuple[str, float], ...] = ()
            if explain and topic not in by_rules:  # the rules explain their own topics
                rows = self.rows
                pushes = [(-w, f) for f in present if (w := rows[f][index]) > 0]
                strongest = tuple((f, -w) for w, f in heapq.nsmallest(5, pushes))
            out.append(Prediction(topic, _sigmoid(score), strongest))
        return out


def _logit(probability: float) -> float:
    if probability >= 1.0:
        return math.inf
    if probability <= 0.0:
        return -math.inf
    return math.log(probability / (1.0 - probability))


def _sigmoid(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))


def load_model(path: Path | None = None) -> tuple[TopicModel, str]:
    """The shipped model and a short checksum of its file (part of the labels' fingerprint)."""
    raw = (path or MODEL_FILE).read_bytes()
    return TopicModel(json.loads(raw)), _checksum(raw)


def model_checksum(path: Path | None = None) -> str:
    """`load_model`'s checksum without building the model."""
    return _checksum((path or MODEL_FILE).read_bytes())


def _checksum(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:12]
