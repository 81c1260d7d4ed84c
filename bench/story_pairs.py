"""One story, one item: how well `digests.stories` tells reports of the same event apart from
reports of different events, on headline pairs labelled by people before they were scored
(bench/data/headline_pairs.jsonl; its README says where each headline came from and the label
rule). Targets: precision >= 0.97 (unrelated items are almost never merged), recall >= 0.8.

Figures for the development part (the rule's threshold was chosen on it), the held-out part
(never used to choose anything; bench/data/headline_pairs_split.json, made once by
bench/story_split.py) and both together, each two ways: on the pairs dated on both sides (the
digest's situation: every item of a digest has a time, and only items within two days of each
other are compared) and on every pair (a pair with an undated side is compared on its words
alone, as if the two were published the same day: the worst case).

    .venv/bin/python bench/story_pairs.py
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from _common import ROOT, report

from digests import stories

PAIRS = ROOT / "bench" / "data" / "headline_pairs.jsonl"
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


def main(path: Path = PAIRS) -> None:
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    figures: dict[str, dict[str, Score]] = {}
    for name, part in parts(pairs).items():
        dated = [p for p in part if p["a"]["published"] and p["b"]["published"]]
        figures[name] = {"dated": score(dated), "every": score(part)}
        for way, label in (("dated", "dated on both sides"), ("every", "every pair")):
            f = figures[name][way]
            print(
                f"{name:<11} {label:<19}: {f.pairs:3} pairs ({f.positives:2} same event): "
                f"precision {f.precision:.3f} ({f.merged_wrong} merged wrongly), "
                f"recall {f.recall:.3f}{'' if f.meets else '  below target'}"
            )
    print(
        f"threshold {stories.THRESHOLD} (targets: precision >= {TARGET_PRECISION}, "
        f"recall >= {TARGET_RECALL}; chosen on the development part)"
    )
    held = figures["heldout"]
    report(
        {
            "bench": "story_pairs",
            **{name: {w: asdict(s) for w, s in ways.items()} for name, ways in figures.items()},
            "threshold": stories.THRESHOLD,
            "target_precision": TARGET_PRECISION,
            "target_recall": TARGET_RECALL,
            "ok": held["dated"].meets and held["every"].meets,
        }
    )


if __name__ == "__main__":
    main()
