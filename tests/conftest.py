"""Shared fixtures: a real database per test (SQLite file, and the local PostgreSQL server),
settings pointing at it, a `Newsroom` with a fake clock.

PostgreSQL: each test run creates its own database (unique name) and drops it at the end, so
concurrent runs never collide; between tests its tables are emptied. Set `MOHBOT_TEST_PG` to
another server URL, or to `off` to skip the PostgreSQL variants.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from digests.clock import FakeClock
from digests.config import PROJECT_ROOT, Settings, load_settings
from digests.services import Newsroom
from digests.store.db import create_db_engine, upgrade
from digests.store.models import Base

# Copies of what the tests read of ../shared (the saved ministry pages, feedparser's corpus of
# odd feeds, with its licence): the tests use only files inside the repository.
SHARED = PROJECT_ROOT / "tests" / "data" / "shared"
PG_SERVER = os.environ.get(
    "MOHBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_reachable() -> str | None:
    """None when the server answers, else the reason it does not."""
    if PG_SERVER == "off":
        return "MOHBOT_TEST_PG=off"
    try:
        engine = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: no PostgreSQL here
        return f"no PostgreSQL reachable at {PG_SERVER}: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this test run, migrated to head, dropped at the end."""
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"mohbot_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _truncate_all(url: str) -> None:
    engine = create_db_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, then the run's PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_database")
    _truncate_all(url)
    yield url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 5, 0, 0, tzinfo=UTC))


def make_settings(db_url: str, **overrides: object) -> Settings:
    # No /healthz server unless a test asks for one: tests would share its port.
    values: dict[str, object] = {"database_url": db_url, "_env_file": None, "health_port": 0}
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, sources_file=tmp_path / "sources.toml")


@pytest.fixture
def newsroom(settings: Settings, clock: FakeClock) -> Iterator[Newsroom]:
    room = Newsroom.open(settings, clock=clock)
    try:
        yield room
    finally:
        room.close()
