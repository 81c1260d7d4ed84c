"""A fake Telegram Bot API server over real HTTP, for the project's tests and benchmarks.

`FakeTelegram` runs inside a test's event loop (``async with FakeTelegram() as tg``): it
validates what the bot sends as Telegram does and lets a test act as users.
"""

from fakebotapi.records import ApiError, Fault, Limits, Sent
from fakebotapi.server import FakeTelegram

__all__ = ["ApiError", "FakeTelegram", "Fault", "Limits", "Sent"]
