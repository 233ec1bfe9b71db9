"""Cases: consent, opening a case, status questions, staff status changes, erasure.

Every public method runs in one transaction and returns plain values (bot.cases.records).
Database failures surface as StorageUnavailable. Nothing here logs patient data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import lookup_limits as limits
from bot.cases.erasure import erase_conversation
from bot.cases.inactive import inactive_conversations, is_inactive
from bot.cases.models import (
    AuditEntry,
    Case,
    CaseStatusChange,
    ConsentRecord,
    Patient,
    StatusLookupAttempt,
    StatusLookupFailure,
    Upload,
)
from bot.cases.numbers import is_valid_case_number, new_case_number, normalize_case_number
from bot.cases.records import (
    CaseDetails,
    CaseNotFound,
    CaseSummary,
    ConsentDecision,
    ContactDetails,
    DeletionReport,
    LookupOutcome,
    StatusLookupResult,
    StorageUnavailable,
)
from bot.cases.status import CaseStatus, describe_status, require_transition
from bot.db import storage_errors

# The consent text: "while the case is open and up to 12 months after it closes".
RETENTION = timedelta(days=365)
logger = logging.getLogger(__name__)

# A clash of 6 random base32 symbols within a year is ~1e-9 per case; retrying is plenty.
CASE_NUMBER_TRIES = 5
BOT_ACTOR = "bot"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _storage_errors(operation: str) -> AbstractContextManager[None]:
    return storage_errors(f"cases.{operation}")


class CaseService:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    # --- consent -------------------------------------------------------------------------

    def record_consent(
        self, conversation_id: str, channel: str, granted: bool, policy_version: str
    ) -> ConsentDecision:
        record = ConsentRecord(
            conversation_id=conversation_id,
            channel=channel,
            granted=granted,
            policy_version=policy_version,
            recorded_at=self._clock(),
        )
        with _storage_errors("record_consent"), self._sessions.begin() as session:
            session.add(record)
        return ConsentDecision(conversation_id, granted, policy_version, record.recorded_at)

    def has_consent(self, conversation_id: str) -> bool:
        latest = (
            select(ConsentRecord.granted)
            .where(ConsentRecord.conversation_id == conversation_id)
            .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
            .limit(1)
        )
        with _storage_errors("has_consent"), self._sessions() as session:
            return bool(session.scalar(latest))

    # --- opening a case ------------------------------------------------------------------

    def open_case(
        self,
        conversation_id: str,
        channel: str,
        contact: ContactDetails,
        details: CaseDetails,
    ) -> CaseSummary:
        """The conversation's case, opened now or earlier: safe to repeat and to retry (the
        details of a repeat are ignored; `newly_opened` tells which happened)."""
        with _storage_errors("open_case"):
            if existing := self._case_of_conversation(conversation_id):
                return existing
            for _ in range(CASE_NUMBER_TRIES):
                try:
                    return self._insert_case(conversation_id, channel, contact, details)
                except IntegrityError:
                    # Either a concurrent call won the race for this conversation (then its
                    # case is there now) or the random number clashed (then try another).
                    if existing := self._case_of_conversation(conversation_id):
                        return existing
        raise StorageUnavailable("could not allocate a unique case number")

    def _case_of_conversation(self, conversation_id: str) -> CaseSummary | None:
        with self._sessions() as session:
            case = session.scalar(select(Case).where(Case.conversation_id == conversation_id))
            return None if case is None else _summary(case, newly_opened=False)

    def _insert_case(
        self, conversation_id: str, channel: str, contact: ContactDetails, details: CaseDetails
    ) -> CaseSummary:
        now = self._clock()
        patient = Patient(
            full_name=contact.full_name,
            date_of_birth=contact.date_of_birth,
            email=contact.email,
            phone=contact.phone,
            conversation_id=conversation_id,
            channel=channel,
            created_at=now,
        )
        case = Case(
            number=new_case_number(now.year),
            conversation_id=conversation_id,
            channel=channel,
            exam_type=details.exam_type,
            body_part=details.body_part,
            exam_date=details.exam_date,
            facility=details.facility,
            reason=details.reason,
            suggested_subspecialty=details.suggested_subspecialty,
            insurance=dict(details.insurance),
            status=CaseStatus.NEW.value,
            created_at=now,
            updated_at=now,
        )
        patient.cases.append(case)
        opened = CaseStatusChange(
            to_status=CaseStatus.NEW.value, changed_by=BOT_ACTOR, changed_at=now
        )
        case.status_changes.append(opened)
        with self._sessions.begin() as session:
            session.add(patient)
            session.add(
                _audit(now, BOT_ACTOR, "case.opened", "case", case.number, {"channel": channel})
            )
            session.flush()
            # Files the patient sent before opening the case belong to it.
            _attach_checked_uploads(session, conversation_id, case.id)
        logger.info("opened case %s", case.number)
        return _summary(case, newly_opened=True)

    def attach_uploads(self, conversation_id: str) -> int:
        """Link the conversation's checked uploads that have no case yet to its case; returns
        how many were linked (0 when the conversation has no case)."""
        with _storage_errors("attach_uploads"), self._sessions.begin() as session:
            case_id = session.scalar(
                select(Case.id).where(Case.conversation_id == conversation_id)
            )
            if case_id is None:
                return 0
            return _attach_checked_uploads(session, conversation_id, case_id)

    # --- status questions from patients --------------------------------------------------

    def lookup_status(
        self,
        conversation_id: str,
        case_number: str,
        date_of_birth: date,
        now: datetime,
        client_ref: str | None = None,
    ) -> StatusLookupResult:
        """The status, only when number and birth date both match. An unknown number and a
        wrong birth date give the same answer. Limits (bot.cases.lookup_limits): 5 questions
        per conversation, 3 wrong answers per case number whoever asks, 10 per client address
        (`client_ref`, an opaque keyed hash, when the channel knows the address), each per
        rolling hour."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        number = normalize_case_number(case_number)
        if number is None or not is_valid_case_number(case_number):
            return StatusLookupResult(LookupOutcome.INVALID_NUMBER, attempts_left=None)
        with _storage_errors("lookup_status"), self._sessions.begin() as session:
            # The clean-up comes first: on SQLite its write serializes concurrent lookups.
            limits.forget_old(session, conversation_id, now)
            limits.serialize_number(session, number)
            asked = limits.conversation_attempts(session, conversation_id, now)
            if (
                asked >= limits.STATUS_LOOKUP_LIMIT
                or limits.client_failures(session, client_ref, now) >= limits.CLIENT_FAILURE_LIMIT
            ):
                return StatusLookupResult(LookupOutcome.RATE_LIMITED, attempts_left=0)
            failed = len(limits.number_failure_times(session, number, now))
            if failed >= limits.CASE_NUMBER_FAILURE_LIMIT:
                # Even the right date is refused while locked: no oracle for a guesser.
                return StatusLookupResult(LookupOutcome.CASE_LOCKED, attempts_left=0)
            session.add(StatusLookupAttempt(conversation_id=conversation_id, at=now))
            row = session.execute(
                select(Case, Patient.date_of_birth).join(Case.patient).where(Case.number == number)
            ).first()
            if row is None or row.date_of_birth != date_of_birth:
                session.add(StatusLookupFailure(case_number=number, client_ref=client_ref, at=now))
                attempts_left = min(
                    limits.STATUS_LOOKUP_LIMIT - asked - 1,
                    limits.CASE_NUMBER_FAILURE_LIMIT - failed - 1,
                )
                return StatusLookupResult(LookupOutcome.NOT_FOUND, attempts_left=attempts_left)
            case = row.Case
            session.add(_audit(now, "patient", "case.status_viewed", "case", case.number, {}))
            status = CaseStatus(case.status)
            return StatusLookupResult(
                LookupOutcome.FOUND,
                attempts_left=limits.STATUS_LOOKUP_LIMIT - asked - 1,
                case_number=case.number,
                status=status,
                status_description=describe_status(status),
                updated_at=case.updated_at,
            )

    def lookup_lock(self, case_number: str, now: datetime) -> limits.LookupLock:
        """Wrong answers given for the number in the last hour and whether it is locked."""
        number = normalize_case_number(case_number) or case_number
        with _storage_errors("lookup_lock"), self._sessions() as session:
            return limits.lock_of(session, number, now)

    # --- staff ---------------------------------------------------------------------------

    def change_status(
        self,
        case_number: str,
        to_status: CaseStatus,
        actor: str,
        note: str | None = None,
        *,
        source: str = "staff",
    ) -> CaseSummary:
        """Move a case along; raises CaseNotFound or InvalidTransition."""
        number = normalize_case_number(case_number)
        if number is None:
            raise CaseNotFound(case_number)
        with _storage_errors("change_status"), self._sessions.begin() as session:
            case = session.scalar(select(Case).where(Case.number == number).with_for_update())
            if case is None:
                raise CaseNotFound(case_number)
            from_status = CaseStatus(case.status)
            require_transition(from_status, to_status)
            now = self._clock()
            case.status = to_status.value
            case.updated_at = now
            case.status_changes.append(
                CaseStatusChange(
                    from_status=from_status.value,
                    to_status=to_status.value,
                    changed_by=actor,
                    changed_at=now,
                    note=note,
                )
            )
            # The note may mention the patient, so the audit keeps only the two statuses.
            transition = {"from": from_status.value, "to": to_status.value}
            entry = _audit(
                now, actor, "case.status_changed", "case", case.number, transition, source
            )
            session.add(entry)
            return _summary(case, newly_opened=False)

    # --- erasure -------------------------------------------------------------------------

    def delete_patient_data(
        self, conversation_id: str, remove_file: Callable[[str], None], *, actor: str = "patient"
    ) -> DeletionReport:
        """Erase everything the conversation left: patients, cases with their history, notes
        and uploads, consent, lookup attempts and Rasa's tracker events, in one transaction,
        then record one audit entry with counts only.

        `remove_file(stored_name)` is called for each upload before the commit, so a failure
        leaves rows pointing at missing files rather than files nobody knows of; it must
        treat an already missing file as removed, which makes a retry safe."""
        with _storage_errors("delete_patient_data"), self._sessions.begin() as session:
            report = erase_conversation(session, conversation_id, remove_file)
            # No conversation id (on some channels it is a phone number), names or text.
            counts = report.as_counts()
            session.add(
                _audit(self._clock(), actor, "patient_data.deleted", "conversation", None, counts)
            )
        logger.info("deleted patient data: %s", counts)
        return report

    def forget_old_lookups(self) -> int:
        """Drop status-lookup attempts and failures older than the lookup window (they are
        also dropped as new questions come in); returns how many."""
        with _storage_errors("forget_old_lookups"), self._sessions.begin() as session:
            return limits.forget_all_old(session, self._clock())

    def purge_inactive(self, remove_file: Callable[[str], None], inactive_for: timedelta) -> int:
        """Erase the conversations that never became a case and have been silent (no message,
        upload or consent answer) for longer than `inactive_for`; returns how many. Each one is
        checked again inside its own erasure, so a case opened meanwhile is never touched."""
        cutoff = self._clock() - inactive_for
        with _storage_errors("purge_inactive"), self._sessions() as session:
            candidates = inactive_conversations(session, cutoff)
        erased = 0
        for conversation_id in candidates:
            with _storage_errors("purge_inactive"), self._sessions.begin() as session:
                if not is_inactive(session, conversation_id, cutoff):
                    continue
                report = erase_conversation(session, conversation_id, remove_file)
                details: dict[str, Any] = {**report.as_counts(), "reason": "inactive"}
                session.add(
                    _audit(
                        self._clock(), "retention", "patient_data.deleted", "conversation",
                        None, details,
                    )
                )
            erased += 1
        return erased

    def purge_expired(
        self, remove_file: Callable[[str], None], retention: timedelta = RETENTION
    ) -> int:
        """Erase the conversations whose case closed (or was cancelled) longer than `retention`
        ago, as the consent text promises; returns how many were erased."""
        cutoff = self._clock() - retention
        with _storage_errors("purge_expired"), self._sessions() as session:
            expired = list(
                session.scalars(
                    select(Case.conversation_id).where(
                        Case.status.in_([CaseStatus.CLOSED.value, CaseStatus.CANCELLED.value]),
                        Case.updated_at < cutoff,
                    )
                )
            )
        for conversation_id in expired:
            self.delete_patient_data(conversation_id, remove_file, actor="retention")
        return len(expired)


def _audit(
    at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_ref: str | None,
    details: dict[str, Any],
    source: str = "bot",
) -> AuditEntry:
    return AuditEntry(
        at=at,
        actor=actor,
        action=action,
        target_type=target_type,
        target_ref=target_ref,
        source=source,
        details=details,
    )


def _attach_checked_uploads(session: Session, conversation_id: str, case_id: int) -> int:
    result = session.execute(
        update(Upload)
        .where(
            Upload.conversation_id == conversation_id,
            Upload.case_id.is_(None),
            Upload.status == "checked",
        )
        .values(case_id=case_id)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount


def _summary(case: Case, *, newly_opened: bool) -> CaseSummary:
    status = CaseStatus(case.status)
    return CaseSummary(
        number=case.number,
        status=status,
        status_description=describe_status(status),
        exam_type=case.exam_type,
        body_part=case.body_part,
        suggested_subspecialty=case.suggested_subspecialty,
        created_at=case.created_at,
        updated_at=case.updated_at,
        newly_opened=newly_opened,
    )
