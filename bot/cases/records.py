"""Plain values that cross the service boundary, so callers never hold ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.cases.status import CaseStatus
from bot.db import StorageUnavailable as StorageUnavailable  # callers import it from here


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ConsentDecision:
    conversation_id: str
    granted: bool
    policy_version: str
    recorded_at: datetime


@dataclass(frozen=True)
class ContactDetails:
    full_name: str
    date_of_birth: date
    email: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        if not (self.email or self.phone):
            raise ValueError("contact details need an email address or a phone number")


@dataclass(frozen=True)
class CaseDetails:
    exam_type: str
    body_part: str
    reason: str
    suggested_subspecialty: str
    exam_date: date | None = None
    facility: str | None = None
    insurance: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable


@dataclass(frozen=True)
class CaseSummary:
    number: str
    status: CaseStatus
    status_description: str
    exam_type: str
    body_part: str
    suggested_subspecialty: str
    created_at: datetime
    updated_at: datetime
    # False when the conversation already had this case (a repeat or a retry).
    newly_opened: bool


class LookupOutcome(StrEnum):
    FOUND = "found"
    # Unknown number or wrong birth date: deliberately one outcome, so neither is revealed.
    NOT_FOUND = "not_found"
    # Fails the check symbol: a typo, caught without a lookup and not counted as an attempt.
    INVALID_NUMBER = "invalid_number"
    # Too many questions from this conversation or client address.
    RATE_LIMITED = "rate_limited"
    # Too many wrong answers for this number, whoever gave them (unknown numbers alike).
    CASE_LOCKED = "case_locked"


@dataclass(frozen=True)
class StatusLookupResult:
    outcome: LookupOutcome
    # Tries left in this hour after this one; None when the number was refused unchecked.
    attempts_left: int | None
    case_number: str | None = None
    status: CaseStatus | None = None
    status_description: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class DeletionReport:
    patients: int = 0
    cases: int = 0
    status_changes: int = 0
    staff_notes: int = 0
    uploads: int = 0
    consent_records: int = 0
    status_lookup_attempts: int = 0
    conversation_reviews: int = 0  # the console's review status, tags and notes
    records_requests: int = 0  # the records request the bot wrote, with its follow-ups
    tracker_events: int = 0

    def as_counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
