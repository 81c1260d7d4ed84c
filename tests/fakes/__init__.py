"""Fakes that behave like the real thing over real protocols (a fake Telegram Bot API server)."""
