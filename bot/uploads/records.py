"""Plain values that cross the uploads service boundary (callers never hold ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any


class UploadStatus(StrEnum):
    RECEIVING = "receiving"  # body still streaming in: never counted as stored
    PENDING = "pending"  # stored, waiting for the inspection worker
    CHECKING = "checking"
    CHECKED = "checked"
    FAILED = "failed"  # the check itself failed; the files are kept


STORED_STATUSES = (
    UploadStatus.PENDING,
    UploadStatus.CHECKING,
    UploadStatus.CHECKED,
    UploadStatus.FAILED,
)
UNCHECKED_STATUSES = (UploadStatus.PENDING, UploadStatus.CHECKING)


@dataclass(frozen=True)
class UploadRecord:
    public_id: str
    conversation_id: str
    status: str
    file_count: int
    size_bytes: int
    verdict: dict[str, Any] | None
    created_at: datetime
    checked_at: datetime | None
    case_id: int | None
    via_link: bool = False  # sent from an upload page, not announced by a chat message


@dataclass(frozen=True)
class StoredFile:
    """One file of an upload. `relative_path` is what the patient's device called it (PHI-ish:
    show it to that patient only, never log it)."""

    position: int
    relative_path: str
    stored_name: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class UploadDetails:
    record: UploadRecord
    files: tuple[StoredFile, ...]


@dataclass(frozen=True)
class NewUpload:
    """A row in `receiving` and its (empty) directory."""

    id: int
    public_id: str
    conversation_id: str
    directory: Path


@dataclass(frozen=True)
class CheckJob:
    """What the inspection worker needs: where the files are and what they were called."""

    public_id: str
    conversation_id: str
    directory: Path
    files: tuple[StoredFile, ...]


class UploadGone(Exception):
    """The upload was erased (the patient deleted their data) while it was being received."""


class LinkAlreadyUsed(Exception):
    """The one-time upload link already completed an upload."""


class ConversationQuotaExceeded(Exception):
    """Storing this upload would take the conversation over its total size limit."""
