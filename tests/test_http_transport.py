"""The delivery bot's aiohttp transport: its network errors never carry the token."""

from __future__ import annotations

import traceback

import pytest
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
