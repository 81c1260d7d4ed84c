"""The chat's whole life in the fake Bot API server, as Telegram behaves: channels and their
posts, administrator rights, forum topics (`message_thread_id`, deleted and closed topics),
the bot being added, removed, promoted, demoted or blocked (`my_chat_member` updates), a
group becoming a supergroup (`migrate_to_chat_id`), forwards from channels and chats shared
through a "request chat" keyboard button.

`ChatLife` is a part of `FakeTelegram` (fakebotapi/server.py); it keeps its state there.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from fakebotapi.records import ApiError

# What Telegram lets an administrator do, as getChatMember lists it (all False unless given).
ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
CHANNEL_RIGHTS = ("can_post_messages", "can_edit_messages")
GROUP_RIGHTS = ("can_pin_messages", "can_manage_topics")
PRESENT = ("creator", "administrator", "member", "restricted")
TOPIC_OPEN, TOPIC_CLOSED, TOPIC_DELETED = "open", "closed", "deleted"
GENERAL_TOPIC = 1  # a forum's "General" topic; messages without a thread id go there


class ChatLife:
    """Channels, rights, forums, membership and migration (state lives on FakeTelegram)."""

    bot: dict[str, Any]
    bot_id: int
    users: dict[int, dict[str, Any]]
    chats: dict[int, dict[str, Any]]
    members: dict[int, dict[int, str]]
    blocked: set[int]

    def _init_chat_life(self) -> None:
        # (chat, user) -> the rights an administrator was given (others are False).
        self.rights: dict[tuple[int, int], dict[str, bool]] = {}
        # forum chat -> thread id -> open / closed / deleted
        self.topics: dict[int, dict[int, str]] = {}
        self.topic_names: dict[tuple[int, int], str] = {}
        self._thread_ids = itertools.count(100)
        # old group id -> the supergroup it became
        self.migrated: dict[int, int] = {}

    # hooks FakeTelegram provides
    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _next_message_id(self, chat_id: int) -> int:
        raise NotImplementedError

    def _user_message(self, user_id: int, chat_id: int | None, **content: Any) -> dict[str, Any]:
        raise NotImplementedError

    # -- chats ------------------------------------------------------------------------------------
    def channel(
        self,
        chat_id: int,
        title: str,
        admins: dict[int, str],
        *,
        username: str | None = None,
        rights: dict[int, dict[str, bool]] | None = None,
    ) -> dict[str, Any]:
        """A channel with its administrators (`creator` or `administrator`); the bot is not in
        it until `add_bot`. `rights` gives administrators their rights (e.g. can_post_messages)."""
        chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        self.members[chat_id] = dict(admins)
        for user_id, given in (rights or {}).items():
            self.rights[(chat_id, user_id)] = dict(given)
        return chat

    def forum(self, chat_id: int, title: str, members: dict[int, str]) -> dict[str, Any]:
        """A supergroup with topics (its General topic exists from the start)."""
        chat = {"id": chat_id, "type": "supergroup", "title": title, "is_forum": True}
        self.chats[chat_id] = chat
        self.members[chat_id] = dict(members)
        self.topics[chat_id] = {GENERAL_TOPIC: TOPIC_OPEN}
        return chat

    def old_group(self, chat_id: int, title: str, members: dict[int, str]) -> dict[str, Any]:
        """A basic group (before it becomes a supergroup)."""
        chat = {"id": chat_id, "type": "group", "title": title}
        self.chats[chat_id] = chat
        self.members[chat_id] = dict(members)
        return chat

    def chat_by_username(self, username: str) -> int | None:
        name = username.lstrip("@").lower()
        for chat_id, chat in self.chats.items():
            if str(chat.get("username", "")).lower() == name:
                return chat_id
        return None

    # -- forum topics -----------------------------------------------------------------------------
    def create_topic(self, chat_id: int, name: str) -> int:
        thread_id = next(self._thread_ids)
        self.topics[chat_id][thread_id] = TOPIC_OPEN
        self.topic_names[(chat_id, thread_id)] = name
        return thread_id

    def close_topic(self, chat_id: int, thread_id: int) -> None:
        self.topics[chat_id][thread_id] = TOPIC_CLOSED

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        self.topics[chat_id][thread_id] = TOPIC_DELETED

    def _thread(self, chat_id: int, params: dict[str, Any]) -> int | None:
        """The thread a message goes to; Telegram's errors for a deleted or closed topic."""
        raw = params.get("message_thread_id")
        if raw in (None, ""):
            return None
        thread_id = int(raw)
        topics = self.topics.get(chat_id)
        if topics is None:
            if self.chats[chat_id].get("type") in ("private", "channel"):
                return None  # ignored outside groups
            raise ApiError(400, "Bad Request: message thread not found")
        state = topics.get(thread_id)
        if state in (None, TOPIC_DELETED):
            raise ApiError(400, "Bad Request: message thread not found")
        if state == TOPIC_CLOSED and not self.right(chat_id, self.bot_id, "can_manage_topics"):
            raise ApiError(400, "Bad Request: TOPIC_CLOSED")
        return thread_id

    # -- rights -----------------------------------------------------------------------------------
    def status(self, chat_id: int, user_id: int) -> str:
        if self.chats.get(chat_id, {}).get("type") == "private":
            return "kicked" if user_id == self.bot_id and chat_id in self.blocked else "member"
        return self.members.get(chat_id, {}).get(user_id, "left")

    def right(self, chat_id: int, user_id: int, name: str) -> bool:
        status = self.status(chat_id, user_id)
        if status == "creator":
            return True
        return status == "administrator" and self.rights.get((chat_id, user_id), {}).get(
            name, False
        )

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            user = self.bot
        else:
            user = self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "?"}
        status = self.status(chat_id, user_id)
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            given = self.rights.get((chat_id, user_id), {})
            names = ADMIN_RIGHTS + (
                CHANNEL_RIGHTS
                if self.chats.get(chat_id, {}).get("type") == "channel"
                else GROUP_RIGHTS
            )
            member.update({name: bool(given.get(name, False)) for name in names})
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _can_send(self, chat_id: int) -> None:
        """Telegram's refusals for a chat the bot is not (or no longer) allowed to post in."""
        chat = self.chats[chat_id]
        kind = chat.get("type")
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                parameters={"migrate_to_chat_id": self.migrated[chat_id]},
            )
        if kind == "private":
            return
        bot_status = self.members.get(chat_id, {}).get(self.bot_id)
        if kind == "channel":
            if bot_status in (None, "left", "kicked"):
                raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
            if not self.right(chat_id, self.bot_id, "can_post_messages"):
                raise ApiError(400, "Bad Request: need administrator rights in the channel chat")
            return
        # Groups made by `group` in older tests do not list the bot: it is taken as a member.
        if bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        if bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")

    # -- the bot's membership (my_chat_member) ----------------------------------------------------
    def set_bot_status(
        self,
        chat_id: int,
        status: str,
        *,
        by: int,
        rights: dict[str, bool] | None = None,
    ) -> dict[str, Any]:
        """Change the bot's status in a chat as `by` did it, and tell the bot (my_chat_member)."""
        old = self._member(chat_id, self.bot_id)
        if self.chats[chat_id].get("type") == "private":
            if status == "kicked":
                self.blocked.add(chat_id)
            else:
                self.blocked.discard(chat_id)
        else:
            self.members.setdefault(chat_id, {})[self.bot_id] = status
            if status == "administrator":
                self.rights[(chat_id, self.bot_id)] = dict(rights or {})
            else:
                self.rights.pop((chat_id, self.bot_id), None)
        new = self._member(chat_id, self.bot_id)
        return self._push(
            {
                "my_chat_member": {
                    "chat": self.chats[chat_id],
                    "from": self.users[by],
                    "date": int(time.time()),
                    "old_chat_member": old,
                    "new_chat_member": new,
                }
            }
        )

    def add_bot(
        self, chat_id: int, by: int, *, admin: bool = False, rights: dict[str, bool] | None = None
    ) -> dict[str, Any]:
        return self.set_bot_status(
            chat_id, "administrator" if admin else "member", by=by, rights=rights
        )

    def remove_bot(self, chat_id: int, by: int, *, kick: bool = True) -> dict[str, Any]:
        return self.set_bot_status(chat_id, "kicked" if kick else "left", by=by)

    def block_bot(self, user_id: int) -> dict[str, Any]:
        """The user blocks the bot, and Telegram says so (`block` alone stays silent, as when
        the update was missed)."""
        return self.set_bot_status(user_id, "kicked", by=user_id)

    def unblock_bot(self, user_id: int) -> dict[str, Any]:
        return self.set_bot_status(user_id, "member", by=user_id)

    # -- messages that are not plain texts --------------------------------------------------------
    def channel_post(self, chat_id: int, text: str) -> dict[str, Any]:
        """A post in a channel (the bot sees it when it is a member)."""
        chat = self.chats[chat_id]
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "sender_chat": chat,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push({"channel_post": message})

    def forward_post(self, user_id: int, channel_id: int, post_id: int = 1) -> dict[str, Any]:
        """The user forwards a channel's post to the bot's private chat."""
        chat = self.chats[channel_id]
        message = self._user_message(
            user_id,
            None,
            text="…",
            forward_origin={
                "type": "channel",
                "chat": chat,
                "message_id": post_id,
                "date": int(time.time()),
            },
        )
        return self._push({"message": message})

    def share_chat(self, user_id: int, request_id: int, chat_id: int) -> dict[str, Any]:
        """The user picks a chat with a `KeyboardButtonRequestChat` button."""
        shared: dict[str, Any] = {"request_id": request_id, "chat_id": chat_id}
        chat = self.chats.get(chat_id, {})
        if chat.get("title"):
            shared["title"] = chat["title"]
        if chat.get("username"):
            shared["username"] = chat["username"]
        message = self._user_message(user_id, None, chat_shared=shared)
        return self._push({"message": message})

    def migrate_group(self, old_id: int, new_id: int, by: int) -> None:
        """A basic group becomes a supergroup with a new id: the old chat gets a service message
        with `migrate_to_chat_id`, the new one with `migrate_from_chat_id`."""
        old = self.chats[old_id]
        new = {"id": new_id, "type": "supergroup", "title": old.get("title", "")}
        self.chats[new_id] = new
        self.members[new_id] = dict(self.members.get(old_id, {}))
        for (chat, user), given in list(self.rights.items()):
            if chat == old_id:
                self.rights[(new_id, user)] = dict(given)
        self.migrated[old_id] = new_id
        self._push(
            {
                "message": {
                    "message_id": self._next_message_id(old_id),
                    "date": int(time.time()),
                    "chat": old,
                    "from": self.users[by],
                    "migrate_to_chat_id": new_id,
                }
            }
        )
        self._push(
            {
                "message": {
                    "message_id": self._next_message_id(new_id),
                    "date": int(time.time()),
                    "chat": new,
                    "sender_chat": old,
                    "migrate_from_chat_id": old_id,
                }
            }
        )

    # -- methods ----------------------------------------------------------------------------------
    def api_getChatMember(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._known(params)
        return self._member(chat_id, int(params.get("user_id") or 0))

    def api_getChatAdministrators(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> list[dict[str, Any]]:
        chat_id = self._known(params)
        members = self.members.get(chat_id, {})
        return [
            self._member(chat_id, u)
            for u, s in members.items()
            if s in ("creator", "administrator")
        ]

    def _known(self, params: dict[str, Any]) -> int:
        """A chat id or @username the bot may look up (channels by their public name)."""
        raw = str(params.get("chat_id") or "")
        if raw.startswith("@"):
            found = self.chat_by_username(raw)
            if found is None:
                raise ApiError(400, "Bad Request: chat not found")
            return found
        try:
            chat_id = int(raw)
        except ValueError:
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id
