"""`mohbot`: the command line for users and operators (the console script entry point)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

# Only the standard library here: `mohbot --help` and a mistyped command answer at once. Each
# command imports what it needs (SQLAlchemy, pydantic, Alembic, python-telegram-bot).
from digests.dates import VN_TZ  # light: the standard library only
from digests.errors import EXIT_FAILED, EXIT_SETTINGS, MohbotError  # light: the standard library
from digests.logs import say_error  # light: logging and the JSON formatter

if TYPE_CHECKING:
    from telegram import Bot

    from bot.context import BotServices
    from digests.broadcasts import Audience
    from digests.config import Settings
    from digests.delivery import DeliveryEngine
    from digests.reading import ArticleView
    from digests.services import Newsroom

log = logging.getLogger("mohbot")


NO_TOKEN = (
    "mohbot: no TELEGRAM_BOT_TOKEN: create a bot with @BotFather (https://t.me/BotFather, "
    "/newbot) and put its token in .env as TELEGRAM_BOT_TOKEN=... (see .env.example)"
)


def _article_json(article: ArticleView, source: str | None) -> dict[str, object]:
    published = article.published_at.astimezone(VN_TZ).isoformat() if article.published_at else None
    return {
        "title": article.title,
        "url": article.url,
        "published_at": published,
        "published_has_time": article.published_has_time,
        "section": article.section,
        "source": source,
        "summary": article.summary,
        "topics": list(article.topics),
        "leaders": list(article.leaders),
        "first_seen_at": article.first_seen_at.isoformat(),
    }


def _article_line(article: ArticleView) -> str:
    if article.published_at is None:
        when = "(undated)       "
    else:
        local = article.published_at.astimezone(VN_TZ)
        when = local.strftime("%d/%m/%Y %H:%M" if article.published_has_time else "%d/%m/%Y      ")
    section = f" [{article.section}]" if article.section else ""
    return f"{when}  {article.title}{section}"


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
    print()


# -- commands that need no Telegram ------------------------------------------------------------
def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from digests.store.db import create_db_engine, current_revision, downgrade, upgrade

    engine = create_db_engine(settings.database_url)
    try:
        if args.action == "upgrade":
            upgrade(engine, args.revision or "head")
        elif args.action == "downgrade":
            downgrade(engine, args.revision or "-1")
        print(f"database at revision {current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def cmd_import_seeds(room: Newsroom, args: argparse.Namespace) -> int:
    from bot.progress import CommandProgress
    from digests.ingest.service import import_seeds

    directory = Path(args.dir) if args.dir else room.settings.seeds_dir
    with CommandProgress("import-seeds", "documents") as progress:
        report = import_seeds(room, directory, progress)
    print(
        f"imported {report.items} items from {report.files} documents: "
        f"{report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.links} related links"
    )
    return 0


def cmd_ingest(room: Newsroom, args: argparse.Namespace) -> int:
    from bot.progress import CommandProgress
    from digests.ingest.service import ingest

    with CommandProgress("ingest", "sources") as progress:
        reports = asyncio.run(ingest(room, only=args.source, progress=progress))
    width = max((len(r.name) for r in reports), default=10)
    for r in reports:
        if r.error:
            status = f"FAILED ({r.consecutive_failures} in a row): {r.error}"
        elif r.not_modified:
            status = "not modified"
        else:
            status = f"{r.new} new, {r.updated} updated, {r.unchanged} unchanged"
        print(f"{r.name:<{width}}  {status}")
    failed = sum(1 for r in reports if r.error)
    print(f"{len(reports)} sources polled, {failed} failed")
    return EXIT_FAILED if failed else 0


def cmd_articles(room: Newsroom, args: argparse.Namespace) -> int:
    from digests import reading

    since = datetime.combine(args.since, time(0, 0), VN_TZ) if args.since else None
    rows = reading.listing(
        room, section=args.section, topic=args.topic, since=since, limit=args.limit
    )
    if args.json:
        _print_json([_article_json(a, source) for a, source in rows])
    else:
        for article, _source in rows:
            print(_article_line(article))
        print(f"{len(rows)} articles")
    return 0


def cmd_search(room: Newsroom, args: argparse.Namespace) -> int:
    from digests import reading

    results = reading.search(room, " ".join(args.query), limit=args.limit)
    if args.json:
        _print_json([_article_json(a, None) for a in results])
    else:
        for article in results:
            print(_article_line(article))
        print(f"{len(results)} results")
    return 0


def cmd_classify(settings: Settings, args: argparse.Namespace) -> int:
    from digests.topics.catalog import load_catalog
    from digests.topics.classifier import classify_jsonl

    catalog = load_catalog(settings.topics_file)
    out = sys.stdout
    for line in classify_jsonl(sys.stdin, catalog, explain=args.explain):
        out.write(line.rstrip("\n") + "\n")
    out.flush()
    return 0


def cmd_reclassify(room: Newsroom, args: argparse.Namespace) -> int:
    from bot.progress import CommandProgress
    from digests.topics.labels import catalog_labels, reclassify

    labels = room.labels or catalog_labels(room.settings.topics_file)
    with CommandProgress("reclassify", "articles") as progress:
        count = reclassify(room.sessions, labels, everything=args.all, progress=progress)
    print(f"reclassified {count} articles")
    return 0


def cmd_stats(room: Newsroom, args: argparse.Namespace) -> int:
    from digests import stats

    figures = stats.collect(room)
    if args.json:
        _print_json(
            {
                "subscribers": {
                    "active": figures.active,
                    "paused": figures.paused,
                    "blocked": figures.blocked,
                    "new_7d": figures.new_7d,
                },
                "subscribers_per_topic": figures.per_topic,
                "articles_24h": figures.articles_24h,
                "articles_7d": figures.articles_7d,
                "delivered_24h": {
                    "digests": figures.digests_24h,
                    "broadcasts": figures.broadcasts_24h,
                    "failed": figures.failed_24h,
                },
            }
        )
        return 0
    print(
        f"subscribers: {figures.active} active, {figures.paused} paused, "
        f"{figures.blocked} blocked, {figures.new_7d} new in 7 days"
    )
    print("per topic:   " + ", ".join(f"{k} {v}" for k, v in sorted(figures.per_topic.items())))
    print("articles 24h:", ", ".join(f"{k} {v}" for k, v in sorted(figures.articles_24h.items())))
    print("articles 7d: ", ", ".join(f"{k} {v}" for k, v in sorted(figures.articles_7d.items())))
    print(
        f"delivered in 24h: {figures.digests_24h} digests, {figures.broadcasts_24h} broadcast "
        f"messages, {figures.failed_24h} failed"
    )
    return 0


def cmd_demo(room: Newsroom, args: argparse.Namespace) -> int:
    """Import the seeds, then print the digest a new subscriber to leadership and food safety
    would receive, as plain text: as of 07:00 the morning after the newest seed item, so that
    the seeds are news by the same rule as any digest's (DIGEST_MAX_AGE)."""
    from bot.jobs import digest_renderer
    from bot.render import phone_page
    from digests.compose import Reader, compose, news_time
    from digests.dispatch import Layout
    from digests.ingest.service import import_seeds
    from digests.reading import latest
    from digests.schedule import next_occurrence

    report = import_seeds(room, room.settings.seeds_dir)
    print(f"Imported the seed documents: {report.items} items, {report.new} new.\n")
    services = _bot_services(room)
    zone = room.settings.timezone
    reader = Reader(
        chat_id=0,
        language=args.lang,
        timezone=zone,
        topics=frozenset({"leadership", "food-safety"}),
        leaders=frozenset(),
    )
    articles = latest(room, None, 10_000)
    dated = [a.published_at for a in articles if a.published_at is not None]
    if not dated:
        print("The seed documents hold no dated article.")
        return 0
    now = next_occurrence(max(dated), room.settings.digest_time, zone)
    layout = Layout.of(room)
    digest = compose(
        reader,
        [a for a in articles if news_time(a) <= now],
        day=now.astimezone(VN_TZ).date(),
        topic_order=layout.topic_order,
        leader_order=layout.leader_order,
        max_per_topic=layout.max_per_section,
        not_before=now - layout.max_age,
        since=now - layout.max_age,
        until=now,
    )
    if digest is None:
        print("Nothing new for leadership and food safety.")
        return 0
    renderer = digest_renderer(services)
    print(renderer.plain(digest))
    if args.html is not None:
        args.html.write_text(phone_page(renderer(digest)), encoding="utf-8")
        print(f"\nThe same digest as a phone shows it: {args.html}")
    return 0


