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
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
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


def _words(text: str, limit: int) -> list[str]:
    text = text[:limit]
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _SYLLABLE.findall(fold(text))


def features(
    title: str,
    lead: str,
    body: str,
    rule_topics: Iterable[str] = (),
    partial_topics: Iterable[str] = (),
) -> set[str]:
    """The features of an article: headline syllables and pairs ("t:" prefix), syllables and
    pairs of headline, lead and body start together, the topics the rules gave ("r:") and
    those they saw some evidence for ("p:")."""
    head = _words(title, TITLE_CHARS)
    text = head + _words(lead, LEAD_CHARS) + _words(body, BODY_CHARS)
    found = {f"t:{w}" for w in head}
    found.update(f"t:{a}_{b}" for a, b in pairwise(head))
    found.update(text)
    found.update(f"{a}_{b}" for a, b in pairwise(text))
    found.update(f"r:{t}" for t in rule_topics)
    found.update(f"p:{t}" for t in partial_topics)
    return found


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
        # feature -> [(topic index, weight)]: one lookup per feature of an article.
        self.weights: dict[str, list[tuple[int, float]]] = {}
        for index, topic in enumerate(topics):
            for feature, weight in topic["weights"].items():
                self.weights.setdefault(feature, []).append((index, float(weight)))

    def _scores(self, found: set[str]) -> tuple[list[float], list[str]]:
        scores = list(self.bias)
        weights = self.weights
        present = [f for f in found if f in weights]
        for feature in present:
            for index, weight in weights[feature]:
                scores[index] += weight
        return scores, present

    def probabilities(self, found: set[str]) -> dict[str, float]:
        """Every topic's probability for an article with these features."""
        scores, _present = self._scores(found)
        return {topic: _sigmoid(score) for topic, score in zip(self.topics, scores, strict=True)}

    def predict(
        self, found: set[str], by_rules: set[str], explain: bool = False
    ) -> list[Prediction]:
        """The topics whose probability reaches their threshold (the lower one for a topic
        the rules found)."""
        scores, present = self._scores(found)
        weights = self.weights
        out = []
        for index, score in enumerate(scores):
            probability = _sigmoid(score)
            topic = self.topics[index]
            bar = self.rule_thresholds[index] if topic in by_rules else self.thresholds[index]
            if probability < bar:
                continue
            strongest: tuple[tuple[str, float], ...] = ()
            if explain and topic not in by_rules:  # the rules explain their own topics
                pushes = [
                    (feature, weight)
                    for feature in present
                    for i, weight in weights[feature]
                    if i == index and weight > 0
                ]
                strongest = tuple(sorted(pushes, key=lambda p: (-p[1], p[0]))[:5])
            out.append(Prediction(topic, probability, strongest))
        return out


def _sigmoid(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))


def load_model(path: Path | None = None) -> tuple[TopicModel, str]:
    """The shipped model and a short checksum of its file (part of the labels' fingerprint)."""
    raw = (path or MODEL_FILE).read_bytes()
    return TopicModel(json.loads(raw)), hashlib.sha256(raw).hexdigest()[:12]
