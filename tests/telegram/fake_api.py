"""A fake Telegram Bot API server on 127.0.0.1 (aiohttp) that records every call.

It implements what the bridge and python-telegram-bot use: getMe, getUpdates (long polling),
setWebhook, deleteWebhook, getWebhookInfo, setMyCommands, getFile and file downloads,
sendMessage, sendPhoto, sendDocument, copyMessage, sendChatAction, answerCallbackQuery and
editMessageReplyMarkup. Tests push updates (as Telegram would deliver them) and read `calls`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.integration.stack import free_port

BOT_ID = 777000111
TOKEN = f"{BOT_ID}:AAFakeTokenForTestsOnly_abcdefghijk"
MAX_DOWNLOAD = 20 * 1024 * 1024
# Values of these parameters are plain strings even when they look like JSON.
RAW_TEXT_PARAMS = frozenset({"text", "caption", "secret_token", "url", "callback_query_id"})


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


def user(chat_id: int, language_code: str = "en") -> dict[str, Any]:
    return {
        "id": chat_id,
        "is_bot": False,
        "first_name": "Pat",
        "language_code": language_code,
    }


def private_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Pat"}


class FakeTelegram:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.files: dict[str, bytes | int] = {}  # file_id → content, or only a size
        self.fetched_documents: list[bytes] = []  # documents sent by URL, as fetched
        self.messages: dict[int, dict[str, Any]] = {}  # what the bot sent, by message_id
        self.parse_modes: dict[int, str] = {}  # how each was to be read, for shown()
        self.webhook: dict[str, Any] | None = None
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._user_message_ids = itertools.count(50_000)
        self._new_updates = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = free_port()

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        self._new_updates.set()  # release a waiting getUpdates
        if self._runner:
            await self._runner.cleanup()

    # -- what Telegram would deliver -----------------------------------------------------------

    def push(self, *updates: dict[str, Any]) -> None:
        """Queue updates for getUpdates; the same update twice simulates a redelivery."""
        self.updates.extend(copy.deepcopy(u) for u in updates)
        self._new_updates.set()

    def new_update(self, **content: Any) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), **content}

    def user_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._user_message_ids),
            "date": int(time.time()),
            "chat": private_chat(chat_id),
            "from": user(chat_id),
            **content,
        }
        return self.new_update(message=message)

    def text(self, chat_id: int, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.user_message(chat_id, **content)

    def document(
        self,
        chat_id: int,
        file_name: str,
        content: bytes | None = None,
        size: int | None = None,
        mime_type: str = "application/dicom",
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        file_id = f"doc{next(self._update_ids)}"
        self.files[file_id] = content if content is not None else int(size or 0)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content) if content is not None else size,
        }
        if media_group_id:
            return self.user_message(chat_id, document=document, media_group_id=media_group_id)
        return self.user_message(chat_id, document=document)

    def photo(self, chat_id: int, content: bytes = b"") -> dict[str, Any]:
        """A photo in Telegram's three sizes; `content` is what the largest one downloads as."""
        n = next(self._update_ids)
        sizes = [
            {"file_id": f"ph{n}-{w}", "file_unique_id": f"uph{n}-{w}", "width": w, "height": w}
            for w in (90, 320, 1280)
        ]
        for size in sizes:
            self.files[size["file_id"]] = content if size["width"] == 1280 else b"small"
        return self.user_message(chat_id, photo=sizes)

    def button_press(self, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        query = {
            "id": f"cq{next(self._update_ids)}",
            "from": user(chat_id),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": self.messages[message_id],
        }
        return self.new_update(callback_query=query)

    # -- what the bot did ----------------------------------------------------------------------

    def called(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method
            and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
        ]

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat, in order (texts, photos, documents)."""
        return [m for m in self.messages.values() if m["chat"]["id"] == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        """What the sent messages say, as Telegram sends them (HTML parse mode: with tags)."""
        return [m.get("text") or m.get("caption") or "" for m in self.sent(chat_id)]

    def shown(self, chat_id: int) -> list[str]:
        """What a person reads: the HTML tags rendered away, entities decoded."""
        return [
            html.unescape(re.sub(r"<[^>]+>", "", text))
            if self.parse_modes.get(message["message_id"]) == "HTML" else text
            for message, text in zip(self.sent(chat_id), self.texts(chat_id), strict=True)
        ]

    async def wait_until(
        self, condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; calls: {self.summary()}")
            await asyncio.sleep(0.05)

    async def wait_for_sent(self, chat_id: int, count: int, timeout: float = 30.0) -> None:
        await self.wait_until(
            lambda: len(self.sent(chat_id)) >= count, timeout, f"{count} message(s) to {chat_id}"
        )

    def summary(self) -> list[str]:
        return [c.method for c in self.calls if c.method != "getUpdates"][-30:]

    # -- HTTP ----------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
            return params, files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
            elif key in RAW_TEXT_PARAMS:
                params[key] = str(value)
            else:
                try:
                    params[key] = json.loads(str(value))
                except ValueError:
                    params[key] = str(value)
        return params, files

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await self._params(request)
        self.calls.append(Call(method, params, files))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        content = self.files.get(file_id)
        if not isinstance(content, bytes):
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    # -- methods -------------------------------------------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "SecondRead",
            "username": "secondread_test_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_updates.clear()
            timeout = float(params.get("timeout") or 0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_updates.wait(), timeout)
        limit = int(params.get("limit") or 100)
        return copy.deepcopy(self.updates[:limit])

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        url = (self.webhook or {}).get("url", "")
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}

    async def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        file_id = str(params["file_id"])
        content = self.files.get(file_id)
        if content is None:
            return _error(400, "Bad Request: invalid file_id")
        size = len(content) if isinstance(content, bytes) else content
        if size > MAX_DOWNLOAD:
            return _error(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": size,
            "file_path": f"documents/{file_id}",
        }

    def _bot_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": private_chat(int(params["chat_id"])),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "SecondRead"},
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[message_id] = message
        if params.get("parse_mode"):
            self.parse_modes[message_id] = str(params["parse_mode"])
        return message

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_message(params, text=params["text"])

    async def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = [{"file_id": "sentphoto", "file_unique_id": "usp", "width": 1, "height": 1}]
        return self._bot_message(params, photo=photo, caption=params.get("caption") or "")

    async def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        document: dict[str, Any] = {"file_id": "sentdoc", "file_unique_id": "usd"}
        source = params.get("document")
        if isinstance(source, str) and source.startswith(("http://", "https://")):
            # As Telegram does for a PDF given by URL: fetch it, or refuse the request.
            fetched = await self._fetch(source)
            if fetched is None:
                return _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
            document.update(mime_type=fetched[0], file_size=len(fetched[1]))
            self.fetched_documents.append(fetched[1])
        return self._bot_message(params, document=document, caption=params.get("caption") or "")

    async def _fetch(self, url: str) -> tuple[str, bytes] | None:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response,
            ):
                if response.status != 200 or response.content_type != "application/pdf":
                    return None
                return response.content_type, await response.read()
        except aiohttp.ClientError:
            return None

    async def _m_copyMessage(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        original = self.messages.get(int(params["message_id"]))
        if original is None or original["chat"]["id"] != int(params["from_chat_id"]):
            return _error(400, "Bad Request: message to copy not found")
        content = {
            k: v for k, v in original.items() if k in ("text", "caption", "photo", "document")
        }
        copy = self._bot_message(params, **content)
        return {"message_id": copy["message_id"]}

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self.messages[int(params["message_id"])]
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message


def _error(code: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": code, "description": description}
    return web.json_response(body, status=code)
