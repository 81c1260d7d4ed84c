"""Work that must happen once per period whichever process does it (source polling, digest
queueing): a PostgreSQL advisory lock, tried without waiting. On SQLite (one process) the
lock is always had.

Infrastructure, not a repository: it runs its own SQL on a connection of its own, outside any
session's transaction (tests/test_layers.py names it as one of the two modules outside
`digests/store/` allowed to)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True when this process holds the lock `name` (until the block ends), False when
    another process holds it: then skip the work, the other process is doing it."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    with engine.connect() as connection:
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            connection.commit()
