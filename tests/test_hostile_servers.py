"""What a stranger's server can do to a poll, over real local HTTP: trickle its answer (cut at
the fetch's deadline, recorded as the source's failure, delaying no other source), and
redirect the fetcher elsewhere (kept to the source's host, never to a private address)."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from digests.clock import FakeClock
from digests.config import Settings
from digests.ingest.fetch import Fetcher, FetchError, FetchPolicy, Origin, is_public_address
from digests.ingest.service import ingest
from digests.ingest.sources_file import SourcesFileError, load_sources
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.models import Source
from tests.conftest import SHARED
from tests.feed_server import FeedServer, Route, trickle
from tests.test_ingest_feeds import GOOD_ITEMS, rss

RSS_HEADERS = {"Content-Type": "application/rss+xml"}


def write_sources(path: Path, entries: list[dict[str, object]]) -> None:
    """One [[source]] per entry (kind rss unless given); JSON strings, numbers and lists of
    strings are TOML too."""
    lines: list[str] = []
    for entry in [{"kind": "rss", **e} for e in entries]:
        lines.append("[[source]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def fetcher(timeout: float = 5.0, cafile: str | None = None) -> Fetcher:
    policy = FetchPolicy(timeout=timeout, attempts=3, backoff_initial=0.01)
    return Fetcher(policy, cafile=cafile)


async def until(condition: Callable[[], bool], within: float) -> None:
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.02)


# -- a deadline on the whole answer -------------------------------------------------------------
@pytest.mark.slow
async def test_a_trickle_is_cut_at_the_deadline_and_the_others_are_stored(
    newsroom: Newsroom, settings: Settings
) -> None:
    async with FeedServer() as server:
        slow = server.add_handler("/slow.rss", trickle(0.5))
        good = server.add("/good.rss", Route(body=rss(GOOD_ITEMS[:2]), headers=RSS_HEADERS))
        write_sources(
            settings.sources_file, [{"name": "slow", "url": slow}, {"name": "good", "url": good}]
        )
        started = time.monotonic()
        async with asyncio.timeout(15):  # without a deadline the trickle holds the poll forever
            reports = {r.name: r for r in await ingest(newsroom, fetcher=fetcher(timeout=2))}
        elapsed = time.monotonic() - started
    # Reads never wait more than 0.5 s, so only the deadline cut it: once, not retried.
    assert 2 <= elapsed < 3.5, elapsed
    assert server.hits["/slow.rss"] == 1
    assert reports["slow"].error == "timed out: no complete answer within 2 s"
    assert reports["good"].ok and reports["good"].new == 2
    with session_scope(newsroom.sessions) as session:
        stored = {s.name: s for s in session.scalars(select(Source))}
        assert stored["slow"].last_error == "timed out: no complete answer within 2 s"
        assert stored["slow"].consecutive_failures == 1
        assert stored["good"].last_success_at is not None


@pytest.mark.slow
async def test_sources_falling_due_while_a_trickle_hangs_are_polled_meanwhile(
    newsroom: Newsroom, settings: Settings, clock: FakeClock
) -> None:
    """The bot's tick awaits the whole scheduled poll; a source due again during it must not
    wait for the trickle's deadline."""

    def good_stored() -> bool:
        with session_scope(newsroom.sessions) as session:
            source = session.scalar(select(Source).where(Source.name == "good"))
            return source is not None and source.last_success_at is not None

    async with FeedServer() as server:
        slow = server.add_handler("/slow.rss", trickle(0.5))
        good = server.add("/good.rss", Route(body=rss(GOOD_ITEMS[:2]), headers=RSS_HEADERS))
        write_sources(
            settings.sources_file,
            [
                {"name": "slow", "url": slow, "poll_interval": 60},
                {"name": "good", "url": good, "poll_interval": 60},
            ],
        )
        started = time.monotonic()
        poll = asyncio.create_task(
            ingest(newsroom, due_only=True, fetcher=fetcher(timeout=4), due_check_every=0.1)
        )
        try:
            await until(good_stored, within=2)
            clock.advance(timedelta(seconds=61))  # "good" is due again; "slow" still trickles
            await until(lambda: server.hits["/good.rss"] == 2, within=2)
            polled_again_after = time.monotonic() - started
            assert not poll.done()
            async with asyncio.timeout(10):
                reports = await poll
        finally:
            poll.cancel()
    assert polled_again_after < 2, polled_again_after
    assert [(r.name, r.ok) for r in reports] == [("good", True), ("slow", False), ("good", True)]


# -- redirects ---------------------------------------------------------------------------------
async def test_a_redirect_to_another_host_is_refused_unless_listed(
    newsroom: Newsroom, settings: Settings
) -> None:
    async with FeedServer() as server:
        # "localhost" is the same server under another host name than the source's 127.0.0.1.
        elsewhere = f"http://localhost:{server.port}/real.rss"
        server.add("/real.rss", Route(body=rss(GOOD_ITEMS[:1]), headers=RSS_HEADERS))
        moved = server.add("/moved.rss", Route(status=302, headers={"Location": elsewhere}))
        write_sources(
            settings.sources_file,
            [
                {"name": "moved", "url": moved},
                {"name": "moved-listed", "url": moved + "?b", "allowed_hosts": ["localhost"]},
            ],
        )
        reports = {r.name: r for r in await ingest(newsroom, fetcher=fetcher())}
        assert server.hits["/real.rss"] == 1  # only for the source that lists the host
    assert reports["moved"].error is not None
    assert reports["moved"].error.startswith("refused redirect to localhost: not the source's host")
    assert reports["moved-listed"].ok and reports["moved-listed"].new == 1


