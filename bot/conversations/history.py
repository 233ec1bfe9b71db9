"""A conversation's user and bot messages, read from Rasa's tracker.

Only the text a person saw is returned: no slots, intents or entities. Button clicks are shown
with the button's title, taken from the message's `display_text` metadata (the widget sends it)
or else from the buttons of the bot message the click answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict
from urllib.parse import quote

import httpx


class Button(TypedDict):
    title: str
    payload: str


class Message(TypedDict):
    sender: str  # "user" or "bot"
    text: str
    buttons: list[Button]
    timestamp: float


EXTERNAL_PREFIX = "EXTERNAL: "  # Rasa's text for intents triggered through its HTTP API


class HistoryUnavailable(Exception):
    """Rasa could not be reached or answered with an error."""


def messages_from_events(events: Iterable[Mapping[str, Any]]) -> list[Message]:
    """User and bot messages from tracker events, oldest first, starting after a restart."""
    messages: list[Message] = []
    for event in events:
        kind = event.get("event")
        if kind == "restart":
            messages.clear()  # the person chose to start over; the widget starts empty too
        elif kind == "user":
            if _is_external(event):
                continue  # Rasa's trigger_intent (e.g. an upload checked): nobody typed it
            text = _user_text(event, messages)
            if text:
                messages.append(_message("user", text, [], event))
        elif kind == "bot":
            data = event.get("data") or {}
            buttons = [
                Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
                for b in data.get("buttons") or []
            ]
            if event.get("text") or buttons:
                messages.append(_message("bot", str(event.get("text") or ""), buttons, event))
    return messages


def _is_external(event: Mapping[str, Any]) -> bool:
    metadata = event.get("metadata") or {}
    flagged = isinstance(metadata, Mapping) and metadata.get("is_external") is True
    return flagged or str(event.get("text") or "").startswith(EXTERNAL_PREFIX)


def _user_text(event: Mapping[str, Any], earlier: list[Message]) -> str:
    metadata = event.get("metadata") or {}
    shown = metadata.get("display_text") if isinstance(metadata, Mapping) else None
    if isinstance(shown, str) and shown.strip():
        return shown
    text = str(event.get("text") or "")
    if text.startswith("/"):
        for message in reversed(earlier):
            for button in message["buttons"]:
                if button["payload"] == text:
                    return button["title"]
    return text


def _message(sender: str, text: str, buttons: list[Button], event: Mapping[str, Any]) -> Message:
    return Message(
        sender=sender, text=text, buttons=buttons, timestamp=float(event.get("timestamp") or 0)
    )


async def fetch_history(
    rasa_url: str,
    api_token: str,
    conversation_id: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Message]:
    """The conversation's messages from Rasa's HTTP API (an unknown id has none)."""
    url = f"{rasa_url}/conversations/{quote(conversation_id, safe='')}/tracker"
    try:
        async with httpx.AsyncClient(timeout=10, transport=transport) as client:
            response = await client.get(url, params={"token": api_token})
            response.raise_for_status()
            events = response.json().get("events") or []
    except (httpx.HTTPError, ValueError) as error:
        # Not the error's text: it contains the URL with the API token.
        raise HistoryUnavailable(type(error).__name__) from None
    return messages_from_events(events)
