"""Resumable uploads (tus 1.0) in the database: one upload, many files, each filled by PATCHes.

The upload is an ordinary `receiving` upload (`UploadService.begin`); each of its files is a
`resumable_files` row created with its declared length, which is reserved against the
conversation's quota at once, under the conversation's quota lock, so parallel creations cannot
pass the limit together. Bytes live in the upload's directory (`bot.storage.resumable`); what
is stored is the offset. Completing the upload turns the finished files into `upload_files`
rows and the upload `pending`, exactly as a multipart upload ends. Every public method runs in
one transaction; database failures surface as StorageUnavailable. Nothing is logged but ids.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import ResumableFile, Upload
from bot.config import Settings
from bot.db import storage_errors
from bot.storage import member_name, stored_path
from bot.storage.files import file_store
from bot.storage.resumable import tail_path
from bot.uploads.naming import clean_relative_path, summary_kind
from bot.uploads.records import (
    ConversationQuotaExceeded,
    StoredFile,
    UploadGone,
    UploadRecord,
    UploadStatus,
)
from bot.uploads.service import (
    UploadService,
    lock_conversation_quota,
    quota_used,
    utc_now,
)

logger = logging.getLogger(__name__)

FILE_ID_PREFIX = "rf_"
# How long an unfinished file waits for its next byte; each PATCH moves this on.
EXPIRES_AFTER = timedelta(hours=24)
TOUCH_EVERY = timedelta(minutes=30)


class TooManyFiles(Exception):
    """The upload already has as many files as one study may have."""


class FilesUnfinished(Exception):
    """Completing an upload some of whose files have not received every byte."""

    def __init__(self, unfinished: int) -> None:
        super().__init__(f"{unfinished} files unfinished")
        self.unfinished = unfinished


class NoFiles(Exception):
    """Completing an upload that has no files."""


@dataclass(frozen=True)
class ResumableState:
    """One resumable file, as the tus routes need it."""

    public_id: str
    upload_public_id: str
    length: int
    finished: bool
    expires_at: datetime
    path: Path  # the encrypted member file (its tail file sits beside it)


class ResumableUploads:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        uploads: UploadService,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._root = settings.uploads_dir
        self._limits = settings.upload_limits
        self._uploads = uploads
        self._clock = clock

    def create_file(
        self, conversation_id: str, upload_public_id: str, length: int, relative_path: str
    ) -> ResumableState:
        """A new file of the upload, its length reserved. Raises UploadGone (no such receiving
        upload in this conversation), TooManyFiles or ConversationQuotaExceeded."""
        now = self._clock()
        with storage_errors("resumable.create_file"), self._sessions.begin() as session:
            lock_conversation_quota(session, conversation_id)
            upload = _receiving(session, conversation_id, upload_public_id)
            count, last = session.execute(
                select(func.count(ResumableFile.id), func.max(ResumableFile.position)).where(
                    ResumableFile.upload_id == upload.id
                )
            ).one()
            if count >= self._limits.max_files_per_study:
                raise TooManyFiles()
            if quota_used(session, conversation_id) + length > self._limits.max_conversation_bytes:
                raise ConversationQuotaExceeded()
            position = (last or 0) + 1
            row = ResumableFile(
                public_id=FILE_ID_PREFIX + secrets.token_urlsafe(18),
                upload_id=upload.id,
                position=position,
                relative_path=clean_relative_path(relative_path, position),
                length=length,
                sha256=None,
                expires_at=now + EXPIRES_AFTER,
                created_at=now,
            )
            session.add(row)
            session.flush()
            return self._state(row, upload)

    def file(self, conversation_id: str, public_id: str) -> ResumableState | None:
        """The file, only for its own conversation and while its upload is receiving."""
        with storage_errors("resumable.file"), self._sessions() as session:
            found = session.execute(
                select(ResumableFile, Upload)
                .join(Upload, Upload.id == ResumableFile.upload_id)
                .where(
                    ResumableFile.public_id == public_id,
                    Upload.conversation_id == conversation_id,
                    Upload.status == UploadStatus.RECEIVING,
                )
            ).one_or_none()
            return None if found is None else self._state(*found)

    def touch_due(self, state: ResumableState) -> bool:
        """Whether a PATCH now should move the file's expiry on (no I/O: the caller skips the
        thread hop when it should not)."""
        return self._clock() + EXPIRES_AFTER - state.expires_at >= TOUCH_EVERY

    def touch(self, state: ResumableState) -> datetime:
        """Move the file's expiry on after a PATCH; returns the expiry. Written at most once per
        TOUCH_EVERY: a database commit per 8 MiB piece would halve the upload's speed."""
        if not self.touch_due(state):
            return state.expires_at
        expires = self._clock() + EXPIRES_AFTER
        public_id = state.public_id
        with storage_errors("resumable.touch"), self._sessions.begin() as session:
            row = session.scalar(select(ResumableFile).where(ResumableFile.public_id == public_id))
            if row is not None:
                row.expires_at = expires
        return expires

    def finish_file(self, public_id: str, sha256: str) -> None:
        with storage_errors("resumable.finish_file"), self._sessions.begin() as session:
            row = session.scalar(select(ResumableFile).where(ResumableFile.public_id == public_id))
            if row is None:
                raise UploadGone()
            row.sha256 = sha256

    def terminate(self, conversation_id: str, public_id: str) -> bool:
        """Remove an unfinished file and its bytes (tus termination); False if not found."""
        state = self.file(conversation_id, public_id)
        if state is None:
            return False
        with storage_errors("resumable.terminate"), self._sessions.begin() as session:
            session.execute(delete(ResumableFile).where(ResumableFile.public_id == public_id))
            file_store().unlink(state.path)
            file_store().unlink(tail_path(state.path))
        return True

    def abandon(self, conversation_id: str, upload_public_id: str) -> bool:
        """Give up a receiving upload with all its files; False if there is no such upload."""
        with storage_errors("resumable.abandon"), self._sessions() as session:
            upload_id = session.scalar(
                select(Upload.id).where(
                    Upload.public_id == upload_public_id,
                    Upload.conversation_id == conversation_id,
                    Upload.status == UploadStatus.RECEIVING,
                )
            )
        if upload_id is None:
            return False
        self._uploads.abandon(upload_id)
        return True

    def complete(
        self, conversation_id: str, upload_public_id: str, link_token_id: str | None = None
    ) -> UploadRecord:
        """Turn the upload's finished files into a stored upload (`pending`). Raises UploadGone,
        NoFiles, FilesUnfinished, and what `UploadService.complete` raises."""
        with storage_errors("resumable.complete"), self._sessions() as session:
            upload = _receiving(session, conversation_id, upload_public_id)
            rows = session.scalars(
                select(ResumableFile)
                .where(ResumableFile.upload_id == upload.id)
                .order_by(ResumableFile.position)
            ).all()
            upload_id = upload.id
            files = [
                StoredFile(r.position, r.relative_path, member_name(r.position), r.length, r.sha256)
                for r in rows
                if r.sha256 is not None
            ]
        if not rows:
            raise NoFiles()
        if len(files) != len(rows):
            raise FilesUnfinished(len(rows) - len(files))
        kind = summary_kind([file.relative_path for file in files])
        record = self._uploads.complete(upload_id, files, kind, link_token_id)
        with storage_errors("resumable.complete"), self._sessions.begin() as session:
            session.execute(delete(ResumableFile).where(ResumableFile.upload_id == upload_id))
        return record

    def _state(self, row: ResumableFile, upload: Upload) -> ResumableState:
        return ResumableState(
            public_id=row.public_id,
            upload_public_id=upload.public_id,
            length=row.length,
            finished=row.sha256 is not None,
            expires_at=row.expires_at,
            path=stored_path(upload.stored_name, self._root) / member_name(row.position),
        )


def _receiving(session: Session, conversation_id: str, upload_public_id: str) -> Upload:
    upload = session.scalar(
        select(Upload).where(
            Upload.public_id == upload_public_id,
            Upload.conversation_id == conversation_id,
            Upload.status == UploadStatus.RECEIVING,
        )
    )
    if upload is None:
        raise UploadGone()
    return upload
