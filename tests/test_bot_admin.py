"""Admin tools end to end: refusals, a topic broadcast with preview, progress and report,
cancellation, a restart in the middle, /stats with its chart, source alerts."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from digests import broadcasts, stats, subscriptions
from digests.config import Settings
from digests.records import ParsedItem
from digests.services import Newsroom
from digests.store.articles import ArticleRepository
from digests.store.db import session_scope
from digests.store.models import BroadcastState
from digests.store.models import SubscriptionKind as Kind
from fakebotapi import Sent
from tests.bot_harness import ADMIN, Harness, running_bot
from tests.feed_server import FeedServer, Route


def buttons(markup: dict | None) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [
        (b["text"], b.get("callback_data", ""))
        for row in (markup or {}).get("inline_keyboard", [])
        for b in row
    ]


async def test_non_admins_are_refused(settings: Settings, newsroom: Newsroom) -> None:
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(50, language_code="en")
        await bot.say(50, "/start")
        for command in ("/broadcast hello", "/broadcasts", "/ingest", "/stats", "/sources"):
            (refused,) = await bot.say(50, command)
            assert refused.text == "This command is for the bot's administrators."
        assert broadcasts.recent(newsroom) == []


async def _compose(bot: Harness, text: str) -> tuple[int, object]:
    bot.tg.user(ADMIN, "Admin", language_code="en")
    await bot.say(ADMIN, "/start")
    (choose,) = await bot.say(ADMIN, f"/broadcast {text}")
    data = [d for _t, d in buttons(choose.reply_markup)]
    broadcast_id = int(data[0].split(":")[2].split(".")[0])
    return broadcast_id, choose


@pytest.mark.slow
async def test_topic_broadcast_with_preview_progress_and_report(
    settings: Settings, newsroom: Newsroom
) -> None:
    async with running_bot(settings, newsroom) as bot:
        readers = {
            61: True,
            62: True,
            63: False,
        }  # 63 subscribes to food safety but blocked the bot
        for chat in (60, 61, 62, 63, 64):
            bot.tg.user(chat)
            subscriptions.register(newsroom, chat)
        for chat in readers:
            subscriptions.follow(newsroom, chat, Kind.TOPIC, "food-safety")
        bot.tg.block(63)
        broadcast_id, choose = await _compose(bot, "Cảnh báo ngộ độc thực phẩm & nấm độc")
        assert f"1:a:{broadcast_id}.t.food-safety" in [d for _t, d in buttons(choose.reply_markup)]
        # A non-admin pressing the admin's buttons is refused.
        answer = await bot.press(60, choose, f"1:a:{broadcast_id}.ok")
        assert answer.get("show_alert") is True
        assert broadcasts.progress(newsroom, broadcast_id).state is BroadcastState.DRAFT

        await bot.press(ADMIN, choose, f"1:a:{broadcast_id}.t.food-safety", edits=1)
        before = len(bot.tg.messages_to(ADMIN))
        await bot.press(ADMIN, choose, f"1:a:{broadcast_id}.pv")
        preview, confirm = (await bot.tg.wait_for_messages(ADMIN, before + 2))[before:]
        assert preview.raw == "Cảnh báo ngộ độc thực phẩm &amp; nấm độc"  # as readers will see it
        assert "reach <b>3</b> subscribers" in confirm.raw and "Food safety" in confirm.text
        await bot.press(ADMIN, confirm, f"1:a:{broadcast_id}.ok", edits=1)
        await bot.tg.wait_for(
            lambda: "finished" in bot.tg.current(confirm).get("text", ""),
            timeout=15,
            what="final report",
        )
        report = bot.tg.current(confirm)["text"]
        assert "Delivered: 2" in report and "Blocked the bot: 1" in report and "Failed: 0" in report
        received = Counter(s.chat_id for s in bot.tg.sent if "Cảnh báo" in s.text)
        assert received == Counter(
            {ADMIN: 1, 61: 1, 62: 1}
        )  # the admin's preview, then readers once
        assert not subscriptions.get(newsroom, 63).active  # type: ignore[union-attr]
        (listing,) = await bot.say(ADMIN, "/broadcasts")
        assert f"#{broadcast_id}" in listing.text and "2/3 sent" in listing.text


@pytest.mark.slow
async def test_cancelled_broadcast_stops_sending(settings: Settings, newsroom: Newsroom) -> None:
    settings = settings.model_copy(update={"send_rate": 10.0})
    async with running_bot(settings, newsroom) as bot:
        for chat in range(100, 160):
            bot.tg.user(chat)
            subscriptions.register(newsroom, chat)
        broadcast_id, choose = await _compose(bot, "Thông báo lịch trực Tết")
        before = len(bot.tg.messages_to(ADMIN))
        await bot.press(ADMIN, choose, f"1:a:{broadcast_id}.pv")
        _preview, confirm = (await bot.tg.wait_for_messages(ADMIN, before + 2))[before:]
        await bot.press(ADMIN, confirm, f"1:a:{broadcast_id}.ok", edits=1)
        # Counted as below: the admin's preview has the same text.
        await bot.tg.wait_for(
            lambda: (
                sum(
                    1
                    for s in bot.tg.sent
                    if s.text == "Thông báo lịch trực Tết" and s.chat_id != ADMIN
                )
                >= 5
            ),
            what="some sent",
        )
        await bot.press(ADMIN, confirm, f"1:a:{broadcast_id}.stop", edits=1)
        await asyncio.sleep(1.5)
        sent = sum(
            1 for s in bot.tg.sent if s.text == "Thông báo lịch trực Tết" and s.chat_id != ADMIN
        )
        assert 5 <= sent < 40
        result = broadcasts.progress(newsroom, broadcast_id)
        assert (
            result.state is BroadcastState.CANCELLED
            and result.cancelled == 61 - result.sent - result.pending
        )
        await asyncio.sleep(1.0)
        assert (
            sum(
                1 for s in bot.tg.sent if s.text == "Thông báo lịch trực Tết" and s.chat_id != ADMIN
            )
            == sent
        )


@pytest.mark.slow
async def test_broadcast_survives_a_restart(settings: Settings, newsroom: Newsroom) -> None:
    settings = settings.model_copy(update={"send_rate": 20.0})
    text = "Khẩn: lịch tiêm chủng thay đổi"
    async with running_bot(settings, newsroom) as bot:
        for chat in range(200, 280):
            bot.tg.user(chat)
            subscriptions.register(newsroom, chat)
        broadcast_id, choose = await _compose(bot, text)
        before = len(bot.tg.messages_to(ADMIN))
        await bot.press(ADMIN, choose, f"1:a:{broadcast_id}.pv")
        _preview, confirm = (await bot.tg.wait_for_messages(ADMIN, before + 2))[before:]
        await bot.press(ADMIN, confirm, f"1:a:{broadcast_id}.ok", edits=1)
        await bot.tg.wait_for(
            lambda: sum(1 for s in bot.tg.sent if s.text == text) >= 20, what="a quarter"
        )
        first_server = bot.tg
    # The bot stopped in the middle (what it was sending while stopping counts as sent there);
    # a new process starts on the same database.
    first_run = [s.chat_id for s in first_server.sent if s.text == text and s.chat_id != ADMIN]
    tg_sent = list(first_server.sent)
    assert len(first_run) < 81
    async with running_bot(settings, newsroom) as bot:
        for chat in [*range(200, 280), ADMIN]:
            bot.tg.user(chat)
        bot.tg.messages.update(
            {
                (s.chat_id, s.message_id): {
                    "message_id": s.message_id,
                    "chat": {"id": s.chat_id, "type": "private"},
                    "from": bot.tg.bot,
                    "text": s.text,
                }
                for s in tg_sent
            }
        )
        await bot.tg.wait_for(
            lambda: broadcasts.progress(newsroom, broadcast_id).pending == 0,
            timeout=20,
            what="the rest",
        )
        second_run = [s.chat_id for s in bot.tg.sent if s.text == text and s.chat_id != ADMIN]
    counts = Counter(c for c in first_run + second_run if c != ADMIN)
    assert set(counts) == set(range(200, 280))
    assert sum(n - 1 for n in counts.values()) <= 1  # at most the one in flight at the stop
    result = broadcasts.progress(newsroom, broadcast_id)
    assert result.state is BroadcastState.DONE and result.sent == 81


async def test_stats_sends_figures_and_a_png(settings: Settings, newsroom: Newsroom) -> None:
    with session_scope(newsroom.sessions) as session:
        ArticleRepository(session).upsert(
            [
                ParsedItem(title="Ngộ độc thực phẩm ở Hà Giang"),
                ParsedItem(title="Bộ trưởng Đào Hồng Lan thăm Lào Cai"),
            ],
            source_id=None,
            now=newsroom.clock.now(),
            labels=newsroom.labels,
        )
    async with running_bot(settings, newsroom) as bot:
        for chat in (70, 71):
            bot.tg.user(chat)
            await bot.say(chat, "/start")
        subscriptions.set_paused(newsroom, 71, True)
        bot.tg.user(ADMIN, language_code="en")
        await bot.say(ADMIN, "/start")
        figures = stats.collect(newsroom)
        text, photo = await bot.say(ADMIN, "/stats", replies=2)
        assert f"Subscribers: {figures.active} active, {figures.paused} paused" in text.text
        assert figures.active == 2 and figures.paused == 1
        assert "Food safety 1" in text.text and "Ministry leadership activities 1" in text.text
        assert photo.method == "sendPhoto" and photo.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert "0 digests, 0 broadcast messages, 0 failed" in text.text
        assert photo.text.startswith("Articles per topic per publication day")
        await bot.say(ADMIN, "/lang vi")
        text, photo = await bot.say(ADMIN, "/stats", replies=2)
        assert "Đã gửi trong 24 giờ: 0 bản tin, 0 thông báo, 0 lỗi" in text.text
        assert "An toàn thực phẩm 1" in text.text
        assert photo.method == "sendPhoto" and photo.text.startswith("Số tin mỗi chủ đề")


async def test_a_sources_file_with_a_wrong_section_is_reported_to_the_admin(
    settings: Settings, newsroom: Newsroom, tmp_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nname = "skds"\nkind = "rss"\nurl = "https://example.org/a.rss"\n'
        'section = "leadershp"\n',
        encoding="utf-8",
    )
    settings = settings.model_copy(update={"sources_file": sources})
    newsroom.settings = settings
    async with running_bot(settings, newsroom) as bot:
        bot.tg.user(ADMIN, language_code="en")
        await bot.say(ADMIN, "/start")
        _started, report = await bot.say(ADMIN, "/ingest", replies=2)
        assert report.text.startswith("Nothing polled: the sources file is wrong.")
        assert "source #1 (skds): section 'leadershp' names no topic" in report.text


async def test_ingest_runs_as_a_job_that_reports_when_done(
    settings: Settings, newsroom: Newsroom, tmp_path: Path
) -> None:
    """/ingest answers at once while a slow source is still being read; a second /ingest meanwhile
    starts nothing; the report with each source's result comes when the poll is done."""
    feed = (
        b'<rss version="2.0"><channel><item><title>Tin moi</title>'
        b"<link>http://x/1</link></item></channel></rss>"
    )
    async with FeedServer() as feeds:
        slow = feeds.add("/slow.rss", Route(body=feed, delay=2.0))
        broken = feeds.add("/broken.rss", Route(status=500, body=b"down"))
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "slow"\nkind = "rss"\nurl = "{slow}"\n'
            f'[[source]]\nname = "broken"\nkind = "rss"\nurl = "{broken}"\n',
            encoding="utf-8",
        )
        settings = settings.model_copy(update={"sources_file": sources, "http_timeout": 10.0})
        newsroom.settings = settings
        async with running_bot(settings, newsroom) as bot:
            bot.tg.user(ADMIN, language_code="en")
            await bot.say(ADMIN, "/start")
            asked = asyncio.get_running_loop().time()
            (started,) = await bot.say(ADMIN, "/ingest")
            assert started.text == "Polling every source…"
            (again,) = await bot.say(ADMIN, "/ingest")
            assert asyncio.get_running_loop().time() - asked < 2.0  # the slow source still reads
            assert again.text.startswith("Polling is already running")
            await bot.tg.wait_for(
                lambda: "Polling done" in bot.tg.messages_to(ADMIN)[-1].text,
                timeout=15,
                what="the ingest report",
            )
            report = bot.tg.messages_to(ADMIN)[-1].text
            assert "slow: 1 new, 0 updated" in report and "broken: FAILED" in report
            assert "2 sources, 1 failed" in report
            await asyncio.sleep(0.5)  # room for a second report, were a second poll started

            def reports() -> int:
                return sum("Polling done" in m.text for m in bot.tg.messages_to(ADMIN))

            assert reports() == 1
            # Done: the next /ingest starts a poll again.
            (started,) = await bot.say(ADMIN, "/ingest")
            assert started.text == "Polling every source…"
            await bot.tg.wait_for(lambda: reports() == 2, timeout=15, what="a second report")


