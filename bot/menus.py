"""The command menus Telegram shows: everyone's (in each language), and for each id in
ADMIN_IDS a chat-scoped menu that adds the admin commands, so they are absent from everyone
else's. Telegram refuses a chat-scoped menu for a chat the bot has never seen ("chat not
found"): such an admin gets theirs when they first /start the bot."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import BadRequest

from bot.texts import Texts

log = logging.getLogger(__name__)


def command_menu(texts: Texts, language: str, key: str = "commands") -> list[BotCommand]:
    """A menu from a text: one `name - description` a line."""
    commands = []
    for line in texts.get(language, key).splitlines():
        name, _, description = line.partition(" - ")
        if name.strip():
            commands.append(BotCommand(name.strip(), description.strip()))
    return commands


def admin_menu(texts: Texts, language: str) -> list[BotCommand]:
    return command_menu(texts, language) + command_menu(texts, language, "admin_commands")


async def install_menus(bot: Bot, texts: Texts, admin_ids: frozenset[int]) -> None:
    """Everyone's menu (Vietnamese by default, and one per language), then the admins'."""
    await bot.set_my_commands(command_menu(texts, "vi"))
    for language in texts.languages:
        await bot.set_my_commands(command_menu(texts, language), language_code=language)
    for admin_id in sorted(admin_ids):
        await install_admin_menu(bot, texts, admin_id)


async def install_admin_menu(bot: Bot, texts: Texts, admin_id: int) -> bool:
    """The admin's own menu (every language); False when Telegram does not know the chat yet."""
    scope = BotCommandScopeChat(admin_id)
    try:
        await bot.set_my_commands(admin_menu(texts, "vi"), scope=scope)
        for language in texts.languages:
            await bot.set_my_commands(
                admin_menu(texts, language), scope=scope, language_code=language
            )
    except BadRequest as exc:
        log.info("admin %s gets their menu at their first /start (%s)", admin_id, exc.message)
        return False
    return True
