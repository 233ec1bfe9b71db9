"""The webhook listener: Telegram's POSTs → the Application's update queue.

Our own small tornado handler instead of python-telegram-bot's: that one answers a body that is
not JSON with a 500 and logs a body it cannot read in full (patient words included). Here the
secret token is compared in constant time (403 without it), a body that is not one JSON update
gets a 400, and nothing of a body is ever logged.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Bot, Update

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Updates are a few kilobytes; Telegram sends files by id, never in the body.
MAX_BODY_BYTES = 1024 * 1024


class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot: Bot, queue: asyncio.Queue[object], secret: str) -> None:
        self._bot = bot
        self._queue = queue
        self._secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            self._answer(403, "wrong or missing secret token")
            return
        update = self._update()
        if update is None:
            self._answer(400, "not a Telegram update")
            return
        await self._queue.put(update)
        self._answer(200, "ok")

    def _update(self) -> Update | None:
        try:
            data = json.loads(self.request.body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                return None
            return Update.de_json(data, self._bot)
        except Exception:  # any malformed content: the sender's problem, not a crash
            return None

    def _answer(self, status: int, description: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": status == 200, "description": description}))

    def log_exception(self, *args: Any) -> None:
        logger.warning("webhook request failed")  # never the body or the traceback's locals


class WebhookListener:
    def __init__(
        self, bot: Bot, queue: asyncio.Queue[object], secret: str, path: str, listen: str, port: int
    ) -> None:
        route = rf"{re.escape(path.rstrip('/') or '')}/?"
        app = tornado.web.Application(
            [(route, _UpdateHandler, {"bot": bot, "queue": queue, "secret": secret})],
            log_function=lambda handler: None,  # access lines carry nothing we need
        )
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY_BYTES)
        self._listen = listen
        self._port = port

    def start(self) -> None:
        self._server.listen(self._port, address=self._listen)

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()
