"""Sending a patient's message to Rasa's REST channel, retrying while Rasa is unreachable.

Only failures where Rasa cannot have handled the message are retried (no connection, a dropped
connection, 502/503/504 from a proxy): retrying after a read timeout or a 500 could make Rasa
process the same message twice.

Rasa's REST channel (bot.channels.rest) only accepts a message with `Authorization: Bearer` and
a conversation token naming the conversation; the bridge signs a fresh short-lived one for each
attempt with the shared secret, so a retry after a long outage never carries an expired token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from bot.security.tokens import issue_token

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})
# Long enough for one request (request_timeout), short enough to be useless if it leaked.
TOKEN_TTL_SECONDS = 120


class RasaUnavailable(Exception):
    """Rasa did not answer within the deadline, or failed."""


class ShuttingDown(RasaUnavailable):
    """The bridge is stopping while Rasa is unreachable."""


class RasaClient:
    def __init__(
        self,
        rasa_url: str,
        secret_key: str,
        client: httpx.AsyncClient | None = None,
        deadline_seconds: float = 900.0,
        first_backoff: float = 1.0,
        max_backoff: float = 30.0,
        request_timeout: float = 60.0,
    ) -> None:
        self.url = rasa_url.rstrip("/")
        self._secret = secret_key
        self._client = client or httpx.AsyncClient(timeout=request_timeout)
        self._owns_client = client is None
        self._deadline = deadline_seconds
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._closing = asyncio.Event()

    def stop_retrying(self) -> None:
        """Waiting retries raise ShuttingDown at once, so the bridge can stop promptly."""
        self._closing.set()

    async def aclose(self) -> None:
        self._closing.set()
        if self._owns_client:
            await self._client.aclose()

    async def send(
        self, sender: str, message: str, metadata: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        body = {"sender": sender, "message": message, "metadata": dict(metadata)}
        started = time.monotonic()
        backoff = self._first_backoff
        attempt = 0
        while True:
            attempt += 1
            try:
                token = issue_token(self._secret, sender, "conversation", TOKEN_TTL_SECONDS)
                response = await self._client.post(
                    f"{self.url}/webhooks/rest/webhook",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                )
                if response.status_code not in RETRY_STATUSES:
                    response.raise_for_status()
                    return [dict(m) for m in response.json() if isinstance(m, dict)]
                reason = f"HTTP {response.status_code}"
            except httpx.ReadTimeout as error:
                raise RasaUnavailable("Rasa did not answer in time") from error
            except httpx.TransportError as error:
                reason = type(error).__name__
            except (httpx.HTTPStatusError, ValueError) as error:
                raise RasaUnavailable(f"Rasa failed: {type(error).__name__}") from error
            # Ids and counts only: never the message.
            logger.warning("Rasa unreachable for %s (attempt %d): %s", sender, attempt, reason)
            if time.monotonic() - started + backoff > self._deadline:
                raise RasaUnavailable(f"Rasa unreachable for {self._deadline:.0f} s")
            try:
                await asyncio.wait_for(self._closing.wait(), backoff)
                raise ShuttingDown("shutting down")
            except TimeoutError:
                pass
            backoff = min(backoff * 2, self._max_backoff)
