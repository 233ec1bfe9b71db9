"""The life of a case: which status may follow which, and how to tell a patient about each."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    NEW = "new"
    RECORDS_REQUESTED = "records_requested"
    IMAGES_RECEIVED = "images_received"
    UNDER_REVIEW = "under_review"
    REPORT_READY = "report_ready"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# The one forward path; cancelling is allowed from any status that is still open.
_NEXT = {
    CaseStatus.NEW: CaseStatus.RECORDS_REQUESTED,
    CaseStatus.RECORDS_REQUESTED: CaseStatus.IMAGES_RECEIVED,
    CaseStatus.IMAGES_RECEIVED: CaseStatus.UNDER_REVIEW,
    CaseStatus.UNDER_REVIEW: CaseStatus.REPORT_READY,
    CaseStatus.REPORT_READY: CaseStatus.CLOSED,
}
FINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.CANCELLED})

PATIENT_DESCRIPTIONS = {
    CaseStatus.NEW: "We have your request and a coordinator will contact you soon.",
    CaseStatus.RECORDS_REQUESTED: (
        "We have asked the imaging center for your images and report and are waiting for them."
    ),
    CaseStatus.IMAGES_RECEIVED: (
        "Your images and report have arrived and are being prepared for the radiologist."
    ),
    CaseStatus.UNDER_REVIEW: "A subspecialist radiologist is reviewing your images.",
    CaseStatus.REPORT_READY: (
        "Your second-opinion report is ready. A coordinator will contact you to share it."
    ),
    CaseStatus.CLOSED: "This case is complete.",
    CaseStatus.CANCELLED: "This case was cancelled. Contact us if you'd like to reopen it.",
}


class InvalidTransition(ValueError):
    def __init__(self, from_status: CaseStatus, to_status: CaseStatus) -> None:
        super().__init__(f"a case cannot go from {from_status.value} to {to_status.value}")
        self.from_status = from_status
        self.to_status = to_status


def can_transition(from_status: CaseStatus, to_status: CaseStatus) -> bool:
    if to_status is CaseStatus.CANCELLED:
        return from_status not in FINAL_STATUSES
    return _NEXT.get(from_status) is to_status


def require_transition(from_status: CaseStatus, to_status: CaseStatus) -> None:
    if not can_transition(from_status, to_status):
        raise InvalidTransition(from_status, to_status)


def describe_status(status: CaseStatus) -> str:
    return PATIENT_DESCRIPTIONS[status]
