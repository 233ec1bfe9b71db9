"""Tables of the cases feature (SQLAlchemy 2 typed declarative).

Only the service layer uses these classes; callers get plain dataclasses. Patient data (PHI)
lives in `patients`, `cases`, `uploads`, `upload_files` and `staff_notes`; `consent_records`,
`audit_entries`, `status_lookup_attempts` and `status_lookup_failures` must never hold any.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.cases.status import CaseStatus

# Named constraints make migrations reproducible across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
JsonDocument = JSON().with_variant(JSONB(), "postgresql")
STATUS_VALUES = ", ".join(f"'{status.value}'" for status in CaseStatus)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on both backends (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware (UTC) datetime")
        value = value.astimezone(UTC)
        # SQLite stores text; stripping the zone keeps every stored value comparable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonDocument,
    }


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    cases: Mapped[list[Case]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True
    )


class ConsentRecord(Base):
    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_conversation", "conversation_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(64))
    granted: Mapped[bool]
    policy_version: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime]


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(f"status IN ({STATUS_VALUES})", name="status"),
        # The staff queue: cases in a status, oldest first.
        Index("ix_cases_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    # Unique: one case per conversation makes opening a case idempotent.
    conversation_id: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    exam_type: Mapped[str] = mapped_column(String(64))
    body_part: Mapped[str] = mapped_column(String(64))
    exam_date: Mapped[date | None] = mapped_column(Date)
    facility: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    suggested_subspecialty: Mapped[str] = mapped_column(String(64))
    insurance: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(32))
    assigned_to: Mapped[str | None] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    patient: Mapped[Patient] = relationship(back_populates="cases")
    status_changes: Mapped[list[CaseStatusChange]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    notes: Mapped[list[StaffNote]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    uploads: Mapped[list[Upload]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class CaseStatusChange(Base):
    __tablename__ = "case_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)


UPLOAD_STATUSES = ("receiving", "pending", "checking", "checked", "failed")


class Upload(Base):
    """One upload: a batch of files sent in one request (a CD folder, a ZIP and a PDF, …).

    `receiving` while the body streams in (never counted as stored), then `pending` (stored,
    queued), `checking`, and `checked` or `failed` with a verdict."""

    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in UPLOAD_STATUSES)), name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What clients see: random, so one upload's id says nothing about another's.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    # Set before a case exists (files may arrive first); linked to the case later.
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(255), unique=True)  # directory in uploads/
    file_count: Mapped[int]
    size_bytes: Mapped[int] = mapped_column(BigInteger)  # plaintext total of the files
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), index=True)
    # Sent from an upload page (a link in a chat): the web app tells the bot when it is checked.
    via_link: Mapped[bool] = mapped_column(default=False, server_default=false())
    verdict: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    checked_at: Mapped[datetime | None]

    files: Mapped[list[UploadFile]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="UploadFile.position"
    )


class UsedUploadLink(Base):
    """Upload links are one-time: the token id of each link that completed an upload. Only the
    random token id is kept, nothing about the patient or the conversation."""

    __tablename__ = "used_upload_links"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime]


class UploadFile(Base):
    __tablename__ = "upload_files"
    __table_args__ = (UniqueConstraint("upload_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"))
    position: Mapped[int]
    relative_path: Mapped[str] = mapped_column(Text)  # PHI-ish (names in folders): never log it
    stored_name: Mapped[str] = mapped_column(String(32))  # inside the upload's directory
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))


class ResumableFile(Base):
    """One file of an upload sent with the tus protocol: created with its length, filled by
    PATCH requests, finished when every byte is stored. Its length is reserved against the
    conversation's quota from creation; rows go once the upload completes (as upload_files)."""

    __tablename__ = "resumable_files"
    __table_args__ = (UniqueConstraint("upload_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # the tus resource id
    upload_id: Mapped[int] = mapped_column(
        ForeignKey("uploads.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    relative_path: Mapped[str] = mapped_column(Text)  # PHI-ish (names in folders): never log it
    length: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))  # set when finished
    expires_at: Mapped[datetime]  # moved on by every PATCH
    created_at: Mapped[datetime]


class StaffNote(Base):
    __tablename__ = "staff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what to which record. Append-only (database triggers); never PHI."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_ref: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]]


class StatusLookupAttempt(Base):
    """One status question asked in a conversation; counted for rate limiting."""

    __tablename__ = "status_lookup_attempts"
    __table_args__ = (Index("ix_status_lookup_attempts_conversation", "conversation_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime]


class StatusLookupFailure(Base):
    """One wrong date of birth (or unknown number) given for a case number, whoever asked.

    Counted per case number, and per client address where the channel knows it, so that new
    conversations get no new guesses. No conversation id: erasing a conversation must not
    reset the count. `client_ref` is a keyed hash of the address, never the address. Rows
    older than the lookup window are dropped."""

    __tablename__ = "status_lookup_failures"
    __table_args__ = (
        Index("ix_status_lookup_failures_number", "case_number", "at"),
        Index("ix_status_lookup_failures_client", "client_ref", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(16))
    client_ref: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
