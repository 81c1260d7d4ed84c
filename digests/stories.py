"""One story, one item: reports of the same event from several outlets, published within two
days of each other, are grouped so that a digest shows the story once with its other outlets.

Headlines are compared by their content words (folded syllables without the function words
of Vietnamese and English headlines), weighted: names (syllables written with a capital
inside the headline, such as a place, a company or a product) and figures count more than
common words, because two reports of one event share its place, its numbers and its names,
while two events of one kind (two poisonings, two meetings of the Minister) share only the
kind. Merging unrelated items hides news, missing a merge only repeats it: the rule is set
for precision (bench/story_pairs.py prints precision and recall on labelled pairs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from digests.text import fold

if TYPE_CHECKING:
    from digests.reading import ArticleView

WINDOW = timedelta(days=2)
# Chosen after looking at bench/data/headline_pairs.jsonl (there is no separate held-out set
# of pairs yet): on its pairs dated on both sides, precision 1.0 at recall 0.38.
THRESHOLD = 0.3
NAME_WEIGHT = 2.0
FIGURE_WEIGHT = 2.0
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words that carry no event: Vietnamese function words and the health press's stock words.
_STOP_WORDS = """
    của và các những một có là được bị cho với về tại ở trong trên sau khi đã đang sẽ này
    đó từ theo do vì để như nhiều thêm vụ việc người ca gần hơn lên tới đến ra vào không
    nói gì sao thế nào hay cũng còn mới nhất năm ngày tháng tuần giờ bà ông đồng chí
    bộ y tế trưởng thứ thường trực chính phủ thủ tướng the a an of in on at for to and
    with by from after over as is are be its their new more health ministry minister vietnam
    việt nam tp hcm
"""
_STOP = frozenset(fold(w) for w in _STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class Headline:
    """What the comparison reads of an article."""

    title: str
    outlet: str | None = None
    published: datetime | None = None


def _terms(title: str) -> dict[str, float]:
    """Content words of a headline with their weights."""
    terms: dict[str, float] = {}
    words = _WORD.findall(title)
    for index, word in enumerate(words):
        key = fold(word)
        if key in _STOP:
            continue
        weight = 1.0
        if any(c.isdigit() for c in word):
            weight = FIGURE_WEIGHT
        elif index > 0 and word[:1].isupper():
            weight = NAME_WEIGHT
        terms[key] = max(terms.get(key, 0.0), weight)
    return terms


def _jaccard(left: dict[str, float], right: dict[str, float]) -> float:
    if not left or not right:
        return 0.0
    shared = sum(min(left[k], right[k]) for k in left.keys() & right.keys())
    union = sum(max(left.get(k, 0.0), right.get(k, 0.0)) for k in left.keys() | right.keys())
    return shared / union


def similarity(a: str, b: str) -> float:
    """Weighted Jaccard of the two headlines' content words, 0 to 1."""
    return _jaccard(_terms(a), _terms(b))


def _close(a: Headline, b: Headline) -> bool:
    """Different outlets (an outlet's own follow-up is news), within the window when dated."""
    if a.outlet and b.outlet and a.outlet == b.outlet:
        return False
    return not (a.published and b.published and abs(a.published - b.published) > WINDOW)


def same_story(a: Headline, b: Headline) -> bool:
    """Whether two headlines report the same event."""
    return _close(a, b) and similarity(a.title, b.title) >= THRESHOLD


def group(headlines: Sequence[Headline]) -> list[list[int]]:
    """Indexes of `headlines` grouped into stories, in the order of each story's first
    headline. A headline joins the first story whose lead headline it matches, so a story
    never grows by a chain of weaker resemblances, and never holds two of one outlet."""
    terms = [_terms(h.title) for h in headlines]
    stories: list[list[int]] = []
    for index, headline in enumerate(headlines):
        for story in stories:
            lead = story[0]
            if (
                _close(headlines[lead], headline)
                and all(headlines[i].outlet != headline.outlet for i in story)
                and _jaccard(terms[lead], terms[index]) >= THRESHOLD
            ):
                story.append(index)
                break
        else:
            stories.append([index])
    return stories


def outlet(url: str | None) -> str | None:
    """Where an article was published, as readers name outlets: the site's host."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    return host.removeprefix("www.") or None


def story_groups(articles: Sequence[ArticleView]) -> dict[int, tuple[ArticleView, ...]]:
    """For articles given newest first: the id of each story's first (newest) article -> the
    other outlets' reports of the same story. Articles alone in their story are left out."""
    headlines = [Headline(a.title, outlet(a.url), a.published_at) for a in articles]
    return {
        articles[story[0]].id: tuple(articles[i] for i in story[1:])
        for story in group(headlines)
        if len(story) > 1
    }
