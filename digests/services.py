"""`Newsroom`: the one typed object that holds the shared services (settings, database, clock,
topic labels). The CLI and the bot each build one at start-up and pass it down."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from digests.clock import Clock, SystemClock
from digests.config import Settings
from digests.store.articles import ArticleLabels
from digests.store.db import create_db_engine, ensure_schema, make_session_factory

log = logging.getLogger(__name__)


def load_labels(settings: Settings) -> ArticleLabels | None:
    """The topic classifier bound to the catalog file, or None when there is no catalog."""
    if not settings.topics_file.exists():
        log.warning(
            "no topic catalog at %s: articles are stored unclassified", settings.topics_file
        )
        return None
    from digests.topics.labels import catalog_labels

    return catalog_labels(settings.topics_file)


@dataclass
class Newsroom:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    labels: ArticleLabels | None = None
    # Article writes are serialised within a process: SQLite has one writer anyway, and two
    # sources delivering the same article at once must not both insert it.
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None, migrate: bool = True) -> Newsroom:
        engine = create_db_engine(settings.database_url)
        if migrate:
            ensure_schema(engine)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            clock=clock or SystemClock(),
            labels=load_labels(settings),
        )

    def close(self) -> None:
        self.engine.dispose()
