"""Uploads in the database and their directories on disk.

An upload is one request's batch of files. Its row is created in `receiving` before the first
byte is stored and becomes `pending` only once every file is on disk, so an interrupted or
refused upload is never counted as stored. Every public method runs in one transaction and
returns plain values (bot.uploads.records). Database failures surface as StorageUnavailable.
Nothing here logs patient data: ids and counts only.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import ResumableFile, Upload, UploadFile, UsedUploadLink
from bot.config import Settings
from bot.db import storage_errors
from bot.storage import member_path, new_stored_name, remove_stored_file, stored_path
from bot.storage.encrypted import open_encrypted
from bot.storage.files import file_store
from bot.uploads import ocr
from bot.uploads.records import (
    STORED_STATUSES,
    UNCHECKED_STATUSES,
    CheckJob,
    ConversationQuotaExceeded,
    LinkAlreadyUsed,
    NewUpload,
    StoredFile,
    UploadDetails,
    UploadGone,
    UploadRecord,
    UploadStatus,
)

logger = logging.getLogger(__name__)

PUBLIC_ID_PREFIX = "up_"
UNKNOWN_KIND = "unknown"
INSERT_SLICE = 1000
# A report is kilobytes (a phone photo a few megabytes); bigger files are not read for text.
MAX_REPORT_BYTES = 20 * 1024 * 1024
REPORT_SUFFIXES = (".pdf", ".txt", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_public_id() -> str:
    return PUBLIC_ID_PREFIX + secrets.token_urlsafe(16)


def _storage_errors(operation: str) -> AbstractContextManager[None]:
    return storage_errors(f"uploads.{operation}")


class UploadService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._root = settings.uploads_dir
        self._max_conversation_bytes = settings.upload_limits.max_conversation_bytes
        self._clock = clock

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The database sessions (resumable uploads share them)."""
        return self._sessions

    # --- asked from the conversation (Rasa actions) ----------------------------------------

    def statuses(self, conversation_id: str, public_ids: Sequence[str]) -> list[UploadRecord]:
        """The conversation's uploads among `public_ids`, in that order; ids that are unknown,
        another conversation's or still receiving are left out."""
        wanted = list(dict.fromkeys(public_ids))
        if not wanted:
            return []
        with _storage_errors("statuses"), self._sessions() as session:
            rows = session.scalars(
                select(Upload).where(
                    Upload.conversation_id == conversation_id,
                    Upload.public_id.in_(wanted),
                    Upload.status.in_(STORED_STATUSES),
                )
            ).all()
        found = {row.public_id: _record(row) for row in rows}
        return [found[public_id] for public_id in wanted if public_id in found]

    def for_conversation(self, conversation_id: str) -> list[UploadRecord]:
        """Every stored upload of the conversation, oldest first."""
        with _storage_errors("for_conversation"), self._sessions() as session:
            rows = session.scalars(
                select(Upload)
                .where(
                    Upload.conversation_id == conversation_id,
                    Upload.status.in_(STORED_STATUSES),
                )
                .order_by(Upload.created_at, Upload.id)
            ).all()
            return [_record(row) for row in rows]

    def attach_to_case(self, conversation_id: str, case_id: int) -> int:
        """Link the conversation's checked uploads that have no case yet to `case_id`;
        returns how many were linked."""
        with _storage_errors("attach_to_case"), self._sessions.begin() as session:
            result = session.execute(
                update(Upload)
                .where(
                    Upload.conversation_id == conversation_id,
                    Upload.case_id.is_(None),
                    Upload.status == UploadStatus.CHECKED,
                )
                .values(case_id=case_id)
                .execution_options(synchronize_session=False)
            )
            return cast(CursorResult[Any], result).rowcount

    # --- the web app: receiving --------------------------------------------------------------

    def get(self, conversation_id: str, public_id: str) -> UploadDetails | None:
        """One stored upload with its files, only for the conversation that sent it."""
        with _storage_errors("get"), self._sessions() as session:
            row = session.scalar(
                select(Upload).where(
                    Upload.public_id == public_id,
                    Upload.conversation_id == conversation_id,
                    Upload.status.in_(STORED_STATUSES),
                )
            )
            if row is None:
                return None
            return UploadDetails(_record(row), tuple(_stored_file(f) for f in row.files))

    def report_texts(
        self, conversation_id: str, public_id: str, storage_key: bytes, max_files: int = 5
    ) -> list[tuple[str, bool]]:
        """The text of each readable report file in a checked upload of this conversation (to
        compare it), decrypted as it is read: a PDF's or a .txt file's own text, or what OCR
        reads in a scanned PDF or a photo of a page (then the flag is True). [] for another
        conversation's upload."""
        with _storage_errors("report_texts"), self._sessions() as session:
            row = session.scalar(
                select(Upload).where(
                    Upload.public_id == public_id,
                    Upload.conversation_id == conversation_id,
                    Upload.status == UploadStatus.CHECKED,
                )
            )
            if row is None:
                return []
            stored_name = row.stored_name
            members = [
                (f.stored_name, f.relative_path.lower().rsplit(".", 1)[-1]) for f in row.files
                if f.relative_path.lower().endswith(REPORT_SUFFIXES)
                and f.size_bytes <= MAX_REPORT_BYTES
            ][:max_files]
        from bot.imaging.pdf import pdf_text  # heavy (pypdf, pydicom): load on first use

        texts: list[tuple[str, bool]] = []
        for member, suffix in members:
            try:
                path = member_path(stored_name, member, self._root)
                with open_encrypted(path, storage_key) as stream:
                    content = stream.read()
            except (OSError, ValueError):
                continue
            if suffix == "txt":  # a report saved from a portal or an email as plain text
                texts.append((content.decode("utf-8", "replace"), False))
                continue
            if suffix == "pdf":
                text = pdf_text(io.BytesIO(content))
                if text.strip():
                    texts.append((text, False))
                    continue
                texts.append((ocr.scanned_pdf_text(content), True))
            else:
                texts.append((ocr.image_text(content), True))
        return [(text, read) for text, read in texts if text.strip()]

    def stored_bytes(self, conversation_id: str) -> int:
        with _storage_errors("stored_bytes"), self._sessions() as session:
            return quota_used(session, conversation_id)

    def begin(self, conversation_id: str, *, via_link: bool = False) -> NewUpload:
        """A new upload in `receiving` with an empty directory for its files."""
        stored_name = new_stored_name()
        with _storage_errors("begin"), self._sessions.begin() as session:
            row = Upload(
                public_id=new_public_id(),
                conversation_id=conversation_id,
                stored_name=stored_name,
                file_count=0,
                size_bytes=0,
                kind=UNKNOWN_KIND,
                status=UploadStatus.RECEIVING,
                via_link=via_link,
                created_at=self._clock(),
            )
            session.add(row)
        # The row first: a crash between the two leaves a row the sweep removes, never a
        # directory nobody knows of.
        directory = stored_path(stored_name, self._root)
        try:
            file_store().make_dir(directory)
        except OSError:
            self.abandon(row.id)
            raise
        return NewUpload(row.id, row.public_id, conversation_id, directory)

    def link_used(self, token_id: str) -> bool:
        with _storage_errors("link_used"), self._sessions() as session:
            return session.get(UsedUploadLink, token_id) is not None

    def complete(
        self,
        upload_id: int,
        files: Sequence[StoredFile],
        kind: str,
        link_token_id: str | None = None,
    ) -> UploadRecord:
        """Record the stored files and queue the upload (`pending`). Raises UploadGone when the
        upload was erased meanwhile, ConversationQuotaExceeded when the conversation's stored
        uploads would exceed its limit, LinkAlreadyUsed when `link_token_id` (a one-time upload
        link) completed an upload before; the caller then abandons it."""
        total = sum(file.size_bytes for file in files)
        with _storage_errors("complete"), self._sessions.begin() as session:
            conversation_id = session.scalar(
                select(Upload.conversation_id).where(Upload.id == upload_id)
            )
            if conversation_id is None:
                raise UploadGone()
            lock_conversation_quota(session, conversation_id)
            row = session.get(Upload, upload_id, with_for_update=True)
            if row is None or row.status != UploadStatus.RECEIVING:
                raise UploadGone()
            stored = quota_used(session, row.conversation_id, excluding=upload_id)
            if stored + total > self._max_conversation_bytes:
                raise ConversationQuotaExceeded()
            if link_token_id is not None:
                if session.get(UsedUploadLink, link_token_id) is not None:
                    raise LinkAlreadyUsed()
                session.add(UsedUploadLink(token_id=link_token_id, used_at=self._clock()))
                try:
                    session.flush()
                except IntegrityError:
                    # Two uploads raced through the same link: the other one got it.
                    raise LinkAlreadyUsed() from None
            # In slices: a CD's 20,000 rows at once would cost tens of MB of parameters.
            for start in range(0, len(files), INSERT_SLICE):
                session.execute(
                    insert(UploadFile),
                    [
                        {
                            "upload_id": upload_id,
                            "position": file.position,
                            "relative_path": file.relative_path,
                            "stored_name": file.stored_name,
                            "size_bytes": file.size_bytes,
                            "sha256": file.sha256,
                        }
                        for file in files[start : start + INSERT_SLICE]
                    ],
                )
            row.file_count = len(files)
            row.size_bytes = total
            row.kind = kind
            row.status = UploadStatus.PENDING
            record = _record(row)
        logger.info("upload %s stored: %d files, %d bytes", record.public_id, len(files), total)
        return record

    def abandon(self, upload_id: int) -> None:
        """Forget an upload that never completed: its row (if still receiving) and its files."""
        with _storage_errors("abandon"), self._sessions.begin() as session:
            stored_name = session.scalar(
                select(Upload.stored_name).where(
                    Upload.id == upload_id, Upload.status == UploadStatus.RECEIVING
                )
            )
            if stored_name is None:
                return
            session.execute(delete(Upload).where(Upload.id == upload_id))
            # Before the commit, like erasure: a failure leaves a row the sweep retries.
            remove_stored_file(stored_name, self._root)

    def sweep_receiving(self, older_than: timedelta) -> int:
        """Abandon uploads left `receiving` by a crash or a lost connection (resumable ones once
        every file has expired); returns how many."""
        now = self._clock()
        cutoff = now - older_than
        # A resumable upload stays while any of its files has not expired (PATCHes move that on).
        active = (
            select(ResumableFile.id)
            .where(ResumableFile.upload_id == Upload.id, ResumableFile.expires_at >= now)
            .exists()
        )
        with _storage_errors("sweep_receiving"), self._sessions() as session:
            ids = session.scalars(
                select(Upload.id).where(
                    Upload.status == UploadStatus.RECEIVING, Upload.created_at < cutoff, ~active
                )
            ).all()
        for upload_id in ids:
            self.abandon(upload_id)
        return len(ids)

    # --- the inspection worker ---------------------------------------------------------------

    def unchecked(self) -> list[str]:
        """Public ids of stored uploads whose check has not finished, oldest first."""
        with _storage_errors("unchecked"), self._sessions() as session:
            return list(
                session.scalars(
                    select(Upload.public_id)
                    .where(Upload.status.in_(UNCHECKED_STATUSES))
                    .order_by(Upload.created_at, Upload.id)
                )
            )

    def start_check(self, public_id: str) -> CheckJob | None:
        """Mark the upload `checking` and return its files; None if it is not waiting for a
        check (already checked, or erased)."""
        with _storage_errors("start_check"), self._sessions.begin() as session:
            row = session.scalar(
                select(Upload)
                .where(Upload.public_id == public_id, Upload.status.in_(UNCHECKED_STATUSES))
                .with_for_update()
            )
            if row is None:
                return None
            row.status = UploadStatus.CHECKING
            return CheckJob(
                public_id=row.public_id,
                conversation_id=row.conversation_id,
                directory=stored_path(row.stored_name, self._root),
                files=tuple(_stored_file(file) for file in row.files),
            )

    def finish_check(
        self, public_id: str, *, failed: bool, verdict: dict[str, Any], kind: str | None = None
    ) -> UploadRecord | None:
        """Store the verdict (`checked`, or `failed` when the check itself broke); None if the
        upload is gone or no longer being checked."""
        with _storage_errors("finish_check"), self._sessions.begin() as session:
            row = session.scalar(
                select(Upload)
                .where(Upload.public_id == public_id, Upload.status == UploadStatus.CHECKING)
                .with_for_update()
            )
            if row is None:
                return None
            row.status = UploadStatus.FAILED if failed else UploadStatus.CHECKED
            row.verdict = verdict
            row.checked_at = self._clock()
            if kind:
                row.kind = kind
            return _record(row)