# -- commands that speak to Telegram -----------------------------------------------------------
def _bot_services(room: Newsroom) -> BotServices:
    from bot.app import build_services

    return build_services(room.settings, room)


def _require_token(settings: Settings) -> bool:
    if settings.token:
        return True
    say_error(NO_TOKEN)
    return False


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def _with_engine(
    room: Newsroom, work: Callable[[DeliveryEngine, Bot], Awaitable[int]]
) -> int:
    from bot.sender import TelegramSender, delivery_bot
    from digests.delivery import DeliveryEngine
    from digests.ratelimit import gate_for

    bot = delivery_bot(room.settings)
    async with bot:
        # Shared pacing, as in `mohbot run` and the workers: a broadcast sent from here
        # beside them must not add its own 30 a second to theirs.
        engine = DeliveryEngine(
            room, TelegramSender(bot), worker=_worker_name(), gate=gate_for(room)
        )
        return await work(engine, bot)


def cmd_digest(room: Newsroom, args: argparse.Namespace) -> int:
    """Send digests now (they do not count as the scheduled ones): queued in the ledger and
    sent by the delivery engine, at Telegram's pace, then reported."""
    if not _require_token(room.settings):
        return 2
    from bot.jobs import digest_renderer
    from digests import delivery, subscriptions
    from digests.dispatch import queue_digests_now
    from digests.store.models import DeliveryState

    render = digest_renderer(_bot_services(room))
    chats = [args.user] if args.user is not None else subscriptions.active_chat_ids(room)

    async def work(engine: DeliveryEngine, _bot: object) -> int:
        # Queued once the Bot API has accepted the token, so a refused one leaves nothing.
        result = await asyncio.to_thread(queue_digests_now, room, chats, render)
        for chat in result.unknown:
            say_error(f"{chat}: not a subscriber")
        await engine.run_until_idle()
        states = await asyncio.to_thread(delivery.outcome_of, room, result.queued)
        failed = len(result.unknown) + states[DeliveryState.FAILED]
        failed += states[DeliveryState.BLOCKED]
        pending = states[DeliveryState.QUEUED] + states[DeliveryState.SENDING]
        print(
            f"digests sent: {states[DeliveryState.SENT]}, nothing new: {result.empty}, "
            f"failed: {failed}, still queued: {pending}"
        )
        return 0 if not failed and not pending else 1

    return asyncio.run(_with_engine(room, work))