@pytest.mark.slow
async def test_a_failing_source_alerts_once_and_recovers_once(
    settings: Settings, newsroom: Newsroom, tmp_path: Path
) -> None:
    async with FeedServer() as feeds:
        route = feeds.add("/feed.rss", Route(status=500, body=b"down"))
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "skds"\nkind = "rss"\nurl = "{route}"\n', encoding="utf-8"
        )
        settings = settings.model_copy(update={"sources_file": sources, "http_timeout": 1.0})
        newsroom.settings = settings
        async with running_bot(settings, newsroom) as bot:
            bot.tg.user(ADMIN, language_code="en")
            await bot.say(ADMIN, "/start")

            async def ingest_once() -> None:
                done = sum(1 for m in bot.tg.messages_to(ADMIN) if "Polling done" in m.text)
                bot.tg.send_text(ADMIN, "/ingest")
                await bot.tg.wait_for(
                    lambda: (
                        sum(1 for m in bot.tg.messages_to(ADMIN) if "Polling done" in m.text) > done
                    ),
                    timeout=15,
                    what="ingest report",
                )

            def starting(prefix: str) -> list[Sent]:
                return [m for m in bot.tg.messages_to(ADMIN) if m.text.startswith(prefix)]

            for _ in range(5):  # five failed polls in a row
                await ingest_once()
            # Alerts go through the ledger: the delivery engine sends them a moment later.
            await bot.tg.wait_for(lambda: starting("⚠️"), timeout=5, what="the alert")
            alerts = starting("⚠️")
            assert len(alerts) == 1 and "skds" in alerts[0].text and "3 times" in alerts[0].text
            feeds.routes["/feed.rss"] = Route(
                body=b'<rss version="2.0"><channel><item><title>Tin</title>'
                b"<link>http://x/1</link></item></channel></rss>"
            )
            await ingest_once()
            await ingest_once()
            await bot.tg.wait_for(lambda: starting("✅ Source"), timeout=5, what="recovery")
            await asyncio.sleep(0.5)  # room for a second one, were it wrongly queued
            assert len(starting("✅ Source")) == 1 and len(starting("⚠️")) == 1
            (health,) = await bot.say(ADMIN, "/sources")
            assert "skds" in health.text and "failures in a row 0" in health.text
