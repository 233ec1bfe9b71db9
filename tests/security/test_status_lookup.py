"""Guessing a date of birth for a known case number from many sender ids (issue 13, item 4).

The per-conversation limit alone let every new sender id make 5 more guesses; now a case number
gets at most CASE_NUMBER_FAILURE_LIMIT wrong answers an hour whoever asks, and a client address
at most CLIENT_FAILURE_LIMIT. Both at the service level (SQLite and PostgreSQL) and through the
action with real Trackers.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.case_status import ActionCaseStatus
from bot.actions.cases import ActionOpenCase
from bot.cases import (
    CASE_NUMBER_FAILURE_LIMIT,
    CLIENT_FAILURE_LIMIT,
    CaseService,
    LookupOutcome,
)
from bot.cases.models import StatusLookupFailure
from bot.cases.numbers import ALPHABET, check_symbol
from bot.cases.runtime import case_service
from tests.actions.conftest import make_tracker, rendered, slot_events
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock

WRONG = date(1990, 1, 1)


def _unknown(number: str, index: int) -> str:
    _, year, random_part, _ = number.split("-")
    other = ALPHABET[(ALPHABET.index(random_part[0]) + 1 + index) % len(ALPHABET)]
    other += random_part[1:]
    return f"SR-{year}-{other}-{check_symbol(year + other)}"


# --- the service ---------------------------------------------------------------------------


def test_guesses_from_many_sender_ids_lock_the_case_number(
    service: CaseService, clock: FakeClock
) -> None:
    number = service.open_case("conv-patient", "rest", JANE, KNEE_MRI).number
    guesses = [
        service.lookup_status(f"telegram:{i}", number, WRONG - timedelta(days=i), clock.now)
        for i in range(CASE_NUMBER_FAILURE_LIMIT)
    ]
    assert all(g.outcome is LookupOutcome.NOT_FOUND for g in guesses)
    # Every later sender id is refused, even with the right date: no oracle.
    for i in range(CASE_NUMBER_FAILURE_LIMIT, 20):
        later = service.lookup_status(f"telegram:{i}", number, JANE.date_of_birth, clock.now)
        assert later.outcome is LookupOutcome.CASE_LOCKED
    lock = service.lookup_lock(number, clock.now)
    assert lock.recent_failures == CASE_NUMBER_FAILURE_LIMIT
    assert lock.locked_until == clock.now + timedelta(hours=1)
    # An hour later the patient gets the answer.
    clock.advance(timedelta(hours=1, seconds=1))
    found = service.lookup_status("conv-patient-2", number, JANE.date_of_birth, clock.now)
    assert found.outcome is LookupOutcome.FOUND
    assert service.lookup_lock(number, clock.now).locked_until is None


def test_unknown_numbers_lock_the_same_way(service: CaseService, clock: FakeClock) -> None:
    real = service.open_case("conv-patient", "rest", JANE, KNEE_MRI).number
    unknown = _unknown(real, 0)
    answers = {
        candidate: [
            service.lookup_status(f"s-{candidate}-{i}", candidate, WRONG, clock.now)
            for i in range(CASE_NUMBER_FAILURE_LIMIT + 1)
        ]
        for candidate in (real, unknown)
    }
    assert answers[real] == answers[unknown]
    assert answers[real][-1].outcome is LookupOutcome.CASE_LOCKED


def test_erasing_the_guessers_conversations_does_not_reset_the_count(
    service: CaseService, clock: FakeClock
) -> None:
    number = service.open_case("conv-patient", "rest", JANE, KNEE_MRI).number
    for i in range(CASE_NUMBER_FAILURE_LIMIT):
        service.lookup_status(f"guesser-{i}", number, WRONG, clock.now)
        service.delete_patient_data(f"guesser-{i}", lambda _name: None)
    refused = service.lookup_status("guesser-new", number, JANE.date_of_birth, clock.now)
    assert refused.outcome is LookupOutcome.CASE_LOCKED


def test_one_client_address_is_limited_across_numbers_and_conversations(
    service: CaseService, clock: FakeClock
) -> None:
    number = service.open_case("conv-patient", "rest", JANE, KNEE_MRI).number
    for i in range(CLIENT_FAILURE_LIMIT):
        answer = service.lookup_status(
            f"conv-{i}", _unknown(number, i), WRONG, clock.now, client_ref="client-a"
        )
        assert answer.outcome is LookupOutcome.NOT_FOUND
    refused = service.lookup_status(
        "conv-fresh", number, JANE.date_of_birth, clock.now, client_ref="client-a"
    )
    assert refused.outcome is LookupOutcome.RATE_LIMITED
    other = service.lookup_status(
        "conv-fresh", number, JANE.date_of_birth, clock.now, client_ref="client-b"
    )
    assert other.outcome is LookupOutcome.FOUND


def test_concurrent_guesses_do_not_overshoot_the_limit(
    service: CaseService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    number = service.open_case("conv-patient", "rest", JANE, KNEE_MRI).number
    outcomes: list[LookupOutcome] = []
    start = threading.Barrier(8)

    def guess(i: int) -> None:
        start.wait()
        result = service.lookup_status(f"racer-{i}", number, WRONG, clock.now)
        outcomes.append(result.outcome)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(LookupOutcome.NOT_FOUND) == CASE_NUMBER_FAILURE_LIMIT
    assert outcomes.count(LookupOutcome.CASE_LOCKED) == 8 - CASE_NUMBER_FAILURE_LIMIT
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(StatusLookupFailure))
    assert stored == CASE_NUMBER_FAILURE_LIMIT


# --- the action, with real Trackers --------------------------------------------------------

FILLED = {
    "case_consent": "yes",
    "full_name": "Maria Lopez",
    "date_of_birth": "1980-03-14",
    "contact": "maria@example.com",
    "contact_email": "maria@example.com",
    "case_confirmed": "yes",
}


async def ask(
    domain: dict[str, Any],
    sender_id: str,
    number: str,
    born: str,
    metadata: dict[str, Any] | None = None,
) -> str:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"lookup_case_number": number, "lookup_date_of_birth": born})
    tracker.sender_id = sender_id
    if metadata is not None:
        tracker.latest_message["metadata"] = metadata
    events = slot_events(await ActionCaseStatus().run(dispatcher, tracker, domain))
    assert events == {"lookup_case_number": None, "lookup_date_of_birth": None}
    (reply,) = dispatcher.messages
    return str(rendered(reply, domain, tracker)["text"])  # as the patient reads it


async def opened_case(domain: dict[str, Any]) -> str:
    """The patient's case, opened through the action after the consent the form records."""
    case_service().record_consent("test-patient", "rest", True, "test-policy")
    opened = await ActionOpenCase().run(CollectingDispatcher(), make_tracker(slots=FILLED), domain)
    return str(slot_events(opened)["case_number"])


