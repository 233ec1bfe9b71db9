"""Documents from a chat → one upload in the web app's pipeline, or an upload link; and a photo
of a printed report, when the conversation has asked for one (the comparison reads it by OCR).

Files up to the Bot API's 20 MB download limit are fetched (getFile) into spooled temporary
files (memory first, an unnamed file on disk beyond SPOOL_BYTES) and streamed to
`POST /api/uploads`; bigger ones get a private upload link. File names may name the patient:
they go to the web app, never to a log.
"""

from __future__ import annotations

import logging
import mimetypes
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from telegram import Bot, Document, PhotoSize
from telegram.error import BadRequest

from bot.telegram import texts
from bot.telegram.uploads import (
    LINK_TTL_HOURS,
    MAX_DOWNLOAD_BYTES,
    FilePart,
    UploadClient,
    UploadRejected,
    UploadUnavailable,
    upload_link,
)

logger = logging.getLogger(__name__)

SPOOL_BYTES = 4 * 1024 * 1024
REPORT_PHOTO_NAME = "report-photo.jpg"  # Telegram re-encodes every photo as a JPEG


@dataclass
class Intake:
    upload_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what to tell the patient first


class DocumentIntake:
    def __init__(
        self,
        uploads: UploadClient,
        public_url: str,
        secret_key: str,
        conversation_of: Callable[[int], str],
    ) -> None:
        self._uploads = uploads
        self._public_url = public_url
        self._secret_key = secret_key
        self._conversation_of = conversation_of

    def link_note(self, chat_id: int) -> str:
        link = upload_link(self._public_url, self._secret_key, self._conversation_of(chat_id))
        return texts.too_big(f"[{link}]({link})", LINK_TTL_HOURS)

    async def receive(self, bot: Bot, chat_id: int, documents: Sequence[Document]) -> Intake:
        files = [
            (d.file_id, d.file_size, d.file_name, d.mime_type or "application/octet-stream")
            for d in documents
        ]
        return await self._receive(bot, chat_id, files)

    async def receive_report_photo(self, bot: Bot, chat_id: int, photo: PhotoSize) -> Intake:
        """The largest size of a photo (the most detail for OCR) as one upload."""
        files = [(photo.file_id, photo.file_size, REPORT_PHOTO_NAME, "image/jpeg")]
        return await self._receive(bot, chat_id, files)

    async def _receive(
        self, bot: Bot, chat_id: int, files: Sequence[tuple[str, int | None, str | None, str]]
    ) -> Intake:
        intake = Intake()
        with ExitStack() as spools:
            parts: list[FilePart] = []
            too_big = 0
            for file_id, size, name, mime in files:
                part = await self._fetch(bot, file_id, size, name, mime, spools)
                if part is None:
                    too_big += 1
                else:
                    parts.append(part)
            if too_big:
                logger.info("chat %s: %d file(s) over 20 MB; link sent", chat_id, too_big)
                intake.notes.append(self.link_note(chat_id))
            if parts:
                await self._upload(chat_id, parts, intake)
        return intake

    async def _fetch(
        self,
        bot: Bot,
        file_id: str,
        size: int | None,
        name: str | None,
        mime: str,
        spools: ExitStack,
    ) -> FilePart | None:
        """The downloaded file, or None when Telegram will not let us download it."""
        if (size or 0) > MAX_DOWNLOAD_BYTES:
            return None
        try:
            file = await bot.get_file(file_id)
        except BadRequest as error:
            if "too big" not in str(error).lower():
                raise
            return None
        spool = tempfile.SpooledTemporaryFile(SPOOL_BYTES)  # noqa: SIM115 (closed by `spools`)
        buffer = cast(BinaryIO, spools.enter_context(spool))
        await file.download_to_memory(out=buffer)
        name = name or f"telegram-file{mimetypes.guess_extension(mime) or ''}"
        return FilePart(name, buffer, mime)

    async def _upload(self, chat_id: int, parts: list[FilePart], intake: Intake) -> None:
        try:
            conversation = self._conversation_of(chat_id)
            intake.upload_ids = await self._uploads.upload(conversation, parts)
        except UploadRejected as error:
            logger.info("chat %s: upload refused (HTTP %d)", chat_id, error.status)
            intake.notes.append(error.message)
        except UploadUnavailable:
            intake.notes.append(texts.UPLOAD_FAILED)
        else:
            logger.info(
                "chat %s: %d file(s) stored as %s", chat_id, len(parts), ",".join(intake.upload_ids)
            )
