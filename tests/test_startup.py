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
