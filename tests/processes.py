"""Starting `mohbot` processes in tests: the environment that points them at a test database
and the fake Bot API server, with no sources to poll."""

from __future__ import annotations

import os
from pathlib import Path

from tests.fakes.bot_api_server import FakeTelegram


def process_env(
    database_url: str, tg: FakeTelegram, folder: Path, *, token: str, send_rate: int
) -> dict[str, str]:
    sources = folder / "sources.toml"
    sources.write_text("", encoding="utf-8")
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "SEND_RATE": str(send_rate),
        "SOURCES_FILE": str(sources),
    }
