"""The fake Bot API server run as a process of its own (`python -m fakebotapi`), driven over
HTTP by a benchmark in another process through small control endpoints under `/_control/`:

- `POST /_control/users` `{"first": 1, "count": 200, "language_code": "vi"}`: private chats
  for users `first` .. `first + count - 1`.
- `POST /_control/send` `{"user_id": 5, "text": "/help", "timeout": 30}`: the user sends a
  text; with a `timeout`, the answer comes when the bot's next message reaches that chat, with
  `round_trip`, the seconds from the update being offered to the bot to its reply arriving
  here (this server's clock: the driver's own delays are not counted).
- `GET /_control/stats`: messages received, the most in any one second, round trips measured,
  the time of the bot's first `getUpdates` (`time.monotonic()`, which on Linux all processes
  share), and with `?times=1` every message's arrival time.
- `POST /_control/reset`: forget the messages and round trips measured so far.

Every body is bounded and checked: a bad one gets 400 with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from fakebotapi.server import FakeTelegram

MAX_USERS = 1_000_000  # users one call may create
MAX_TEXT = 4096
MAX_TIMEOUT = 300.0


class BadRequest(ValueError):
    """A control request the server cannot act on; its message says why."""


def _int(body: dict[str, Any], key: str, low: int, high: int, default: int | None = None) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadRequest(f"{key} must be an integer from {low} to {high}")
    return value


class ControlledTelegram(FakeTelegram):
    """`FakeTelegram` with control endpoints, and round trips measured where replies arrive."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.record_requests = False  # a long benchmark would keep every request in memory
        self.first_poll: float | None = None
        self.round_trips: list[float] = []
        self._asked: dict[int, float] = {}  # chat -> when its latest text was offered
        self._answered: dict[int, asyncio.Future[float]] = {}

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_post("/_control/users", self._control(self._users))
        app.router.add_post("/_control/send", self._control(self._send))
        app.router.add_post("/_control/reset", self._control(self._reset))
        app.router.add_get("/_control/stats", self._control(self._stats))

    @staticmethod
    def _control(handler: Any) -> Any:
        async def handle(request: web.Request) -> web.Response:
            try:
                body: Any = {}
                if request.method == "POST" and request.can_read_body:
                    if request.content_length and request.content_length > 64 * 1024:
                        raise BadRequest("body larger than 64 KiB")
                    body = await request.json()
                if not isinstance(body, dict):
                    raise BadRequest("the body must be a JSON object")
                result = await handler(body, request)
            except (BadRequest, ValueError) as exc:
                return web.json_response({"ok": False, "description": str(exc)}, status=400)
            return web.json_response({"ok": True, "result": result})

        return handle

    async def _users(self, body: dict[str, Any], request: web.Request) -> dict[str, int]:
        first = _int(body, "first", 1, 2**52)
        count = _int(body, "count", 1, MAX_USERS)
        language = body.get("language_code", "vi")
        if language is not None and not (isinstance(language, str) and 0 < len(language) <= 8):
            raise BadRequest("language_code must be a short string or null")
        for user_id in range(first, first + count):
            self.user(user_id, language_code=language)
        return {"users": len(self.users)}

    async def _send(self, body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        user_id = _int(body, "user_id", 1, 2**52)
        text = body.get("text")
        if not isinstance(text, str) or not 0 < len(text) <= MAX_TEXT:
            raise BadRequest(f"text must be a string of 1 to {MAX_TEXT} characters")
        timeout = body.get("timeout", 0)
        if not isinstance(timeout, int | float) or not 0 <= timeout <= MAX_TIMEOUT:
            raise BadRequest(f"timeout must be a number of seconds from 0 to {MAX_TIMEOUT:g}")
        if user_id not in self.users:
            raise BadRequest(f"no user {user_id}: create it first")
        answered = asyncio.get_running_loop().create_future()
        self._answered[user_id] = answered
        self._asked[user_id] = time.monotonic()
        message = self.send_text(user_id, text)
        if not timeout:
            return {"message_id": message["message_id"]}
        try:
            round_trip = await asyncio.wait_for(answered, timeout)
        except TimeoutError:
            raise BadRequest(f"no reply to user {user_id} within {timeout:g} s") from None
        return {"round_trip": round_trip}

    async def _reset(self, body: dict[str, Any], request: web.Request) -> dict[str, int]:
        forgotten = len(self.sent)
        self.sent.clear()
        self.send_times.clear()
        self.round_trips.clear()
        return {"forgotten": forgotten}

    async def _stats(self, body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        stats: dict[str, Any] = {
            "sent": len(self.sent),
            "chats": len({m.chat_id for m in self.sent}),
            "max_in_any_second": self.max_in_window(1.0),
            "round_trips": self.round_trips,
            "first_poll": self.first_poll,
            "now": time.monotonic(),
        }
        if request.query.get("times"):
            stats["times"] = [m.time for m in self.sent]
        return stats

    def _record(self, method: str, chat_id: int, *args: Any, **kwargs: Any) -> dict[str, Any]:
        message = super()._record(method, chat_id, *args, **kwargs)
        asked = self._asked.pop(chat_id, None)
        if asked is not None:
            round_trip = time.monotonic() - asked
            self.round_trips.append(round_trip)
            answered = self._answered.pop(chat_id, None)
            if answered is not None and not answered.done():
                answered.set_result(round_trip)
        return message

    async def api_getUpdates(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> list[dict[str, Any]]:
        if self.first_poll is None:
            self.first_poll = time.monotonic()
        return await super().api_getUpdates(params, files)


async def serve(
    port: int,
    limit: int | None,
    *,
    reuse_port: bool = False,
    users: range = range(0),
    times_file: Path | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve on 127.0.0.1 until `stop` is set (or SIGTERM/SIGINT); print the port first, on
    one line. With `limit`, at most that many messages a second are taken (429 past it)."""
    import signal

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    tg = ControlledTelegram()
    tg.port = port
    tg.reuse_port = reuse_port
    if limit:
        tg.enforce_limits(global_per_second=limit, per_chat_per_second=limit)
    for user_id in users:
        tg.user(user_id)
    async with tg:
        print(tg.port, flush=True)
        await stop.wait()
    if times_file is not None:
        times_file.write_text(json.dumps([m.time for m in tg.sent]), encoding="utf-8")
