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
from bot.imaging.verdict import Series, Study, Verdict
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
class SeriesRow:
    number: str
    modality: str
    description: str
    images: int
    problems: list[str]


@dataclass(frozen=True)
class StudyView:
    title: str
    series: list[SeriesRow]


@dataclass(frozen=True)
class UploadView:
    id: int
    public_id: str
    status: str
    file_count: int
    size_bytes: int
    verdict: str
    created_at: datetime
    files: list[FileName]  # sorted by path, as a CD's folders are
    studies: list[StudyView]


def series_problems(series: Series) -> list[str]:
    """What is wrong with a series, in words a support agent can repeat to a patient."""
    problems = [
        f"images {first}–{last} missing" if first != last else f"image {first} missing"
        for first, last in series.missing_ranges
    ]
    if series.truncated:
        problems.append(f"{series.truncated} file(s) cut short")
    if not series.decodable:
        problems.append(f"pictures can't be decoded ({series.compression or 'unknown format'})")
    return problems


def study_view(study: Study) -> StudyView:
    when = study.date.isoformat() if study.date else "date unknown"
    title = f"{study.description or 'Study'} · {', '.join(study.modalities) or '?'} · {when}"
    rows = [
        SeriesRow("—" if s.number is None else str(s.number), s.modality, s.description or "—",
                  s.images, series_problems(s))
        for s in sorted(study.series, key=lambda s: (s.number is None, s.number or 0))
    ]
    return StudyView(title, rows)


def studies_of(verdict: dict[str, object] | None) -> list[StudyView]:
    """The studies of a stored verdict, each with its series (a template filter too)."""
    if not verdict:
        return []
    try:
        return [study_view(study) for study in Verdict.from_dict(verdict).studies]
    except (TypeError, ValueError, KeyError):  # a verdict stored by an older version
        return []


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
            files=sorted(
                (FileName(f.position, f.relative_path, f.size_bytes) for f in u.files),
                key=lambda f: f.name.lower(),
            ),
            studies=studies_of(u.verdict),
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
