"""Starting and stopping `mohbot` processes in tests: the environment that points them at a
test database and the fake Bot API server (with no sources to poll), and a stop that never
leaves a process behind."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from fakebotapi import FakeTelegram


def process_env(
    database_url: str, tg: FakeTelegram, folder: Path, *, token: str, send_rate: int
) -> dict[str, str]:
    sources = folder / "sources.toml"
    sources.write_text("", encoding="utf-8")
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "SEND_RATE": str(send_rate),
        "SOURCES_FILE": str(sources),
        "HEALTH_PORT": "0",  # processes side by side would share the port
    }


def start_mohbot(
    env: dict[str, str], *args: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """`mohbot ARGS` as a child process; its log (stderr) goes to `log`, or nowhere. Never to
    a pipe read only at the end: the process would block once its logs filled the pipe."""
    stderr = log.open("ab") if log is not None else None
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr or subprocess.DEVNULL,
        )
    finally:
        if stderr is not None:
            stderr.close()  # the child has its own copy


async def stop_all(processes: Iterable[subprocess.Popen[bytes]], timeout: float = 30.0) -> None:
    """SIGTERM to every process still running, then wait. One that outlives `timeout` is
    killed, so a test never leaves a sender running beside the next one, and the test fails:
    a process must stop on SIGTERM."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    stuck = []
    for process in processes:
        try:
            await asyncio.to_thread(process.wait, timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
            stuck.append(process.args)
    assert not stuck, f"ignored SIGTERM for {timeout:g} s: {stuck}"
