"""The per-source TLS option: moh.gov.vn's server uses a Diffie-Hellman key that OpenSSL 3
refuses by default; a source may lower OpenSSL's security level for itself, and only it."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from digests.config import Settings
from digests.ingest.fetch import Fetcher, FetchPolicy
from digests.ingest.service import ingest
from digests.services import Newsroom
from tests.feed_server import FeedServer, Route

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
FEED = b'<rss version="2.0"><channel><item><title>Tin y t\xe1\xba\xbf</title><link>https://moh.gov.vn/a/1</link></item></channel></rss>'


def weak_dh_server_context(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A TLS 1.2 server offering only DHE key exchange with a 1024-bit group."""
    cert, key, dh = folder / "cert.pem", folder / "key.pem", folder / "dh.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["openssl", "dhparam", "-dsaparam", "-out", str(dh), "1024"],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0")
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.load_dh_params(str(dh))
    return context, cert


async def test_lowered_security_level_applies_to_its_source_only(
    newsroom: Newsroom, settings: Settings, tmp_path: Path
) -> None:
    context, cert = weak_dh_server_context(tmp_path)
    async with FeedServer(ssl_context=context) as server:
        url = server.add("/rss", Route(body=FEED, headers={"Content-Type": "application/rss+xml"}))
        settings.sources_file.write_text(
            f'[[source]]\nname = "moh-lowered"\nkind = "rss"\nurl = "{url}"\n'
            "tls_security_level = 1\n\n"
            f'[[source]]\nname = "moh-default"\nkind = "rss"\nurl = "{url}?b"\n',
            encoding="utf-8",
        )
        fetcher = Fetcher(FetchPolicy(timeout=5, attempts=1), cafile=str(cert))
        reports = {r.name: r for r in await ingest(newsroom, fetcher=fetcher)}
        levels = {level: client for level, client in fetcher._clients.items()}
        await fetcher.aclose()
    assert reports["moh-lowered"].ok and reports["moh-lowered"].new == 1
    assert not reports["moh-default"].ok
    assert "DH_KEY_TOO_SMALL" in (reports["moh-default"].error or "").upper().replace(" ", "_")
    # One client per TLS setting: the lowered level never leaks into the default client.
    assert set(levels) == {None, 1}
