"""The delivery bot's aiohttp transport: its network errors never carry the token, and an
answer is read only up to a bound."""

from __future__ import annotations

import traceback

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram.error import NetworkError

from bot.http import AiohttpRequest

TOKEN = "123456:SECRET-token-value"


async def test_a_network_error_does_not_print_the_address_with_the_token() -> None:
    request = AiohttpRequest(1)
    await request.initialize()
    try:
        # An address aiohttp refuses: its InvalidURL error prints the address it was given.
        with pytest.raises(NetworkError) as caught:
            await request.do_request(f"http://bad host:99999/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    printed = "".join(traceback.format_exception(caught.value))
    assert "<Bot API address>" in printed
    assert TOKEN not in printed


async def test_an_answer_longer_than_the_cap_is_not_read_to_the_end() -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(64):  # 4 MB in all, more than the 1 MB cap
            await response.write(b"x" * 65536)
        return response

    async def small(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/huge", huge)
    app.router.add_post("/small", small)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    request = AiohttpRequest(1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="longer than"):
            await request.do_request(str(server.make_url("/huge")), "POST")
        status, body = await request.do_request(str(server.make_url("/small")), "POST")
        assert status == 200 and b'"ok": true' in body
    finally:
        await request.shutdown()
        await server.close()
