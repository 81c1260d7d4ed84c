"""/healthz and /metrics of real processes: `mohbot run` (polling and webhook) turns unhealthy
when its PostgreSQL database refuses connections and healthy when it takes them again; after
a broadcast fanned out by `mohbot worker`, the figures scraped match the ledger; a port in use
stops start-up with one line."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from bot import cli
from bot.render import split_message
from digests import broadcasts, subscriptions
from digests.health import HealthServer
from digests.messages import MessagePart
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.deliveries import DeliveryRepository, NewDelivery
from digests.store.models import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    Source,
    SourceKind,
    Subscriber,
)
from fakebotapi import FakeTelegram
from tests.conftest import PG_SERVER, _truncate_all, make_settings
from tests.processes import process_env, start_mohbot, stop_all
from tests.test_config_cli import run_cli
from tests.test_json_logs import json_lines
from tests.test_webhook import free_port

TOKEN = "7000001:AAH-observedSecretPart_0123456789abcdefXYZ"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def eventually(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"no {what} within {timeout:g} s"
        await asyncio.sleep(0.2)


def get(port: int, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10.0)


def health(port: int) -> tuple[int, dict[str, str]]:
    try:
        answer = get(port, "/healthz")
    except httpx.TransportError:
        return 0, {}  # not listening yet
    return answer.status_code, answer.json()


def scrape(port: int) -> Samples:
    answer = get(port, "/metrics")
    assert answer.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def set_connections(database: str, allowed: bool) -> None:
    """Let connections into `database`, or refuse new ones and end those it has."""
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        )
        if not allowed:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            )
    admin.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_healthz_follows_the_database(mode: str, pg_database: str, tmp_path: Path) -> None:
    _truncate_all(pg_database)
    database = make_url(pg_database).database
    assert database is not None
    port = free_port()
    log = tmp_path / "stderr.log"
    async with FakeTelegram() as tg:
        env = process_env(pg_database, tg, tmp_path, token=TOKEN, send_rate=30)
        env |= {"HEALTH_PORT": str(port), "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}
        if mode == "webhook":
            hook = free_port()
            env |= {
                "WEBHOOK_URL": f"https://127.0.0.1:{hook}",  # Telegram posts to https only
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(hook),
                "WEBHOOK_SECRET": "observed-secret-123",
            }
        bot = start_mohbot(env, "run", log=log)
        try:
            await eventually(lambda: health(port)[0] == 200, "healthy start")
            if mode == "webhook":
                assert tg.webhook is not None and tg.webhook["url"].endswith("/telegram")
            assert scrape(port)[("mohbot_database_up", ())] == 1

            set_connections(database, allowed=False)
            try:
                await eventually(lambda: health(port)[0] == 503, "503 without the database")
                status, answer = health(port)
                assert status == 503 and answer["status"] == "unavailable"
                assert answer["reason"].startswith("database: "), answer
                assert "not currently accepting connections" in answer["reason"], answer
                metrics = scrape(port)
                assert metrics[("mohbot_database_up", ())] == 0
                assert ("mohbot_delivery_queue", (("kind", "digest"), ("state", "queued"))) not in (
                    metrics
                )
            finally:
                set_connections(database, allowed=True)
            await eventually(lambda: health(port) == (200, {"status": "ok"}), "healthy again")
            assert scrape(port)[("mohbot_database_up", ())] == 1
        finally:
            await stop_all([bot])
    stderr = log.read_text(encoding="utf-8")
    assert TOKEN not in stderr and TOKEN.partition(":")[2] not in stderr
    records = json_lines(stderr)
    messages = [r["message"] for r in records]
    assert any(m.startswith("unhealthy: database: ") for m in messages), messages
    assert "healthy again" in messages


@pytest.mark.slow
async def test_metrics_match_the_ledger_after_a_fan_out(db_url: str, tmp_path: Path) -> None:
    """40 subscribers, 3 of whom blocked the bot; Telegram answers one send with 429 (wait 1 s);
    5 alerts are queued for later; one digest is 10 minutes overdue; two sources, one failing."""
    room = Newsroom.open(make_settings(db_url))
    chats = list(range(70_000, 70_040))
    blocked = chats[:3]
    for chat in chats:
        subscriptions.register(room, chat)
    now = room.clock.now()
    with session_scope(room.sessions) as session:
        session.execute(
            update(Subscriber)
            .where(Subscriber.chat_id == chats[-1])
            .values(next_digest_at=now - timedelta(minutes=10))
        )
        # Due in an hour: still queued when the fan-out has been sent.
        DeliveryRepository(session).queue(
            [
                NewDelivery(DeliveryKind.ALERT, chat, parts=[MessagePart("later")])
                for chat in chats[:5]
            ],
            now + timedelta(hours=1),
        )
        session.add_all(
            [
                Source(
                    name="healthy",
                    kind=SourceKind.RSS,
                    url="http://example.vn/rss",
                    last_success_at=now - timedelta(minutes=5),
                    consecutive_failures=0,
                ),
                Source(
                    name="failing", kind=SourceKind.RSS, url="http://x.vn", consecutive_failures=4
                ),
            ]
        )
    draft = broadcasts.create_draft(room, admin_id=0, text="Lịch trực Tết")
    broadcasts.set_audience(room, draft, broadcasts.Audience())
    parts = [MessagePart(p) for p in split_message("Lịch trực <b>Tết</b>")]
    assert broadcasts.start(room, draft, parts) == len(chats)

    port = free_port()
    async with FakeTelegram() as tg:
        for chat in chats:
            tg.user(chat)
        for chat in blocked:
            tg.block(chat)
        tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        env = process_env(db_url, tg, tmp_path, token=TOKEN, send_rate=100)
        env["HEALTH_PORT"] = str(port)
        worker = start_mohbot(env, "worker", "--deliver-only", "--name", "observed")

        def unfinished() -> int:
            with session_scope(room.sessions) as session:
                counts = DeliveryRepository(session).counts(kind=DeliveryKind.BROADCAST)
            return counts[DeliveryState.QUEUED] + counts[DeliveryState.SENDING]

        try:
            await eventually(lambda: unfinished() == 0, "broadcast delivered")
            metrics = scrape(port)
            status, _ = health(port)
        finally:
            await stop_all([worker])

    with session_scope(room.sessions) as session:
        broadcast = DeliveryRepository(session).counts(kind=DeliveryKind.BROADCAST)
        alerts = DeliveryRepository(session).counts(kind=DeliveryKind.ALERT)
        parts_sent = session.scalar(
            select(func.sum(Delivery.parts_sent)).where(Delivery.state == DeliveryState.SENT)
        )
    room.close()
    assert status == 200

    def value(name: str, **labels: str) -> float:
        return metrics[(name, tuple(sorted(labels.items())))]

    sent = value("mohbot_messages_sent_total", kind="broadcast")
    assert sent == parts_sent == broadcast[DeliveryState.SENT] == len(tg.sent) == len(chats) - 3
    assert value("mohbot_messages_sent_total", kind="digest") == 0
    assert value("mohbot_chats_blocked_total") == broadcast[DeliveryState.BLOCKED] == 3
    assert value("mohbot_subscribers", state="blocked") == 3
    assert value("mohbot_subscribers", state="active") == len(chats) - 3
    assert value("mohbot_telegram_429_total") == 1
    assert value("mohbot_retry_after_seconds_total") == 1
    for state in (DeliveryState.QUEUED, DeliveryState.SENDING):
        assert value("mohbot_delivery_queue", kind="broadcast", state=state.value) == 0
        assert value("mohbot_delivery_queue", kind="alert", state=state.value) == alerts[state]
    assert alerts[DeliveryState.QUEUED] == 5
    assert 600 <= value("mohbot_digest_lag_seconds") < 600 + 120
    assert value("mohbot_source_consecutive_failures", source="failing") == 4
    assert value("mohbot_source_consecutive_failures", source="healthy") == 0
    success = value("mohbot_source_last_success_timestamp_seconds", source="healthy")
    assert success == pytest.approx((now - timedelta(minutes=5)).timestamp())
    assert ("mohbot_source_last_success_timestamp_seconds", (("source", "failing"),)) not in metrics
    assert value("mohbot_last_poll_cycle_timestamp_seconds") > now.timestamp()


def test_healthz_without_a_recent_poll_cycle(newsroom: Newsroom) -> None:
    server = HealthServer(newsroom, stale_after=60.0)
    assert server.check().reason == "starting: no poll cycle yet"
    newsroom.metrics.poll_cycle()
    assert server.check().ok
    server.stale_after = 0.0
    time.sleep(0.01)
    answer = json.loads(server.check().body())
    assert answer["status"] == "unavailable"
    assert answer["reason"].startswith("last poll cycle 0 s ago (limit 0 s)")


def test_a_second_server_on_a_port_is_refused(newsroom: Newsroom) -> None:
    first = HealthServer(newsroom)
    first.serve("127.0.0.1", 0)
    try:
        with pytest.raises(OSError, match=rf"cannot serve /healthz on 127.0.0.1:{first.port}: "):
            HealthServer(newsroom).serve("127.0.0.1", first.port)
        assert get(first.port, "/nothing").status_code == 404
    finally:
        first.stop()


@pytest.mark.parametrize("command", ["run", "worker"])
async def test_a_health_port_in_use_stops_start_up_in_one_line(
    command: str, sqlite_url: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with FakeTelegram() as tg:
            env = process_env(sqlite_url, tg, tmp_path, token=TOKEN, send_rate=30)
            env["HEALTH_PORT"] = str(port)
            done = await asyncio.to_thread(run_cli, command, env=env)
    assert done.returncode == cli.EXIT_FAILED
    assert done.stderr.splitlines()[-1] == (
        f"mohbot: cannot serve /healthz on 127.0.0.1:{port}: Address already in use"
    )
