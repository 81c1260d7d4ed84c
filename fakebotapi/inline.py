"""Inline mode in the fake Bot API server, as Telegram behaves: a person types `@bot words`
(`inline_query` update), the bot answers with at most 50 results whose ids are 1-64 bytes and
unique, once per query; the person picks one, and Telegram posts its message in the chat
(marked `via_bot`) and tells the bot (`chosen_inline_result`).

`InlineMode` is a part of `FakeTelegram` (fakebotapi/server.py); it keeps its state there.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from fakebotapi.records import ApiError, Sent

MAX_RESULTS = 50
MAX_ID_BYTES = 64
MAX_QUERY = 256  # characters Telegram lets a person type after the bot's name


class InlineMode:
    """Inline queries, their answers and chosen results (state lives on FakeTelegram)."""

    bot: dict[str, Any]
    users: dict[int, dict[str, Any]]
    chats: dict[int, dict[str, Any]]
    messages: dict[tuple[int, int], dict[str, Any]]

    def _init_inline(self) -> None:
        self._inline_ids = itertools.count(1)
        self.inline_queries: dict[str, dict[str, Any]] = {}
        self.inline_answers: dict[str, dict[str, Any]] = {}
        self.inline_answer_times: dict[str, float] = {}
        # Messages people sent by choosing a result (they come from the person, via the bot).
        self.via_bot: list[Sent] = []

    # hooks FakeTelegram provides
    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _next_message_id(self, chat_id: int) -> int:
        raise NotImplementedError

    def _text(self, raw: str, parse_mode: str | None, limit: int, empty: str) -> str:
        raise NotImplementedError

    def inline_query(
        self, user_id: int, query: str, *, chat_type: str = "sender", offset: str = ""
    ) -> str:
        """The person types `@bot <query>`; returns the query's id."""
        query_id = str(next(self._inline_ids))
        inline = {
            "id": query_id,
            "from": self.users[user_id],
            "query": query[:MAX_QUERY],
            "offset": offset,
            "chat_type": chat_type,
        }
        self.inline_queries[query_id] = inline
        self._push({"inline_query": inline})
        return query_id

    def choose_result(self, query_id: str, result_id: str, chat_id: int) -> Sent:
        """The person picks a result: its message is posted to `chat_id` (via the bot) and the
        bot gets `chosen_inline_result`."""
        query = self.inline_queries[query_id]
        answer = self.inline_answers[query_id]
        result = next(r for r in answer["results"] if r["id"] == result_id)
        content = result["input_message_content"]
        raw = str(content["message_text"])
        parse_mode = content.get("parse_mode")
        visible = self._text(raw, parse_mode, 4096, "Bad Request: message text is empty")
        message_id = self._next_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": query["from"],
            "via_bot": self.bot,
            "text": visible,
        }
        if result.get("reply_markup"):
            message["reply_markup"] = result["reply_markup"]
        self.messages[(chat_id, message_id)] = message
        sent = Sent(
            "inline",
            chat_id,
            message_id,
            visible,
            raw,
            parse_mode,
            result.get("reply_markup"),
            time.monotonic(),
        )
        self.via_bot.append(sent)
        self._push(
            {
                "chosen_inline_result": {
                    "result_id": result_id,
                    "from": query["from"],
                    "query": query["query"],
                }
            }
        )
        return sent

    def api_answerInlineQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        query_id = str(params.get("inline_query_id"))
        if query_id not in self.inline_queries or query_id in self.inline_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        results = params.get("results") or []
        if len(results) > MAX_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = str(result.get("id", ""))
            if not 1 <= len(result_id.encode()) <= MAX_ID_BYTES:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            if result_id in seen:
                raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content") or {}
            if result.get("type") == "article":
                if not result.get("title"):
                    raise ApiError(400, "Bad Request: RESULT_TITLE_EMPTY")
                self._text(
                    str(content.get("message_text", "")),
                    content.get("parse_mode"),
                    4096,
                    "Bad Request: MESSAGE_EMPTY",
                )
        self.inline_answers[query_id] = params
        self.inline_answer_times[query_id] = time.monotonic()
        return True
