"""A person takes over a conversation through Rasa's HTTP API.

`pause` stops the bot from answering (Rasa still records what the patient writes), `reply`
appends a `bot` event to the tracker, and `resume` hands the conversation back. The reply is
appended with `execute_side_effects` and `output_channel=latest`, so Rasa itself sends it on
the channel the patient last wrote from (socket.io pushes it to the widget). Telegram chats
reach Rasa through the bridge's REST calls, which cannot be pushed to: those replies are
delivered with bot.notify.telegram after they are recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bot.notify.rasa import conversation_path
from bot.notify.telegram import is_telegram

logger = logging.getLogger(__name__)

# Marks a staff reply in the tracker (bot.transcripts shows who wrote it).
STAFF_METADATA_KEY = "staff"
MAX_REPLY = 2000

TelegramSend = Callable[[str, str], Awaitable[None]]


class TakeoverFailed(Exception):
    """Rasa could not be reached or refused the event; nothing was delivered. `step` names what
    the staff member asked for: "pause", "reply" or "resume"."""

    step = ""


@contextmanager
def _step(step: str) -> Iterator[None]:
    try:
        yield
    except TakeoverFailed as error:
        error.step = step
        raise


def staff_message(display_name: str, text: str) -> str:
    """What the patient sees: plainly a person, not the bot."""
    return f"{display_name} from the support team: {text.strip()}"


def joined_line(display_name: str) -> str:
    """Told to the patient when a person takes over (the widget shows it as a system line)."""
    return f"{display_name} from the support team has joined the chat."


BACK_LINE = "You're chatting with the assistant again."


class Takeover:
    def __init__(
        self,
        rasa_url: str,
        api_token: str,
        telegram: TelegramSend | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15,
    ) -> None:
        self._url = rasa_url.rstrip("/")
        self._token = api_token
        self._telegram = telegram
        self._transport = transport
        self._timeout = timeout

    async def pause(self, conversation_id: str, display_name: str, username: str) -> None:
        """The bot stops answering, and the patient is told who has joined."""
        with _step("pause"):
            await self._append(conversation_id, {"event": "pause", "timestamp": time.time()})
            await self._say(conversation_id, joined_line(display_name), username)

    async def resume(self, conversation_id: str, username: str) -> None:
        """The patient is told the assistant answers again, then it does."""
        with _step("resume"):
            await self._say(conversation_id, BACK_LINE, username)
            await self._append(conversation_id, {"event": "resume", "timestamp": time.time()})

    async def reply(
        self, conversation_id: str, text: str, display_name: str, username: str
    ) -> str:
        """Record and deliver one staff message; returns how it was delivered."""
        with _step("reply"):
            return await self._say(conversation_id, staff_message(display_name, text), username)

    async def _say(self, conversation_id: str, message: str, username: str) -> str:
        event = {
            "event": "bot",
            "text": message,
            "metadata": {STAFF_METADATA_KEY: username},
            "timestamp": time.time(),
        }
        telegram = is_telegram(conversation_id)
        await self._append(conversation_id, event, deliver=not telegram)
        if telegram:
            if self._telegram is None:
                return "recorded"
            await self._telegram(conversation_id, message)
            return "telegram"
        return "rasa"

    async def _append(
        self, conversation_id: str, event: dict[str, Any], *, deliver: bool = False
    ) -> None:
        if not self._token:
            raise TakeoverFailed("no Rasa API token is configured (RASA_API_TOKEN)")
        url = f"{self._url}/conversations/{conversation_path(conversation_id)}/tracker/events"
        params = {"token": self._token, "include_events": "NONE"}
        if deliver:
            params |= {"output_channel": "latest", "execute_side_effects": "true"}
        try:
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as c:
                response = await c.post(url, params=params, json=event)
                response.raise_for_status()
        except httpx.HTTPError as error:
            # The event type only: never the conversation id or the text.
            logger.warning("takeover %s failed: %s", event["event"], type(error).__name__)
            raise TakeoverFailed(f"Rasa did not accept the {event['event']} event") from error
