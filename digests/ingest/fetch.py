"""Polite HTTP fetching: conditional GET, a deadline, a size cap, retries with backoff, and
redirects that stay where the source lives.

One `Fetcher` holds one HTTP client per TLS setting, so a lowered OpenSSL security level
(needed for moh.gov.vn's small Diffie-Hellman key) is used only by the sources that ask.

A fetch is bounded: each attempt (connecting, the headers, every redirect, the whole body) has
`FetchPolicy.timeout` seconds, whatever the server does; a timed-out attempt is not retried.
Every request of a fetch goes to the source's `Origin`: its own host (with or without `www.`)
or a host its entry allows, never to a non-public address unless the source is on one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from digests.errors import MohbotError


class FetchError(MohbotError):
    """A source could not be fetched; the message says why in plain words."""


class _Retryable(FetchError):
    pass


@dataclass(frozen=True, slots=True)
class FetchResult:
    status: int
    content: bytes
    headers: dict[str, str]
    url: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


@dataclass(slots=True)
class FetchPolicy:
    # The deadline of one attempt, from connecting to the last byte (redirects included).
    timeout: float = 20.0
    max_bytes: int = 5_000_000
    user_agent: str = "mohbot/0.1"
    attempts: int = 3
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    max_redirects: int = 5


def _site(host: str) -> str:
    return host.lower().rstrip(".").removeprefix("www.")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a source's fetches may go: the host of its URL, with or without `www.`, and the
    other hosts its entry in the sources file allows."""

    url: str
    hosts: frozenset[str] = frozenset()

    @property
    def host(self) -> str:
        return httpx.URL(self.url).host

    def is_own(self, host: str) -> bool:
        return _site(host) == _site(self.host)

    def allows(self, host: str) -> bool:
        return self.is_own(host) or _site(host) in {_site(h) for h in self.hosts}


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, unspecified and reserved addresses
    (an IPv4 address mapped into IPv6 is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    """Every address, IPv4 and IPv6, that `host` resolves to (the event loop's resolver)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise _Retryable(f"network error: cannot resolve {host}: {exc}") from exc
    return [str(info[4][0]) for info in infos]


async def _non_public(url: httpx.URL) -> str | None:
    """The first non-public address `url`'s host resolves to, if any."""
    port = url.port or (443 if url.scheme == "https" else 80)
    return next((a for a in await resolve(url.host, port) if not is_public_address(a)), None)


def tls_context(security_level: int | None) -> ssl.SSLContext:
    """The default verified context, with OpenSSL's security level set when asked."""
    context = ssl.create_default_context()
    if security_level is not None:
        context.set_ciphers(f"DEFAULT:@SECLEVEL={security_level}")
    return context


@dataclass
class Fetcher:
    policy: FetchPolicy = field(default_factory=FetchPolicy)
    # Extra CA file to trust (tests with a local HTTPS server).
    cafile: str | None = None
    _clients: dict[int | None, httpx.AsyncClient] = field(default_factory=dict)

    def client_for(self, security_level: int | None) -> httpx.AsyncClient:
        if security_level not in self._clients:
            context = tls_context(security_level)
            if self.cafile:
                context.load_verify_locations(self.cafile)
            self._clients[security_level] = httpx.AsyncClient(
                verify=context,
                timeout=httpx.Timeout(self.policy.timeout),
                # Followed in `_attempt`, where each hop is checked against the source's origin.
                follow_redirects=False,
                headers={"User-Agent": self.policy.user_agent},
            )
        return self._clients[security_level]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def check(self, url: httpx.URL, origin: Origin, came_from: httpx.URL | None) -> None:
        """Refuse a request (`came_from` None) or a redirect that leaves the source's origin."""
        what = "request to" if came_from is None else "redirect to"
        if came_from is not None and came_from.scheme == "https" and url.scheme != "https":
            raise FetchError(f"refused redirect from https to {url.scheme}://{url.host}")
        if origin.is_own(url.host):
            return
        if not origin.allows(url.host):
            raise FetchError(
                f"refused {what} {url.host}: not the source's host {origin.host} "
                "(allowed_hosts in the sources file lists the others it may reach)"
            )
        address = await _non_public(url)
        if address is not None and await _non_public(httpx.URL(origin.url)) is None:
            raise FetchError(
                f"refused {what} {url.host}: it resolves to {address}, a non-public address"
            )

    async def _attempt(
        self, client: httpx.AsyncClient, request: httpx.Request, origin: Origin
    ) -> FetchResult:
        """One attempt: the request, its redirects and the whole body, within the deadline."""
        try:
            async with asyncio.timeout(self.policy.timeout):
                came_from: httpx.URL | None = None
                for _hop in range(self.policy.max_redirects + 1):
                    await self.check(request.url, origin, came_from)
                    try:
                        response = await client.send(request, stream=True)
                    except httpx.TimeoutException:
                        raise
                    except httpx.TransportError as exc:
                        raise _Retryable(f"network error: {exc.__class__.__name__}: {exc}") from exc
                    if response.next_request is None:
                        return await self._read(request, response)
                    await response.aclose()
                    came_from, request = request.url, response.next_request
                raise FetchError(
                    f"more than {self.policy.max_redirects} redirects from {origin.host}"
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            # A server trickling its answer never trips a per-read timeout; only this does.
            raise FetchError(
                f"timed out: no complete answer within {self.policy.timeout:g} s"
            ) from exc

    async def _read(self, request: httpx.Request, response: httpx.Response) -> FetchResult:
        try:
            if response.status_code in (429, 502, 503, 504) or response.status_code >= 500:
                raise _Retryable(f"HTTP {response.status_code} from {request.url.host}")
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} from {request.url.host}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
                raise FetchError(f"body too large ({declared} bytes > {self.policy.max_bytes})")
            chunks: list[bytes] = []
            size = 0
            try:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.policy.max_bytes:
                        raise FetchError(f"body too large (over {self.policy.max_bytes} bytes)")
                    chunks.append(chunk)
            except httpx.TimeoutException:
                raise
            except httpx.TransportError as exc:
                raise _Retryable(f"network error while reading: {exc}") from exc
            return FetchResult(
                status=response.status_code,
                content=b"".join(chunks),
                headers={k.lower(): v for k, v in response.headers.items()},
                url=str(response.url),
            )
        finally:
            await response.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        origin: Origin | None = None,
        security_level: int | None = None,
        headers: dict[str, str] | None = None,
        json: object = None,
    ) -> FetchResult:
        """Fetch `url`, retrying network faults and 5xx with exponential backoff. Every request
        and redirect must stay within `origin` (by default, `url`'s own host)."""
        origin = origin or Origin(url)
        client = self.client_for(security_level)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.policy.attempts),
                wait=wait_exponential(
                    multiplier=self.policy.backoff_initial, max=self.policy.backoff_max
                ),
                retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
                reraise=True,
            ):
                with attempt:
                    request = client.build_request(method, url, headers=headers, json=json)
                    return await self._attempt(client, request, origin)
        except ssl.SSLError as exc:
            raise FetchError(f"TLS error: {exc.reason or exc}") from exc
        except _Retryable as exc:
            raise FetchError(f"{exc} (after {self.policy.attempts} attempts)") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def get(
        self,
        url: str,
        *,
        origin: Origin | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        security_level: int | None = None,
    ) -> FetchResult:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self.request(
            "GET", url, origin=origin, security_level=security_level, headers=headers
        )

    async def post_json(
        self,
        url: str,
        body: object,
        *,
        origin: Origin | None = None,
        security_level: int | None = None,
    ) -> FetchResult:
        return await self.request(
            "POST", url, origin=origin, security_level=security_level, json=body
        )
