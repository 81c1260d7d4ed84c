"""`mohbot worker` runs the same ticks as `mohbot run`: a worker holding the polling lock
tells the admins, through the ledger, that a source keeps failing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from digests.ingest.service import ingest
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import Source
from fakebotapi import FakeTelegram
from tests.feed_server import FeedServer, Route
from tests.processes import process_env, start_mohbot, stop_all

ADMIN = 4242


@pytest.mark.slow
async def test_a_worker_alerts_the_admins_of_a_failing_source(
    newsroom: Newsroom, tmp_path: Path
) -> None:
    async with FeedServer() as feeds, FakeTelegram() as tg:
        route = feeds.add("/feed.rss", Route(status=500, body=b"down"))
        sources = tmp_path / "failing.toml"
        sources.write_text(
            f'[[source]]\nname = "skds"\nkind = "rss"\nurl = "{route}"\n', encoding="utf-8"
        )
        newsroom.settings = newsroom.settings.model_copy(
            update={"sources_file": sources, "http_timeout": 1.0}
        )
        for _ in range(2):  # two failures in a row: the worker's poll is the third
            await ingest(newsroom)
        with session_scope(newsroom.sessions) as session:
            session.execute(update(Source).values(next_poll_at=datetime(2000, 1, 1, tzinfo=UTC)))
        tg.user(ADMIN, language_code="en")
        env = process_env(newsroom.settings.database_url, tg, tmp_path, token="123:T", send_rate=30)
        env |= {"SOURCES_FILE": str(sources), "ADMIN_IDS": str(ADMIN), "HTTP_TIMEOUT": "1"}
        worker = start_mohbot(env, "worker", "--name", "w0", log=tmp_path / "worker.log")
        try:
            await tg.wait_for(
                lambda: any(m.text.startswith("⚠️") for m in tg.messages_to(ADMIN)),
                timeout=30,
                what="the source alert",
            )
        finally:
            await stop_all([worker])
        (alert,) = tg.messages_to(ADMIN)
        assert "skds" in alert.text and " 3 " in alert.text  # three failures (in Vietnamese)
