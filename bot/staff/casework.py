"""Cases as staff work on them: the queue with filters, one case in full, notes and
assignment. Status changes go through CaseService.change_status (its own audit entry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.cases.lookup_limits import LookupLock, lock_of
from bot.cases.models import Case, Patient, StaffNote, Upload, UploadFile
from bot.cases.numbers import normalize_case_number
from bot.cases.records import CaseNotFound
from bot.cases.service import utc_now
from bot.cases.status import CaseStatus, can_transition
from bot.guidance.vocabulary import exam_words
from bot.staff import audit
from bot.staff.models import StaffUser
from bot.staff.records import FileNotFound, Principal, Refused, note_text

PAGE_SIZE = 25


@dataclass(frozen=True)
class CaseFilter:
    status: CaseStatus | None = None
    subspecialty: str = ""
    older_than_days: int | None = None  # opened at least this many days ago
    newer_than_days: int | None = None  # opened within this many days
    assigned: str = ""  # a username, "me" is resolved by the caller, "none" for unassigned
    open_only: bool = False
    number: str = ""  # a case number, typed as the patient reads it out


@dataclass(frozen=True)
class CaseRow:
    number: str
    status: CaseStatus
    exam: str
    subspecialty: str
    assigned_to: str | None
    created_at: datetime
    updated_at: datetime
    age_days: int


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class HistoryEntry:
    from_status: str | None
    to_status: str
    changed_by: str
    changed_at: datetime
    note: str | None


@dataclass(frozen=True)
class NoteView:
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class FileView:
    position: int
    name: str  # the patient's file name: shown to admins only
    size_bytes: int


@dataclass(frozen=True)
class UploadEntry:
    id: int
    status: str
    verdict: str
    created_at: datetime
    files: list[FileView]  # sorted by path, as a CD's folders are
    verdict_data: dict[str, Any]  # the whole verdict (studies and series) for the case page


@dataclass(frozen=True)
class CaseView:
    id: int
    number: str
    status: CaseStatus
    next_statuses: list[CaseStatus]
    conversation_id: str
    channel: str
    full_name: str
    date_of_birth: date
    email: str | None
    phone: str | None
    exam_type: str
    body_part: str
    exam_date: date | None
    facility: str | None
    reason: str
    suggested_subspecialty: str
    insurance: dict[str, Any]
    assigned_to: str | None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryEntry]
    notes: list[NoteView]
    uploads: list[UploadEntry]
    # Wrong answers to status questions about this number in the last hour, and the lock.
    lookup_lock: LookupLock


class Casework:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    def queue(self, query: CaseFilter, page: int = 1) -> CasePage:
        now = self._clock()
        conditions: list[ColumnElement[bool]] = []
        if query.number:
            conditions.append(Case.number == (normalize_case_number(query.number) or ""))
        if query.status is not None:
            conditions.append(Case.status == query.status.value)
        elif query.open_only and not query.number:
            conditions.append(Case.status.not_in([CaseStatus.CLOSED, CaseStatus.CANCELLED]))
        if query.subspecialty:
            conditions.append(Case.suggested_subspecialty == query.subspecialty)
        if query.older_than_days is not None:
            conditions.append(Case.created_at <= now - timedelta(days=query.older_than_days))
        if query.newer_than_days is not None:
            conditions.append(Case.created_at > now - timedelta(days=query.newer_than_days))
        if query.assigned == "none":
            conditions.append(Case.assigned_to.is_(None))
        elif query.assigned:
            conditions.append(Case.assigned_to == query.assigned)
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(page, 1), pages)
            cases = session.scalars(
                select(Case).where(*conditions)
                .order_by(Case.created_at, Case.id)  # oldest first: the queue
                .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
            )
            rows = [
                CaseRow(c.number, CaseStatus(c.status), exam_words(c.exam_type, c.body_part),
                        c.suggested_subspecialty, c.assigned_to, c.created_at, c.updated_at,
                        (now - c.created_at).days)
                for c in cases
            ]
        return CasePage(rows, total, page, pages)

    def subspecialties(self) -> list[str]:
        with self._sessions() as session:
            found = session.scalars(
                select(Case.suggested_subspecialty).distinct().order_by(Case.suggested_subspecialty)
            )
            return [s for s in found if s]

    def staff_names(self) -> list[str]:
        with self._sessions() as session:
            return list(session.scalars(
                select(StaffUser.username).where(StaffUser.active).order_by(StaffUser.username)
            ))

    def view(self, principal: Principal, case_number: str) -> CaseView:
        """The whole case; the view is audited."""
        now = self._clock()
        with self._sessions.begin() as session:
            case = self._case(session, case_number, load=True)
            patient: Patient = case.patient
            uploads = session.scalars(
                select(Upload).where(Upload.case_id == case.id).order_by(Upload.created_at)
            ).all()
            view = CaseView(
                id=case.id, number=case.number, status=CaseStatus(case.status),
                next_statuses=[s for s in CaseStatus if can_transition(CaseStatus(case.status), s)],
                conversation_id=case.conversation_id, channel=case.channel,
                full_name=patient.full_name, date_of_birth=patient.date_of_birth,
                email=patient.email, phone=patient.phone, exam_type=case.exam_type,
                body_part=case.body_part, exam_date=case.exam_date, facility=case.facility,
                reason=case.reason, suggested_subspecialty=case.suggested_subspecialty,
                insurance=dict(case.insurance), assigned_to=case.assigned_to,
                created_at=case.created_at, updated_at=case.updated_at,
                history=[
                    HistoryEntry(h.from_status, h.to_status, h.changed_by, h.changed_at, h.note)
                    for h in sorted(case.status_changes, key=lambda h: (h.changed_at, h.id))
                ],
                notes=[NoteView(n.author, n.body, n.created_at)
                       for n in sorted(case.notes, key=lambda n: (n.created_at, n.id))],
                uploads=[_upload_entry(u) for u in uploads],
                lookup_lock=lock_of(session, case.number, now),
            )
            session.add(audit.staff_entry(principal, now, "case.viewed", "case", case.number))
        return view

    def add_note(self, principal: Principal, case_number: str, body: str) -> None:
        text = note_text(body)
        now = self._clock()
        with self._sessions.begin() as session:
            case = self._case(session, case_number)
            session.add(StaffNote(case_id=case.id, author=principal.username, body=text,
                                  created_at=now))
            session.add(audit.staff_entry(principal, now, "case.note_added", "case", case.number,
                                 {"length": len(text)}))

    def assign(self, principal: Principal, case_number: str, username: str | None) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            case = self._case(session, case_number)
            if username is not None:
                exists = session.scalar(
                    select(StaffUser.id).where(StaffUser.username == username, StaffUser.active)
                )
                if exists is None:
                    raise Refused("no active staff member of that name")
            previous = case.assigned_to
            case.assigned_to = username
            case.updated_at = now
            session.add(audit.staff_entry(principal, now, "case.assigned", "case", case.number,
                                 {"from": previous, "to": username}))

    def file_for_download(
        self, principal: Principal, case_number: str, upload_id: int, position: int
    ) -> tuple[str, str, str]:
        """(upload directory, member name, the patient's file name) of one file of the case;
        the download is audited before any byte leaves."""
        now = self._clock()
        with self._sessions.begin() as session:
            case = self._case(session, case_number)
            found = session.execute(
                select(Upload.stored_name, UploadFile.stored_name, UploadFile.relative_path)
                .join(UploadFile, UploadFile.upload_id == Upload.id)
                .where(Upload.id == upload_id, Upload.case_id == case.id,
                       UploadFile.position == position)
            ).first()
            if found is None:
                raise FileNotFound(f"no such file in case {case_number}")
            session.add(audit.staff_entry(
                principal, now, "upload.file_downloaded", "case", case.number,
                {"upload": upload_id, "position": position}))
            return found[0], found[1], found[2]

    def conversation_file(
        self, principal: Principal, secret: str, conversation_id: str, upload_id: int,
        position: int,
    ) -> tuple[str, str, str]:
        """Like file_for_download, for an upload of a conversation (with or without a case)."""
        now = self._clock()
        with self._sessions.begin() as session:
            found = session.execute(
                select(Upload.stored_name, UploadFile.stored_name, UploadFile.relative_path)
                .join(UploadFile, UploadFile.upload_id == Upload.id)
                .where(Upload.id == upload_id, Upload.conversation_id == conversation_id,
                       UploadFile.position == position)
            ).first()
            if found is None:
                raise FileNotFound("no such file in that conversation")
            conversation_ref = audit.conversation_ref(secret, conversation_id)
            session.add(audit.staff_entry(
                principal, now, "upload.file_downloaded", "conversation", conversation_ref,
                {"upload": upload_id, "position": position}))
            return found[0], found[1], found[2]

    @staticmethod
    def _case(session: Session, case_number: str, *, load: bool = False) -> Case:
        number = normalize_case_number(case_number)
        statement = select(Case).where(Case.number == number)
        if load:
            statement = statement.options(
                selectinload(Case.patient), selectinload(Case.status_changes),
                selectinload(Case.notes),
            )
        case = session.scalar(statement) if number else None
        if case is None:
            raise CaseNotFound(case_number)
        return case


def _upload_entry(upload: Upload) -> UploadEntry:
    files = sorted(
        (FileView(f.position, f.relative_path, f.size_bytes) for f in upload.files),
        key=lambda f: f.name.lower(),
    )
    verdict = str((upload.verdict or {}).get("message") or "")
    return UploadEntry(upload.id, upload.status, verdict, upload.created_at, files,
                       dict(upload.verdict or {}))
