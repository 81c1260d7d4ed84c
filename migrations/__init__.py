"""Alembic migrations, installed as the package `mohbot_migrations` (see `digests/paths.py`)."""
