"""The status-lookup limit per client address uses an address the client cannot choose."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
import socketio

from bot.channels.client_address import address_ref
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration


def user_metadata(stack: Stack, conversation_id: str) -> list[dict[str, Any]]:
    events = stack.tracker(conversation_id).get("events") or []
    return [e.get("metadata") or {} for e in events if e.get("event") == "user"]


async def chat_over_socketio(stack: Stack) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        session = (await http.post(f"{stack.web_url}/api/sessions")).json()
    sio = socketio.AsyncClient(reconnection=False)
    confirmed = asyncio.Event()
    sio.on("session_confirm", lambda *_: confirmed.set())
    await sio.connect(
        session["socket_url"], socketio_path="/socket.io", transports=["websocket"],
        auth={"token": session["token"]}, wait_timeout=30,
    )  # fmt: skip
    await sio.emit("session_request", {"session_id": session["conversation_id"]})
    await asyncio.wait_for(confirmed.wait(), 30)
    forged = {"client_address": "203.0.113.77", "display_text": "hi"}
    await sio.emit(
        "user_uttered",
        {"message": "hi", "session_id": session["conversation_id"], "metadata": forged},
    )
    await asyncio.sleep(1)
    await sio.disconnect()
    return str(session["conversation_id"])


def test_socketio_sets_a_keyed_hash_of_the_peer_and_ignores_the_client(stack: Stack) -> None:
    conversation = asyncio.run(chat_over_socketio(stack))
    deadline = time.monotonic() + 60
    while not user_metadata(stack, conversation) and time.monotonic() < deadline:
        time.sleep(0.5)
    (metadata,) = user_metadata(stack, conversation)
    assert metadata["client_address"] == address_ref(stack.secret_key, "127.0.0.1")
    assert "203.0.113.77" not in str(metadata) and "127.0.0.1" not in str(metadata)


def test_rest_callers_cannot_choose_an_address(stack: Stack) -> None:
    me = "it-address-rest"
    stack.say(me, "hi", metadata={"client_address": "203.0.113.77"})
    assert all("client_address" not in m for m in user_metadata(stack, me))
