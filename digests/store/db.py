"""The database: engine, short explicit session scopes, and schema migrations (Alembic).

Alembic (with Mako and Pygments, some 9 MB and a good part of a second) is imported only to
migrate or to report: a process starting on a database already at head sees that from the
version table and the migration files' own `revision` lines (`ensure_schema`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from digests.errors import MohbotError
from digests.paths import MIGRATIONS_DIR

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)


class SchemaError(MohbotError, RuntimeError):
    """The database schema is older than the code and must be upgraded explicitly."""

    default_key = "error_storage"


def storage_failed(exc: BaseException) -> bool:
    """True when the database itself failed rather than the code: a full disk ("database or
    disk is full"), a read-only file, a lost connection. A user can only try again later."""
    return isinstance(exc, OperationalError)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created, PostgreSQL uses psycopg 3."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


_REVISION = re.compile(r'^(down_revision|revision)\b[^=\n]*=\s*(?:"([^"]*)"|None)\s*$', re.M)


def written_head(versions: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The head revision as the migration files write it (each has one `revision = "…"` and
    one `down_revision = "…"` line), without loading them through Alembic; None unless that
    reading finds exactly one head (then Alembic is asked)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        if path.name == "__init__.py":
            continue
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(engine: Engine) -> str | None:
    """The version table's one row, or None (no table, no row, or more than one)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return rows[0][0] if len(rows) == 1 else None


def ensure_schema(engine: Engine) -> None:
    """Create the schema on an empty database; upgrade an old SQLite file in place.

    A PostgreSQL database behind the code is not touched: several processes may share it,
    so an operator runs `mohbot db upgrade` once (see README, Deploying).
    """
    stored = _stored_revision(engine)
    if stored is not None and stored == written_head():
        return  # the usual start: at head, and Alembic not even imported
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    empty = current is None and not inspect(engine).get_table_names()
    if empty or engine.dialect.name == "sqlite":
        log.info("migrating database from %s to %s", current, head)
        upgrade(engine)
        return
    raise SchemaError(
        f"database schema is at {current}, the code needs {head}: run `mohbot db upgrade`"
    )
