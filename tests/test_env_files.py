"""Broken `.env` files, run through the real command line: each stops `mohbot` with one line on
standard error that says what is wrong (never a traceback, never the token), and a non-zero
exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digests.config import PROJECT_ROOT

TOKEN_LINE = b"TELEGRAM_BOT_TOKEN=123456:AAHsecretPART_0123456789\n"

# (name, the .env file's bytes, what the one line must contain)
BROKEN: list[tuple[str, bytes, str]] = [
    (
        "not-utf8",
        TOKEN_LINE + b"TIMEZONE=Asia/H\xf4_Chi_Minh\n",
        ".env is not UTF-8 text: byte 0xf4 on line 2",
    ),
    (
        "open-double-quote",
        b'TELEGRAM_BOT_TOKEN="123456:AAHsecretPART_0123456789\n',
        ".env line 1 is not NAME=value",
    ),
    (
        "open-single-quote",
        b"TIMEZONE=Asia/Bangkok\nTELEGRAM_BOT_TOKEN='123456:AAHsecretPART\nLOG_LEVEL=INFO\n",
        ".env line 2 is not NAME=value",
    ),
    (
        "quote-over-lines",
        b'USER_AGENT="mohbot\nLOG_LEVEL=INFO"\n',
        ".env line 1: USER_AGENT runs over several lines",
    ),
    (
        "zone-folder",
        b"TIMEZONE=America\n",
        "setting TIMEZONE is invalid: unknown time zone 'America'",
    ),
    (
        "zone-long",
        b"TIMEZONE=" + b"x" * 300 + b"\n",
        "setting TIMEZONE is invalid: unknown time zone 'xxxx",
    ),
    ("zone-path", b"TIMEZONE=../../etc/passwd\n", "setting TIMEZONE is invalid: unknown time zone"),
    ("zone-empty", b"TIMEZONE=\n", "setting TIMEZONE is invalid: unknown time zone ''"),
    (
        "zone-nul",
        b"TIMEZONE=Asia/Ho_Chi_Minh\x00\n",
        "setting TIMEZONE is invalid: unknown time zone",
    ),
    ("timeout-inf", b"HTTP_TIMEOUT=inf\n", "setting HTTP_TIMEOUT is invalid"),
    ("timeout-nan", b"HTTP_TIMEOUT=nan\n", "setting HTTP_TIMEOUT is invalid"),
    ("timeout-zero", b"HTTP_TIMEOUT=0\n", "setting HTTP_TIMEOUT is invalid"),
    ("timeout-negative", b"HTTP_TIMEOUT=-5\n", "setting HTTP_TIMEOUT is invalid"),
    ("timeout-huge", b"HTTP_TIMEOUT=100000\n", "setting HTTP_TIMEOUT is invalid"),
    ("max-bytes-zero", b"HTTP_MAX_BYTES=0\n", "setting HTTP_MAX_BYTES is invalid"),
    ("max-bytes-huge", b"HTTP_MAX_BYTES=1000000000000\n", "setting HTTP_MAX_BYTES is invalid"),
    (
        "rate-nan",
        b"SEND_RATE=nan\n",
        "setting SEND_RATE is invalid: Input should be a finite number",
    ),
    ("rate-zero", b"SEND_RATE=0\n", "setting SEND_RATE is invalid"),
    ("connections-zero", b"SEND_CONNECTIONS=0\n", "setting SEND_CONNECTIONS is invalid"),
    ("per-topic-huge", b"DIGEST_MAX_PER_TOPIC=1000\n", "setting DIGEST_MAX_PER_TOPIC is invalid"),
    ("port-huge", b"WEBHOOK_PORT=70000\n", "setting WEBHOOK_PORT is invalid"),
    ("port-word", b"WEBHOOK_PORT=https\n", "setting WEBHOOK_PORT is invalid"),
    (
        "token-spaces",
        b"TELEGRAM_BOT_TOKEN=123456 AAHsecretPART_0123456789\n",
        "setting TELEGRAM_BOT_TOKEN is invalid",
    ),
    ("webhook-secret", b"WEBHOOK_SECRET=not allowed!\n", "setting WEBHOOK_SECRET is invalid"),
    ("user-agent", "USER_AGENT=mohbot ✓\n".encode(), "setting USER_AGENT is invalid"),
    (
        "database-nowhere",
        # The database's folder would be below a file: it cannot be created.
        TOKEN_LINE + b"DATABASE_URL=sqlite:///.env/x.db\n",
        "mohbot: [Errno 17] File exists",
    ),
    ("topics-folder", TOKEN_LINE + b"TOPICS_FILE=/\n", "Is a directory"),
]


@pytest.mark.parametrize(
    ("content", "message"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_a_broken_env_file_gives_one_line(content: bytes, message: str, tmp_path: Path) -> None:
    # Appended, so that the line numbers in the messages are those of the broken lines.
    database = "" if b"DATABASE_URL" in content else f"DATABASE_URL=sqlite:///{tmp_path}/x.db\n"
    (tmp_path / ".env").write_bytes(content + f"\nLOG_LEVEL=WARNING\n{database}".encode())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MOHBOT"))}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "stats"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stderr.splitlines()
    assert done.returncode != 0
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mohbot: ") and message in lines[0], lines[0]
    assert "secretPART" not in done.stderr + done.stdout


def test_a_byte_order_mark_does_not_hide_the_first_setting(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"\xef\xbb\xbfDIGEST_TIME=25:00\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "stats"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stderr.startswith("mohbot: setting DIGEST_TIME is invalid")
