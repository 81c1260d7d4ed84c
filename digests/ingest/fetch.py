"""Polite HTTP fetching: conditional GET, timeouts, a size cap, retries with backoff.

One `Fetcher` holds one HTTP client per TLS setting, so a lowered OpenSSL security level
(needed for moh.gov.vn's small Diffie-Hellman key) is used only by the sources that ask.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)


class FetchError(Exception):
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
    timeout: float = 20.0
    max_bytes: int = 5_000_000
    user_agent: str = "mohbot/0.1"
    attempts: int = 3
    backoff_initial: float = 0.5
    backoff_max: float = 8.0


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
                follow_redirects=True,
                headers={"User-Agent": self.policy.user_agent},
            )
        return self._clients[security_level]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def _once(self, request: httpx.Request, client: httpx.AsyncClient) -> FetchResult:
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out after {self.policy.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"network error: {exc.__class__.__name__}: {exc}") from exc
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
            except httpx.TimeoutException as exc:
                raise _Retryable(f"timed out after {self.policy.timeout:g} s") from exc
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
        security_level: int | None = None,
        headers: dict[str, str] | None = None,
        json: object = None,
    ) -> FetchResult:
        """Fetch `url`, retrying network faults and 5xx with exponential backoff."""
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
                    return await self._once(request, client)
        except ssl.SSLError as exc:
            raise FetchError(f"TLS error: {exc.reason or exc}") from exc
        except _Retryable as exc:
            raise FetchError(f"{exc} (after {self.policy.attempts} attempts)") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        security_level: int | None = None,
    ) -> FetchResult:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self.request("GET", url, security_level=security_level, headers=headers)

    async def post_json(
        self, url: str, body: object, *, security_level: int | None = None
    ) -> FetchResult:
        return await self.request("POST", url, security_level=security_level, json=body)
