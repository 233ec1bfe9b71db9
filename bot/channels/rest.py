"""Rasa's REST channel, but only for a caller that proves which conversation it speaks for.

Browsers must reach Rasa's port for the widget's socket.io, and Rasa's plain REST channel on
the same port trusts the `sender` in the body: anyone could speak as any patient. Here every
`POST /webhooks/rest/webhook` must carry `Authorization: Bearer <conversation token>`
(bot/security/tokens.py, shared secret `jwt_key`); the conversation is the one the token
names, and a body `sender` that names another conversation is refused (403). The Telegram
bridge mints its own short-lived tokens with the same secret; scripted clients (tests,
benchmarks, `make shell`, curl) get one from the web app's `POST /api/sessions`.

No message text reaches the logs: Rasa's handler logs the text of a message whose turn was
cancelled (`rest.message.received.timeout`, on a response timeout or a client gone), so the
cancellation ends here and is logged without it. (A failed turn never reaches Rasa's other
text-logging branch: bot/channels/guard.py answers it.)

credentials.yml: `bot.channels.rest.ConversationRestInput:` with `jwt_key`; `name()` stays
"rest", so the URL, trackers and our transcripts are unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.rest import RestInput  # type: ignore[import-not-found]
from sanic import response

from bot.channels import client_address as clients
from bot.channels.guard import guarded, install
from bot.security.tokens import InvalidToken, verify_token

logger = logging.getLogger(__name__)

MISSING = "This channel needs a conversation token (Authorization: Bearer ...)."
NOT_YOURS = "That conversation belongs to someone else."


class ConversationRestInput(RestInput):  # type: ignore[misc]
    """REST input whose every request is bound to the conversation its token names."""

    def __init__(self, jwt_key: str | None = None) -> None:
        if not jwt_key:
            raise ValueError("the REST channel needs jwt_key (SECONDREAD_SECRET_KEY)")
        self.jwt_key = jwt_key

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ConversationRestInput:
        return cls((credentials or {}).get("jwt_key"))

    def get_metadata(self, request: Any) -> dict[str, Any] | None:
        metadata = super().get_metadata(request)
        if not isinstance(metadata, dict):
            return None
        # Only the socket.io channel knows a browser's address; a REST caller (the Telegram
        # bridge, scripts) must not choose one for the status-lookup limit.
        return {k: v for k, v in metadata.items() if k != clients.KEY}

    async def _extract_sender(self, req: Any) -> str | None:
        # Set by the request middleware below from the verified token, never from the body.
        value = getattr(req.ctx, "conversation_id", None)
        return value if isinstance(value, str) else None

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Any:
        blueprint = super().blueprint(quiet_cancellation(guarded(on_new_message)))
        install(blueprint)

        @blueprint.middleware("request")  # type: ignore[untyped-decorator]
        async def bind_conversation(request: Any) -> Any:
            if request.method != "POST":
                return None
            conversation_id = self.conversation_for(request.headers.get("authorization"))
            if conversation_id is None:
                return response.json({"message": MISSING}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            if sender not in (None, "", conversation_id):
                logger.warning("REST message for another conversation refused")
                return response.json({"message": NOT_YOURS}, status=403)
            request.ctx.conversation_id = conversation_id
            return None

        return blueprint

    def conversation_for(self, header: Any) -> str | None:
        if not isinstance(header, str) or not header.startswith("Bearer "):
            return None
        try:
            return verify_token(self.jwt_key, header, ("conversation",)).conversation_id
        except InvalidToken:
            return None


def quiet_cancellation(
    handler: Callable[[Any], Awaitable[Any]],
) -> Callable[[Any], Awaitable[None]]:
    """`handler`, whose cancellation is logged without the message (Rasa's would log its text)
    and then answered as Rasa does: with whatever the turn had sent so far."""

    async def handle(message: Any) -> None:
        try:
            await handler(message)
        except asyncio.CancelledError:
            logger.warning("a REST turn was cancelled (response timeout or client gone)")

    return handle
