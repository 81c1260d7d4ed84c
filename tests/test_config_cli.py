"""Settings: one clear line per bad setting, the token never in logs; operator commands."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digests import subscriptions
from digests.config import SettingsError, load_settings
from digests.logs import RedactingFilter
from digests.services import Newsroom
from digests.store.models import SubscriptionKind
from fakebotapi import FakeTelegram


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "DIGEST_TIME",
            "25:00",
            "setting DIGEST_TIME is invalid: '25:00' is not a time of day HH:MM",
        ),
        (
            "ADMIN_IDS",
            "12, abc",
            "setting ADMIN_IDS is invalid: 'abc' is not a numeric Telegram user id",
        ),
        (
            "TIMEZONE",
            "Mars/Olympus",
            "setting TIMEZONE is invalid: unknown time zone 'Mars/Olympus'",
        ),
        ("DATABASE_URL", "mysql://x", "setting DATABASE_URL is invalid"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "setting TELEGRAM_API_BASE_URL is invalid"),
        ("SEND_RATE", "5000", "setting SEND_RATE is invalid"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line(
    name: str, value: str, message: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", name: value}
    done = run_cli("articles", env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mohbot: {message}")


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "1, 2 3")
    monkeypatch.setenv("DIGEST_TIME", "6:30")
    settings = load_settings(_env_file=None)
    assert settings.admin_ids == frozenset({1, 2, 3})
    assert settings.digest_time.strftime("%H:%M") == "06:30"
    with pytest.raises(SettingsError):
        load_settings(_env_file=None, webhook_port=0)


def test_the_token_never_appears_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    token = "123456:SECRET-token-value"
    settings = load_settings(_env_file=None, telegram_bot_token=token)
    assert token not in repr(settings) and token not in str(settings.model_dump())
    logger = logging.getLogger("test.redaction")
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter([token]))
    records: list[str] = []
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    logger.warning("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", token)
    logger.removeHandler(handler)
    assert records == ["HTTP Request: POST https://api.telegram.org/bot***/getUpdates"]


def test_run_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    done = run_cli(
        "run", env={"TELEGRAM_BOT_TOKEN": "", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    )
    assert done.returncode == 2
    assert (
        "@BotFather" in done.stderr
        and ".env" in done.stderr
        and len(done.stderr.strip().splitlines()) == 1
    )


@pytest.mark.slow
async def test_operator_commands(newsroom: Newsroom, tmp_path: Path) -> None:
    for chat in (11, 12, 13):
        subscriptions.register(newsroom, chat)
    subscriptions.follow(newsroom, 12, SubscriptionKind.TOPIC, "food-safety")
    async with FakeTelegram() as tg:
        for chat in (11, 12, 13):
            tg.user(chat)
        env = {
            "DATABASE_URL": newsroom.settings.database_url,
            "TELEGRAM_BOT_TOKEN": "123:T",
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "SOURCES_FILE": str(tmp_path / "none.toml"),
        }

        async def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return await asyncio.to_thread(run_cli, *args, env=env)

        stats = await cli("stats", "--json")
        figures = json.loads(stats.stdout)
        assert figures["subscribers"]["active"] == 3
        assert figures["subscribers_per_topic"] == {"leadership": 3, "food-safety": 1}
        # A topic by its Vietnamese name, without diacritics: resolved as the bot resolves it.
        sent = await cli(
            "broadcast", "--text", "Lịch trực <b>Tết</b>", "--topic", "an toan thuc pham", "--yes"
        )
        assert "will reach 1 subscribers" in sent.stdout and "delivered 1" in sent.stdout
        assert sent.returncode == 0
        assert [(m.chat_id, m.raw) for m in tg.sent] == [(12, "Lịch trực <b>Tết</b>")]
        # An unknown topic used to reach 0 subscribers silently; malformed HTML was queued and
        # then failed at every send, exit code 0.
        unknown = await cli("broadcast", "--text", "x", "--topic", "tim mạch", "--yes")
        assert unknown.returncode == 2 and "no topic 'tim mạch'; did you mean:" in unknown.stderr
        malformed = await cli("broadcast", "--text", "Lịch <b>trực", "--yes")
        assert malformed.returncode == 2
        assert "not valid Telegram HTML" in malformed.stderr
        assert len(tg.sent) == 1  # nothing more was queued or sent
        # A send Telegram refuses: reported, and the exit code says so.
        tg.fail_next("sendMessage", 400, "Bad Request: chat is restricted", chat_id=13)
        partly = await cli("broadcast", "--text", "Thông báo", "--yes")
        assert "delivered 2" in partly.stdout and "failed 1" in partly.stdout
        assert partly.returncode == 1
        digest = await cli("digest", "--now", "--user", "11")
        assert digest.returncode == 0 and "nothing new: 1" in digest.stdout
