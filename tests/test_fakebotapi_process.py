"""`python -m fakebotapi`: the fake Bot API server in a process of its own, driven through its
control endpoints while this test plays the bot over the Bot API itself."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

TOKEN = "123:TEST"


@asynccontextmanager
async def server(*args: str) -> AsyncIterator[httpx.AsyncClient]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fakebotapi", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 30)
        port = int(line)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 10) == 0  # stops cleanly on SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def bot(client: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    return await client.post(f"/bot{TOKEN}/{method}", json=params)


async def test_a_driver_measures_round_trips_through_the_control_endpoints() -> None:
    async with server() as client:
        made = await client.post("/_control/users", json={"first": 10, "count": 3})
        assert made.json()["result"] == {"users": 3}
        stats = (await client.get("/_control/stats")).json()["result"]
        assert stats["first_poll"] is None

        asked = asyncio.create_task(
            client.post("/_control/send", json={"user_id": 11, "text": "/help", "timeout": 5})
        )
        updates: list[dict[str, Any]] = []
        while not updates:  # the bot's long poll
            updates = (await bot(client, "getUpdates", timeout=1)).json()["result"]
        (update,) = updates
        assert update["message"]["text"] == "/help"
        assert update["message"]["entities"][0]["type"] == "bot_command"
        await asyncio.sleep(0.05)  # the bot "works" 50 ms
        sent = await bot(
            client, "sendMessage", chat_id=11, text="<b>Trợ giúp</b>", parse_mode="HTML"
        )
        assert sent.json()["ok"]
        round_trip = (await asyncio.wait_for(asked, 5)).json()["result"]["round_trip"]
        assert 0.05 <= round_trip < 2

        stats = (await client.get("/_control/stats", params={"times": 1})).json()["result"]
        assert stats["sent"] == 1 and stats["chats"] == 1
        assert stats["round_trips"] == [round_trip]
        assert stats["first_poll"] is not None and stats["first_poll"] <= stats["now"]
        assert len(stats["times"]) == 1

        reset = (await client.post("/_control/reset")).json()["result"]
        assert reset == {"forgotten": 1}
        assert (await client.get("/_control/stats")).json()["result"]["sent"] == 0


async def test_bad_control_requests_are_refused_with_the_reason() -> None:
    async with server() as client:
        cases = [
            ("/_control/users", {"first": 1, "count": 10_000_000}, "count"),
            ("/_control/users", {"first": "1", "count": 1}, "first"),
            ("/_control/send", {"user_id": 5, "text": "hi"}, "no user 5"),
            ("/_control/send", {"user_id": 5, "text": ""}, "text"),
            ("/_control/send", {"user_id": 5, "text": "hi", "timeout": 10_000}, "timeout"),
        ]
        for path, body, reason in cases:
            answer = await client.post(path, json=body)
            assert answer.status_code == 400, (path, body)
            assert reason in answer.json()["description"]
        assert (await client.post("/_control/users", content=b"[1]")).status_code == 400
        await client.post("/_control/users", json={"first": 1, "count": 1})
        late = await client.post("/_control/send", json={"user_id": 1, "text": "x", "timeout": 0.2})
        assert late.status_code == 400 and "no reply" in late.json()["description"]


async def test_the_limit_is_enforced_per_second() -> None:
    async with server("--limit", "5") as client:
        await client.post("/_control/users", json={"first": 1, "count": 10})
        codes = [
            (await bot(client, "sendMessage", chat_id=c, text="x")).status_code
            for c in range(1, 11)
        ]
        assert codes == [200] * 5 + [429] * 5
        stats = (await client.get("/_control/stats")).json()["result"]
        assert stats["sent"] == 5 and stats["max_in_any_second"] == 5


async def test_users_on_the_command_line_and_times_written_on_exit(tmp_path: Path) -> None:
    times = tmp_path / "times.json"
    async with server("--users", "7", "3", "--times-file", str(times)) as client:
        for chat in (7, 9):
            assert (await bot(client, "sendMessage", chat_id=chat, text="x")).status_code == 200
        assert (await bot(client, "sendMessage", chat_id=10, text="x")).status_code == 400
    written = json.loads(times.read_text())
    assert len(written) == 2 and written == sorted(written)