def _audience(room: Newsroom, args: argparse.Namespace) -> Audience | None:
    """The broadcast's audience from --topic and --leader, resolved as the bot resolves what
    people type (a Vietnamese name, an abbreviation, no diacritics); None, with the reason and
    suggestions printed, when a name is unknown."""
    from digests import broadcasts
    from digests.topics.resolver import Resolver

    resolver = Resolver(_bot_services(room).catalog)
    chosen: dict[str, list[str]] = {"topic": [], "leader": []}
    for kind, typed_names, resolve in (
        ("topic", args.topic, resolver.resolve_topic),
        ("leader", args.leader, resolver.resolve_leader),
    ):
        for typed in typed_names or ():
            found = resolve(typed)
            if found.match is None:
                names = ", ".join(s.item.slug for s in found.suggestions)
                say_error(f"mohbot: no {kind} {typed!r}; did you mean: {names}?")
                return None
            chosen[kind].append(found.match.slug)
    topics, leaders = chosen["topic"], chosen["leader"]
    return broadcasts.Audience(tuple(dict.fromkeys(topics)), tuple(dict.fromkeys(leaders)))


def cmd_broadcast(room: Newsroom, args: argparse.Namespace) -> int:
    from bot.progress import CommandProgress
    from bot.render import split_message
    from bot.telegram_html import EntityError, parse_html
    from digests import broadcasts
    from digests.messages import MessagePart

    try:
        parse_html(args.text)  # what Telegram would refuse, refused before anything is queued
    except EntityError as exc:
        say_error(f"mohbot: the text is not valid Telegram HTML: {exc}")
        return 2
    if not _require_token(room.settings):
        return 2
    audience = _audience(room, args)
    if audience is None:
        return 2
    count = broadcasts.audience_size(room, audience)
    label = "everyone" if audience.everyone else ", ".join(audience.topics + audience.leaders)
    print(f"will reach {count} subscribers ({label})")
    if not args.yes:
        answer = input("send? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("cancelled")
            return 1
    draft = broadcasts.create_draft(room, admin_id=0, text=args.text)
    broadcasts.set_audience(room, draft, audience)
    broadcasts.start(room, draft, [MessagePart(part) for part in split_message(args.text)])

    async def work(engine: DeliveryEngine, _bot: object) -> int:
        sending = asyncio.ensure_future(engine.run_until_idle())
        with CommandProgress("broadcast", "messages") as progress:
            progress.expect(count)
            while not sending.done():
                await asyncio.wait({sending}, timeout=1.0)
                result = await asyncio.to_thread(broadcasts.progress, room, draft)
                progress.step(result.sent + result.blocked + result.failed - progress.count)
        await sending
        return 0

    asyncio.run(_with_engine(room, work))
    result = broadcasts.progress(room, draft)
    print(
        f"broadcast #{draft}: delivered {result.sent}, blocked {result.blocked}, "
        f"failed {result.failed}, still queued {result.pending}"
    )
    return 0 if result.failed == 0 and result.pending == 0 else EXIT_FAILED


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    if not _require_token(settings):
        return 2
    from bot.app import run

    return run(settings)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    if not _require_token(settings):
        return 2
    from bot.worker import run_worker

    return asyncio.run(
        run_worker(
            settings,
            name=args.name or _worker_name(),
            periodic=not args.deliver_only,
            stale_after=timedelta(seconds=args.stale_after),
        )
    )


# -- parser ---------------------------------------------------------------------------------
def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mohbot", description="News briefings from Vietnam's Ministry of Health."
    )
    parser.add_argument("--version", action="version", version=f"mohbot {_version()}")
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="the settings file (default: $MOHBOT_ENV_FILE, else .env in this directory)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = sub.add_parser("db", help="database schema migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?", help="target revision (default: head / one back)")

    demo = sub.add_parser("demo", help="import the seeds and print a new subscriber's digest")
    demo.add_argument("--lang", choices=["vi", "en"], default="vi")
    demo.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write the digest's messages as a chat on a phone (open it in a browser)",
    )

    seeds = sub.add_parser("import-seeds", help="import the seed documents")
    seeds.add_argument("dir", nargs="?", help="folder of *.txt seed documents (default: seeds/)")

    ing = sub.add_parser("ingest", help="poll the sources of the sources file now")
    ing.add_argument("--source", help="poll only the source with this name")

    arts = sub.add_parser("articles", help="list stored articles, newest first")
    arts.add_argument("--section", help="only this section, e.g. leadership")
    arts.add_argument("--topic", help="only this topic slug")
    arts.add_argument("--since", type=_date, help="published on or after YYYY-MM-DD")
    arts.add_argument("--limit", type=int, help="at most N articles")
    arts.add_argument("--json", action="store_true", help="print one JSON array")

    search = sub.add_parser("search", help="search stored articles (with or without diacritics)")
    search.add_argument("query", nargs="+")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--json", action="store_true")

    classify = sub.add_parser(
        "classify",
        help="classify JSON lines from standard input (title, summary, body, section, and an "
        "optional published date: who was in office then)",
    )
    classify.add_argument(
        "--explain",
        action="store_true",
        help="say why: the phrases and rules matched, or the model's strongest features",
    )

    recl = sub.add_parser("reclassify", help="re-classify stored articles after a catalog edit")
    recl.add_argument("--all", action="store_true", help="every article, not only stale ones")

    stats = sub.add_parser("stats", help="subscribers, articles and deliveries")
    stats.add_argument("--json", action="store_true")

    digest = sub.add_parser("digest", help="send digests now (not counted as the scheduled ones)")
    digest.add_argument("--now", action="store_true", required=True)
    digest.add_argument("--user", type=int, help="only this chat id")

    cast = sub.add_parser("broadcast", help="send a message to subscribers")
    cast.add_argument("--text", required=True, help="the message (Telegram HTML)")
    cast.add_argument("--topic", action="append", help="only subscribers of this topic")
    cast.add_argument("--leader", action="append", help="only followers of this leader")
    cast.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    sub.add_parser("run", help="run the Telegram bot (long polling, or webhook)")
    worker = sub.add_parser("worker", help="a delivery-only process (PostgreSQL)")
    worker.add_argument("--name", help="this worker's name in the ledger")
    worker.add_argument(
        "--deliver-only", action="store_true", help="only send; no polling or digest queueing"
    )
    worker.add_argument(
        "--stale-after",
        type=float,
        default=120.0,
        help="seconds after which another process's unfinished claim is taken over",
    )
    return parser


