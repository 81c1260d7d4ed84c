"""What a stranger can type and what a full disk does, through the real Application against
the fake Bot API server: every hostile time zone gets a one-line answer, a database that
cannot take a write is logged and told plainly, and an /ingest error is escaped once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from digests import subscriptions
from digests.config import Settings
from digests.services import Newsroom
from tests.bot_harness import ADMIN, running_bot
from tests.feed_server import FeedServer, Route

HOSTILE_ZONES = [
    "America",
    "Asia",
    "x" * 300,
    "../../etc/passwd",
    "/etc/passwd",
    "Asia/Ho_Chi_Minh\x00",
    "UTC/",
    "zone.tab",
    "America/__init__.py",
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_hostile_time_zone_gets_a_one_line_answer(
    settings: Settings, newsroom: Newsroom, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(701, language_code="en")
        await bot.say(701, "/start")
        (usage,) = await bot.say(701, "/timezone")
        assert usage.text.startswith("Usage: /timezone")
        for user, zone in enumerate(HOSTILE_ZONES, start=710):  # one user each: flood limits
            bot.tg.user(user, language_code="en")
            await bot.say(user, "/start")
            (answer,) = await bot.say(user, f"/timezone {zone}")
            assert answer.text.startswith("Unknown time zone"), (zone, answer.text)
            assert len(answer.text) < 200
        # Case aside, a real zone is stored as the database spells it.
        (done,) = await bot.say(701, "/timezone asia/BANGKOK")
        assert "Asia/Bangkok" in done.text
        assert subscriptions.get(newsroom, 701).timezone == "Asia/Bangkok"  # type: ignore[union-attr]
    assert not [r for r in caplog.records if r.name == "bot.handlers.errors"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_full_database_is_logged_and_told_plainly(
    settings: Settings, newsroom: Newsroom, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite may not grow past `max_page_count` pages, and says "database or disk is full"
    as on a full disk. The database is filled up to the limit with registrations shaped like
    the one /start makes, so that /start then needs a page it cannot have."""
    limit: list[int] = []

    def cap_size(dbapi_connection, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
        if limit:
            dbapi_connection.execute(f"PRAGMA max_page_count={limit[0]}")

    event.listen(newsroom.engine, "checkout", cap_size)
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(1_100_000, language_code="en")
        with newsroom.engine.connect() as connection:
            limit.append(connection.exec_driver_sql("PRAGMA page_count").scalar_one())
        with pytest.raises(OperationalError, match="database or disk is full"):
            for chat in range(1_000_000, 1_010_000):
                subscriptions.register(newsroom, chat, language_code="en")
        caplog.clear()
        (sorry,) = await bot.say(1_100_000, "/start")
        assert sorry.text == (
            "Sorry, the bot cannot save anything right now: its database is full or "
            "unavailable. Please try again later."
        )
        logged = [r for r in caplog.records if r.name == "bot.handlers.errors"]
        assert logged and logged[0].levelno == logging.ERROR
        assert "database or disk is full" in logged[0].getMessage()
        assert logged[0].exc_info is not None or "Traceback" in (logged[0].exc_text or "")
        # Room again: the same command works.
        limit.clear()
        newsroom.engine.dispose()
        replies = await bot.say(1_100_000, "/start")
        assert "Welcome" in replies[0].text
    event.remove(newsroom.engine, "checkout", cap_size)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_ingest_shows_an_error_escaped_once(
    settings: Settings, newsroom: Newsroom, tmp_path: Path
) -> None:
    async with FeedServer() as feeds:
        route = feeds.add("/feed.rss", Route(body=b'<rss version="2.0"><channel><item><title>A'))
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "skds"\nkind = "rss"\nurl = "{route}"\n', encoding="utf-8"
        )
        settings = settings.model_copy(update={"sources_file": sources, "http_timeout": 1.0})
        newsroom.settings = settings
        async with running_bot(settings, newsroom) as bot:
            bot.tg.user(ADMIN, language_code="en")
            await bot.say(ADMIN, "/start")
            _started, report = await bot.say(ADMIN, "/ingest", replies=2)
            (line,) = [x for x in report.text.splitlines() if x.startswith("skds:")]
            assert line.startswith("skds: FAILED: broken feed: <unknown>:"), line
            assert "&lt;" not in report.text and "&amp;" not in report.text
