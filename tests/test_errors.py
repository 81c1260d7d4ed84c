"""One exception base with a user-safe message key (digests/errors.py): the domain's
user-facing errors derive from it; the command line prints its one line and exits with its
documented code; the bot's error handler answers with its text in the user's language, and
anything else with a generic apology and a logged traceback without the token."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import bot
import digests
from bot import app, cli
from bot.context import BotContext
from bot.telegram_html import EntityError
from bot.texts import Texts
from digests.broadcasts import BroadcastError
from digests.charts import ChartsUnavailable
from digests.config import Settings, SettingsError
from digests.documents import DocumentCatalogError
from digests.errors import EXIT_FAILED, EXIT_SETTINGS, MohbotError
from digests.ingest.contracts import SourceFailure
from digests.ingest.feeds import FeedError
from digests.ingest.fetch import FetchError
from digests.ingest.pages import PageParseError
from digests.ingest.portal import PortalFormatError
from digests.ingest.service import UnknownSource
from digests.ingest.sources_file import SourcesFileError
from digests.keywords import KeywordError
from digests.logs import configure_logging
from digests.redaction import Redactor
from digests.services import Newsroom
from digests.store.db import SchemaError
from digests.subscriptions import SubscriptionError
from digests.topics.catalog import CatalogError
from digests.topics.urgency import UrgencyFileError
from tests.bot_harness import running_bot
from tests.test_secrets import TOKEN, crash_a_command

USER_FACING = [
    SettingsError,
    CatalogError,
    SourcesFileError,
    UnknownSource,
    SubscriptionError,
    BroadcastError,
    FetchError,
    FeedError,
    PageParseError,
    PortalFormatError,
    SourceFailure,
    SchemaError,
    ChartsUnavailable,
    EntityError,
    KeywordError,
    DocumentCatalogError,
    UrgencyFileError,
]


def _every_error_class() -> set[type[MohbotError]]:
    """Every subclass of MohbotError in bot/ and digests/, found by importing them all."""
    for package in (bot, digests):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not module.name.endswith("__main__"):  # that one runs the command line
                importlib.import_module(module.name)
    found: set[type[MohbotError]] = set()
    todo: list[type[MohbotError]] = [MohbotError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_the_user_facing_errors_share_one_base() -> None:
    for cls in USER_FACING:
        assert issubclass(cls, MohbotError), cls.__name__
    assert SettingsError.exit_code == EXIT_SETTINGS and UnknownSource.exit_code == EXIT_FAILED


def test_every_error_names_a_text_that_exists_in_every_language() -> None:
    texts = Texts.load()
    classes = _every_error_class()
    assert set(USER_FACING) <= classes
    for cls in classes:
        for language in texts.languages:
            assert texts.get(language, cls.default_key), (cls.__name__, language)


def test_an_error_carries_its_key_and_safe_values() -> None:
    error = SubscriptionError("unknown time zone 'Mars'", key="bad_timezone", zone="Mars")
    assert str(error) == error.message == "unknown time zone 'Mars'"
    texts = Texts.load()
    assert texts.get("en", error.key, **error.params).startswith("Unknown time zone “Mars”")
    broken = SourcesFileError("source #1 (skds): missing name")
    assert broken.key == "ingest_bad_sources"
    assert "missing name" in texts.get("en", broken.key, **broken.params)


def test_the_command_line_prints_a_domain_error_in_one_line(
    sqlite_url: str, tmp_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "skds"\nkind = "rss"\nurl = "https://x.vn/a.rss"\n')
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", "--source", "nope"],
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": sqlite_url,
            "SOURCES_FILE": str(sources),
            "MOHBOT_HOME": str(tmp_path),
            "LOG_LEVEL": "WARNING",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == UnknownSource.exit_code == cli.EXIT_FAILED
    assert done.stderr.strip().splitlines() == [f"mohbot: no source named 'nope' in {sources}"]


def test_the_command_line_exits_with_the_error_s_own_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sqlite_url: str
) -> None:
    refused = SettingsError(f"setting SOURCES_FILE names a folder, with {TOKEN} inside")
    assert crash_a_command(monkeypatch, sqlite_url, refused) == EXIT_SETTINGS
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "mohbot: setting SOURCES_FILE names a folder, with *** inside"
    assert "Traceback" not in "\n".join(err)


async def test_the_bot_answers_a_domain_error_with_its_text(
    settings: Settings, newsroom: Newsroom
) -> None:
    """Handlers let a domain error through; the error handler says it in the user's words."""
    async with running_bot(settings, newsroom) as harness:
        harness.tg.user(301, language_code="en")
        await harness.say(301, "/start")
        (answer,) = await harness.say(301, "/timezone Mars/Olympus")
        assert answer.text == (
            "Unknown time zone “Mars/Olympus”. Examples: Asia/Ho_Chi_Minh, Asia/Bangkok, "
            "Europe/Paris."
        )
        await harness.say(301, "/lang vi")
        (answer,) = await harness.say(301, "/timezone Mars/Olympus")
        assert answer.text.startswith("Không biết múi giờ “Mars/Olympus”")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_bot_apologises_for_anything_else_and_logs_it_masked(
    settings: Settings,
    newsroom: Newsroom,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def broken(_update: object, _context: BotContext) -> None:
        raise RuntimeError(f"a bug that quotes {TOKEN}")

    monkeypatch.setitem(app.COMMANDS, "help", broken)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    configure_logging("WARNING", Redactor([TOKEN]))
    async with running_bot(settings, newsroom) as harness:
        harness.tg.user(302, language_code="en")
        await harness.say(302, "/start")
        (sorry,) = await harness.say(302, "/help")
        assert sorry.text == "Sorry, something went wrong. Please try again in a few minutes."
    logged = capsys.readouterr().err
    assert "Traceback" in logged and "RuntimeError: a bug that quotes ***" in logged
    assert TOKEN not in logged


def test_the_error_base_keeps_the_command_line_quick_to_start() -> None:
    """`bot/cli.py` imports the error base at the top: it must not pull in SQLAlchemy,
    pydantic or python-telegram-bot before `mohbot --help` has answered."""
    probe = "import sys, bot.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = done.stdout
    assert "'digests'" in loaded
    for heavy in ("sqlalchemy", "pydantic", "telegram", "alembic"):
        assert f"'{heavy}'" not in loaded, heavy
