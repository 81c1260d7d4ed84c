"""Classifier speed: 10,000 items in-process (title and lead; then with the corpus's body
excerpts), the shipped classifier (rules and the learned part) against the rules alone as the
anchor, doing the same work in the same run, alternating, with min / median / max of the
repeats; then `mohbot classify` on 10,000 JSON lines (bodies included) as a separate process:
its wall time and peak memory, against the same lines through a plain pass of the same JSON
decoding and encoding in a fresh interpreter (the anchor: start-up and I/O without mohbot),
alternating, `--repeat` runs of each.

    .venv/bin/python bench/classifier_speed.py [--repeat 5]

Targets: 10,000 items in ≤ 2 s in-process; `mohbot classify` on 10,000 lines ≤ 5 s, ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from _common import ROOT, report

from digests.topics.catalog import load_catalog
from digests.topics.classifier import Classifier, shipped_classifier

CORPUS = ROOT / "tests" / "data" / "corpus"
ITEMS = 10_000
# The CLI's anchor: each line decoded and an answer encoded, as `mohbot classify` does.
PLAIN_PASS = """import json, sys
out = sys.stdout
for line in sys.stdin:
    if line.strip():
        item = json.loads(line)
        out.write(json.dumps({"topics": [], "leaders": [], "n": len(item)}) + "\\n")
"""


def corpus_lines() -> list[dict[str, str | None]]:
    return [
        json.loads(line)
        for path in sorted(CORPUS.glob("batch*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def timed(classifier: Classifier, items: list[dict[str, str | None]], body: bool) -> float:
    started = time.process_time()
    for i in range(ITEMS):
        item = items[i % len(items)]
        published = item.get("published")
        classifier.classify(
            item["title"] or "",
            item.get("lead") or "",
            (item.get("body") or "") if body else "",
            None,
            date.fromisoformat(published) if published else None,
        )
    return time.process_time() - started


def spread(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    catalog = load_catalog()
    rules = Classifier(catalog)
    shipped, _version = shipped_classifier(catalog)
    items = corpus_lines()
    figures: dict[str, object] = {"bench": "classifier_speed", "items": ITEMS}
    for body in (False, True):
        anchor, ours = [], []
        for _ in range(args.repeat):
            anchor.append(timed(rules, items, body))
            ours.append(timed(shipped, items, body))
        name = "title_lead_body" if body else "title_lead"
        figures[f"{name}_rules_s"] = spread(anchor)
        figures[f"{name}_shipped_s"] = spread(ours)
        figures[f"{name}_ratio"] = round(statistics.median(ours) / statistics.median(anchor), 2)
        print(
            f"{ITEMS} items ({name.replace('_', ', ')}), CPU s min/median/max: rules "
            f"{spread(anchor)}, rules and model {spread(ours)}"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        for i in range(ITEMS):
            item = items[i % len(items)]
            line = {
                "title": item["title"],
                "summary": item.get("lead") or "",
                "body": item.get("body") or "",
                "published": item.get("published"),
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        path = Path(handle.name)
    walls, cpus, plain = [], [], []
    mohbot = str(Path(sys.executable).with_name("mohbot"))
    try:
        for _ in range(args.repeat):
            with path.open("rb") as stdin:
                started = time.perf_counter()
                passed = subprocess.run(
                    [sys.executable, "-c", PLAIN_PASS], stdin=stdin, capture_output=True, check=True
                )
                plain.append(time.perf_counter() - started)
            assert passed.stdout.count(b"\n") == ITEMS
            with path.open("rb") as stdin:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                done = subprocess.run(
                    [mohbot, "classify"], stdin=stdin, capture_output=True, check=True
                )
                walls.append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            assert done.stdout.count(b"\n") == ITEMS
    finally:
        path.unlink()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures["cli_10000_lines_s"] = spread(walls)
    figures["cli_10000_lines_cpu_s"] = spread(cpus)
    figures["cli_plain_json_pass_s"] = spread(plain)
    figures["cli_ratio"] = round(statistics.median(walls) / statistics.median(plain), 2)
    figures["cli_peak_mb"] = round(peak, 1)
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(
        f"mohbot classify, {ITEMS} lines: wall {spread(walls)} s, CPU {spread(cpus)} s; "
        f"plain JSON pass (anchor) {spread(plain)} s; ratio {figures['cli_ratio']}; "
        f"peak {peak:.0f} MB; load average {figures['load_average']}"
    )
    figures["targets"] = {"in_process_s": 2.0, "cli_s": 5.0, "cli_mb": 150}
    report(figures)


if __name__ == "__main__":
    main()
