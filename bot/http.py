"""The delivery bot's HTTP transport: python-telegram-bot's `BaseRequest` over aiohttp.

PTB's default transport (httpx over httpcore and anyio) cost a delivery worker more than half
of its event loop's time at a paid broadcast's rate: two socket writes per request, and a
check of every pooled connection's socket on each one. aiohttp's client does the same work
for a fraction of that. PTB still builds the request and reads the answer (its errors,
RetryAfter and the rest, are the same); only the bytes on the wire go through aiohttp.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults (HTTPXRequest), in seconds.
READ_TIMEOUT = WRITE_TIMEOUT = CONNECT_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0
# The Bot API answers a send with a few kilobytes (the message sent): a peer that answers
# with more is not read to the end.
MAX_ANSWER_BYTES = 1 << 20


class AiohttpRequest(BaseRequest):
    """At most `connections` connections to the Bot API server, kept alive between requests;
    a request waits up to `pool_timeout` seconds for one of them."""

    def __init__(self, connections: int, *, pool_timeout: float = 1.0) -> None:
        self.connections = connections
        self.pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return READ_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        body: aiohttp.FormData | bytes | None = None
        headers = {}
        if files and request_data is not None:
            body = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mimetype) in files.items():
                body.add_field(name, content, filename=filename, content_type=mimetype)
        elif request_data is not None:
            body, headers = request_data.json_payload, {"Content-Type": "application/json"}
        read = _given(read_timeout, READ_TIMEOUT)
        write = _given(write_timeout, MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT)
        timeout = aiohttp.ClientTimeout(
            # aiohttp has no write timeout of its own: the request's whole time is bounded.
            total=None if read is None or write is None else read + write,
            connect=_given(pool_timeout, self.pool_timeout),
            sock_connect=_given(connect_timeout, CONNECT_TIMEOUT),
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await _bounded(response.content, MAX_ANSWER_BYTES)
        except TimeoutError as err:  # aiohttp's timeouts derive from it too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # Some of aiohttp's errors print the address, and the address holds the token.
            said = str(err).replace(url, "<Bot API address>")
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {said}") from None


async def _bounded(content: aiohttp.StreamReader, limit: int) -> bytes:
    """The answer's bytes, or a NetworkError once they pass `limit`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in content.iter_any():
        size += len(chunk)
        if size > limit:
            raise NetworkError(f"the Bot API's answer is longer than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _given(value: object, default: float | None) -> float | None:
    """A timeout passed to a request, or the default where PTB passed its `DEFAULT_NONE`."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    assert value is None or isinstance(value, int | float)
    return value
