"""A fake of our own side for fast bridge tests: Rasa's REST channel and the web app's upload API
on one aiohttp server, recording what they receive. It can be stopped and started again on the
same port to act like Rasa going away and coming back.

Like bot.channels.rest, its REST channel refuses a message without a valid conversation token
(401) or whose token names another conversation than `sender` (403)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.security.tokens import InvalidToken, verify_token
from tests.integration.stack import free_port

SECRET = "test-secret-key-for-the-fake-backend"

Reply = Callable[[dict[str, Any]], list[dict[str, Any]]]


def echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": body["sender"], "text": f"you said: {body['message']}"}]


@dataclass
class ReceivedUpload:
    conversation_id: str
    scope: str
    files: list[tuple[str, bytes]]


@dataclass
class FakeBackend:
    reply: Reply = echo
    upload_status: int = 201
    upload_message: str = ""
    rasa_bodies: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0  # REST messages without a valid token for their conversation
    rasa_delay: float = 0.0  # seconds Rasa "thinks" before answering
    uploads: list[ReceivedUpload] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def messages(self) -> list[str]:
        return [b["message"] for b in self.rasa_bodies]

    async def start(self) -> FakeBackend:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/webhooks/rest/webhook", self._rasa)
        app.router.add_post("/api/uploads", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def _rasa(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            claims = verify_token(
                SECRET, request.headers.get("Authorization", "-"), ("conversation",)
            )
        except InvalidToken:
            self.refused += 1
            return web.json_response({"message": "token needed"}, status=401)
        if claims.conversation_id != body.get("sender"):
            self.refused += 1
            return web.json_response({"message": "not yours"}, status=403)
        self.rasa_bodies.append(body)
        await asyncio.sleep(self.rasa_delay)
        return web.json_response(self.reply(body))

    async def _upload(self, request: web.Request) -> web.Response:
        claims = verify_token(SECRET, request.headers.get("Authorization", ""), ("upload",))
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        async for part in reader:
            assert part.name == "file"
            files.append((part.filename or "", await part.read()))  # type: ignore[union-attr]
        self.uploads.append(ReceivedUpload(claims.conversation_id, claims.scope, files))
        if self.upload_status != 201:
            return web.json_response({"message": self.upload_message}, status=self.upload_status)
        upload = {
            "id": f"up_{len(self.uploads)}",
            "files": len(files),
            "bytes": sum(len(c) for _, c in files),
            "status": "pending",
        }
        return web.json_response({"uploads": [upload]}, status=201)