@pytest.mark.parametrize(
    "target",
    ["http://10.0.0.1/x", "http://169.254.169.254/latest", "http://[::1]/", "http://[fd00::1]/"],
)
async def test_a_public_source_is_never_redirected_to_a_private_address(target: str) -> None:
    """Even to a host its entry allows: the address it resolves to decides."""
    host = httpx.URL(target).host
    origin = Origin("http://93.184.216.34/feed.rss", frozenset({host}))
    with pytest.raises(FetchError, match=rf"refused redirect to {host}: it resolves to"):
        await Fetcher().check(httpx.URL(target), origin, came_from=httpx.URL(origin.url))
    # A source that is itself on a private address may go to another one it allows.
    await Fetcher().check(httpx.URL(target), Origin("http://10.9.9.9/", frozenset({host})), None)


async def test_a_first_request_to_a_private_address_is_refused_for_a_public_source() -> None:
    async with FeedServer() as server:
        url = server.add("/real.rss", Route(body=rss(GOOD_ITEMS[:1])))
        origin = Origin("http://93.184.216.34/feed.rss", frozenset({"127.0.0.1"}))
        with pytest.raises(FetchError, match=r"refused request to 127\.0\.0\.1: it resolves to"):
            await fetcher().get(url, origin=origin)
    assert server.hits["/real.rss"] == 0


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("224.0.0.251", False),
        ("::1", False),
        ("::", False),
        ("fd00::1", False),
        ("fe80::1%eth0", False),
        ("ff02::1", False),
        ("::ffff:10.0.0.1", False),
        ("8.8.8.8", True),
        ("14.225.0.1", True),
        ("2001:4860:4860::8888", True),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


async def test_a_redirect_loop_is_bounded(newsroom: Newsroom, settings: Settings) -> None:
    async with FeedServer() as server:
        server.add("/a", Route(status=302, headers={"Location": "/b"}))
        server.add("/b", Route(status=302, headers={"Location": "/a"}))
        write_sources(settings.sources_file, [{"name": "loop", "url": server.url("/a")}])
        (report,) = await ingest(newsroom, fetcher=fetcher())
        assert server.hits["/a"] + server.hits["/b"] == 6  # the request and 5 redirects
    assert report.error == "more than 5 redirects from 127.0.0.1"


def tls_server_context(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
async def test_http_may_become_https_on_the_same_host_never_the_reverse(
    newsroom: Newsroom, settings: Settings, tmp_path: Path
) -> None:
    context, cert = tls_server_context(tmp_path)
    async with FeedServer() as plain, FeedServer(ssl_context=context) as secure:
        feed = Route(body=rss(GOOD_ITEMS[:1]), headers=RSS_HEADERS)
        up = plain.add("/feed", Route(status=301, headers={"Location": secure.add("/rss", feed)}))
        down = secure.add("/feed", Route(status=302, headers={"Location": plain.add("/rss", feed)}))
        write_sources(
            settings.sources_file,
            [{"name": "upgraded", "url": up}, {"name": "downgraded", "url": down}],
        )
        reports = {r.name: r for r in await ingest(newsroom, fetcher=fetcher(cafile=str(cert)))}
        assert plain.hits["/rss"] == 0
    assert reports["upgraded"].ok and reports["upgraded"].new == 1
    assert reports["downgraded"].error == "refused redirect from https to http://127.0.0.1"


@pytest.mark.skipif(
    not (SHARED / "moh_pages").is_dir(), reason="tests/data/shared/moh_pages is not present"
)
async def test_a_listings_links_to_other_hosts_are_not_fetched(
    newsroom: Newsroom, settings: Settings
) -> None:
    listing = (SHARED / "moh_pages" / "ncov_moh_tin-tuc_listing_en_2021-05-24.html").read_text()
    async with FeedServer() as server:
        # Links to this same server under another name: a host the source does not allow.
        listing = listing.replace(
            "https://ncov.moh.gov.vn/en/web/guest/", f"http://localhost:{server.port}/en/"
        )
        url = server.add(
            "/tin-tuc", Route(body=listing.encode(), headers={"Content-Type": "text/html"})
        )
        write_sources(settings.sources_file, [{"name": "tin-tuc", "kind": "listing", "url": url}])
        (report,) = await ingest(newsroom, fetcher=fetcher())
        assert sum(n for path, n in server.hits.items() if path.startswith("/en/")) == 0
    assert report.ok and report.new == 5  # kept as the listing gives them


def test_allowed_hosts_in_the_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    base = {"name": "cdn", "url": "https://suckhoedoisong.vn/rss/home.rss"}
    write_sources(path, [{**base, "allowed_hosts": ["CDN.Example.vn", "static.example.vn."]}])
    (config,) = load_sources(path)
    assert config.allowed_hosts == ("cdn.example.vn", "static.example.vn")
    for wrong in (["https://cdn.example.vn"], ["cdn.example.vn:8080"], ["cdn.example.vn/x"]):
        write_sources(path, [{**base, "allowed_hosts": wrong}])
        with pytest.raises(
            SourcesFileError, match=r"source #1 \(cdn\): allowed_hosts: .* is not a host"
        ):
            load_sources(path)
    path.write_text(
        '[[source]]\nname = "cdn"\nkind = "rss"\nurl = "https://a.vn/"\nallowed_hosts = "a.vn"\n',
        encoding="utf-8",
    )
    with pytest.raises(SourcesFileError, match="allowed_hosts must be a list of host names"):
        load_sources(path)
