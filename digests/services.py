"""`Newsroom`: the one typed object that holds the shared services (settings, database, clock,
topic catalog and labels). The CLI and the bot each build one at start-up and pass it down."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from digests.clock import Clock, SystemClock
from digests.config import Settings
from digests.documents import DocumentCatalog, extractor_for, load_document_catalog
from digests.metrics import Metrics
from digests.store.articles import ArticleLabels
from digests.store.db import create_db_engine, ensure_schema, make_session_factory
from digests.topics.catalog import Catalog, load_catalog
from digests.topics.labels import labels_for
from digests.topics.urgency import load_urgency

log = logging.getLogger(__name__)


def catalog_if_present(settings: Settings) -> Catalog | None:
    """The topic catalog file, loaded (a broken one is a CatalogError), or None without one."""
    if not settings.topics_file.exists():
        log.warning(
            "no topic catalog at %s: articles are stored unclassified", settings.topics_file
        )
        return None
    return load_catalog(settings.topics_file)


@dataclass
class Newsroom:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    # Loaded once: the classifier's labels, the sources' sections and the bot all use it.
    catalog: Catalog | None = None
    labels: ArticleLabels | None = None
    # Article writes are serialised within a process: SQLite has one writer anyway, and two
    # sources delivering the same article at once must not both insert it.
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    # This process's counters (messages sent, 429s, poll cycles) for /metrics and /healthz.
    metrics: Metrics = field(default_factory=Metrics)
    # The kinds of official documents (seeds/documents.toml): extraction, /vanban, rendering.
    documents: DocumentCatalog = field(default_factory=load_document_catalog)

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None, migrate: bool = True) -> Newsroom:
        engine = create_db_engine(settings.database_url)
        if migrate:
            ensure_schema(engine)
        catalog = catalog_if_present(settings)
        documents = load_document_catalog()
        labels = None
        if catalog is not None:
            extractor = extractor_for(documents)
            labels = labels_for(catalog, extractor.extract, documents.fingerprint)
            urgent_file = settings.topics_file.parent / "urgent.toml"
            if urgent_file.exists():
                labels.urgency = load_urgency(urgent_file)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            clock=clock or SystemClock(),
            catalog=catalog,
            labels=labels,
            documents=documents,
        )

    def close(self) -> None:
        self.engine.dispose()