def quota_used(session: Session, conversation_id: str, excluding: int | None = None) -> int:
    """What counts against the conversation's quota: its stored uploads, and the declared
    lengths of resumable files still arriving (reserved when created), but those of the
    upload `excluding` (the one being completed, which brings its own total)."""
    stored = session.scalar(
        select(func.coalesce(func.sum(Upload.size_bytes), 0)).where(
            Upload.conversation_id == conversation_id, Upload.status.in_(STORED_STATUSES)
        )
    )
    reserved_query = (
        select(func.coalesce(func.sum(ResumableFile.length), 0))
        .join(Upload, Upload.id == ResumableFile.upload_id)
        .where(
            Upload.conversation_id == conversation_id, Upload.status == UploadStatus.RECEIVING
        )
    )
    if excluding is not None:
        reserved_query = reserved_query.where(Upload.id != excluding)
    return int(stored or 0) + int(session.scalar(reserved_query) or 0)


def lock_conversation_quota(session: Session, conversation_id: str) -> None:
    """Serialise quota decisions of one conversation until the transaction ends, so two
    uploads finishing (or resumable files created) at once cannot both pass the limit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"upload-quota:{conversation_id}"},
        )
    else:
        # SQLite has one writer at a time: a write as the transaction's first statement takes
        # that lock before anything is read (it matches no row; taking the lock is the point).
        session.execute(text("UPDATE uploads SET id = id WHERE id = -1"))


def _record(row: Upload) -> UploadRecord:
    return UploadRecord(
        public_id=row.public_id,
        conversation_id=row.conversation_id,
        status=str(row.status),
        file_count=row.file_count,
        size_bytes=row.size_bytes,
        verdict=row.verdict,
        created_at=row.created_at,
        checked_at=row.checked_at,
        case_id=row.case_id,
        via_link=row.via_link,
    )


def _stored_file(row: UploadFile) -> StoredFile:
    return StoredFile(
        position=row.position,
        relative_path=row.relative_path,
        stored_name=row.stored_name,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
    )
