"""Classifier quality: precision, recall and F1 per topic and micro-averaged, for topics and
for leaders, on the labelled seed items, on the older held-out set, and on the corpus of real
news labelled apart (tests/data/corpus): its development part and its held-out part (split once
by outlet, bench/corpus_split.py), with the English items of each, and the agreement of the two
labellers where both labelled. The corpus's leaders are compared on the catalog's leaders in
office at the item's date (those the labellers did not mark former).

    .venv/bin/python bench/classifier_quality.py [--quiet] [--development]

`--development` scores only the development parts: what to use while working on the method
(the held-out part is scored once per change of method, when the method is final).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digests.topics.catalog import load_catalog  # noqa: E402
from digests.topics.classifier import Classifier, shipped_classifier  # noqa: E402
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
        result = classifier.classify(
            item.title, item.summary, item.body, item.section, item.published
        )
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
        micro[f"{kind}_precision"], micro[f"{kind}_recall"] = p, r
        if verbose:
            print(f"    {'micro':<24} P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    if verbose and errors:
        print("  differences (missed, extra):")
        for kind, title, missed, extra in errors:
            print(f"    [{kind}] {title}  missed {missed} extra {extra}")
    return micro


CORPUS = ROOT / "tests" / "data" / "corpus"


def corpus_items(catalog_leaders: set[str]) -> dict[str, list[LabelledItem]]:
    """The corpus's parts as labelled items: development, held out, and their English items."""
    split = json.loads((CORPUS / "split.json").read_text(encoding="utf-8"))
    parts: dict[str, list[LabelledItem]] = {
        "corpus_development": [],
        "corpus_heldout": [],
        "corpus_development_en": [],
        "corpus_heldout_en": [],
    }
    side = {i: "corpus_development" for i in split["development"]}
    side.update({i: "corpus_heldout" for i in split["heldout"]})
    for path in sorted(CORPUS.glob("batch*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            former = set(raw.get("former") or ())
            item = LabelledItem(
                title=raw["title"],
                summary=raw.get("lead") or "",
                body=raw.get("body") or "",
                section=None,
                topics=frozenset(raw["topics"]),
                leaders=frozenset(
                    x for x in raw["leaders"] if x in catalog_leaders and x not in former
                ),
                where=f"corpus/{raw['id']}",
                published=date.fromisoformat(raw["published"]) if raw.get("published") else None,
            )
            name = side[raw["id"]]
            parts[name].append(item)
            if raw["language"] == "en":
                parts[f"{name}_en"].append(item)
    return parts


def agreement() -> dict[str, float]:
    """Micro-F1 of the second labeller against the first, on the items both labelled."""
    first = {
        raw["id"]: raw
        for path in sorted(CORPUS.glob("batch*.jsonl"))
        for raw in map(json.loads, filter(str.strip, path.read_text("utf-8").splitlines()))
    }
    second = [
        json.loads(line)
        for line in (CORPUS / "second_labeller.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    figures = {}
    for kind in ("topics", "leaders"):
        tp = fp = fn = 0
        for raw in second:
            gold, got = set(first[raw["id"]][kind]), set(raw[kind])
            tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
        figures[kind] = round(prf(tp, fp, fn)[2], 3)
    figures["items"] = len(second)
    return figures


def main() -> None:
    quiet = "--quiet" in sys.argv
    development_only = "--development" in sys.argv
    catalog = load_catalog()
    classifier, _version = shipped_classifier(catalog)
    figures: dict[str, object] = {"bench": "classifier_quality"}
    named = {name: load(name) for name in ("labelled_items", "heldout_items")}
    named.update(corpus_items({x.name for x in catalog.leaders}))
    if development_only:
        named = {k: v for k, v in named.items() if "heldout" not in k}
    for name, items in named.items():
        # The learned part was trained on the development part: its figure there is no
        # measure (bench/train_classifier.py --report gives the cross-validated one).
        note = ", the model's training data" if name.startswith("corpus_development") else ""
        print(f"{name} ({len(items)} items{note})")
        micro = evaluate(classifier, items, verbose=not quiet)
        figures[f"{name}_topics_micro_f1"] = round(micro["topics"], 4)
        figures[f"{name}_topics_precision"] = round(micro["topics_precision"], 4)
        figures[f"{name}_topics_recall"] = round(micro["topics_recall"], 4)
        figures[f"{name}_leaders_micro_f1"] = round(micro["leaders"], 4)
        print(
            f"  = topics P {micro['topics_precision']:.3f} R {micro['topics_recall']:.3f} "
            f"F1 {micro['topics']:.3f}; leaders F1 {micro['leaders']:.3f}"
        )
    figures["labellers_agreement"] = agreement()
    print(f"labellers' agreement: {figures['labellers_agreement']}")
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
