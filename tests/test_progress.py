"""Long commands tell how far they have come: the domain counts its steps (sources polled,
seed documents stored, articles re-labelled) and the command line shows them as a bar on a
terminal and as plain lines elsewhere (a log, cron, a service's journal)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.progress import CommandProgress
from digests.config import PROJECT_ROOT
from digests.ingest.service import import_seeds, ingest
from digests.services import Newsroom
from digests.topics.labels import reclassify
from tests.feed_server import FeedServer, Route

SEEDS = PROJECT_ROOT / "seeds"
SEED_DOCUMENTS = len(list(SEEDS.glob("*.txt")))


class Recorded:
    """A Progress that keeps what it was told."""

    def __init__(self) -> None:
        self.expected = 0
        self.steps: list[int] = []

    def expect(self, count: int) -> None:
        self.expected += count

    def step(self, count: int = 1) -> None:
        self.steps.append(count)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_say_the_first_step_then_every_few_seconds_and_the_last() -> None:
    log = io.StringIO()
    with CommandProgress("ingest", "sources", stream=log, every=3600) as progress:
        progress.expect(10)
        for _ in range(10):
            progress.step()
    assert log.getvalue().splitlines() == ["ingest: 1/10 sources", "ingest: 10/10 sources"]

    log = io.StringIO()
    with CommandProgress("reclassify", "articles", stream=log, every=0) as progress:
        progress.expect(3)
        for _ in range(3):
            progress.step()
    assert log.getvalue().splitlines() == [f"reclassify: {n}/3 articles" for n in (1, 2, 3)]


def test_work_that_stops_early_says_where_it_stopped() -> None:
    log = io.StringIO()
    with pytest.raises(KeyboardInterrupt), CommandProgress("x", "steps", stream=log) as progress:
        progress.expect(5)
        progress.step()
        progress.step()
        raise KeyboardInterrupt
    assert log.getvalue().splitlines() == ["x: 1/5 steps", "x: 2/5 steps"]
    log = io.StringIO()
    with pytest.raises(KeyboardInterrupt), CommandProgress("x", "steps", stream=log) as progress:
        raise KeyboardInterrupt  # stopped before the work began: nothing to say
    assert log.getvalue() == ""


def test_a_terminal_gets_a_bar() -> None:
    screen = Terminal()
    with CommandProgress("import-seeds", "documents", stream=screen) as progress:
        progress.expect(4)
        progress.step(4)
    shown = screen.getvalue()
    assert "\r" in shown and "import-seeds: 100%" in shown and "4/4" in shown
    assert "import-seeds: 4/4 documents\n" not in shown  # no plain lines on a terminal


def test_import_and_reclassify_count_every_step(newsroom: Newsroom) -> None:
    seeds = Recorded()
    report = import_seeds(newsroom, SEEDS, seeds)
    assert seeds.expected == report.files == SEED_DOCUMENTS == sum(seeds.steps)
    assert newsroom.labels is not None
    # Everything, in batches smaller than the archive: each article once, however many batches.
    articles = Recorded()
    done = reclassify(
        newsroom.sessions, newsroom.labels, everything=True, batch=25, progress=articles
    )
    assert done == report.new == articles.expected == sum(articles.steps) == 82
    assert articles.steps == [25, 25, 25, 7]


async def test_ingest_counts_each_source_polled(newsroom: Newsroom, tmp_path: Path) -> None:
    feed = b'<rss version="2.0"><channel><item><title>A</title><link>http://x/1</link></item>'
    async with FeedServer() as feeds:
        feed += b"</channel></rss>"
        urls = [feeds.add(f"/{n}.rss", Route(body=feed)) for n in range(3)]
        lines = [
            f'[[source]]\nname = "s{n}"\nkind = "rss"\nurl = "{u}"\n' for n, u in enumerate(urls)
        ]
        sources = tmp_path / "sources.toml"
        sources.write_text("".join(lines), encoding="utf-8")
        newsroom.settings = newsroom.settings.model_copy(update={"sources_file": sources})
        polled = Recorded()
        reports = await ingest(newsroom, progress=polled)
    assert len(reports) == polled.expected == sum(polled.steps) == 3


def _mohbot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**os.environ, **env, "LOG_LEVEL": "WARNING"},
        capture_output=True,  # not a terminal: plain lines
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_commands_write_plain_lines_when_not_on_a_terminal(db_url: str) -> None:
    env = {"DATABASE_URL": db_url}
    seeds = _mohbot("import-seeds", env=env)
    assert seeds.returncode == 0, seeds.stderr
    lines = seeds.stderr.splitlines()
    assert lines[0] == f"import-seeds: 1/{SEED_DOCUMENTS} documents"
    assert lines[-1] == f"import-seeds: {SEED_DOCUMENTS}/{SEED_DOCUMENTS} documents"
    assert all(re.fullmatch(r"import-seeds: \d+/\d+ documents", line) for line in lines)
    assert "82 new" in seeds.stdout  # the report stays on standard output

    labels = _mohbot("reclassify", "--all", env=env)
    assert labels.returncode == 0, labels.stderr
    assert labels.stderr.splitlines()[-1] == "reclassify: 82/82 articles"
    assert "\r" not in labels.stderr + seeds.stderr
    assert labels.stdout.strip() == "reclassified 82 articles"
