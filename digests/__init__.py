"""The newsroom: sources in, classified articles, composed digests out.

Nothing in this package imports Telegram; `bot/` builds on it.
"""
