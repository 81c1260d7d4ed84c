"""LOG_FORMAT=json: every line a process writes to stderr is one JSON object, tracebacks
included, and none of them shows the token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from tests.test_config_cli import run_cli
from tests.test_secrets import COMMANDS, REFUSED, SECRET_PART, TOKEN, crash_a_command, run_refused


def json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every line parsed; a line that is not a JSON object fails the test, quoted."""
    records = []
    for line in stderr.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"not JSON: {line!r}")
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message"} <= record.keys(), record
        records.append(record)
    return records


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "extra"), COMMANDS, ids=[" ".join(args) + str(len(extra)) for args, extra in COMMANDS]
)
async def test_a_refused_token_logs_json_lines_without_the_token(
    args: list[str], extra: dict[str, str], sqlite_url: str, tmp_path: Path
) -> None:
    done = await run_refused(args, {"LOG_FORMAT": "json", **extra}, sqlite_url, tmp_path)
    assert done.returncode == cli.EXIT_TOKEN_REFUSED, done.stderr
    assert TOKEN not in done.stderr + done.stdout and SECRET_PART not in done.stderr
    records = json_lines(done.stderr)
    assert len(records) > 1  # DEBUG: PTB's lines and ours
    assert records[-1]["message"] == REFUSED and records[-1]["level"] == "ERROR"


def test_an_unexpected_error_is_one_json_line_with_its_traceback_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sqlite_url: str
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert crash_a_command(monkeypatch, sqlite_url) == cli.EXIT_FAILED
    printed = capsys.readouterr()
    assert TOKEN not in printed.err + printed.out and SECRET_PART not in printed.err
    *_, last = json_lines(printed.err)
    assert last["level"] == "ERROR" and last["message"].startswith("unexpected error: ")
    assert last["exc_info"].startswith("Traceback (most recent call last)")
    assert "RuntimeError: unexpected, with *** inside" in last["exc_info"]


def test_a_bad_log_format_is_named() -> None:
    done = run_cli("stats", env={"LOG_FORMAT": "xml"})
    assert done.returncode == cli.EXIT_SETTINGS
    assert done.stderr.startswith("mohbot: setting LOG_FORMAT is invalid: 'xml' is not one of")