Command = Callable[["Newsroom", argparse.Namespace], int]
COMMANDS: dict[str, Command] = {
    "import-seeds": cmd_import_seeds,
    "ingest": cmd_ingest,
    "articles": cmd_articles,
    "search": cmd_search,
    "reclassify": cmd_reclassify,
    "stats": cmd_stats,
    "demo": cmd_demo,
    "digest": cmd_digest,
    "broadcast": cmd_broadcast,
}
# Commands that open no database (or manage it themselves).
SETTINGS_COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "db": cmd_db,
    "classify": cmd_classify,
    "run": cmd_run,
    "worker": cmd_worker,
}


# Exit codes (README, "Commands on the server").
# EXIT_FAILED (1): the command failed (a MohbotError's one line, or a file, network or
# database fault), or an unexpected error (its traceback, secrets masked).
# EXIT_SETTINGS (2): a missing or malformed setting (SettingsError), or wrong arguments.
EXIT_TOKEN_REFUSED = 3  # the Bot API answered 401: the token is revoked or mistyped
EXIT_INTERRUPTED = 130  # Ctrl-C
TOKEN_REFUSED = "mohbot: the Bot API refused the token: check TELEGRAM_BOT_TOKEN"


def _dispatch(args: argparse.Namespace, settings: Settings, settings_source: str) -> int:
    def announce() -> None:
        from sqlalchemy.engine import make_url

        # Which settings and which database: a cron job or a service unit started in another
        # directory would otherwise run on an empty database without a word.
        database = make_url(settings.database_url).render_as_string(hide_password=True)
        log.info("settings from %s; database %s", settings_source, database)

    if args.command in SETTINGS_COMMANDS:
        if settings.token:  # without one, the command's own one-line message says what to do
            announce()
        return SETTINGS_COMMANDS[args.command](settings, args)
    # Imported here, not above: the settings commands (`mohbot classify` in a pipeline) start
    # without the database layer (SQLAlchemy, Alembic, the repositories).
    from digests.services import Newsroom

    announce()
    room = Newsroom.open(settings)
    try:
        return COMMANDS[args.command](room, args)
    finally:
        room.close()


