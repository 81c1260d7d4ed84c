"""One story, one item: how well `digests.stories` tells reports of the same event apart from
reports of different events, on headline pairs labelled by people before the rule existed
(bench/data/headline_pairs.jsonl; its README says where each headline came from and the label
rule). Targets: precision >= 0.97 (unrelated items are almost never merged), recall >= 0.8.

Two figures: on every pair (a pair with an undated side is compared on its words alone, as
if close in time), and on the pairs dated on both sides (the digest's situation: it only ever
compares items of the same two days).

    .venv/bin/python bench/story_pairs.py
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from _common import ROOT, report

from digests import stories

PAIRS = ROOT / "bench" / "data" / "headline_pairs.jsonl"


def _headline(side: dict[str, str | None]) -> stories.Headline:
    published = side.get("published")
    return stories.Headline(
        title=str(side["title"]),
        outlet=side.get("outlet"),
        published=datetime.fromisoformat(published) if published else None,
    )


def score(pairs: list[dict[str, object]]) -> dict[str, float | int]:
    tp = fp = fn = 0
    for pair in pairs:
        merged = stories.same_story(_headline(pair["a"]), _headline(pair["b"]))  # type: ignore[arg-type]
        if pair["same_event"]:
            tp, fn = (tp + 1, fn) if merged else (tp, fn + 1)
        elif merged:
            fp += 1
    positives = tp + fn
    return {
        "pairs": len(pairs),
        "positives": positives,
        "merged_right": tp,
        "merged_wrong": fp,
        "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "recall": round(tp / positives, 3) if positives else 0.0,
    }


def main(path: Path = PAIRS) -> None:
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    every = score(pairs)
    dated = score([p for p in pairs if p["a"]["published"] and p["b"]["published"]])
    for name, figures in (("every pair", every), ("dated on both sides", dated)):
        print(
            f"{name}: {figures['pairs']} pairs ({figures['positives']} same event): "
            f"precision {figures['precision']:.3f} ({figures['merged_wrong']} merged wrongly), "
            f"recall {figures['recall']:.3f}"
        )
    print(f"threshold {stories.THRESHOLD} (targets: precision >= 0.97, recall >= 0.8)")
    ok = all(f["precision"] >= 0.97 and f["recall"] >= 0.8 for f in (every, dated))
    report(
        {
            "bench": "story_pairs",
            "every": every,
            "dated": dated,
            "threshold": stories.THRESHOLD,
            "target_precision": 0.97,
            "target_recall": 0.8,
            "ok": ok,
        }
    )


if __name__ == "__main__":
    main()
