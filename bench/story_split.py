"""Split the labelled headline pairs (bench/data/headline_pairs.jsonl) once into a development
part and a held-out part, by event: headlines joined by a "same event" pair form one event (a
headline in no such pair is an event of its own), and a hash of each event's first headline
puts the whole event on one side. A pair whose two headlines are both of development events is
development; every other pair is held-out, so the development part never shows a headline of
a held-out event. The held-out part is scored once per change of the rule's method and never
informs a threshold, weight or word list.

Written once to bench/data/headline_pairs_split.json (line numbers of the pairs file, from 1);
run again it refuses unless --force. Pairs appended to the file later are added with --extend:
every earlier line keeps its part, and a new pair goes where its events already are (an event
keeps the name it had before the new pairs joined it, so its hash, and its side, do not move).

    .venv/bin/python bench/story_split.py            # once
    .venv/bin/python bench/story_split.py --extend   # after appending pairs
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence

from _common import ROOT

PAIRS = ROOT / "bench" / "data" / "headline_pairs.jsonl"
SPLIT = ROOT / "bench" / "data" / "headline_pairs_split.json"
HELD_OUT_BUCKETS = 4  # of 10: about 40% of the events are held out


def headline_key(side: dict[str, str | None]) -> str:
    """One headline of one outlet (the same title found on two pages of an outlet is one)."""
    return f"{side['outlet']}|{side['title']}"


def events(
    pairs: Sequence[dict[str, object]], named: dict[str, str] | None = None
) -> dict[str, str]:
    """Each headline -> its event's name: the smallest headline key of the event or, for an event
    holding headlines already `named` (the events of an earlier split), that earlier name."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for pair in pairs:
        a, b = (headline_key(pair[s]) for s in ("a", "b"))  # type: ignore[arg-type]
        root_a, root_b = find(a), find(b)
        if pair["same_event"] and root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    roots = {key: find(key) for key in list(parent)}
    if not named:
        return roots
    earlier: dict[str, set[str]] = {}
    for key, root in roots.items():
        if key in named:
            earlier.setdefault(root, set()).add(named[key])
    if any(len(names) > 1 for names in earlier.values()):
        raise SystemExit("new pairs join two earlier events: the split cannot keep both sides")
    return {key: min(earlier.get(root, {root})) for key, root in roots.items()}


def held_out(event: str) -> bool:
    return hashlib.sha256(event.encode()).digest()[0] % 10 < HELD_OUT_BUCKETS


def split(
    pairs: Sequence[dict[str, object]], earlier: dict[str, list[int]] | None = None
) -> dict[str, list[int]]:
    """The parts of `pairs`; with an `earlier` split of the first lines, those lines keep their
    part and only the lines after them are assigned."""
    done = len((earlier or {}).get("development", [])) + len((earlier or {}).get("heldout", []))
    named = events(pairs[:done]) if earlier else None
    event_of = events(pairs, named)
    parts: dict[str, list[int]] = {
        "development": list((earlier or {}).get("development", [])),
        "heldout": list((earlier or {}).get("heldout", [])),
    }
    for line, pair in enumerate(pairs, start=1):
        if line <= done:
            continue
        sides = (event_of[headline_key(pair[s])] for s in ("a", "b"))  # type: ignore[arg-type]
        parts["heldout" if any(held_out(e) for e in sides) else "development"].append(line)
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--extend", action="store_true", help="add appended pairs only")
    args = parser.parse_args()
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    if args.extend:
        parts = split(pairs, json.loads(SPLIT.read_text(encoding="utf-8")))
    elif SPLIT.exists() and not args.force:
        raise SystemExit(f"{SPLIT} exists: the split is made once (--extend adds appended pairs)")
    else:
        parts = split(pairs)
    SPLIT.write_text(json.dumps(parts) + "\n", encoding="utf-8")
    for name, lines in parts.items():
        positives = sum(1 for line in lines if pairs[line - 1]["same_event"])
        print(f"{name}: {len(lines)} pairs, {positives} of the same event")


if __name__ == "__main__":
    main()
