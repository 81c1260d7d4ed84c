"""The one base of the errors a person can be told about, and errors said in one line for logs
and admins.

`MohbotError` carries what is safe to show: `str(error)` is the one line the command line
prints (`mohbot: ...`, then exit `exit_code`); `key` names the text the bot answers with
(bot/texts/*.toml) and `params` fill it in. The domain's user-facing errors (unknown topic or
broadcast, a bad setting, a broken sources or catalog file, a source that cannot be read)
derive from it; anything else is a bug, answered with a generic apology and logged with its
traceback, secrets masked."""

from __future__ import annotations

from typing import ClassVar

# Exit codes of `mohbot` (README, "Commands on the server").
EXIT_FAILED = 1
EXIT_SETTINGS = 2


class MohbotError(Exception):
    """A failure that can be told to the person who met it, in their words.

    `message`: one line in English (the command line, logs); `key`: the bot's text for it
    (by default the class's `default_key`); `params`: the values the text shows, which must be
    safe to show (no secret, no internals)."""

    default_key: ClassVar[str] = "error"
    exit_code: ClassVar[int] = EXIT_FAILED

    def __init__(self, message: str, *, key: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.key = key or self.default_key
        self.params = params

    @property
    def message(self) -> str:
        return str(self)


def one_line(exc: BaseException, limit: int = 300) -> str:
    """`ClassName: first line of the message`, at most `limit` characters. A database error
    is said by the driver's own error (SQLAlchemy's `orig`), without the statement and the
    parameters. (SQLAlchemy is not imported here: the command line starts without it.)"""
    orig = getattr(exc, "orig", None)
    cause = orig if isinstance(orig, BaseException) else exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return f"{cause.__class__.__name__}: {first}"[:limit]
