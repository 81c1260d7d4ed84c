"""Webhook mode: Telegram (the fake server) posts updates to PTB's webhook server with the
secret token; a request without it is refused."""

from __future__ import annotations

import socket

import httpx
from pydantic import SecretStr

from bot.app import build_application, on_shutdown, on_startup, webhook_options
from digests.config import Settings
from digests.services import Newsroom
from fakebotapi import FakeTelegram
from tests.bot_harness import FAST, TOKEN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_with_secret_token(settings: Settings, newsroom: Newsroom) -> None:
    port = free_port()
    async with FakeTelegram() as tg:
        settings = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_api_base_url": tg.base_url,
                "webhook_url": f"http://127.0.0.1:{port}",
                "webhook_secret": SecretStr("s3cret-Token_1"),
                "webhook_listen": "127.0.0.1",
                "webhook_port": port,
            }
        )
        newsroom.settings = settings
        app = build_application(settings, newsroom, intervals=FAST)
        await app.initialize()
        await on_startup(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(**webhook_options(settings))  # type: ignore[arg-type]
        try:
            assert tg.webhook == {
                "url": f"http://127.0.0.1:{port}/telegram",
                "secret_token": "s3cret-Token_1",
            }
            tg.user(42, language_code="en")
            tg.send_text(42, "/start")
            (welcome,) = await tg.wait_for_messages(42, 1)
            assert "Welcome" in welcome.text
            assert tg.webhook.get("responses") == [200]
            async with httpx.AsyncClient() as client:
                forged = await client.post(
                    f"http://127.0.0.1:{port}/telegram",
                    json={
                        "update_id": 999,
                        "message": {
                            "message_id": 1,
                            "date": 0,
                            "chat": {"id": 42, "type": "private"},
                            "text": "/stop",
                        },
                    },
                )
                wrong = await client.post(
                    f"http://127.0.0.1:{port}/telegram",
                    headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
                    json={"update_id": 1000},
                )
            assert forged.status_code == 403 and wrong.status_code == 403
            assert len(tg.messages_to(42)) == 1  # the forged /stop did nothing
        finally:
            await app.updater.stop()
            await app.stop()
            await on_shutdown(app)
            await app.shutdown()