def _token_refused(exc: BaseException) -> bool:
    # Only the commands that speak to Telegram import it; the others stay quick to start.
    errors = sys.modules.get("telegram.error")
    return errors is not None and isinstance(exc, errors.InvalidToken)


def _database_error(exc: BaseException) -> bool:
    # SQLAlchemy is imported only by the commands that use the database (as `_token_refused`).
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.SQLAlchemyError)


def _one_line(exc: BaseException) -> str:
    # A database error's own text is in `orig`; SQLAlchemy's adds the statement and a link.
    text = str(getattr(exc, "orig", None) or exc)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mohbot")
    except PackageNotFoundError:
        return "unknown"


def _env_file(args: argparse.Namespace) -> Path:
    """The settings file, in this order: --env-file, $MOHBOT_ENV_FILE, ./.env. One named
    explicitly must exist: a cron job or a service unit must not run on defaults unawares."""
    from digests.config import SettingsError

    named = args.env_file or os.environ.get("MOHBOT_ENV_FILE")
    if named is None:
        return Path(".env")
    path = Path(named).expanduser()
    if not path.is_file():
        raise SettingsError(f"settings file {path} not found")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from digests.config import SettingsError, load_settings
    from digests.logs import configure_logging, json_logs
    from digests.redaction import Redactor

    try:
        env_file = _env_file(args)
        settings = load_settings(_env_file=env_file)
    except SettingsError as exc:
        print(f"mohbot: {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    redact = Redactor(settings.secrets)
    configure_logging(settings.log_level, redact, settings.log_format)
    settings_source = (
        str(env_file.resolve()) if env_file.is_file() else "the environment (no settings file)"
    )
    try:
        return _dispatch(args, settings, settings_source)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        if _token_refused(exc):
            say_error(TOKEN_REFUSED)
            return EXIT_TOKEN_REFUSED
        if isinstance(exc, MohbotError):  # what the person can act on: its one line
            say_error(f"mohbot: {redact(_one_line(exc))}")
            return exc.exit_code
        if isinstance(exc, OSError) or _database_error(exc):  # a file, the network, the database
            say_error(f"mohbot: {redact(_one_line(exc))}")
            return EXIT_FAILED
        # The last resort: a traceback can quote a secret (PTB's InvalidToken quotes the token).
        if json_logs():
            log.error("unexpected error: %s", _one_line(exc), exc_info=True)
        else:
            print(redact(traceback.format_exc()), file=sys.stderr, end="")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
