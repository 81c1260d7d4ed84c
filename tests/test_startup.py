"""Start-up faults of `mohbot run` as an operator meets them: a webhook address Telegram will not
post to is one line and exit code 2; a Bot API not reachable at boot is retried with back-off,
one line each try, and the bot starts when it answers."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fakebotapi import FakeTelegram
from tests.processes import start_mohbot, stop_all

TOKEN = "123456:STARTUP-TEST"


def test_a_webhook_address_must_be_https(sqlite_url: str, tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": sqlite_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WEBHOOK_URL": "http://bot.example.vn",
        "MOHBOT_HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "mohbot: setting WEBHOOK_URL is invalid: Telegram posts updates only to an https:// address"
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
async def test_the_bot_waits_for_an_unreachable_bot_api(sqlite_url: str, tmp_path: Path) -> None:
    """A network blip at boot used to end the process ('Failed run number 0 of 0')."""
    port = _free_port()
    sources = tmp_path / "sources.toml"
    sources.write_text("", encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": sqlite_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}",
        "SOURCES_FILE": str(sources),
        "HEALTH_PORT": "0",
        "MOHBOT_HOME": str(tmp_path),
    }
    log = tmp_path / "run.log"
    process = start_mohbot(env, "run", log=log)
    try:
        for _ in range(200):
            if "trying again" in log.read_text(errors="replace"):
                break
            await asyncio.sleep(0.1)
        assert "cannot reach the Bot API at http://127.0.0.1" in log.read_text()
        assert process.poll() is None  # still there, waiting
        tg = FakeTelegram()
        tg.port = port
        async with tg:
            tg.user(1)
            tg.send_text(1, "/start")
            await tg.wait_for_messages(1, 1, timeout=30)
        text = log.read_text()
        assert "Traceback" not in text and TOKEN not in text
    finally:
        await stop_all([process])


# What `mohbot run` needs only later (the first page or feed read, the first misspelt topic,
# the first migration or chart, PostgreSQL), kept out of its start-up: time to the first
# getUpdates and idle memory (bench/command_roundtrip.py).
NOT_AT_START = (
    "alembic",
    "bs4",
    "feedparser",
    "lxml",
    "matplotlib",
    "rapidfuzz",
    "sqlalchemy.dialects.postgresql",
)


def test_the_bot_starts_without_what_its_first_poll_does_not_need(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Everything `mohbot run` builds before its first poll, on a database already at head:
    none of the later modules imported, the classifier's tables not built."""
    from digests.store.db import create_db_engine, upgrade

    engine = create_db_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    script = f"""
import sys
from bot.app import build_application
from digests.config import load_settings
from digests.services import Newsroom
import digests.topics.classifier as classifier

built = []
original = classifier.Classifier.__init__
classifier.Classifier.__init__ = lambda self, *a, **k: built.append(1) or original(self, *a, **k)
settings = load_settings(_env_file=None)
room = Newsroom.open(settings)
build_application(settings, room)
assert room.labels is not None and not built, "classifier built at start-up"
loaded = [m for m in {NOT_AT_START!r} if m in sys.modules]
assert not loaded, loaded
room.close()
"""
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": sqlite_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "MOHBOT_HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_the_head_read_from_the_migration_files_is_alembic_s() -> None:
    from digests.store.db import head_revision, written_head

    assert written_head() == head_revision() is not None
