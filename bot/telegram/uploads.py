"""Files from Telegram into the web app's upload pipeline (`POST /api/uploads`), and upload links.

The bridge signs its own short-lived upload token for the chat's conversation id, the same
kind the web app issues, so an upload from Telegram lands in the same conversation as the chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlencode

import httpx

from bot.security.tokens import issue_token

logger = logging.getLogger(__name__)

# The Bot API serves downloads up to 20 MB (getFile); bigger files go through a link.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
LINK_TTL_HOURS = 24
API_TOKEN_TTL_SECONDS = 15 * 60


@dataclass(frozen=True)
class FilePart:
    name: str  # the patient's file name: may name them, so never logged
    content: IO[bytes]
    mime_type: str


class UploadRejected(Exception):
    """The web app refused the files; `message` is written for the patient."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"upload refused with HTTP {status}")
        self.status = status
        self.message = message


class UploadUnavailable(Exception):
    """The web app could not be reached or failed."""


def upload_link(public_url: str, secret_key: str, conversation_id: str) -> str:
    """A page for big files. Its "link" scope makes the web app tell the bot when the files are
    checked (no chat message of ours follows them, unlike our own "upload" uploads)."""
    token = issue_token(secret_key, conversation_id, "link", LINK_TTL_HOURS * 3600)
    return f"{public_url.rstrip('/')}/upload?{urlencode({'token': token})}"


class UploadClient:
    def __init__(
        self,
        web_url: str,
        secret_key: str,
        client: httpx.AsyncClient | None = None,
        attempts: int = 3,
        backoff_seconds: float = 1.0,
    ) -> None:
        self._url = f"{web_url.rstrip('/')}/api/uploads"
        self._secret = secret_key
        # Generous: the web app stores and encrypts up to 20 MB before it answers.
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(120, connect=10))
        self._owns_client = client is None
        self._attempts = attempts
        self._backoff = backoff_seconds

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def upload(self, conversation_id: str, parts: Sequence[FilePart]) -> list[str]:
        """The new upload ids; UploadRejected or UploadUnavailable otherwise."""
        token = issue_token(self._secret, conversation_id, "upload", API_TOKEN_TTL_SECONDS)
        for attempt in range(1, self._attempts + 1):
            for part in parts:
                part.content.seek(0)
            files = [("file", (part.name, part.content, part.mime_type)) for part in parts]
            try:
                response = await self._client.post(
                    self._url, files=files, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.TransportError as error:
                reason = type(error).__name__
            else:
                if response.status_code < 500:
                    return self._result(response)
                reason = f"HTTP {response.status_code}"
            logger.warning(
                "upload of %d file(s) for %s failed (attempt %d/%d): %s",
                len(parts),
                conversation_id,
                attempt,
                self._attempts,
                reason,
            )
            if attempt < self._attempts:
                await asyncio.sleep(self._backoff * attempt)
        raise UploadUnavailable("the upload service is unreachable")

    @staticmethod
    def _result(response: httpx.Response) -> list[str]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code in (200, 201):
            ids = [str(u["id"]) for u in body.get("uploads", []) if isinstance(u, dict)]
            if ids:
                return ids
            raise UploadUnavailable("the upload service answered without upload ids")
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str) or not message:
            message = "I couldn't accept that file. Please try again or use the upload link."
        raise UploadRejected(response.status_code, message)
