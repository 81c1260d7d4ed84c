"""Split the labelled corpus (tests/data/corpus/batch*.jsonl) once into a development part and
a held-out part, by outlet: every item of an outlet goes to the same side, so the held-out part
is news from outlets the development part never showed; an item whose folded title also
appears on the other side (one story found twice) follows it to the held-out side. The held-out
part is scored once per change of the classifier's method and never informs a rule or weight.

Written once to tests/data/corpus/split.json; run again it refuses unless --force. With
--extend, items added since (a new batch) are placed by the same rule and every item already
in the split keeps its side.

    .venv/bin/python bench/corpus_split.py [--extend]
"""

from __future__ import annotations

import argparse
import hashlib
import json

from _common import ROOT

from digests.text import title_key

CORPUS = ROOT / "tests" / "data" / "corpus"
SPLIT = CORPUS / "split.json"
HELD_OUT_BUCKETS = 4  # of 10: about 40% of outlets, at least 150 items


def outlet_key(outlet: str) -> str:
    """The outlet without its mobile, English or www prefix (en.vietnamplus.vn is vietnamplus)."""
    host = outlet.lower()
    for prefix in ("www.", "m.", "amp.", "en.", "english.", "e."):
        host = host.removeprefix(prefix)
    return host


def held_out(outlet: str) -> bool:
    digest = hashlib.sha256(outlet_key(outlet).encode()).digest()
    return digest[0] % 10 < HELD_OUT_BUCKETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--extend", action="store_true", help="place new items only")
    args = parser.parse_args()
    if SPLIT.exists() and not (args.force or args.extend):
        raise SystemExit(f"{SPLIT} exists: the split is made once")
    items = [
        json.loads(line)
        for path in sorted(CORPUS.glob("batch*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    heldout = {i["id"] for i in items if held_out(i["outlet"])}
    keys = {title_key(i["title"]) for i in items if i["id"] in heldout}
    heldout |= {i["id"] for i in items if title_key(i["title"]) in keys}
    if args.extend:
        before = json.loads(SPLIT.read_text(encoding="utf-8"))
        placed = set(before["development"]) | set(before["heldout"])
        heldout = (heldout - placed) | set(before["heldout"])
        new = len({i["id"] for i in items} - placed)
        print(f"{new} new items placed; {len(placed)} kept where they were")
    development = sorted(i["id"] for i in items if i["id"] not in heldout)
    SPLIT.write_text(
        json.dumps({"development": development, "heldout": sorted(heldout)}, indent=1) + "\n",
        encoding="utf-8",
    )
    english = sum(1 for i in items if i["id"] in heldout and i["language"] == "en")
    print(f"{len(items)} items: {len(development)} development, {len(heldout)} held out")
    print(f"held out: {english} in English, {len(heldout) - english} in Vietnamese")


if __name__ == "__main__":
    main()
