"""Uploads as staff see them: status and verdict, never the patient's file names in lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.cases.models import Upload


@dataclass(frozen=True)
class UploadView:
    id: int
    public_id: str
    status: str
    file_count: int
    size_bytes: int
    verdict: str
    created_at: datetime


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
        )
        for u in rows
    ]
