"""De-identified copies of an upload, for staff to share for teaching or quality review
(issue 22). The stored, encrypted files are decrypted as they are read, de-identified one by one
(bot.imaging.deidentify) and the ZIP is sent while it is being made (bot.staff.streaming): the
download starts once the first image is ready, a 1 GB study is never held in memory or on disk
whole, and a client that goes away stops the work. The identified original stays as it is: the
second-opinion reader keeps working from it.

Each export is audited (who, which upload, how many stored files) before any byte of it leaves;
the entry holds counts only, never a file's name or anything read from a file. What the copy
holds (images, flagged images, files left out) is in its README.txt and, as counts, in the log
once it is sent.
"""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, cast

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.cases.models import Case, Upload
from bot.cases.numbers import normalize_case_number
from bot.cases.records import CaseNotFound
from bot.cases.service import utc_now
from bot.config import Settings
from bot.imaging.deidentify import ExportSummary, LeftOut, write_deidentified_zip
from bot.imaging.sources import SourceFile
from bot.staff import audit
from bot.staff.records import Principal
from bot.staff.streaming import PipeWriter
from bot.storage import member_path
from bot.storage.encrypted import open_encrypted

logger = logging.getLogger(__name__)

ACTION = "upload.deidentified_exported"
NOT_DICOM = (
    "This upload has no DICOM images to de-identify (only reports, pictures or other files), "
    "so there is no de-identified copy to download."
)
UNREADABLE = (
    "None of this upload's images could be read to make a de-identified copy (damaged, cut "
    "short or refused archives), so there is nothing to download."
)
# One file being de-identified stays in memory up to this size, else goes to disk.
SCRATCH_IN_MEMORY = 8 * 1024 * 1024
STILL_ARRIVING = "This upload is still arriving: try the de-identified copy once it is checked."


class NothingToExport(Exception):
    """No copy can be made; the message is fit to show staff as it is."""


class UploadNotFound(LookupError):
    pass


@dataclass
class DeidentifiedZip:
    """The copy being made: iterate for its bytes (the first image is ready), close when done
    or when the client has gone (stops the work)."""

    pipe: PipeWriter[ExportSummary]
    filename: str

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.pipe)

    def close(self) -> None:
        self.pipe.close()


@dataclass(frozen=True)
class _Stored:
    id: int
    directory: str
    status: str
    files: list[SourceFile]


class Exports:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock

    def for_case(self, principal: Principal, case_number: str, upload_id: int) -> DeidentifiedZip:
        """The de-identified copy of one upload of the case."""
        number = normalize_case_number(case_number)
        with self._sessions() as session:
            case_id = None
            if number:
                case_id = session.scalar(select(Case.id).where(Case.number == number))
            if number is None or case_id is None:
                raise CaseNotFound(case_number)
            stored = self._upload(session, upload_id, Upload.case_id == case_id)
        return self._export(principal, stored, "case", number)

    def for_conversation(
        self, principal: Principal, conversation_id: str, upload_id: int
    ) -> DeidentifiedZip:
        """The same for an upload of a conversation (with or without a case); the audit entry
        names the conversation by its keyed hash, as other conversation entries do."""
        with self._sessions() as session:
            stored = self._upload(session, upload_id, Upload.conversation_id == conversation_id)
        ref = audit.conversation_ref(self._settings.secret_key, conversation_id)
        return self._export(principal, stored, "conversation", ref)

    def _upload(
        self, session: Session, upload_id: int, scope: ColumnElement[bool]
    ) -> _Stored:
        upload = session.scalar(
            select(Upload).options(selectinload(Upload.files))
            .where(Upload.id == upload_id, scope)
        )
        if upload is None:
            raise UploadNotFound(str(upload_id))
        root, key = self._settings.uploads_dir, self._settings.storage_key
        files = [
            SourceFile(
                path=f.relative_path,  # the patient's name for it: only is_system_file reads it
                size=f.size_bytes,
                open=functools.partial(
                    open_encrypted, member_path(upload.stored_name, f.stored_name, root), key
                ),
            )
            for f in upload.files
        ]
        return _Stored(upload.id, upload.stored_name, upload.status, files)

    def _export(
        self, principal: Principal, stored: _Stored, target_type: str, target_ref: str
    ) -> DeidentifiedZip:
        if stored.status == "receiving":
            raise NothingToExport(STILL_ARRIVING)
        now = self._clock()
        spool = self._settings.var_dir / "exports"
        spool.mkdir(parents=True, exist_ok=True)

        def make(out: PipeWriter[ExportSummary]) -> ExportSummary:
            summary = write_deidentified_zip(
                stored.files, cast(BinaryIO, out), made_at=now, on_exported=out.mark_ready,
                scratch=functools.partial(_scratch, spool),
            )
            logger.info(
                "de-identified copy of upload %d made: %d file(s), %d flagged, %d left out",
                stored.id, len(summary.exported), len(summary.flagged),
                sum(summary.left_out.values()))
            return summary

        pipe = PipeWriter(make, name=f"deidentified-copy-{stored.id}")
        pipe.start()
        try:
            if not pipe.ready():
                summary = pipe.result or ExportSummary()
                unreadable = set(summary.left_out) & {
                    LeftOut.DAMAGED, LeftOut.FAILED, LeftOut.ARCHIVE, LeftOut.TOO_MANY}
                raise NothingToExport(UNREADABLE if unreadable else NOT_DICOM)
            with self._sessions.begin() as session:
                session.add(audit.staff_entry(
                    principal, now, ACTION, target_type, target_ref,
                    {"upload": stored.id, "stored_files": len(stored.files)}))
        except BaseException:
            pipe.close()
            raise
        return DeidentifiedZip(pipe, f"deidentified-copy-{now:%Y%m%d-%H%M%S}.zip")


def _scratch(directory: Path) -> BinaryIO:
    """Room for one file being de-identified: in memory up to SCRATCH_IN_MEMORY, then an unnamed
    temporary file in `directory` (gone once closed, or if the process dies)."""
    spooled = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (returned open)
        max_size=SCRATCH_IN_MEMORY, dir=str(directory))
    return cast(BinaryIO, spooled)
