"""Erasing a conversation: every row of it (Rasa's events too), nobody else's, and an audit
entry that says how much was erased but nothing about whom."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService, CaseStatus, ContactDetails, DeletionReport
from bot.cases.models import (
    AuditEntry,
    Case,
    CaseStatusChange,
    ConsentRecord,
    Patient,
    StaffNote,
    StatusLookupAttempt,
    Upload,
    UploadFile,
)
from bot.letters.models import RecordsRequest
from bot.letters.requests import RecordsRequests
from bot.staff.models import ConversationNote, ConversationReview, ConversationTag
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock, count_events, create_rasa_events

OTHER = ContactDetails("Oskar Brightwater", date(1985, 5, 5), email="oskar@example.net")
ALL_TABLES = (
    Patient, Case, CaseStatusChange, StaffNote, Upload, UploadFile, ConsentRecord,
    StatusLookupAttempt, ConversationReview, ConversationTag, ConversationNote, RecordsRequest,
)  # fmt: skip


def _add_review(sessions: sessionmaker[Session], conversation_id: str) -> None:
    """What the console leaves: a review status, a tag and a note that may name the patient."""
    at = datetime(2026, 3, 3, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(ConversationReview(
            conversation_id=conversation_id, status="follow_up", reviewed_by="ana", reviewed_at=at
        ))
        session.add(ConversationTag(
            conversation_id=conversation_id, tag="callback", added_by="ana", added_at=at
        ))
        session.add(ConversationNote(
            conversation_id=conversation_id, author="ana", body=f"{JANE.full_name} will call",
            created_at=at,
        ))  # fmt: skip


def _add_upload(sessions: sessionmaker[Session], conversation_id: str, stored_name: str,
                case_number: str | None) -> None:  # fmt: skip
    with sessions.begin() as session:
        case_id = None
        if case_number:
            case_id = session.scalar(select(Case.id).where(Case.number == case_number))
        session.add(
            Upload(
                public_id=f"up_{stored_name}",
                conversation_id=conversation_id,
                case_id=case_id,
                stored_name=stored_name,
                file_count=1,
                size_bytes=1024,
                kind="dicom",
                status="checked",
                verdict={"ok": True},
                created_at=datetime(2026, 3, 1, tzinfo=UTC),
                files=[
                    UploadFile(
                        position=1,
                        relative_path=f"{JANE.full_name} knee MRI.zip",
                        stored_name="f000001.sre",
                        size_bytes=1024,
                        sha256="0" * 64,
                    )
                ],
            )
        )


def _add_note(sessions: sessionmaker[Session], case_number: str) -> None:
    with sessions.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == case_number))
        session.add(
            StaffNote(
                case_id=case_id,
                author="staff:ana",
                body=f"Called {JANE.full_name}",
                created_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
        )


def _counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in ALL_TABLES
        }


@pytest.fixture
def two_conversations(
    service: CaseService, sessions: sessionmaker[Session], engine: Engine, clock: FakeClock
) -> tuple[str, str]:
    """conv-jane with everything a conversation can leave behind; conv-oskar with a case."""
    service.record_consent("conv-jane", "rest", True, "2026-01")
    jane = service.open_case("conv-jane", "rest", JANE, KNEE_MRI).number
    service.change_status(jane, CaseStatus.RECORDS_REQUESTED, "staff:ana", f"{JANE.email} ok")
    _add_note(sessions, jane)
    _add_upload(sessions, "conv-jane", "jane-before-case.bin", None)
    _add_upload(sessions, "conv-jane", "jane-report.pdf", jane)
    service.lookup_status("conv-jane", jane, date(1900, 1, 1), clock.now)
    _add_review(sessions, "conv-jane")
    RecordsRequests(sessions, clock).record("conv-jane", "rest", "Harbor Imaging", "knee MRI")

    service.record_consent("conv-oskar", "rest", True, "2026-01")
    oskar = service.open_case("conv-oskar", "rest", OTHER, KNEE_MRI).number
    _add_upload(sessions, "conv-oskar", "oskar.pdf", oskar)
    service.lookup_status("conv-oskar", oskar, OTHER.date_of_birth, clock.now)
    create_rasa_events(
        engine,
        {"conv-jane": [f"my name is {JANE.full_name}", "1971-08-23"], "conv-oskar": ["hi"]},
    )
    return jane, oskar


def test_deletes_everything_of_the_conversation(
    service: CaseService, sessions: sessionmaker[Session], engine: Engine,
    two_conversations: tuple[str, str],
) -> None:  # fmt: skip
    removed: list[str] = []
    before = _counts(sessions)

    report = service.delete_patient_data("conv-jane", removed.append)

    assert sorted(removed) == ["jane-before-case.bin", "jane-report.pdf"]
    assert report == DeletionReport(
        patients=1, cases=1, status_changes=2, staff_notes=1, uploads=2,
        consent_records=1, status_lookup_attempts=1, conversation_reviews=3, records_requests=1,
        tracker_events=2,
    )  # fmt: skip
    after = _counts(sessions)
    assert after == {
        "patients": 1, "cases": 1, "case_status_changes": 1, "staff_notes": 0, "uploads": 1,
        "upload_files": 1, "consent_records": 1, "status_lookup_attempts": 1,
        "conversation_reviews": 0, "conversation_tags": 0, "conversation_notes": 0,
        "records_requests": 0,
    }  # fmt: skip
    # The report counts uploads, not their files' rows (2 here), nor the tracker events (2).
    assert sum(before.values()) - sum(after.values()) == sum(report.as_counts().values())
    assert count_events(engine, "conv-jane") == 0
    assert count_events(engine, "conv-oskar") == 1
    with sessions() as session:
        assert session.scalars(select(Case.conversation_id)).all() == ["conv-oskar"]
        assert session.scalars(select(Upload.stored_name)).all() == ["oskar.pdf"]


def test_leaves_one_audit_entry_without_patient_data(
    service: CaseService, sessions: sessionmaker[Session], engine: Engine,
    two_conversations: tuple[str, str],
) -> None:  # fmt: skip
    with sessions() as session:
        audit_before = session.scalar(select(func.count()).select_from(AuditEntry)) or 0

    report = service.delete_patient_data("conv-jane", lambda _name: None)

    with sessions() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(entries) == audit_before + 1
    deletion = entries[-1]
    assert deletion.action == "patient_data.deleted"
    assert deletion.details == report.as_counts()
    # Nothing that identifies the patient anywhere in the audit table, in any column.
    with engine.connect() as connection:
        dump = json.dumps(
            [list(map(str, row)) for row in connection.execute(text("SELECT * FROM audit_entries"))]
        )
    for secret in (
        JANE.full_name, "Janet", "Quillfeather", str(JANE.email), str(JANE.phone),
        JANE.date_of_birth.isoformat(), "08/23/1971", "conv-jane",
    ):  # fmt: skip
        assert secret not in dump


def test_a_failing_file_removal_rolls_everything_back(
    service: CaseService, sessions: sessionmaker[Session], engine: Engine,
    two_conversations: tuple[str, str],
) -> None:  # fmt: skip
    before = _counts(sessions)

    def broken_disk(_name: str) -> None:
        raise OSError("disk unavailable")

    with pytest.raises(OSError, match="disk unavailable"):
        service.delete_patient_data("conv-jane", broken_disk)
    assert _counts(sessions) == before
    assert count_events(engine, "conv-jane") == 2
    # A retry once the disk is back does the whole job.
    assert service.delete_patient_data("conv-jane", lambda _name: None).patients == 1


def test_deleting_an_unknown_conversation_is_harmless(
    service: CaseService, sessions: sessionmaker[Session], two_conversations: tuple[str, str]
) -> None:
    before = _counts(sessions)
    assert service.delete_patient_data("conv-nobody", lambda _name: None) == DeletionReport()
    assert _counts(sessions) == before


def test_works_before_rasa_created_its_table(service: CaseService) -> None:
    service.open_case("conv-jane", "rest", JANE, KNEE_MRI)
    report = service.delete_patient_data("conv-jane", lambda _name: None)
    assert (report.cases, report.tracker_events) == (1, 0)


def test_database_cascades_from_patient_to_case_children(
    service: CaseService, sessions: sessionmaker[Session], two_conversations: tuple[str, str]
) -> None:
    # The service deletes children itself; the foreign keys are the safety net for others.
    with sessions.begin() as session:
        session.execute(delete(Patient).where(Patient.conversation_id == "conv-jane"))
    after = _counts(sessions)
    assert (after["cases"], after["case_status_changes"], after["staff_notes"]) == (1, 1, 0)
    assert after["uploads"] == 2  # the one uploaded before the case existed has no case link
