"""Erasing one conversation's patient data, inside a transaction the caller owns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Delete,
    column,
    delete,
    inspect,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from bot.cases.models import (
    Case,
    CaseStatusChange,
    ConsentRecord,
    Patient,
    StaffNote,
    StatusLookupAttempt,
    Upload,
    UploadFile,
)
from bot.cases.records import DeletionReport

# The console's (bot.staff.models), named here rather than imported: bot.staff builds on
# bot.cases, not the other way round.
CONSOLE_REVIEW_TABLES = tuple(
    table(name, column("conversation_id"))
    for name in ("conversation_notes", "conversation_tags", "conversation_reviews",
                 "conversation_presence")
)
# The letters' (bot.letters.models), named for the same reason: the center and the exam.
RECORDS_REQUESTS = table("records_requests", column("conversation_id"))


def erase_conversation(
    session: Session, conversation_id: str, remove_file: Callable[[str], None]
) -> DeletionReport:
    """Delete the conversation's rows in every table, children first so each count is exact
    (the ON DELETE CASCADE foreign keys are only a safety net)."""
    patient_ids = list(
        session.scalars(select(Patient.id).where(Patient.conversation_id == conversation_id))
    )
    case_ids = list(
        session.scalars(
            select(Case.id).where(
                or_(Case.conversation_id == conversation_id, Case.patient_id.in_(patient_ids))
            )
        )
    )
    uploads = session.execute(
        select(Upload.id, Upload.stored_name).where(
            or_(Upload.conversation_id == conversation_id, Upload.case_id.in_(case_ids))
        )
    ).all()
    for upload in uploads:
        remove_file(upload.stored_name)  # the upload's directory with all its files
    upload_ids = [upload.id for upload in uploads]
    # The files' rows (their names may be PHI) go with their upload; the report counts uploads.
    _delete(session, delete(UploadFile).where(UploadFile.upload_id.in_(upload_ids)))
    ours = conversation_id
    return DeletionReport(
        uploads=_delete(session, delete(Upload).where(Upload.id.in_(upload_ids))),
        status_changes=_delete(
            session, delete(CaseStatusChange).where(CaseStatusChange.case_id.in_(case_ids))
        ),
        staff_notes=_delete(session, delete(StaffNote).where(StaffNote.case_id.in_(case_ids))),
        cases=_delete(session, delete(Case).where(Case.id.in_(case_ids))),
        patients=_delete(session, delete(Patient).where(Patient.id.in_(patient_ids))),
        consent_records=_delete(
            session, delete(ConsentRecord).where(ConsentRecord.conversation_id == ours)
        ),
        status_lookup_attempts=_delete(
            session, delete(StatusLookupAttempt).where(StatusLookupAttempt.conversation_id == ours)
        ),
        # Staff notes about the conversation may describe the patient.
        conversation_reviews=sum(
            _delete(session, delete(reviews).where(reviews.c.conversation_id == ours))
            for reviews in CONSOLE_REVIEW_TABLES
        ),
        records_requests=_delete(
            session, delete(RECORDS_REQUESTS).where(RECORDS_REQUESTS.c.conversation_id == ours)
        ),
        tracker_events=delete_tracker_events(session, conversation_id),
    )


def delete_tracker_events(session: Session, conversation_id: str) -> int:
    """Rasa's stored events of the conversation (its `events` table, if Rasa created it)."""
    if not inspect(session.connection()).has_table("events"):
        return 0
    result = session.execute(
        text("DELETE FROM events WHERE sender_id = :conversation_id"),
        {"conversation_id": conversation_id},
    )
    return cast(CursorResult[Any], result).rowcount


def _delete(session: Session, statement: Delete) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount
