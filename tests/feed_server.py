"""A local HTTP server for ingestion tests: serves feeds and pages with chosen headers and
faults (status codes, delays, oversized bodies, answers trickled a byte at a time), and counts
requests per path."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: str | None = None


def trickle(interval: float = 1.0) -> Handler:
    """A handler that answers 200 at once, then sends one byte every `interval` seconds, for as
    long as the client listens: no read ever waits longer than `interval`."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):  # the client gave up: the expected end
            while True:
                await response.write(b" ")
                await asyncio.sleep(interval)
        return response

    return handler


class FeedServer:
    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.routes: dict[str, Route] = {}
        self.handlers: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.conditional_hits: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def add(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def add_handler(self, path: str, handler: Handler) -> str:
        self.handlers[path] = handler
        return self.url(path)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs if request.path_qs in self.routes else request.path
        self.hits[path] += 1
        if path in self.handlers:
            return await self.handlers[path](request)
        route = self.routes.get(path)
        if route is None:
            return web.Response(status=404, text="not found")
        if route.delay:
            await asyncio.sleep(route.delay)
        if route.etag and request.headers.get("If-None-Match") == route.etag:
            self.conditional_hits[path] += 1
            return web.Response(status=304, headers={"ETag": route.etag})
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        return web.Response(status=route.status, body=route.body, headers=headers)

    async def __aenter__(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner:
            await self._runner.cleanup()
