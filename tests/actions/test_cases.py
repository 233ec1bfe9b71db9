"""Consent, case creation, status lookup and deletion actions against a real SQLite database."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, text

from bot.actions.case_status import ActionCaseStatus, ValidateCaseStatusForm
from bot.actions.cases import (
    CASE_NO,
    CASE_YES,
    ActionAskCaseConfirmed,
    ActionOpenCase,
    ValidateCaseForm,
)
from bot.actions.erasure import ActionDeleteMyData
from bot.cases import is_valid_case_number, new_case_number
from tests.actions.conftest import make_tracker, rendered, responses, said, slot_events

FILLED = {
    "case_consent": "yes",
    "full_name": "Maria Lopez",
    "date_of_birth": "1980-03-14",
    "contact": "maria@example.com",
    "contact_email": "maria@example.com",
    "contact_phone": None,
    "case_confirmed": "yes",
    "exam_type": "mri",
    "body_part": "brain",
    "second_opinion_reason": "surgery_planned",
    "suggested_subspecialty": "neuroradiology",
    "insurance_answers": {"plan_type": "ppo"},
}


def rows(url: str, sql: str) -> list[Any]:
    with create_engine(url).connect() as conn:
        return list(conn.execute(text(sql)))


async def validate(
    action: Any,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
    form: str,
    slot: str,
    answer: Any,
    slots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The form asked for `slot` and the patient answered `answer`."""
    tracker = make_tracker(
        text=str(answer),
        slots={"requested_slot": slot, **(slots or {})},
        set_this_turn={slot: answer},
        active_loop=form,
    )
    return slot_events(await action.run(dispatcher, tracker, domain))


