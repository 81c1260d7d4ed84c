"""Classification at storage time: every stored article gets its topics and leaders (leaders
are stored by slug); a catalog edit or new classifier rules make stored labels stale and
`reclassify` redoes them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from digests.store.articles import ArticleLabels, ArticleRepository, DocumentFinder
from digests.store.db import session_scope
from digests.topics.catalog import Catalog, load_catalog
from digests.topics.classifier import shipped_classifier


def labels_for(
    catalog: Catalog, documents: DocumentFinder | None = None, documents_version: str = ""
) -> ArticleLabels:
    """Topics and leaders from `catalog` (by the shipped classifier: rules and model), and the
    official documents `documents` finds; the fingerprint changes with any of them
    (`documents_version`), so `reclassify` redoes all."""
    classifier, version = shipped_classifier(catalog)
    slug_of = {leader.name: leader.slug for leader in catalog.leaders}

    def label(
        title: str, summary: str, body: str, section: str | None, published: date | None
    ) -> tuple[list[str], list[str]]:
        result = classifier.classify(title, summary, body, section, published)
        return result.topics, [slug_of.get(name, name) for name in result.leaders]

    fingerprint = f"{catalog.fingerprint}/{version}"
    if documents is not None:
        fingerprint += f"/d{documents_version}"
    return ArticleLabels(labeler=label, fingerprint=fingerprint[:64], documents=documents)


def catalog_labels(path: Path) -> ArticleLabels:
    return labels_for(load_catalog(path))


def reclassify(
    sessions: sessionmaker[Session],
    labels: ArticleLabels,
    *,
    everything: bool = False,
    batch: int = 500,
) -> int:
    """Re-label stored articles classified with another catalog or other rules than `labels`
    (or all of them)."""
    total = 0
    fingerprint = "" if everything else labels.fingerprint
    seen: set[int] = set()
    while True:
        with session_scope(sessions) as session:
            repo = ArticleRepository(session)
            stale = [a for a in repo.stale(fingerprint or "\x00", batch) if a.id not in seen]
            if not stale:
                return total
            seen.update(a.id for a in stale)
            total += repo.relabel(stale, labels)
