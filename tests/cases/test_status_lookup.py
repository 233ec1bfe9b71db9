"""Status questions from patients: number AND birth date, no hint which was wrong, limited tries
(the limits across conversations: tests/security/test_status_lookup.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import (
    STATUS_LOOKUP_LIMIT,
    CaseService,
    CaseStatus,
    LookupOutcome,
    StatusLookupResult,
    describe_status,
)
from bot.cases.models import AuditEntry, StatusLookupAttempt, StatusLookupFailure
from bot.cases.numbers import ALPHABET, check_symbol
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock


@pytest.fixture
def number(service: CaseService) -> str:
    return service.open_case("conv-patient", "rest", JANE, KNEE_MRI).number


def _unknown_but_well_formed(number: str) -> str:
    _, year, random_part, _ = number.split("-")
    other = ALPHABET[(ALPHABET.index(random_part[0]) + 1) % len(ALPHABET)] + random_part[1:]
    return f"SR-{year}-{other}-{check_symbol(year + other)}"


def test_number_and_birth_date_give_the_status(
    service: CaseService, number: str, clock: FakeClock
) -> None:
    service.change_status(number, CaseStatus.RECORDS_REQUESTED, "staff:ana")
    result = service.lookup_status("conv-later", number, JANE.date_of_birth, clock.now)
    assert result.outcome is LookupOutcome.FOUND
    assert result.case_number == number
    assert result.status is CaseStatus.RECORDS_REQUESTED
    assert result.status_description == describe_status(CaseStatus.RECORDS_REQUESTED)
    assert result.attempts_left == STATUS_LOOKUP_LIMIT - 1


def test_typed_number_is_normalized(service: CaseService, number: str, clock: FakeClock) -> None:
    sloppy = number.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    result = service.lookup_status("conv-later", sloppy, JANE.date_of_birth, clock.now)
    assert result.outcome is LookupOutcome.FOUND and result.case_number == number


def test_wrong_birth_date_and_unknown_number_look_the_same(
    service: CaseService, number: str, clock: FakeClock
) -> None:
    wrong_dob = service.lookup_status("conv-a", number, date(1971, 8, 24), clock.now)
    unknown = service.lookup_status(
        "conv-b", _unknown_but_well_formed(number), JANE.date_of_birth, clock.now
    )
    assert wrong_dob.outcome is LookupOutcome.NOT_FOUND
    assert wrong_dob == unknown
    assert wrong_dob.case_number is None and wrong_dob.status is None


def test_mistyped_number_is_refused_without_counting(
    service: CaseService, number: str, clock: FakeClock
) -> None:
    _, year, random_part, check = number.split("-")
    typo = f"SR-{year}-{random_part[1]}{random_part[0]}{random_part[2:]}-{check}"
    if typo == number:  # the two first symbols were equal: change one instead
        typo = _unknown_but_well_formed(number)[:-1] + check
    for _ in range(STATUS_LOOKUP_LIMIT + 2):
        result = service.lookup_status("conv-a", typo, JANE.date_of_birth, clock.now)
        assert result == StatusLookupResult(LookupOutcome.INVALID_NUMBER, attempts_left=None)
    found = service.lookup_status("conv-a", number, JANE.date_of_birth, clock.now)
    assert found.outcome is LookupOutcome.FOUND


def _unknown(number: str, index: int) -> str:
    """The index-th well-formed number that differs from `number` (and from the others)."""
    _, year, random_part, _ = number.split("-")
    position = ALPHABET.index(random_part[0])
    other = ALPHABET[(position + 1 + index) % len(ALPHABET)] + random_part[1:]
    return f"SR-{year}-{other}-{check_symbol(year + other)}"


def _ask(service: CaseService, number: str, at: datetime, born: date) -> StatusLookupResult:
    return service.lookup_status("conv-guesser", number, born, at)


def test_rate_limit_is_five_questions_an_hour_per_conversation(
    service: CaseService, number: str, clock: FakeClock
) -> None:
    start = clock.now
    # Five different (unknown) numbers: only the conversation's own limit is reached.
    answers = [
        _ask(service, _unknown(number, i), start + timedelta(minutes=i), JANE.date_of_birth)
        for i in range(STATUS_LOOKUP_LIMIT)
    ]
    assert all(r.outcome is LookupOutcome.NOT_FOUND for r in answers)
    assert answers[-1].attempts_left == 0

    # Even the right answer is refused while limited: no oracle for a guesser.
    limited = _ask(service, number, start + timedelta(minutes=59), JANE.date_of_birth)
    assert limited == StatusLookupResult(LookupOutcome.RATE_LIMITED, attempts_left=0)
    other_conversation = service.lookup_status(
        "conv-someone-else", number, JANE.date_of_birth, start + timedelta(minutes=30)
    )
    assert other_conversation.outcome is LookupOutcome.FOUND


def test_a_case_number_gets_three_wrong_birth_dates_an_hour_in_one_conversation(
    service: CaseService, number: str, clock: FakeClock
) -> None:
    start = clock.now
    wrong = date(1990, 1, 1)
    lefts = [_ask(service, number, start + timedelta(minutes=i), wrong) for i in range(3)]
    assert [r.attempts_left for r in lefts] == [2, 1, 0]
    assert all(r.outcome is LookupOutcome.NOT_FOUND for r in lefts)
    locked = _ask(service, number, start + timedelta(minutes=5), JANE.date_of_birth)
    assert locked == StatusLookupResult(LookupOutcome.CASE_LOCKED, attempts_left=0)


def test_the_case_number_lock_rolls_over_after_an_hour(
    service: CaseService, number: str, clock: FakeClock
) -> None:
    start = clock.now
    for minute in (0, 20, 40):
        _ask(service, number, start + timedelta(minutes=minute), date(1990, 1, 1))
    before = service.lookup_status(
        "conv-b", number, JANE.date_of_birth, start + timedelta(minutes=59, seconds=59)
    )
    assert before.outcome is LookupOutcome.CASE_LOCKED
    assert service.lookup_lock(number, start + timedelta(minutes=59)).locked_until == (
        start + timedelta(hours=1)
    )
    # The first failure (minute 0) has left the window; the other two still count.
    after = service.lookup_status("conv-b", number, JANE.date_of_birth, start + timedelta(hours=1))
    assert after.outcome is LookupOutcome.FOUND
    much_later = service.lookup_status(
        "conv-c", number, JANE.date_of_birth, start + timedelta(hours=3)
    )
    assert much_later.outcome is LookupOutcome.FOUND
    assert much_later.attempts_left == STATUS_LOOKUP_LIMIT - 1
    assert service.lookup_lock(number, start + timedelta(hours=3)).recent_failures == 0


def test_only_a_successful_lookup_is_audited(
    service: CaseService, sessions: sessionmaker[Session], number: str, clock: FakeClock
) -> None:
    service.lookup_status("conv-later", number, date(1990, 1, 1), clock.now)
    service.lookup_status("conv-later", number, JANE.date_of_birth, clock.now)
    with sessions() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.target_ref).order_by(
                AuditEntry.id
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("case.opened", "bot", number),
        ("case.status_viewed", "patient", number),
    ]


def test_naive_now_is_refused(service: CaseService, number: str) -> None:
    with pytest.raises(ValueError, match="timezone"):
        service.lookup_status("conv-a", number, JANE.date_of_birth, datetime(2026, 3, 1, 12))


def test_old_attempts_and_failures_are_dropped_by_the_daily_run(
    service: CaseService, sessions: sessionmaker[Session], number: str, clock: FakeClock
) -> None:
    service.lookup_status("conv-a", number, date(1990, 1, 1), clock.now)
    service.lookup_status("conv-b", _unknown(number, 1), date(1990, 1, 1), clock.now)
    assert service.forget_old_lookups() == 0  # still within the hour
    clock.advance(timedelta(hours=1))
    assert service.forget_old_lookups() == 4  # two attempts, two failures
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(StatusLookupFailure)) == 0
        assert session.scalar(select(func.count()).select_from(StatusLookupAttempt)) == 0
