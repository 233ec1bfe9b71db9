"""`POST /api/presence`: the widget tells whether the patient is typing or has left.

Sent only while a support person has taken over the chat (the widget knows from the take-over
lines), with the conversation token, like every widget call. The agent's live transcript shows
it (bot/web/console/conversations.py). States only: never what the patient is typing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import lru_cache

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from bot.config import Settings
from bot.db import StorageUnavailable, database_url, make_engine, session_factory
from bot.security.tokens import InvalidToken, verify_token
from bot.staff.presence import Presence, PresenceState

NO_STORE = {"Cache-Control": "no-store"}


@lru_cache(maxsize=1)
def default_presence() -> Presence:
    # Tests point DATABASE_URL elsewhere and call default_presence.cache_clear().
    return Presence(session_factory(make_engine(database_url())))


def presence_router(
    settings: Settings, presence: Callable[[], Presence] = default_presence
) -> APIRouter:
    router = APIRouter()

    @router.post("/api/presence")
    async def report(request: Request) -> Response:
        try:
            claims = verify_token(settings.secret_key, request.headers.get("authorization", ""),
                                  ("conversation",))
        except InvalidToken:
            return JSONResponse({"message": "Your session has expired."}, 401, headers=NO_STORE)
        try:
            body = await request.json()
            state = PresenceState(str(body.get("state")) if isinstance(body, dict) else "")
        except ValueError:
            return JSONResponse({"message": "state: here, typing or left"}, 400,
                                headers=NO_STORE)
        try:
            await asyncio.to_thread(presence().report, claims.conversation_id, state)
        except StorageUnavailable:
            return JSONResponse({"message": "Not recorded just now."}, 503, headers=NO_STORE)
        return Response(status_code=204, headers=NO_STORE)

    return router
