"""Logging set-up with secret redaction: no secret (the bot token first) reaches a log line,
whether in a message, its arguments, an exception's traceback or a stack trace."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

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


def configure_logging(level: str, secrets: Iterable[str] | Redactor = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
