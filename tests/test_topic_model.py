"""The classifier's learned part: features, the shipped model (small, reproducible from the
corpus's development part), its place beside the rules, and `--explain` naming its features."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import unicodedata

import pytest

from digests.config import PROJECT_ROOT
from digests.topics.catalog import load_catalog
from digests.topics.classifier import LEADERSHIP, Classifier, _tokens, shipped_classifier
from digests.topics.labels import labels_for
from digests.topics.model import (
    BODY_CHARS,
    LEAD_CHARS,
    MODEL_FILE,
    TITLE_CHARS,
    TopicModel,
    _words,
    features,
    known_features,
    load_model,
    model_words,
)

CATALOG = load_catalog()
MODEL, CHECKSUM = load_model()
CORPUS = PROJECT_ROOT / "tests" / "data" / "corpus"


def _development_items() -> list[dict[str, str]]:
    split = json.loads((CORPUS / "split.json").read_text(encoding="utf-8"))
    wanted = set(split["development"])
    return [
        item
        for path in sorted(CORPUS.glob("batch*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
        for item in (json.loads(line),)
        if item["id"] in wanted
    ]


def test_features_are_folded_syllables_and_pairs_of_nfc_text() -> None:
    title = "Ngộ độc thực phẩm"
    found = features(title, "Bệnh viện tiếp nhận 30 ca.", "", ["food-safety"], ["primary-care"])
    assert {"t:ngo", "t:ngo_doc", "thuc_pham", "benh_vien", "r:food-safety"} <= found
    assert "p:primary-care" in found
    assert not any(any(c.isdigit() for c in f) for f in found)  # numbers say nothing
    assert features(unicodedata.normalize("NFD", title), "", "") == features(title, "", "")


def test_the_shipped_model_covers_every_topic_but_leadership_and_is_small() -> None:
    slugs = {t.slug for t in CATALOG.topics}
    assert set(MODEL.topics) == slugs - {LEADERSHIP}
    assert MODEL_FILE.stat().st_size < 400_000
    assert all(0.0 < t <= 1.01 for t in MODEL.thresholds + MODEL.rule_thresholds)


def test_an_empty_or_unrelated_text_gets_no_topic_from_the_model() -> None:
    classifier, _version = shipped_classifier(CATALOG)
    for title in ("", "Trẻ em", "Thời tiết Hà Nội hôm nay"):
        assert classifier.classify(title).topics == []


def test_the_model_adds_topics_and_explain_names_its_strongest_features() -> None:
    rules = Classifier(CATALOG)
    combined, _version = shipped_classifier(CATALOG)
    added = 0
    for item in _development_items()[:200]:
        args = (item["title"], item.get("lead") or "", item.get("body") or "")
        by_rules = set(rules.classify(*args).topics)
        result = combined.classify(*args)
        for topic in set(result.topics) - by_rules:
            added += 1
            (model_evidence,) = [e for e in result.explain[topic] if e.field == "model"]
            named = model_evidence.phrase.split(", ")
            index = MODEL.topics.index(topic)
            for feature in named:  # each one pushes towards the topic in the shipped file
                assert MODEL.rows[feature][index] > 0
            assert model_evidence.weight >= MODEL.thresholds[index]
    assert added >= 5


def test_the_model_never_decides_leadership_or_drops_the_sections_topic() -> None:
    combined, _version = shipped_classifier(CATALOG)
    result = combined.classify("Thông báo", section="Hoạt động của lãnh đạo Bộ")
    assert result.topics == [LEADERSHIP]
    result = combined.classify("Lịch công tác tuần", section="food-safety")
    assert "food-safety" in result.topics


def test_stored_labels_name_the_model_they_were_made_with() -> None:
    assert labels_for(CATALOG).fingerprint.endswith(f"-m{CHECKSUM}")


def test_a_model_file_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="topic model format"):
        TopicModel({"format": 99, "topics": []})


def test_classification_imports_nothing_heavy() -> None:
    """The learned part runs in plain Python: scikit-learn and numpy are for training only."""
    code = (
        "import sys, json\n"
        "from digests.topics.catalog import load_catalog\n"
        "from digests.topics.classifier import shipped_classifier\n"
        "c, _ = shipped_classifier(load_catalog())\n"
        "c.classify('Ngộ độc thực phẩm ở trường học', 'Bệnh viện tiếp nhận 30 ca.')\n"
        "print(json.dumps(sorted(m for m in ('numpy', 'scipy', 'sklearn') if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    assert json.loads(out.stdout) == []


def test_retraining_from_the_corpus_reproduces_the_shipped_model() -> None:
    """`bench/train_classifier.py` is deterministic: the same development part gives the
    same file, byte for byte."""
    pytest.importorskip("sklearn")
    done = subprocess.run(
        [sys.executable, "bench/train_classifier.py", "--check"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the same as a fresh training" in done.stdout


def test_a_topic_added_to_the_catalog_since_training_is_the_rules_alone() -> None:
    model_topics = [{"slug": "food-safety", "bias": -9.0, "weights": {}}]
    data = {
        "format": 1,
        "topics": [{**t, "threshold": 0.5, "rule_threshold": 0.5} for t in model_topics],
    }
    classifier = Classifier(CATALOG, TopicModel(data))
    title = "Ngộ độc thực phẩm: Chuyển đổi số trong giám sát"
    result = classifier.classify(title, "Tin từ Hà Nội sáng nay.")
    # food-safety: the model (which says no) decides; digital-transformation: the rules do.
    assert result.topics == ["digital-transformation"]
    # A headline alone: the model (trained on items with a lead) adds, never rules out.
    assert classifier.classify(title).topics == ["digital-transformation", "food-safety"]


def test_packed_scores_are_the_exact_sums_of_the_weights() -> None:
    """Scores come from integers packed per feature: the same as summing the stored weights."""
    for item in _development_items()[:50]:
        found = features(item["title"], item.get("lead") or "", item.get("body") or "")
        scores, present = MODEL._scores(found)
        assert set(present) == found & MODEL.vocabulary
        for index, score in enumerate(scores):
            plain = MODEL.bias[index] + math.fsum(MODEL.rows[f][index] for f in present)
            assert score == pytest.approx(plain, abs=1e-9)


def test_known_features_are_the_features_the_model_knows() -> None:
    for item in _development_items()[:80]:
        args = (item["title"], item.get("lead") or "", item.get("body") or "")
        rules = ["food-safety", "leadership"]
        expected = features(*args, rules, ["personnel"]) & MODEL.vocabulary
        assert known_features(MODEL.vocabulary, *args, rules, ["personnel"]) == expected
        limits = (TITLE_CHARS, LEAD_CHARS, BODY_CHARS)
        words = [_words(text, limit) for text, limit in zip(args, limits, strict=True)]
        assert MODEL.known_features(*words, rules, ["personnel"]) == expected


def test_words_from_the_classifiers_syllables_are_the_words_of_the_text() -> None:
    """`model_words` reuses the syllables the rules read: the same words as `_words` gives,
    on real items and on text where folding changes a character's length or kind."""
    texts = [
        "Bộ trưởng Đào Hồng Lan: “Sức khoẻ” là trên hết – thuỷ đậu, COVID-19…",
        unicodedata.normalize("NFD", "Ngộ độc thực phẩm tại Hà Nội"),
        "Straße İstanbul ǅ ﬁ q\u0301n a_b covid19x 2024 Ωμέγα đ Đ ð ſ",
        "hoà khoẻ thuỷ Hoà KHOẺ",
        "x" * 400 + " sốt xuất huyết",  # beyond the title's characters
        "",
    ]
    for item in _development_items()[:120]:
        texts += [item["title"], item.get("lead") or "", item.get("body") or ""]
    for raw in texts:
        for limit in (TITLE_CHARS, LEAD_CHARS, BODY_CHARS):
            for folded in (False, True):
                text, compared = _tokens(raw, folded)
                assert model_words(raw, limit, text, compared) == _words(raw, limit), raw
