"""Secrets kept out of every output: a `Redactor` replaces each secret with `***` in any text
(log records, tracebacks, messages to admins, what the command line prints)."""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"
# A secret shorter than this is not looked for on its own: replacing a short string everywhere
# would mangle ordinary text and hides nothing worth hiding.
MIN_SECRET = 8


def token_secrets(token: str | None) -> list[str]:
    """What of a bot token must never be shown: the whole token and, since the number before
    the colon is the bot's public id, the part after it on its own."""
    if not token:
        return []
    _bot_id, _, secret = token.partition(":")
    return [token, *([secret] if len(secret) >= MIN_SECRET else [])]


class Redactor:
    """Replaces every secret it knows with `***`; the longest first, so that a secret that
    contains another is masked whole."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text
