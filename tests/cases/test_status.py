"""Which status may follow which."""

from __future__ import annotations

from itertools import product

import pytest

from bot.cases.status import (
    CaseStatus,
    InvalidTransition,
    can_transition,
    describe_status,
    require_transition,
)

S = CaseStatus
FORWARD = [
    (S.NEW, S.RECORDS_REQUESTED),
    (S.RECORDS_REQUESTED, S.IMAGES_RECEIVED),
    (S.IMAGES_RECEIVED, S.UNDER_REVIEW),
    (S.UNDER_REVIEW, S.REPORT_READY),
    (S.REPORT_READY, S.CLOSED),
]
OPEN = [S.NEW, S.RECORDS_REQUESTED, S.IMAGES_RECEIVED, S.UNDER_REVIEW, S.REPORT_READY]
CANCELLING = [(status, S.CANCELLED) for status in OPEN]


@pytest.mark.parametrize(("from_status", "to_status"), FORWARD + CANCELLING)
def test_allowed(from_status: CaseStatus, to_status: CaseStatus) -> None:
    assert can_transition(from_status, to_status)
    require_transition(from_status, to_status)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (S.NEW, S.IMAGES_RECEIVED),  # skipping a step
        (S.NEW, S.CLOSED),
        (S.UNDER_REVIEW, S.RECORDS_REQUESTED),  # going back
        (S.CLOSED, S.NEW),
        (S.CLOSED, S.CANCELLED),  # closed is final
        (S.CANCELLED, S.NEW),
        (S.CANCELLED, S.CANCELLED),
        (S.NEW, S.NEW),
    ],
)
def test_refused(from_status: CaseStatus, to_status: CaseStatus) -> None:
    assert not can_transition(from_status, to_status)
    with pytest.raises(InvalidTransition) as caught:
        require_transition(from_status, to_status)
    assert (caught.value.from_status, caught.value.to_status) == (from_status, to_status)


def test_exactly_the_documented_transitions_are_allowed() -> None:
    allowed = {pair for pair in product(S, S) if can_transition(*pair)}
    assert allowed == set(FORWARD + CANCELLING)


def test_every_status_has_a_patient_friendly_description() -> None:
    descriptions = [describe_status(status) for status in S]
    assert len(set(descriptions)) == len(S)
    for description in descriptions:
        assert description.endswith(".") and "_" not in description
