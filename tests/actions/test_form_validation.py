"""What every form's validation shares (bot/actions/form_validation.py), with real Trackers.

Each test checks a call Rasa would otherwise make again: the form's second validation when it
starts, and the rejection, `action_handle_uploads` and third validation when files arrive in
the middle of a form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.case_status import ValidateCaseStatusForm
from bot.actions.cases import ValidateCaseForm
from bot.actions.directory import ValidateDirectoryForm
from bot.actions.form_validation import FormValidation
from bot.actions.forms import (
    ValidateInsuranceForm,
    ValidateSubspecialistForm,
    ValidateWorthwhileForm,
)
from bot.actions.letter_form import ValidateLetterForm
from bot.actions.reports import ValidateReportCompareForm
from bot.actions.uploads import CHECKED_INTENT
from tests.actions.conftest import make_tracker, rendered, slot_events
from tests.actions.test_uploads import ct_verdict, stored_upload

# Each form that files may interrupt, at a question it asks, with what was answered before it.
SCAN = {"exam_type": "mri", "body_part": "knee"}
INTERRUPTIBLE: list[tuple[FormValidation, str, dict[str, Any]]] = [
    (ValidateWorthwhileForm(), "situation", SCAN),
    (ValidateSubspecialistForm(), "age_group", SCAN),
    (ValidateInsuranceForm(), "plan_type", {}),
    (ValidateCaseForm(), "full_name", {"case_consent": "yes"}),
    (ValidateCaseStatusForm(), "lookup_case_number", {}),
    (ValidateDirectoryForm(), "patient_zip", {}),
    (ValidateLetterForm(), "imaging_center", {}),
]


def form_name(validator: FormValidation) -> str:
    return validator.name().removeprefix("validate_")


@pytest.mark.parametrize(
    ("validator", "first_question"),
    [
        (ValidateWorthwhileForm(), "exam_type"),
        (ValidateSubspecialistForm(), "exam_type"),
        (ValidateCaseStatusForm(), "lookup_case_number"),
        (ValidateLetterForm(), "imaging_center"),
        (ValidateReportCompareForm(), "report_a"),
    ],
)
async def test_a_starting_form_names_its_first_question(
    validator: FormValidation, first_question: str, domain: dict[str, Any]
) -> None:
    # rasa-sdk alone returns no event here, and Rasa then validates a second time.
    tracker = make_tracker("/start", "start")
    events = await validator.run(CollectingDispatcher(), tracker, domain)
    assert slot_events(events) == {"requested_slot": first_question}


async def test_a_form_whose_answers_are_all_given_says_it_is_done(domain: dict[str, Any]) -> None:
    tracker = make_tracker(
        "/ask_worthwhile", "ask_worthwhile",
        slots={"exam_type": "mri", "body_part": "knee", "situation": "complex_diagnosis"},
    )
    events = await ValidateWorthwhileForm().run(CollectingDispatcher(), tracker, domain)
    assert slot_events(events)["requested_slot"] is None


@pytest.mark.parametrize(("validator", "asked", "answered"), INTERRUPTIBLE)
async def test_files_announced_in_a_form_are_reported_and_the_question_stays_open(
    validator: FormValidation,
    asked: str,
    answered: dict[str, Any],
    uploads_db: str,
    domain: dict[str, Any],
) -> None:
    tracker = make_tracker(
        "/upload_files", "upload_files", slots={**answered, "requested_slot": asked},
        active_loop=form_name(validator),
    )
    tracker.latest_message["metadata"] = {"upload_ids": ["up_nobody_sent_this"]}
    dispatcher = CollectingDispatcher()
    events = await validator.run(dispatcher, tracker, domain)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_uploads_not_found"]
    # A slot of the form is set (so Rasa does not reject the step and run rules instead), to
    # the value it had: the same question is asked again.
    assert slot_events(events) == {asked: None, "requested_slot": asked}


async def test_how_to_send_files_asked_in_a_form_gets_the_link_and_the_form_goes_on(
    uploads_db: str, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        "i have the cd, how do i send it to you", "upload_files",
        slots={"requested_slot": "plan_type"}, active_loop="insurance_form",
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateInsuranceForm().run(dispatcher, tracker, domain)
    (message,) = [rendered(m, domain, tracker) for m in dispatcher.messages]
    assert message["response"] == "utter_upload_link"
    assert "http://clinic.test/upload?token=" in message["text"]
    assert slot_events(events) == {"plan_type": None, "requested_slot": "plan_type"}


async def test_files_that_answer_the_open_question_move_the_form_on(
    uploads_db: str, tmp_path: Path, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        "/upload_files", "upload_files", slots={"requested_slot": "exam_type"},
        active_loop="worthwhile_form",
    )
    public_id = stored_upload(tracker.sender_id, ct_verdict(tmp_path))
    tracker.latest_message["metadata"] = {"upload_ids": [public_id]}
    dispatcher = CollectingDispatcher()
    events = await ValidateWorthwhileForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert dispatcher.messages[0]["text"].startswith("I found 1 study")
    assert slots["reported_upload_ids"] == [public_id]
    assert slots["exam_type"] == "ct"
    # The files named the exam and the body part: the form goes on to the situation.
    assert slots["body_part"]
    assert slots["requested_slot"] == "situation"


async def test_a_check_still_running_in_a_form_schedules_its_follow_up(
    uploads_db: str, domain: dict[str, Any]
) -> None:
    # Rasa schedules the reminders a form's validation returns, as it does an action's.
    tracker = make_tracker(
        "/upload_files", "upload_files", slots={"requested_slot": "plan_type"},
        active_loop="insurance_form",
    )
    public_id = stored_upload(tracker.sender_id, None, finish=False)
    tracker.latest_message["metadata"] = {"upload_ids": [public_id]}
    dispatcher = CollectingDispatcher()
    events = await ValidateInsuranceForm().run(dispatcher, tracker, domain)
    assert "still checking your upload" in dispatcher.messages[0]["text"]
    (reminder,) = [e for e in events if e["event"] == "reminder"]
    assert reminder["intent"] == CHECKED_INTENT
    assert slot_events(events)["requested_slot"] == "plan_type"


async def test_an_upload_in_the_report_comparison_is_the_answer_not_an_interruption(
    uploads_db: str, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        "/upload_files", "upload_files", slots={"requested_slot": "report_a"},
        set_this_turn={"report_a": "/upload_files"}, active_loop="report_compare_form",
    )
    tracker.latest_message["metadata"] = {"upload_ids": ["up_nobody_sent_this"]}
    dispatcher = CollectingDispatcher()
    events = await ValidateReportCompareForm().run(dispatcher, tracker, domain)
    # Read as the first report (there is none in it), not reported as files.
    assert [m.get("response") for m in dispatcher.messages] == ["utter_no_report_in_upload"]
    assert slot_events(events) == {"report_a": None, "requested_slot": "report_a"}


async def test_an_emergency_in_a_form_is_still_left_to_the_rules(domain: dict[str, Any]) -> None:
    # No event: Rasa rejects the form step and the red-flag rule answers first.
    tracker = make_tracker(
        "/upload_files and my chest hurts so bad i can't breathe", "red_flag",
        slots={"requested_slot": "situation"}, active_loop="worthwhile_form",
    )
    assert await ValidateWorthwhileForm().run(CollectingDispatcher(), tracker, domain) == []


@pytest.mark.parametrize("intent", ["upload_files", "request_records"])
async def test_how_the_copies_should_come_is_an_answer_even_when_it_sounds_like_files(
    intent: str, uploads_db: str, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        "through the patient portal please", intent,
        slots={"imaging_center": "Lakeside Imaging", "requested_slot": "letter_delivery"},
        active_loop="letter_form",
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateLetterForm().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []  # no upload link
    assert slot_events(events) == {"letter_delivery": "portal", "requested_slot": None}


async def test_files_sent_at_the_delivery_question_are_still_reported(
    uploads_db: str, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        "/upload_files", "upload_files",
        slots={"imaging_center": "Lakeside Imaging", "requested_slot": "letter_delivery"},
        active_loop="letter_form",
    )
    tracker.latest_message["metadata"] = {"upload_ids": ["up_nobody_sent_this"]}
    dispatcher = CollectingDispatcher()
    events = await ValidateLetterForm().run(dispatcher, tracker, domain)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_uploads_not_found"]
    assert slot_events(events) == {"letter_delivery": None, "requested_slot": "letter_delivery"}
