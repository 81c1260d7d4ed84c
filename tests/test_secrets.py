"""No secret in any output: a token the Bot API refuses (401) is reported in one line with its
own exit code by every command that uses it, and the token appears nowhere in what the process
prints; log records and unexpected tracebacks are masked too."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from pathlib import Path

import pytest

from bot import cli
from bot.app import build_services
from digests.config import load_settings
from digests.logs import RedactingFilter
from digests.services import Newsroom
from fakebotapi import FakeTelegram
from tests.test_config_cli import run_cli

TOKEN = "7000001:AAH-revokedSecretPart_0123456789abcdefXYZ"
SECRET_PART = TOKEN.partition(":")[2]
REFUSED = "mohbot: the Bot API refused the token: check TELEGRAM_BOT_TOKEN"

# Every command that speaks to the Bot API, with the settings it needs.
COMMANDS: list[tuple[list[str], dict[str, str]]] = [
    (["run"], {}),
    (["run"], {"WEBHOOK_URL": "https://bot.example.vn", "WEBHOOK_LISTEN": "127.0.0.1"}),
    (["worker"], {}),
    (["worker", "--deliver-only"], {}),
    (["digest", "--now"], {}),
    (["broadcast", "--text", "Lịch trực Tết", "--yes"], {}),
]


async def run_refused(
    args: list[str], extra: dict[str, str], database_url: str, folder: Path
) -> subprocess.CompletedProcess[str]:
    """`mohbot ARGS` against a Bot API server that refuses the token, logging all it can."""
    sources = folder / "sources.toml"
    sources.write_text("", encoding="utf-8")
    async with FakeTelegram() as tg:
        tg.refuse_token(TOKEN)
        env = {
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "SOURCES_FILE": str(sources),
            "LOG_LEVEL": "DEBUG",  # the most the process could ever print
            **extra,
        }
        done = await asyncio.to_thread(run_cli, *args, env=env)
        assert tg.requests == [] or all(m == "getMe" for m, _ in tg.requests)
    return done


@pytest.mark.parametrize(
    ("args", "extra"), COMMANDS, ids=[" ".join(args) + str(len(extra)) for args, extra in COMMANDS]
)
async def test_a_refused_token_is_one_line_and_never_printed(
    args: list[str], extra: dict[str, str], sqlite_url: str, tmp_path: Path
) -> None:
    done = await run_refused(args, extra, sqlite_url, tmp_path)
    output = done.stdout + done.stderr
    assert TOKEN not in output and SECRET_PART not in output, output
    assert done.returncode == cli.EXIT_TOKEN_REFUSED, output
    assert done.stderr.strip().splitlines()[-1] == REFUSED
    assert "Traceback" not in output


def test_log_records_are_masked_with_their_tracebacks(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    handler = logging.FileHandler(log, encoding="utf-8")
    handler.addFilter(RedactingFilter([TOKEN, SECRET_PART]))
    logger = logging.getLogger("test.secrets")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"The token `{TOKEN}` was rejected; part {SECRET_PART}")
        except RuntimeError:
            logger.exception("failed with %s", TOKEN, stack_info=True)
        logger.error("args %r", {"token": SECRET_PART})
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "Stack (most recent call last)" in text
    assert TOKEN not in text and SECRET_PART not in text
    assert "failed with ***" in text and "rejected; part ***" in text and "'token': '***'" in text


def crash_a_command(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, error: Exception | None = None
) -> int:
    """`mohbot stats` in this process, its command raising `error` (by default an unexpected
    one that quotes the token)."""

    def boom(_room: object, _args: object) -> int:
        raise error or RuntimeError(f"unexpected, with {TOKEN} inside")

    # main() sets up logging for the whole process: give this test's changes back afterwards.
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setitem(cli.COMMANDS, "stats", boom)
    return cli.main(["stats"])


def test_an_unexpected_error_prints_its_traceback_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sqlite_url: str
) -> None:
    assert crash_a_command(monkeypatch, sqlite_url) == cli.EXIT_FAILED
    printed = capsys.readouterr()
    assert "Traceback" in printed.err and "RuntimeError: unexpected, with *** inside" in printed.err
    assert TOKEN not in printed.err + printed.out and SECRET_PART not in printed.err


def test_a_malformed_token_is_refused_without_repeating_it(tmp_path: Path) -> None:
    done = run_cli(
        "run",
        env={
            "TELEGRAM_BOT_TOKEN": f"not a token {SECRET_PART}",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        },
    )
    assert done.returncode == cli.EXIT_SETTINGS
    assert done.stderr.startswith("mohbot: setting TELEGRAM_BOT_TOKEN is invalid")
    assert SECRET_PART not in done.stderr + done.stdout


def test_texts_shown_in_telegram_are_masked(sqlite_url: str) -> None:
    """An error quoted to an admin (a source's failure, say) cannot carry the token."""
    settings = load_settings(_env_file=None, database_url=sqlite_url, telegram_bot_token=TOKEN)
    room = Newsroom.open(settings)
    try:
        texts = build_services(settings, room).texts
        shown = texts.get("en", "ingest_failed", error=f"HTTP 404 for /bot{TOKEN}/getMe")
    finally:
        room.close()
    assert shown == "FAILED: HTTP 404 for /bot***/getMe"
