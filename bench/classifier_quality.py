"""Classifier quality: precision, recall and F1 per topic and micro-averaged, for topics and
for leaders, on the labelled seed items and on the held-out set.

    .venv/bin/python bench/classifier_quality.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digests.topics.catalog import load_catalog  # noqa: E402
from digests.topics.classifier import Classifier  # noqa: E402
from tests.labelled import LabelledItem, load  # noqa: E402

TARGETS = {"topics": 0.92, "leaders": 0.98}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(
    classifier: Classifier, items: list[LabelledItem], verbose: bool = True
) -> dict[str, float]:
    counts: dict[str, dict[str, list[int]]] = {"topics": {}, "leaders": {}}
    errors = []
    for item in items:
        result = classifier.classify(item.title, item.summary, item.body, item.section)
        for kind, predicted in (("topics", result.topics), ("leaders", result.leaders)):
            gold = set(item.topics if kind == "topics" else item.leaders)
            got = set(predicted)
            for label in gold | got:
                c = counts[kind].setdefault(label, [0, 0, 0])
                c[0] += label in gold and label in got
                c[1] += label in got and label not in gold
                c[2] += label in gold and label not in got
            if gold != got:
                errors.append((kind, item.title[:90], sorted(gold - got), sorted(got - gold)))
    micro: dict[str, float] = {}
    for kind, per_label in counts.items():
        if verbose:
            print(f"  {kind}:")
            for label, (tp, fp, fn) in sorted(per_label.items()):
                p, r, f = prf(tp, fp, fn)
                print(
                    f"    {label:<24} P {p:.2f}  R {r:.2f}  F1 {f:.2f}  (tp {tp}, fp {fp}, fn {fn})"
                )
        tp, fp, fn = (sum(c[i] for c in per_label.values()) for i in range(3))
        p, r, f = prf(tp, fp, fn)
        micro[kind] = f
        if verbose:
            print(f"    {'micro':<24} P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    if verbose and errors:
        print("  differences (missed, extra):")
        for kind, title, missed, extra in errors:
            print(f"    [{kind}] {title}  missed {missed} extra {extra}")
    return micro


def main() -> None:
    classifier = Classifier(load_catalog())
    figures: dict[str, object] = {"bench": "classifier_quality"}
    for name in ("labelled_items", "heldout_items"):
        items = load(name)
        print(f"{name} ({len(items)} items)")
        micro = evaluate(classifier, items)
        figures[f"{name}_topics_micro_f1"] = round(micro["topics"], 4)
        figures[f"{name}_leaders_micro_f1"] = round(micro["leaders"], 4)
    sample = load("labelled_items")
    started = time.perf_counter()
    for i in range(10_000):
        item = sample[i % len(sample)]
        classifier.classify(item.title, item.summary, "", None)
    figures["seconds_for_10000_title_and_lead"] = round(time.perf_counter() - started, 3)
    figures["targets"] = TARGETS
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
