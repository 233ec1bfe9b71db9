"""Waking a conversation up through Rasa's HTTP API (``trigger_intent``).

Used when something finishes outside the chat, e.g. the check of files sent through an upload
link: Rasa runs the conversation's next action as if the patient had asked, and delivers the
reply on the conversation's latest channel (socket.io pushes it; other channels get it back
in the response, which the caller may deliver itself).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)

UPLOADS_CHECKED = "EXTERNAL_uploads_checked"
RECORDS_FOLLOW_UP = "EXTERNAL_records_follow_up"


def conversation_path(conversation_id: str) -> str:
    """The conversation id as a URL path segment. Rasa does not unquote path parameters, so
    characters that are legal in a path (':' in "telegram:<chat id>") must stay as they are."""
    return quote(conversation_id, safe=":@!$&'()*+,;=-._~")


class RasaNotifier:
    """Offline (does nothing) when no Rasa API token is configured, so tests and demos without
    Rasa still work."""

    def __init__(
        self,
        rasa_url: str,
        api_token: str | None,
        client: httpx.AsyncClient | None = None,
        attempts: int = 3,
        backoff_seconds: float = 1.0,
    ) -> None:
        self._url = rasa_url.rstrip("/")
        self._token = api_token
        self._client = client
        self._attempts = attempts
        self._backoff = backoff_seconds

    @property
    def online(self) -> bool:
        return bool(self._token)

    async def uploads_checked(
        self, conversation_id: str, upload_ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Trigger the upload-verdict action; returns the bot messages Rasa sent back."""
        body = {"name": UPLOADS_CHECKED, "entities": {"upload_ids": ",".join(upload_ids)}}
        return await self._trigger(conversation_id, body) or []

    async def records_follow_up(
        self, conversation_id: str, step: str
    ) -> list[dict[str, Any]] | None:
        """Trigger the day-10 or day-30 follow-up of a records request; the bot messages Rasa
        sent back, or None when Rasa could not be reached (the follow-up is still due)."""
        body = {"name": RECORDS_FOLLOW_UP, "entities": {"follow_up_step": step}}
        return await self._trigger(conversation_id, body)

    async def _trigger(
        self, conversation_id: str, body: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        if not self._token:
            return None
        url = f"{self._url}/conversations/{conversation_path(conversation_id)}/trigger_intent"
        params = {"token": self._token, "output_channel": "latest"}
        client = self._client or httpx.AsyncClient(timeout=30)
        try:
            for attempt in range(1, self._attempts + 1):
                try:
                    response = await client.post(url, params=params, json=body)
                    response.raise_for_status()
                    return list(response.json().get("messages") or [])
                except (httpx.HTTPError, ValueError) as error:
                    # Ids only: the conversation id is random, never the patient's name.
                    logger.warning(
                        "trigger %s failed (attempt %d/%d): %s",
                        body["name"],
                        attempt,
                        self._attempts,
                        type(error).__name__,
                    )
                    if attempt < self._attempts:
                        await asyncio.sleep(self._backoff * attempt)
            return None
        finally:
            if self._client is None:
                await client.aclose()
