"""One story, one item: how well `digests.stories` tells reports of the same event apart from
reports of different events, on headline pairs labelled by people before they were scored
(bench/data/headline_pairs.jsonl; its README says where each headline came from and the label
rule). A side's lead, where the page showed one, is compared too, as a digest compares an
article's summary. Targets: precision >= 0.97 (unrelated items are almost never merged),
recall >= 0.8.

Figures for the development part (the rule's threshold was chosen on it), the held-out part
(never used to choose anything; bench/data/headline_pairs_split.json, made once by
bench/story_split.py) and both together, each two ways: on the pairs dated on both sides (the
digest's situation: every item of a digest has a time, and only items within two days of each
other are compared) and on every pair (a pair with an undated side is compared on its words
alone, as if the two were published the same day: the worst case).

The labelled pairs hold few pairs of different events within two days, while a digest compares
every new article with every other. So a third figure, "unrelated news merged": every pair of
items of tests/data/corpus (660 real health news items whose topics people labelled) from
different outlets with no topic in common, which cannot be one event, compared as if published
the same day; for the corpus's development and held-out parts (tests/data/corpus/split.json).
Pairs with a topic in common are counted too, unlabelled: some of them are one event told by
two outlets, the others are what the labelled pairs cannot show, two events of one kind.

    .venv/bin/python bench/story_pairs.py
    .venv/bin/python bench/story_pairs.py --development   # development figures only

`--development` reads and scores only the development pairs and the development corpus items:
the figures to use while changing the rule, so that the held-out part stays unseen.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from _common import ROOT, report

from digests import stories

PAIRS = ROOT / "bench" / "data" / "headline_pairs.jsonl"
CORPUS = ROOT / "tests" / "data" / "corpus"
SPLIT = ROOT / "bench" / "data" / "headline_pairs_split.json"
TARGET_PRECISION = 0.97
TARGET_RECALL = 0.8


@dataclass(frozen=True, slots=True)
class Score:
    pairs: int
    positives: int
    merged_right: int
    merged_wrong: int
    precision: float
    recall: float

    @property
    def meets(self) -> bool:
        return self.precision >= TARGET_PRECISION and self.recall >= TARGET_RECALL


def _headline(side: dict[str, str | None]) -> stories.Headline:
    published = side.get("published")
    return stories.Headline(
        title=str(side["title"]),
        outlet=side.get("outlet"),
        published=datetime.fromisoformat(published) if published else None,
        lead=side.get("lead") or "",
    )


def score(pairs: list[dict]) -> Score:  # type: ignore[type-arg]
    tp = fp = fn = 0
    for pair in pairs:
        merged = stories.same_story(_headline(pair["a"]), _headline(pair["b"]))
        if pair["same_event"]:
            tp, fn = (tp + 1, fn) if merged else (tp, fn + 1)
        elif merged:
            fp += 1
    return Score(
        pairs=len(pairs),
        positives=tp + fn,
        merged_right=tp,
        merged_wrong=fp,
        precision=round(tp / (tp + fp), 3) if tp + fp else 1.0,
        recall=round(tp / (tp + fn), 3) if tp + fn else 0.0,
    )


def parts(pairs: list[dict], split_path: Path = SPLIT) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    """The development and held-out pairs, as the split file lists them (lines from 1)."""
    split = json.loads(split_path.read_text(encoding="utf-8"))
    lines = sorted(split["development"] + split["heldout"])
    if lines != list(range(1, len(pairs) + 1)):
        raise SystemExit(f"{split_path} does not list every pair once: run bench/story_split.py")
    return {
        "development": [pairs[i - 1] for i in split["development"]],
        "heldout": [pairs[i - 1] for i in split["heldout"]],
        "total": pairs,
    }


def development_pairs(path: Path = PAIRS, split_path: Path = SPLIT) -> list[dict]:  # type: ignore[type-arg]
    """Only the development lines of the pairs file: the held-out lines are not even parsed."""
    wanted = set(json.loads(split_path.read_text(encoding="utf-8"))["development"])
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for number, line in enumerate(lines, start=1) if number in wanted]


def unrelated_merged(
    corpus: Path = CORPUS, names: tuple[str, ...] = ("development", "heldout")
) -> dict[str, dict[str, float | int]]:
    """For each part of the corpus: pairs of unrelated items, and how many the rule merges."""
    split = json.loads((corpus / "split.json").read_text(encoding="utf-8"))
    wanted = {i for part in names for i in split[part]}
    items = [
        item
        for path in sorted(corpus.glob("batch*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and (item := json.loads(line))["id"] in wanted
    ]
    figures: dict[str, dict[str, float | int]] = {}
    for part in names:
        ids = set(split[part])
        chosen = [i for i in items if i["id"] in ids and i["topics"]]
        heads = [
            stories.Headline(i["title"], i["outlet"], lead=i.get("lead") or "") for i in chosen
        ]
        pairs = merged = kin_pairs = kin_merged = 0
        for x, first in enumerate(chosen):
            for y in range(x + 1, len(chosen)):
                second = chosen[y]
                if first["outlet"] == second["outlet"]:
                    continue
                same = stories.same_story(heads[x], heads[y])
                if set(first["topics"]) & set(second["topics"]):
                    kin_pairs, kin_merged = kin_pairs + 1, kin_merged + same
                else:
                    pairs, merged = pairs + 1, merged + same
        figures[part] = {
            "pairs": pairs,
            "merged": merged,
            "per_10000": round(1e4 * merged / pairs, 2),
            "same_topic_pairs": kin_pairs,
            "same_topic_merged": kin_merged,
        }
    return figures


def main(path: Path = PAIRS, development: bool = False) -> None:
    if development:
        chosen = {"development": development_pairs(path)}
    else:
        pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        chosen = parts(pairs)
    figures: dict[str, dict[str, Score]] = {}
    for name, part in chosen.items():
        dated = [p for p in part if p["a"]["published"] and p["b"]["published"]]
        figures[name] = {"dated": score(dated), "every": score(part)}
        for way, label in (("dated", "dated on both sides"), ("every", "every pair")):
            f = figures[name][way]
            print(
                f"{name:<11} {label:<19}: {f.pairs:3} pairs ({f.positives:2} same event): "
                f"precision {f.precision:.3f} ({f.merged_wrong} merged wrongly), "
                f"recall {f.recall:.3f}{'' if f.meets else '  below target'}"
            )
    background = unrelated_merged(names=tuple(n for n in chosen if n != "total"))
    for name, b in background.items():
        print(
            f"unrelated news merged ({name} corpus items): {b['merged']} of {b['pairs']} pairs, "
            f"{b['per_10000']} in 10,000; of {b['same_topic_pairs']} pairs with a topic in "
            f"common (unlabelled) {b['same_topic_merged']} merged"
        )
    print(
        f"rule: a shared word of weight >= {stories.ANCHOR_WEIGHT}, and headline score >= "
        f"{stories.STRONG}, or >= {stories.THRESHOLD} with headline-and-lead score >= "
        f"{stories.LEAD_THRESHOLD}; or the same read as concepts with {stories.CONCEPT_SHARED} "
        f"shared terms of weight >= {stories.SHARED_WEIGHT} and {stories.CONCEPT_STRONG} for the "
        f"headline score (targets: "
        f"precision >= {TARGET_PRECISION}, recall >= "
        f"{TARGET_RECALL}; all chosen on the development part)"
    )
    held = figures["development" if development else "heldout"]
    report(
        {
            "bench": "story_pairs",
            **{name: {w: asdict(s) for w, s in ways.items()} for name, ways in figures.items()},
            "unrelated_merged": background,
            "threshold": stories.THRESHOLD,
            "strong": stories.STRONG,
            "lead_threshold": stories.LEAD_THRESHOLD,
            "anchor_weight": stories.ANCHOR_WEIGHT,
            "concept_strong": stories.CONCEPT_STRONG,
            "concept_shared": stories.CONCEPT_SHARED,
            "shared_weight": stories.SHARED_WEIGHT,
            "target_precision": TARGET_PRECISION,
            "target_recall": TARGET_RECALL,
            "ok": held["dated"].meets and held["every"].meets,
        }
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--development",
        action="store_true",
        help="read and score only the development pairs and development corpus items",
    )
    main(development=parser.parse_args().development)
