"""A fake Telegram Bot API server for tests and benchmarks, over real HTTP (aiohttp).

It behaves like Telegram where the bot can tell: HTML parse mode validated, 4096 characters
(UTF-16) per message, 64-byte callback data, known chats only, "message is not modified",
401 for a refused (revoked or mistyped) token, 403 for a blocked user, 429 with retry_after
when asked or when its rate limits are on (30 a second overall, 1 a second per chat, 20 a
minute per group), 5xx on demand or at random with a seed. It records everything the bot
sends, and lets a test act as users: send a text or command, press a button, reply, block the
bot. Channels, forum topics, membership and migration are in `fakebotapi/chats.py`; inline
mode in `fakebotapi/inline.py`. Updates go out by long polling (getUpdates) or, after
setWebhook, are POSTed to the bot with its secret token.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, web

from bot.telegram_html import EntityError, parse_html, utf16_len
from fakebotapi.chats import ChatLife
from fakebotapi.inline import InlineMode
from fakebotapi.records import NOT_MODIFIED, SEND_METHODS, ApiError, Fault, Limits, Sent

# Parameters that come as JSON text in a form-encoded request.
JSON_PARAMETERS = (
    "reply_markup",
    "commands",
    "scope",
    "allowed_updates",
    "link_preview_options",
    "results",
    "button",
)


class FakeTelegram(ChatLife, InlineMode):
    def __init__(self, *, bot_username: str = "mohbot_test_bot", bot_id: int = 7000001) -> None:
        self.bot = {"id": bot_id, "is_bot": True, "first_name": "MoH Bot", "username": bot_username}
        self.bot_id = bot_id
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.members: dict[int, dict[int, str]] = {}
        self.blocked: set[int] = set()
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.updates: list[dict[str, Any]] = []
        self._update_event = asyncio.Event()
        self.webhook: dict[str, Any] | None = None
        self.sent: list[Sent] = []
        self.edits: list[Sent] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.send_times: list[float] = []
        self.faults: list[Fault] = []
        self.refused_tokens: set[str] = set()
        self._random: tuple[float, random.Random, tuple[int, ...]] | None = None
        self.limits: Limits | None = None
        self.record_requests = True
        # Seconds before each answer leaves, after the request took effect (a slow Telegram).
        self.answer_delay = 0.0
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self.port = 0
        self.reuse_port = False  # several server processes may share one port (SO_REUSEPORT)
        # The longest time this server's event loop could not run (see `watch_stalls`).
        self.longest_stall = 0.0
        self._stall_watch: asyncio.Task[None] | None = None
        self._init_chat_life()
        self._init_inline()

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_port=self.reuse_port or None)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    def _add_routes(self, app: web.Application) -> None:
        """More routes for a subclass to serve (the control endpoints of `python -m fakebotapi`)."""

    async def __aexit__(self, *exc: object) -> None:
        self._update_event.set()
        if self._stall_watch:
            self._stall_watch.cancel()
        if self._client:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    def watch_stalls(self, tick: float = 0.005) -> None:
        """Measure from now on how long this server's loop is kept from running (by the test
        process's own work or garbage collection, or a busy machine). Requests that arrive
        meanwhile are stamped together when it runs again, so a rate measured here reads high
        by up to the limit times the longest stall: that is the instrument's error."""

        async def watch() -> None:
            while True:
                before = time.monotonic()
                await asyncio.sleep(tick)
                self.longest_stall = max(self.longest_stall, time.monotonic() - before - tick)

        self._stall_watch = asyncio.get_running_loop().create_task(watch())

    # -- users and chats ---------------------------------------------------------------------
    def user(
        self, user_id: int, first_name: str = "Người dùng", language_code: str | None = "vi"
    ) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        self.chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        return user

    def group(self, chat_id: int, title: str, members: dict[int, str]) -> dict[str, Any]:
        self.chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title}
        self.members[chat_id] = dict(members)
        return self.chats[chat_id]

    def block(self, user_id: int) -> None:
        """The user blocks the bot without the bot being told (see `block_bot`)."""
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    # -- faults and limits ---------------------------------------------------------------------
    def refuse_token(self, token: str) -> None:
        """From now on, answer every request made with `token` as Telegram answers a revoked
        or mistyped one: 401 Unauthorized."""
        self.refused_tokens.add(token)

    def fail_next(
        self,
        method: str | None,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
        count: int = 1,
    ) -> None:
        self.faults.append(Fault(method, status, description, retry_after, chat_id, count))

    def random_faults(
        self, probability: float, seed: int, statuses: tuple[int, ...] = (429, 500, 502)
    ) -> None:
        self._random = (probability, random.Random(seed), statuses)

    def clear_faults(self) -> None:
        self.faults.clear()
        self._random = None

    def enforce_limits(
        self, global_per_second: int = 30, per_chat_per_second: int = 1, group_per_minute: int = 20
    ) -> None:
        self.limits = Limits(global_per_second, per_chat_per_second, group_per_minute)

    def _injected(self, method: str, chat_id: int | None) -> None:
        for fault in self.faults:
            if fault.method not in (None, method) or fault.chat_id not in (None, chat_id):
                continue
            fault.count -= 1
            if fault.count <= 0:
                self.faults.remove(fault)
            raise ApiError(fault.status, fault.description, fault.retry_after)
        if self._random and method in SEND_METHODS:
            probability, rng, statuses = self._random
            if rng.random() < probability:
                status = rng.choice(statuses)
                if status == 429:
                    raise ApiError(429, "Too Many Requests: retry after 1", 1)
                raise ApiError(status, "Internal Server Error" if status == 500 else "Bad Gateway")

    def _rate_limit(self, chat_id: int) -> None:
        limits = self.limits
        if limits is None:
            return
        now = time.monotonic()
        while limits.window and now - limits.window[0] >= 1.0:
            limits.window.popleft()
        if len(limits.window) >= limits.global_per_second:
            wait = 1.0 - (now - limits.window[0])
            raise ApiError(
                429, f"Too Many Requests: retry after {max(1, round(wait))}", max(1, round(wait))
            )
        chat = limits.per_chat.setdefault(chat_id, deque())
        span, allowed = (
            (60.0, limits.group_per_minute) if chat_id < 0 else (1.0, limits.per_chat_per_second)
        )
        while chat and now - chat[0] >= span:
            chat.popleft()
        if len(chat) >= allowed:
            wait = span - (now - chat[0])
            raise ApiError(
                429, f"Too Many Requests: retry after {max(1, round(wait))}", max(1, round(wait))
            )
        limits.window.append(now)
        chat.append(now)

    # -- updates (acting as users) ---------------------------------------------------------------
    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        if self.webhook and self.webhook.get("url"):
            asyncio.get_running_loop().create_task(self._post_webhook(update))
        else:
            self.updates.append(update)
            self._update_event.set()
        return update

    async def _post_webhook(self, update: dict[str, Any]) -> None:
        assert self.webhook is not None
        self._client = self._client or ClientSession()
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        async with self._client.post(self.webhook["url"], json=update, headers=headers) as response:
            self.webhook.setdefault("responses", []).append(response.status)

    def _user_message(self, user_id: int, chat_id: int | None, **content: Any) -> dict[str, Any]:
        chat_id = user_id if chat_id is None else chat_id
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": self.users[user_id],
            **content,
        }
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def send_text(
        self, user_id: int, text: str, chat_id: int | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        """A text from the user (in a forum topic when `thread_id` is given)."""
        if thread_id is None:
            return self._text_update(user_id, text, chat_id)
        return self._text_update(
            user_id, text, chat_id, message_thread_id=thread_id, is_topic_message=True
        )

    def reply_to(
        self, user_id: int, replied: dict[str, Any], text: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        """A text from the user in reply to an earlier message."""
        return self._text_update(user_id, text, chat_id, reply_to_message=replied)

    def _text_update(
        self, user_id: int, text: str, chat_id: int | None, **content: Any
    ) -> dict[str, Any]:
        """A text message from the user, pushed as an update: a leading /command is marked
        as a bot_command entity, as Telegram does."""
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        message = self._user_message(user_id, chat_id, **{"text": text, **content})
        self._push({"message": message})
        return message

    def user_photo(self, user_id: int, caption: str) -> dict[str, Any]:
        """A photo the user posted (not an update of its own: for replies and copies)."""
        photo = [
            {
                "file_id": f"photo-{user_id}",
                "file_unique_id": f"u{user_id}",
                "width": 90,
                "height": 90,
            }
        ]
        return self._user_message(user_id, None, photo=photo, caption=caption)

    def press_button(self, user_id: int, message: Sent | dict[str, Any], data: str) -> str:
        if isinstance(message, Sent):
            message = self.messages[(message.chat_id, message.message_id)]
        query_id = str(next(self._callback_ids))
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.users[user_id],
                    "message": message,
                    "chat_instance": f"ci-{message['chat']['id']}",
                    "data": data,
                }
            }
        )
        return query_id

    # -- recording helpers -----------------------------------------------------------------------
    def messages_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def last_to(self, chat_id: int) -> Sent:
        messages = self.messages_to(chat_id)
        assert messages, f"nothing was sent to {chat_id}"
        return messages[-1]

    def current(self, sent: Sent) -> dict[str, Any]:
        """The message as it stands now (after edits)."""
        return self.messages[(sent.chat_id, sent.message_id)]

    def max_in_window(self, window: float = 1.0, chat_id: int | None = None) -> int:
        times = sorted(s.time for s in self.sent if chat_id is None or s.chat_id == chat_id)
        best, start = 0, 0
        for end, stamp in enumerate(times):
            while stamp - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = ""
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
            await asyncio.sleep(0.01)

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[Sent]:
        await self.wait_for(
            lambda: len(self.messages_to(chat_id)) >= count,
            timeout,
            f"{count} messages to {chat_id}",
        )
        return self.messages_to(chat_id)

    # -- HTTP -----------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = value.file.read()
                    else:
                        params[key] = value
        for key, value in list(params.items()):
            if value in ("true", "false"):
                params[key] = value == "true"
        for key in JSON_PARAMETERS:
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params, files

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        if request.match_info["token"] not in self.refused_tokens:
            return None
        body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
        return web.json_response(body, status=401)

    async def _file(self, request: web.Request) -> web.Response:
        return self._unauthorized(request) or web.Response(body=b"\x89PNG\r\n\x1a\n")

    async def _handle(self, request: web.Request) -> web.Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        method = request.match_info["method"]
        params, files = await self._params(request)
        if self.record_requests:
            self.requests.append((method, params))
        handler = getattr(self, f"api_{method}", None)
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            chat_id = params.get("chat_id")
            chat_id = (
                int(chat_id)
                if chat_id not in (None, "") and str(chat_id).lstrip("-").isdigit()
                else None
            )
            self._injected(method, chat_id)
            result = (
                handler(params, files)
                if not asyncio.iscoroutinefunction(handler)
                else await handler(params, files)
            )
        except ApiError as exc:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            if exc.parameters:
                body["parameters"] = {**body.get("parameters", {}), **exc.parameters}
            return web.json_response(body, status=exc.status)
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return web.json_response({"ok": True, "result": result})

    # -- validation ------------------------------------------------------------------------------
    def _chat(self, params: dict[str, Any]) -> int:
        """The chat a message goes to (an id, or a channel's @name), if the bot may post there."""
        chat_id = self._known(params)
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        self._can_send(chat_id)
        return chat_id

    def _text(self, raw: str, parse_mode: str | None, limit: int, empty: str) -> str:
        if parse_mode and parse_mode.upper() == "HTML":
            try:
                visible = parse_html(raw)
            except EntityError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        else:
            visible = raw
        if not visible.strip():
            raise ApiError(400, empty)
        if utf16_len(visible) > limit:
            raise ApiError(
                400,
                "Bad Request: message is too long"
                if limit == 4096
                else "Bad Request: message caption is too long",
            )
        return visible

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _record(
        self,
        method: str,
        chat_id: int,
        visible: str,
        raw: str,
        parse_mode: str | None,
        markup: dict[str, Any] | None,
        photo_size: int = 0,
        thread_id: int | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        self._rate_limit(chat_id)
        if thread_id is not None:
            content.update(message_thread_id=thread_id, is_topic_message=True)
        message_id = self._next_message_id(chat_id)
        now = time.monotonic()
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": self.bot,
            **content,
        }
        # Telegram's Message carries only an inline keyboard; a reply keyboard (or its removal)
        # is shown to the user but never returned.
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(chat_id, message_id)] = message
        self.sent.append(
            Sent(
                method,
                chat_id,
                message_id,
                visible,
                raw,
                parse_mode,
                markup,
                now,
                photo_size,
                thread_id=thread_id,
            )
        )
        self.send_times.append(now)
        return message

    # -- methods -------------------------------------------------------------------------------
    def api_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {
            **self.bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    async def api_getUpdates(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout > 0:
            self._update_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_event.wait(), timeout)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return self.updates[:limit]

    @staticmethod
    def _scope(params: dict[str, Any]) -> str:
        """A command menu's scope as a key: "default", "all_private_chats", ... or "chat:<id>"."""
        scope = params.get("scope") or {}
        kind = str(scope.get("type", "default"))
        if kind in ("chat", "chat_administrators", "chat_member"):
            kind += f":{scope.get('chat_id')}"
            if "user_id" in scope:
                kind += f":{scope['user_id']}"
        return kind

    def api_setMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        scope = params.get("scope") or {}
        if "chat_id" in scope:
            self._known({"chat_id": scope["chat_id"]})  # Telegram: "chat not found"
        self.commands[(self._scope(params), params.get("language_code") or "")] = list(
            params.get("commands") or []
        )
        return True

    def api_getMyCommands(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> list[dict[str, str]]:
        return self.commands.get((self._scope(params), params.get("language_code") or ""), [])

    def api_deleteMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.commands.pop((self._scope(params), params.get("language_code") or ""), None)
        return True

    def menu_for(self, chat_id: int, language: str = "") -> list[str]:
        """The command names a person sees in their private chat, found as Telegram does:
        the chat's own menu (in their language, then any), all private chats', the default."""
        for scope in (f"chat:{chat_id}", "all_private_chats", "default"):
            for code in (language, ""):
                commands = self.commands.get((scope, code))
                if commands is not None:
                    return [c["command"] for c in commands]
        return []

    def api_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.webhook = {"url": params.get("url"), "secret_token": params.get("secret_token")}
        return True

    def api_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.webhook = None
        return True

    def api_getWebhookInfo(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url") or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    def api_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat(params)
        raw = str(params.get("text", ""))
        parse_mode = params.get("parse_mode")
        visible = self._text(raw, parse_mode, 4096, "Bad Request: message text is empty")
        markup = self._markup(params)
        thread_id = self._thread(chat_id, params)
        return self._record(
            "sendMessage",
            chat_id,
            visible,
            raw,
            parse_mode,
            markup,
            thread_id=thread_id,
            text=visible,
        )

    def _media(
        self, method: str, kind: str, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        chat_id = self._chat(params)
        data = files.get(kind) or b""
        if not data and not params.get(kind):
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption = str(params.get("caption") or "")
        parse_mode = params.get("parse_mode")
        visible = self._text(caption, parse_mode, 1024, "") if caption else ""
        markup = self._markup(params)
        content: dict[str, Any] = {"caption": visible} if visible else {}
        if kind == "photo":
            content["photo"] = [
                {
                    "file_id": f"p{len(self.sent)}",
                    "file_unique_id": f"pu{len(self.sent)}",
                    "width": 800,
                    "height": 600,
                    "file_size": len(data),
                }
            ]
        else:
            content["document"] = {
                "file_id": f"d{len(self.sent)}",
                "file_unique_id": f"du{len(self.sent)}",
                "file_size": len(data),
            }
        message = self._record(
            method,
            chat_id,
            visible,
            caption,
            parse_mode,
            markup,
            photo_size=len(data),
            thread_id=self._thread(chat_id, params),
            **content,
        )
        self.sent[-1].data = data
        return message

    def api_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._media("sendPhoto", "photo", params, files)

    def api_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._media("sendDocument", "document", params, files)

    def api_copyMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat(params)
        source = self.messages.get((int(params["from_chat_id"]), int(params["message_id"])))
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        content = {k: source[k] for k in ("text", "caption", "photo", "entities") if k in source}
        visible = str(source.get("text") or source.get("caption") or "")
        message = self._record(
            "copyMessage",
            chat_id,
            visible,
            visible,
            None,
            self._markup(params),
            thread_id=self._thread(chat_id, params),
            **content,
        )
        return {"message_id": message["message_id"]}

    def _edit_target(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = self._chat(params)
        message = self.messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None or message.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message to edit not found")
        return chat_id, message

    def api_editMessageText(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        chat_id, message = self._edit_target(params)
        raw = str(params.get("text", ""))
        parse_mode = params.get("parse_mode")
        visible = self._text(raw, parse_mode, 4096, "Bad Request: message text is empty")
        markup = self._markup(params)
        if message.get("text") == visible and message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = visible
        return self._edited("editMessageText", chat_id, message, markup, raw, parse_mode)

    def api_editMessageReplyMarkup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        chat_id, message = self._edit_target(params)
        markup = self._markup(params)
        if message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        return self._edited("editMessageReplyMarkup", chat_id, message, markup, "", None)

    def _edited(
        self,
        method: str,
        chat_id: int,
        message: dict[str, Any],
        markup: dict[str, Any] | None,
        raw: str,
        parse_mode: str | None,
    ) -> dict[str, Any]:
        """The message takes its new keyboard (none: it loses its own) and the edit is
        recorded."""
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        text = str(message.get("text", ""))
        self.edits.append(
            Sent(
                method,
                chat_id,
                message["message_id"],
                text,
                raw,
                parse_mode,
                markup,
                time.monotonic(),
            )
        )
        return message

    def api_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id in self.callback_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if params.get("text") and len(str(params["text"])) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    def api_deleteMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        chat_id = self._chat(params)
        if self.messages.pop((chat_id, int(params.get("message_id") or 0)), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def api_getChat(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._known(params)
        return {
            **self.chats[chat_id],
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def api_sendChatAction(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._chat(params)
        return True

    def api_close(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        return True

    def api_logOut(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        return True
