"""Alembic is the only way the schema changes: the models match the migrations, and every
revision upgrades, downgrades and upgrades again, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from digests.store.db import MIGRATIONS_DIR, create_db_engine, current_revision, downgrade, upgrade
from digests.store.models import Base
from tests.conftest import PG_SERVER, _pg_reachable

# Full-text search objects are created by migrations 0002 and 0010 only (no model describes them).
SEARCH_OBJECTS = ("articles_fts", "ix_articles_search_fts", "ix_articles_search_title_fts")


def _include(obj: object, name: str | None, *_args: object) -> bool:
    return not (name or "").startswith(SEARCH_OBJECTS)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"mohbot_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _revisions() -> list[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_models_match_migrations(empty_url: str) -> None:
    engine = create_db_engine(empty_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _include}
        )
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_every_revision_up_down_up(empty_url: str) -> None:
    engine = create_db_engine(empty_url)
    revisions = _revisions()
    assert len(revisions) >= 3
    previous = "base"
    for revision in revisions:
        upgrade(engine, revision)
        assert current_revision(engine) == revision
        downgrade(engine, previous)
        assert current_revision(engine) == (None if previous == "base" else previous)
        upgrade(engine, revision)
        previous = revision
    assert current_revision(engine) == revisions[-1]
    engine.dispose()