async def test_consent_yes_is_recorded_with_a_timestamp(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await validate(
        ValidateCaseForm(), dispatcher, domain, "case_form", "case_consent", "yes"
    )
    assert slots["case_consent"] == "yes"
    [(granted, recorded_at)] = rows(case_db, "SELECT granted, recorded_at FROM consent_records")
    assert granted and recorded_at is not None


async def test_consent_no_ends_the_form_and_stores_nothing_personal(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await validate(
        ValidateCaseForm(), dispatcher, domain, "case_form", "case_consent", "no"
    )
    assert slots == {"case_consent": "no", "requested_slot": None}  # nothing more is asked
    assert responses(dispatcher) == ["utter_consent_declined"]
    assert "won't store any personal details" in said(dispatcher, domain)[0]
    assert rows(case_db, "SELECT count(*) FROM patients") == [(0,)]


async def test_unclear_consent_is_asked_again(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await validate(
        ValidateCaseForm(), dispatcher, domain, "case_form", "case_consent", "what do you mean"
    )
    assert slots["case_consent"] is None
    assert responses(dispatcher) == ["utter_explain_case_consent"]
    assert rows(case_db, "SELECT count(*) FROM consent_records") == [(0,)]


async def test_consent_given_earlier_is_kept_when_the_form_starts_again(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    # "/open_case" after a case: Rasa revalidates the filled slots as the form starts.
    earlier = [
        {"event": "slot", "name": "case_consent", "value": "yes"},
        {"event": "slot", "name": "case_confirmed", "value": None},
    ]
    tracker = make_tracker(
        text="/open_case",
        intent="open_case",
        slots={"requested_slot": None},
        set_this_turn={"case_consent": "yes"},
        active_loop="case_form",
        history=earlier,
    )
    slots = slot_events(await ValidateCaseForm().run(dispatcher, tracker, domain))
    assert slots.get("case_consent", "yes") == "yes"
    assert dispatcher.messages == []
    assert rows(case_db, "SELECT count(*) FROM consent_records") == [(0,)]
    # After a reset (delete my data, start over) it is a new question again.
    tracker = make_tracker(
        text="/open_case",
        intent="open_case",
        set_this_turn={"case_consent": "yes"},
        active_loop="case_form",
        history=[*earlier, {"event": "reset_slots"}],
    )
    slots = slot_events(await ValidateCaseForm().run(dispatcher, tracker, domain))
    assert slots["case_consent"] is None


async def test_consent_with_database_down_keeps_asking_kindly(
    broken_db: None, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await validate(
        ValidateCaseForm(), dispatcher, domain, "case_form", "case_consent", "yes"
    )
    assert slots["case_consent"] is None
    assert responses(dispatcher) == ["utter_details_not_saved"]
    assert "Nothing you told me was lost" in said(dispatcher, domain)[0]


@pytest.mark.parametrize(
    ("slot", "answer", "expected"),
    [
        ("full_name", "Maria Lopez", {"full_name": "Maria Lopez"}),
        ("full_name", "12345", {"full_name": None}),
        ("date_of_birth", "03/14/1980", {"date_of_birth": "1980-03-14"}),
        ("date_of_birth", "14 March 2099", {"date_of_birth": None}),  # in the future
        ("date_of_birth", "02/30/1980", {"date_of_birth": None}),  # no such day
        (
            "contact",
            "Maria@Example.COM",
            {
                "contact": "Maria@example.com",
                "contact_email": "Maria@example.com",
                "contact_phone": None,
            },
        ),
        (
            "contact",
            "(555) 123-4567",
            {"contact": "+15551234567", "contact_email": None, "contact_phone": "+15551234567"},
        ),
        ("contact", "call me maybe", {"contact": None}),
        ("case_confirmed", "yes", {"case_confirmed": "yes"}),
    ],
)
async def test_case_form_validates_each_answer(
    slot: str,
    answer: str,
    expected: dict[str, Any],
    case_db: str,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
) -> None:
    slots = await validate(
        ValidateCaseForm(),
        dispatcher,
        domain,
        "case_form",
        slot,
        answer,
        slots={"case_consent": "yes"},
    )
    assert {k: slots[k] for k in expected} == expected
    refused = any(v is None for k, v in expected.items() if k == slot)
    # A refusal always explains itself, with what that question needs.
    assert responses(dispatcher) == ([f"utter_explain_{slot}"] if refused else [])


async def test_correcting_the_summary_clears_the_personal_answers(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await validate(
        ValidateCaseForm(), dispatcher, domain, "case_form", "case_confirmed", "no", slots=FILLED
    )
    assert slots["full_name"] is None and slots["date_of_birth"] is None
    assert slots["contact"] is None and slots["case_confirmed"] is None
    assert responses(dispatcher) == ["utter_correct_case_details"]


@pytest.mark.parametrize("answer", ["maybe later", "what?"])
async def test_an_unclear_answer_to_the_summary_is_asked_again(
    answer: str, case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    unconfirmed = {**FILLED, "case_confirmed": None}
    slots = await validate(
        ValidateCaseForm(), dispatcher, domain, "case_form", "case_confirmed", answer,
        slots=unconfirmed,
    )
    assert slots["case_confirmed"] is None and slots.get("full_name", "kept") == "kept"
    assert responses(dispatcher) == ["utter_explain_case_confirmed"]


async def test_summary_shows_what_the_case_will_hold(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    await ActionAskCaseConfirmed().run(dispatcher, make_tracker(slots=FILLED), domain)
    text_ = dispatcher.messages[0]["text"]
    for expected in (
        "Maria Lopez",
        "March 14, 1980",
        "maria@example.com",
        "brain MRI",
        "eurorad",
        "PPO",
    ):
        assert expected in text_
    # The buttons name their question (bot/guidance/confirmations.py).
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [CASE_YES, CASE_NO]


def consent_recorded(granted: bool = True) -> None:
    """What the case form's consent answer records for the fixture's conversation."""
    from bot.cases.runtime import case_service

    case_service().record_consent("test-patient", "rest", granted, "test-policy")


async def test_open_case_is_idempotent(case_db: str, domain: dict[str, Any]) -> None:
    consent_recorded()
    first, second = CollectingDispatcher(), CollectingDispatcher()
    tracker = make_tracker(slots=FILLED)
    events1 = slot_events(await ActionOpenCase().run(first, tracker, domain))
    events2 = slot_events(await ActionOpenCase().run(second, tracker, domain))
    number = events1["case_number"]
    assert is_valid_case_number(number) and events2["case_number"] == number
    assert responses(first) == ["utter_case_opened"]
    assert responses(second) == ["utter_case_already_open"]
    (opened,) = said(first, domain, tracker)
    assert opened.startswith(f"Your case is open. Your case number is {number}: please keep it.")
    assert "contact you at maria@example.com." in opened  # the contact slot
    (again,) = said(second, domain, tracker)
    assert again.startswith(f"You already have a case from this chat: {number}. ")
    assert rows(case_db, "SELECT number, exam_type, reason FROM cases") == [
        (number, "mri", "surgery_planned")
    ]


async def test_open_case_with_database_down_keeps_the_answers(
    broken_db: None, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = slot_events(await ActionOpenCase().run(dispatcher, make_tracker(slots=FILLED), domain))
    # Only the confirmation is asked again; every other answer stays in its slot.
    assert events == {"case_confirmed": None}
    assert responses(dispatcher) == ["utter_case_not_opened"]
    assert rendered(dispatcher.messages[0], domain)["buttons"][0]["payload"] == "/open_case"


async def test_open_case_without_consent_opens_nothing(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = await ActionOpenCase().run(
        dispatcher, make_tracker(slots={**FILLED, "case_consent": "no"}), domain
    )
    assert slot_events(events) == {"case_consent": None}
    assert rows(case_db, "SELECT count(*) FROM cases") == [(0,)]


@pytest.mark.parametrize("recorded", [None, False])
async def test_a_consent_slot_without_a_recorded_consent_opens_nothing(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any], recorded: bool | None
) -> None:
    # A "yes" in the slot that the database does not back (never recorded, or withdrawn).
    if recorded is not None:
        consent_recorded(True)
        consent_recorded(recorded)
    events = await ActionOpenCase().run(dispatcher, make_tracker(slots=FILLED), domain)
    assert slot_events(events) == {"case_consent": None, "case_confirmed": None}
    assert responses(dispatcher) == ["utter_case_consent_missing"]
    assert rows(case_db, "SELECT count(*) FROM cases") == [(0,)]
    assert rows(case_db, "SELECT count(*) FROM patients") == [(0,)]


async def opened_case(domain: dict[str, Any]) -> str:
    consent_recorded()
    events = await ActionOpenCase().run(CollectingDispatcher(), make_tracker(slots=FILLED), domain)
    return str(slot_events(events)["case_number"])


async def status(domain: dict[str, Any], number: str, born: str) -> dict[str, Any]:
    """The one reply to a status lookup, as the patient reads it (`text`, and its `response`)."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"lookup_case_number": number, "lookup_date_of_birth": born})
    events = slot_events(await ActionCaseStatus().run(dispatcher, tracker, domain))
    assert events == {"lookup_case_number": None, "lookup_date_of_birth": None}
    (reply,) = dispatcher.messages
    return rendered(reply, domain, tracker)


async def test_status_needs_number_and_birth_date(case_db: str, domain: dict[str, Any]) -> None:
    number = await opened_case(domain)
    found = await status(domain, number, "1980-03-14")
    assert found["response"] == "utter_case_status"
    assert re.fullmatch(rf"Case {number}: .+ \(last updated \d{{4}}-\d\d-\d\d\)\.", found["text"])
    wrong_dob = await status(domain, number, "1981-03-14")
    unknown = await status(domain, new_case_number(2026), "1980-03-14")
    assert wrong_dob["response"] == "utter_case_not_found"
    assert "couldn't find" in wrong_dob["text"] and "(2 tries left this hour)" in wrong_dob["text"]
    # An unknown number and a wrong birth date read exactly the same.
    assert wrong_dob == unknown


async def test_status_is_refused_after_three_wrong_birth_dates_in_an_hour(
    case_db: str, domain: dict[str, Any]
) -> None:
    number = await opened_case(domain)
    answers = [await status(domain, number, "1999-01-01") for _ in range(3)]
    assert [a["response"] for a in answers] == [
        "utter_case_not_found", "utter_case_not_found_last_try", "utter_case_not_found"
    ]
    assert "(1 try left this hour)" in answers[1]["text"]
    assert "(0 tries left this hour)" in answers[2]["text"]
    # Even the right answer is refused now.
    refused = await status(domain, number, "1980-03-14")
    assert refused["response"] == "utter_case_lookup_locked"
    assert "that case number can't be checked" in refused["text"]


async def test_a_chat_is_refused_after_five_questions_in_an_hour(
    case_db: str, domain: dict[str, Any]
) -> None:
    number = await opened_case(domain)
    for _ in range(5):
        unknown = await status(domain, new_case_number(2026), "1980-03-14")
        assert "couldn't find" in unknown["text"]
    refused = await status(domain, number, "1980-03-14")
    assert refused["response"] == "utter_case_lookup_rate_limited"
    assert "can't check more case numbers from this chat" in refused["text"]


async def test_status_with_database_down_is_said_kindly(
    broken_db: None, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        slots={"lookup_case_number": new_case_number(2026), "lookup_date_of_birth": "1980-03-14"}
    )
    events = slot_events(await ActionCaseStatus().run(dispatcher, tracker, domain))
    assert events == {"lookup_case_number": None, "lookup_date_of_birth": None}
    assert responses(dispatcher) == ["utter_case_status_unavailable"]


def mistyped(number: str) -> str:
    """The same number with a different check symbol."""
    return number[:-1] + ("0" if number[-1] != "0" else "1")


@pytest.mark.parametrize("answer", [mistyped(new_case_number(2026)), "hello", ""])
async def test_status_form_refuses_malformed_numbers(
    answer: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await validate(
        ValidateCaseStatusForm(),
        dispatcher,
        domain,
        "case_status_form",
        "lookup_case_number",
        answer,
    )
    assert slots["lookup_case_number"] is None
    assert responses(dispatcher) == ["utter_explain_lookup_case_number"]
    assert "doesn't look like one of our case numbers" in said(dispatcher, domain)[0]


async def test_status_form_accepts_a_sloppy_but_valid_number(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    number = await opened_case(domain)
    sloppy = number.lower().replace("-", " ")
    slots = await validate(
        ValidateCaseStatusForm(),
        dispatcher,
        domain,
        "case_status_form",
        "lookup_case_number",
        sloppy,
    )
    assert slots["lookup_case_number"] == number


async def test_delete_my_data_erases_cases_contacts_files_and_events(
    case_db: str, domain: dict[str, Any]
) -> None:
    await opened_case(domain)
    with create_engine(case_db).begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                "type_name TEXT, timestamp REAL, intent_name TEXT, action_name TEXT, "
                "data TEXT)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO events (sender_id, type_name, data) VALUES "
                "('test-patient', 'user', 'my name is Maria Lopez'), "
                "('someone-else', 'user', 'hello')"
            )
        )
    dispatcher = CollectingDispatcher()
    events = await ActionDeleteMyData().run(dispatcher, make_tracker(), domain)
    # The marker last: Rasa's tracker store (bot/rasa_ext) erases the turn's events on save.
    assert events == [
        {"event": "reset_slots", "timestamp": None},
        {"event": "slot", "timestamp": None, "name": "personal_data_erased", "value": True},
    ]
    assert responses(dispatcher) == ["utter_deleted_case"]
    assert "deleted your case" in said(dispatcher, domain)[0]
    for table in ("patients", "cases", "consent_records"):
        assert rows(case_db, f"SELECT count(*) FROM {table}") == [(0,)]
    assert rows(case_db, "SELECT sender_id FROM events") == [("someone-else",)]
    audit = rows(case_db, "SELECT action, details FROM audit_entries")
    assert "patient_data.deleted" in [a for a, _ in audit]
    assert "Maria" not in repr(audit) and "1980" not in repr(audit)


async def test_a_failed_deletion_sets_no_erasure_marker(
    broken_db: None, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionDeleteMyData().run(dispatcher, make_tracker(), domain) == []
    assert responses(dispatcher) == ["utter_delete_failed"]
    assert "nothing was changed" in said(dispatcher, domain)[0]


async def test_without_a_case_the_deletion_names_only_the_details(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = await ActionDeleteMyData().run(dispatcher, make_tracker(), domain)
    assert {"event": "reset_slots", "timestamp": None} in events
    assert responses(dispatcher) == ["utter_deleted_details"]
    assert said(dispatcher, domain)[0].startswith("Done: I've deleted your details, any files")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("03/14/1980", "1980-03-14"), ("14 March 1980", "1980-03-14"), ("next year", None)],
)
async def test_status_form_birth_date(
    answer: str, expected: str | None, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await validate(
        ValidateCaseStatusForm(),
        dispatcher,
        domain,
        "case_status_form",
        "lookup_date_of_birth",
        answer,
    )
    assert slots["lookup_date_of_birth"] == expected
    assert responses(dispatcher) == ([] if expected else ["utter_explain_lookup_date_of_birth"])


@pytest.mark.parametrize(
    ("form", "slot", "question", "reply"),
    [
        ("case_form", "full_name", "why do you need my full name?", "utter_form_help"),
        ("case_form", "date_of_birth", "who is going to see my date of birth", "utter_privacy"),
        ("case_form", "contact", "do I need a referral first?", "utter_referral_note"),
        ("case_status_form", "lookup_case_number", "where do I find the number?", None),
        ("case_status_form", "lookup_date_of_birth", "is my data kept private?", "utter_privacy"),
    ],
)
async def test_a_question_at_a_personal_detail_is_answered_not_refused(
    form: str,
    slot: str,
    question: str,
    reply: str | None,
    case_db: str,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
) -> None:
    action = ValidateCaseForm() if form == "case_form" else ValidateCaseStatusForm()
    slots = await validate(
        action, dispatcher, domain, form, slot, question, slots={"case_consent": "yes"}
    )
    assert slots[slot] is None  # the form asks its question again
    [message] = dispatcher.messages
    assert message.get("response") == (reply or "utter_question_later")
    assert not message.get("text")  # not "that doesn't look like a name/date/number"


async def test_a_name_that_starts_like_a_question_is_still_a_name(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await validate(
        ValidateCaseForm(),
        dispatcher,
        domain,
        "case_form",
        "full_name",
        "Will Smith",
        slots={"case_consent": "yes"},
    )
    assert slots["full_name"] == "Will Smith" and dispatcher.messages == []
