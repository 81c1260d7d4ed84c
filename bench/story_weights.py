"""Build seeds/syllable_df.tsv, the rarity table `digests.stories` weighs headline words with:
in how many of the 660 real health news items of tests/data/corpus (title and lead; their
labels are not read) each content syllable appears; and seeds/concept_df.tsv, in how many of
the corpus's development items (tests/data/corpus/split.json; the held-out items are not read)
each concept of seeds/story_concepts.toml appears. Rebuild them when that corpus or the concept
table grows.

    .venv/bin/python bench/story_weights.py
"""

from __future__ import annotations

import json
from collections import Counter

from _common import ROOT

from digests import concepts, stories

CORPUS = ROOT / "tests" / "data" / "corpus"


def main() -> None:
    items = [
        json.loads(line)
        for path in sorted(CORPUS.glob("batch*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    counts: Counter[str] = Counter()
    for item in items:  # every item: the labels are not read
        counts.update(stories.terms(f"{item['title']} {item.get('lead') or ''}"))
    lines = [
        "# In how many health news items (title and lead) each content syllable appears:",
        "# the rarity weights of digests/stories.py. Built by bench/story_weights.py.",
        f"*documents\t{len(items)}",
        *(f"{term}\t{n}" for term, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
    ]
    stories.DF_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{stories.DF_FILE}: {len(counts)} syllables from {len(items)} items")
    development = set(
        json.loads((CORPUS / "split.json").read_text(encoding="utf-8"))["development"]
    )
    chosen = [item for item in items if item["id"] in development]
    found: Counter[str] = Counter()
    for item in chosen:
        text = f"{item['title']} {item.get('lead') or ''}"
        found.update(t for t in stories.concept_terms(text) if t.startswith(concepts.MARK))
    lines = [
        "# In how many health news items (title and lead) each concept of story_concepts.toml",
        "# appears: the development items of tests/data/corpus only. Built by",
        "# bench/story_weights.py; a concept not listed was seen in none.",
        f"*documents\t{len(chosen)}",
        *(f"{term}\t{n}" for term, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))),
    ]
    stories.CONCEPT_DF_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{stories.CONCEPT_DF_FILE}: {len(found)} concepts from {len(chosen)} items")


if __name__ == "__main__":
    main()
