"""Logging set-up with secret redaction: no secret (the bot token first) reaches a log line,
whether in a message, its arguments, an exception's traceback or a stack trace. Lines are
plain text, or one JSON object each (`LOG_FORMAT=json`) for log collectors."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable

from pythonjsonlogger.json import JsonFormatter

from digests.redaction import Redactor

_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Masks every secret in a record: its final message, and its traceback and stack trace,
    which are formatted here (and the exception object dropped) so that no handler can
    format them again from the exception itself."""

    def __init__(self, secrets: Iterable[str] | Redactor) -> None:
        super().__init__()
        self.redact = secrets if isinstance(secrets, Redactor) else Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redact.secrets:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def json_logs() -> bool:
    """Whether the logs are JSON lines (then stderr must carry nothing else)."""
    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)


def say_error(text: str) -> None:
    """A message for whoever runs a command: printed to stderr as it is, or, with JSON logs, a
    log record (ERROR, masked), so that every line on stderr is JSON."""
    if json_logs():
        logging.getLogger("mohbot").error(text)
    else:
        print(text, file=sys.stderr)


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, and exc_info or
    stack_info (the traceback as one string) when there is one."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        json_ensure_ascii=False,
    )


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    # Python would print it to stderr itself: unmasked, and not as JSON.
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread else "?"
    if args.exc_value is None:  # not an exception object (never for a raised exception)
        exc_info: BaseException | bool = True
    else:
        exc_info = args.exc_value.with_traceback(args.exc_traceback)
    logging.getLogger("mohbot").error("uncaught error in thread %s", name, exc_info=exc_info)


def configure_logging(
    level: str, secrets: Iterable[str] | Redactor = (), log_format: str = "text"
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(json_formatter())
        # Python's warnings go to stderr on their own, as text.
        logging.captureWarnings(True)
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    threading.excepthook = _log_thread_exception
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
