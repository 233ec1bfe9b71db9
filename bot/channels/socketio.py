"""Rasa's socket.io channel, with each connection bound to the conversation its token names.

Rasa 3.6's channel only checks that the token is a valid JWT; any holder could then ask for any
`session_id` and read or write another person's chat. Here the token must be a conversation
token (bot/security/tokens.py, shared secret `jwt_key`), and the connection may only join and
speak in the conversation the token was issued for. Everything else is Rasa's own code.

credentials.yml: `bot.channels.socketio.ConversationSocketIOInput:` with Rasa's socket.io
settings; `name()` stays "socketio", so trackers, `output_channel=latest` and our cases see the
usual channel name.

One fix to Rasa's output: its `send_custom_json` passes the JSON as keyword arguments of
`emit()`, so any response with `custom:` (domain.yml marks the questions that accept a photo of
a report that way, for the Telegram bridge) raised TypeError and cut the turn short. Here custom
JSON is sent as `{"custom": ...}`, as the REST channel does; the widget ignores it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.socketio import (  # type: ignore[import-not-found]
    SocketIOInput,
    SocketIOOutput,
)

from bot.channels import client_address as clients
from bot.channels.guard import guarded, install
from bot.security.tokens import InvalidToken, verify_token

logger = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Any]]


class CustomJsonSocketIOOutput(SocketIOOutput):  # type: ignore[misc]
    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class ConversationSocketIOInput(SocketIOInput):  # type: ignore[misc]
    """socket.io input whose connections are bound to one conversation each."""

    def get_output_channel(self) -> Any:
        """For messages Rasa sends by itself (external events, `output_channel=latest`)."""
        if self.sio is None:
            return super().get_output_channel()
        return CustomJsonSocketIOOutput(self.sio, self.bot_message_evt)

    def with_our_output(self, handler: Handler) -> Handler:
        async def handle(message: Any) -> Any:
            message.output_channel = CustomJsonSocketIOOutput(self.sio, self.bot_message_evt)
            return await handler(message)

        return handle

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Any:
        if not self.jwt_key:
            raise ValueError("the socket.io channel needs jwt_key (SECONDREAD_SECRET_KEY)")
        # Every message gets an answer, even when the action server or database fails.
        blueprint = super().blueprint(self.with_our_output(guarded(on_new_message)))
        install(blueprint)
        sio = self.sio
        namespace = self.namespace or "/"
        handlers: dict[str, Handler] = sio.handlers[namespace]
        join: Handler = handlers["session_request"]
        utter: Handler = handlers[self.user_message_evt]

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            conversation_id = self.conversation_for(auth)
            if conversation_id is None:
                return False
            address = clients.client_address(environ, clients.trusted_proxies())
            session = {
                "conversation_id": conversation_id,
                "client_address": clients.address_ref(self.jwt_key, address),
            }
            await sio.save_session(sid, session, namespace=namespace)
            return True

        async def session_request(sid: str, data: Any) -> None:
            mine = await self.bound(sid)
            data = data if isinstance(data, dict) else {}
            if mine is not None and data.get("session_id") in (None, "", mine):
                await join(sid, {**data, "session_id": mine})
            else:
                logger.warning("socket.io session_request for another conversation refused")
                await sio.disconnect(sid, namespace=namespace)

        async def user_message(sid: str, data: Any) -> None:
            mine = await self.bound(sid)
            if not isinstance(data, dict) or data.get("session_id") != mine:
                logger.warning("socket.io message for another conversation dropped")
                return
            metadata = data.get(self.metadata_key)
            metadata = dict(metadata) if isinstance(metadata, dict) else {}
            # Set by the connection, never by the client (the status-lookup limit uses it).
            session = await sio.get_session(sid, namespace=namespace)
            metadata[clients.KEY] = session.get("client_address")
            await utter(sid, {**data, self.metadata_key: metadata})

        sio.on("connect", connect, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, user_message, namespace=namespace)
        return blueprint

    def conversation_for(self, auth: Any) -> str | None:
        """The conversation a connection's `auth: {token}` grants, if it is a valid one."""
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str):
            return None
        try:
            return verify_token(self.jwt_key, token, ("conversation",)).conversation_id
        except InvalidToken:
            return None

    async def bound(self, sid: str) -> str | None:
        session = await self.sio.get_session(sid, namespace=self.namespace or "/")
        value = session.get("conversation_id")
        return value if isinstance(value, str) else None
