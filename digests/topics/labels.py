"""Classification at storage time: every stored article gets its topics and leaders (leaders
are stored by slug); a catalog edit or new classifier rules make stored labels stale and
`reclassify` redoes them."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from digests.progress import SILENT, Progress
from digests.store.articles import ArticleLabels, ArticleRepository, DocumentFinder
from digests.store.db import session_scope
from digests.topics.catalog import Catalog, load_catalog
from digests.topics.classifier import Classifier, shipped_classifier, shipped_version


def labels_for(
    catalog: Catalog, documents: DocumentFinder | None = None, documents_version: str = ""
) -> ArticleLabels:
    """Topics and leaders from `catalog` (by the shipped classifier: rules and model), and the
    official documents `documents` finds; the fingerprint changes with any of them
    (`documents_version`), so `reclassify` redoes all. The classifier's tables are built for
    the first article labelled (half a second): a bot starts polling Telegram without them."""
    built: list[Classifier] = []
    lock = threading.Lock()  # articles are stored from worker threads
    slug_of = {leader.name: leader.slug for leader in catalog.leaders}

    def label(
        title: str, summary: str, body: str, section: str | None, published: date | None
    ) -> tuple[list[str], list[str]]:
        if not built:
            with lock:
                if not built:
                    built.append(shipped_classifier(catalog)[0])
        result = built[0].classify(title, summary, body, section, published)
        return result.topics, [slug_of.get(name, name) for name in result.leaders]

    fingerprint = f"{catalog.fingerprint}/{shipped_version()}"
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
    progress: Progress = SILENT,
) -> int:
    """Re-label stored articles classified with another catalog or other rules than `labels`
    (or all of them), telling `progress` of each batch done."""
    total = 0
    fingerprint = None if everything else labels.fingerprint  # None: every article
    with session_scope(sessions) as session:
        progress.expect(ArticleRepository(session).count_stale(fingerprint))
    last = 0  # in the order of ids, so that each article is done once (also with everything)
    while True:
        with session_scope(sessions) as session:
            repo = ArticleRepository(session)
            stale = repo.stale(fingerprint, batch, after=last)
            if not stale:
                return total
            last = stale[-1].id
            total += repo.relabel(stale, labels)
        progress.step(len(stale))