async def test_action_refuses_guesses_spread_over_sender_ids(
    case_db: str,
    domain: dict[str, Any],
) -> None:
    number = await opened_case(domain)
    for i in range(CASE_NUMBER_FAILURE_LIMIT):
        assert "couldn't find" in await ask(domain, f"telegram:{1000 + i}", number, "1999-01-01")
    for i in range(10):
        answer = await ask(domain, f"telegram:{2000 + i}", number, "1980-03-14")
        assert "that case number can't be checked" in answer
        assert "Maria" not in answer and "Case SR-" not in answer
    # The patient's own conversation is refused too while the number is locked.
    assert "that case number can't be checked" in await ask(
        domain, "test-patient", number, "1980-03-14"
    )


async def test_action_limits_a_client_address_from_the_channel(
    case_db: str,
    domain: dict[str, Any],
) -> None:
    number = await opened_case(domain)
    same_client = {"client_address": "203.0.113.9"}
    for i in range(CLIENT_FAILURE_LIMIT):
        await ask(domain, f"web-{i}", _unknown(number, i), "1980-03-14", same_client)
    refused = await ask(domain, "web-new", number, "1980-03-14", same_client)
    assert "can't check more case numbers" in refused
    other = await ask(domain, "web-new", number, "1980-03-14", {"client_address": "198.51.100.7"})
    assert other.startswith(f"Case {number}:")
