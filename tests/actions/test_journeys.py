"""The journey answer actions: events and messages, with real Trackers."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.journeys import (
    ActionInsuranceAnswer,
    ActionSuggestSubspecialist,
    ActionWorthwhileAnswer,
)
from tests.actions.conftest import make_tracker, slot_events


async def test_worthwhile_answer_keeps_the_reason_and_the_answer(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        slots={"exam_type": "mri", "body_part": "brain", "situation": "surgery_planned"}
    )
    events = await ActionWorthwhileAnswer().run(dispatcher, tracker, domain)
    # Asking again does not ask the situation again (issue 14: nothing said is asked twice).
    assert slot_events(events) == {"second_opinion_reason": "surgery_planned"}
    (text,) = [m["text"] for m in dispatcher.messages]
    assert text.startswith("A second opinion on your brain MRI is strongly recommended")
    assert "Surgery or another high-stakes procedure is planned" in text


async def test_subspecialist_answer_names_the_subspecialty_and_programs(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(slots={"exam_type": "mri", "body_part": "brain", "age_group": "adult"})
    events = await ActionSuggestSubspecialist().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"suggested_subspecialty": "neuroradiology"}
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0].startswith("A good fit for a second read: neuroradiology.")
    assert "may have changed" in texts[-1]
    # Names near the patient are one click away, once the subspecialty is known.
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Find radiologists near me", "payload": "/find_nearby"}
    ]


async def test_child_goes_to_pediatric_radiology(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(slots={"exam_type": "mri", "body_part": "knee", "age_group": "child"})
    events = await ActionSuggestSubspecialist().run(dispatcher, tracker, domain)
    # The age stays known: the next upload goes to pediatric radiology too (issue 14).
    assert slot_events(events) == {"suggested_subspecialty": "pediatric"}


async def test_insurance_answer_stores_answers_for_the_case(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    answers = {
        "plan_type": "medicare",
        "physician_requested": "yes",
        "surgery_planned": "yes",
        "in_network": None,
    }
    tracker = make_tracker(slots=answers)
    events = slot_events(await ActionInsuranceAnswer().run(dispatcher, tracker, domain))
    assert events == {"insurance_answers": answers}  # nothing cleared: not asked again
    (text,) = [m["text"] for m in dispatcher.messages]
    assert text.startswith("Chance that insurance pays: likely.")
    assert "Original Medicare (Part B) covers a second opinion" in text
