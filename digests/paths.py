"""Where the program finds what it ships and where it keeps its state, wherever it is installed
and whatever the working directory: shipped data through the installed packages (not the
source tree), state in one data directory (MOHBOT_HOME, else the platform's per-user data
directory)."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from platformdirs import user_data_dir


def _package_dir(package: str) -> Path:
    # A regular install (wheel or editable) unpacks packages as directories.
    return Path(str(files(package)))


SEEDS_DIR = _package_dir("mohbot_seeds")
SOURCES_FILE = SEEDS_DIR / "sources.toml"
TOPICS_FILE = SEEDS_DIR / "topics.toml"
MIGRATIONS_DIR = _package_dir("mohbot_migrations")


def data_home() -> Path:
    """The data directory: MOHBOT_HOME if set, else e.g. ~/.local/share/mohbot on Linux."""
    configured = os.environ.get("MOHBOT_HOME")
    return Path(configured).expanduser() if configured else Path(user_data_dir("mohbot"))


def default_database_url() -> str:
    """SQLite in the data directory (created when first used)."""
    return f"sqlite:///{data_home() / 'mohbot.sqlite3'}"
