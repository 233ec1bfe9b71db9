"""Uploads as staff see them: status and verdict, never the patient's file names in lists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated
from urllib.parse import quote

from fastapi import HTTPException, Path, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.cases.models import Upload
from bot.config import Settings
from bot.storage import member_path
from bot.storage.encrypted import open_encrypted

CHUNK = 64 * 1024
# An upload id or file position in a download URL. Both are INTEGER columns (32-bit in
# PostgreSQL): a larger number is a 400 here, not an overflow in the database driver (a 500).
FileKey = Annotated[int, Path(ge=0, le=2**31 - 1)]


@dataclass(frozen=True)
class FileName:
    position: int
    name: str  # the patient's file name: admins only
    size_bytes: int


@dataclass(frozen=True)
class UploadView:
    id: int
    public_id: str
    status: str
    file_count: int
    size_bytes: int
    verdict: str
    created_at: datetime
    files: list[FileName]


def uploads_of(
    session: Session, conversation_id: str, case_id: int | None = None
) -> list[UploadView]:
    condition = Upload.conversation_id == conversation_id
    if case_id is not None:
        condition = or_(condition, Upload.case_id == case_id)
    rows = session.scalars(select(Upload).where(condition).order_by(Upload.created_at))
    return [
        UploadView(
            id=u.id,
            public_id=str(getattr(u, "public_id", u.id)),
            status=u.status,
            file_count=int(getattr(u, "file_count", 1) or 0),
            size_bytes=u.size_bytes,
            verdict=str((u.verdict or {}).get("message") or ""),
            created_at=u.created_at,
            files=[FileName(f.position, f.relative_path, f.size_bytes) for f in u.files],
        )
        for u in rows
    ]


def stream_file(settings: Settings, directory: str, member: str, name: str) -> Response:
    """One stored file, decrypted as it streams; always an attachment, never rendered."""
    try:
        stream = open_encrypted(member_path(directory, member, settings.uploads_dir),
                                settings.storage_key)
    except (FileNotFoundError, ValueError) as error:
        raise HTTPException(404, "No such file.") from error

    def chunks() -> Iterator[bytes]:
        with stream:
            while block := stream.read(CHUNK):
                yield block

    filename = PurePosixPath(name.replace("\\", "/")).name or "file"
    disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    return StreamingResponse(chunks(), media_type="application/octet-stream",
                             headers={"Content-Disposition": disposition})
