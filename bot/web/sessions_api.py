"""The widget's conversation sessions and its own history.

`POST /api/sessions` starts a conversation: an unguessable id and a signed token (scope
"conversation") that Rasa's socket.io channel accepts (`jwt_key`) and that the upload API
checks. `POST /api/sessions/refresh` swaps a still-valid token for a fresh one for the same
conversation, so a returning visitor keeps their chat. The history endpoint answers only for the
conversation the token was issued for.

A conversation token lasts a day, but the records request's follow-ups come at day 10 and day
30. When the patient asks the widget to remind them on this device, `POST
/api/sessions/remember` gives a `resume` token that lasts until the follow-ups are over (45 days
from the request); on their next visit `POST /api/sessions/resume` swaps it for a conversation
token, so the widget opens the same chat with the follow-up waiting in it. Only while the
request is on record: erasing the conversation's data ends it.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.config import Settings
from bot.conversations.history import HistoryUnavailable, fetch_history
from bot.db import StorageUnavailable
from bot.letters.requests import RecordsRequests, RequestStatus, records_requests
from bot.security.tokens import InvalidToken, TokenClaims, issue_token, verify_token

TOKEN_TTL_SECONDS = 24 * 3600
# Day 30 is the last follow-up; a fortnight more lets a patient who comes back late read it.
REMEMBER_FOR = timedelta(days=45)
SOCKETIO_PATH = "/socket.io"

EXPIRED = "Your chat session has expired. Please start a new chat."
NOT_YOURS = "That conversation belongs to someone else."
UNAVAILABLE = "The chat history can't be loaded right now. Please try again in a minute."
NOTHING_TO_REMEMBER = "There's no records request in this chat to remind you about."
NOT_REMEMBERED = "This chat is no longer kept on this device. Please start a new chat."
BUSY = "That can't be done right now. Please try again in a minute."


def new_conversation_id() -> str:
    return f"web-{secrets.token_urlsafe(24)}"  # 192 random bits: the id is never guessable


def sessions_router(
    settings: Settings, requests: Callable[[], RecordsRequests] = records_requests
) -> APIRouter:
    router = APIRouter(prefix="/api")

    async def request_of(conversation_id: str) -> RequestStatus | None:
        return await asyncio.to_thread(requests().status, conversation_id)

    def session_body(conversation_id: str) -> dict[str, Any]:
        token = issue_token(settings.secret_key, conversation_id, "conversation", TOKEN_TTL_SECONDS)
        claims = verify_token(settings.secret_key, token, ("conversation",))
        return {
            "conversation_id": conversation_id,
            "token": token,
            "expires_at": claims.expires_at,
            "socket_url": settings.rasa_public_url,
            "socket_path": SOCKETIO_PATH,
            "upload_limits": {
                "max_request_bytes": settings.upload_limits.max_request_bytes,
                "max_files": settings.upload_limits.max_files_per_study,
            },
        }

    @router.post("/sessions")
    async def create_session() -> JSONResponse:
        return _json(201, session_body(new_conversation_id()))

    @router.post("/sessions/refresh")
    async def refresh_session(request: Request) -> JSONResponse:
        claims = _claims(settings, request)
        if claims is None:
            return _error(401, EXPIRED)
        return _json(200, session_body(claims.conversation_id))

    @router.post("/sessions/remember")
    async def remember(request: Request) -> JSONResponse:
        claims = _claims(settings, request)
        if claims is None:
            return _error(401, EXPIRED)
        try:
            status = await request_of(claims.conversation_id)
        except StorageUnavailable:
            return _error(503, BUSY)
        if status is None:
            return _error(409, NOTHING_TO_REMEMBER)
        until = int((status.requested_at + REMEMBER_FOR).timestamp())
        ttl = until - int(time.time())
        if ttl <= 0:
            return _error(409, NOTHING_TO_REMEMBER)
        token = issue_token(settings.secret_key, claims.conversation_id, "resume", ttl)
        return _json(201, {"resume_token": token, "expires_at": until})

    @router.post("/sessions/resume")
    async def resume(request: Request) -> JSONResponse:
        claims = _claims(settings, request, scope="resume")
        if claims is None:
            return _error(401, NOT_REMEMBERED)
        try:
            status = await request_of(claims.conversation_id)
        except StorageUnavailable:
            return _error(503, BUSY)
        if status is None:  # erased since: the device no longer opens this chat
            return _error(401, NOT_REMEMBERED)
        return _json(200, session_body(claims.conversation_id))

    @router.get("/conversations/{conversation_id}/history")
    async def history(conversation_id: str, request: Request) -> JSONResponse:
        claims = _claims(settings, request)
        if claims is None:
            return _error(401, EXPIRED)
        if claims.conversation_id != conversation_id:
            return _error(403, NOT_YOURS)
        try:
            messages = await fetch_history(
                settings.rasa_url, settings.rasa_api_token, conversation_id
            )
        except HistoryUnavailable:
            return _error(503, UNAVAILABLE)
        return _json(200, {"conversation_id": conversation_id, "messages": messages})

    return router


def _claims(
    settings: Settings, request: Request, scope: str = "conversation"
) -> TokenClaims | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        return verify_token(settings.secret_key, header, (scope,))
    except InvalidToken:
        return None


def _json(status: int, body: dict[str, Any]) -> JSONResponse:
    # Tokens and conversations must not stay in shared caches or the browser's disk cache.
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, headers=headers)


def _error(status: int, message: str) -> JSONResponse:
    return _json(status, {"message": message})
