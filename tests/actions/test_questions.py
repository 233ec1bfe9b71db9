"""Questions where an answer was expected (issue 14, classes 4, 5, 7), with real Trackers.

Inside a form a question gets a reply on its topic and the slot stays empty, so the form asks its
question again; outside, out_of_scope is refused only when the NLU is sure and the message names
none of our subjects, and "the portal only gives me JPEGs" is told DICOM is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import (
    ValidateInsuranceForm,
    ValidateSubspecialistForm,
    ValidateWorthwhileForm,
)
from bot.actions.scope import ActionDisclaimer, ActionOutOfScope
from bot.actions.uploads import ActionHandleUploads
from bot.guidance import questions
from tests.actions.conftest import ROOT, make_tracker, rendered, responses, said, slot_events

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())

# Every slot of every form this module validates, with its form.
SLOTS = [
    (ValidateWorthwhileForm, "worthwhile_form", "exam_type"),
    (ValidateWorthwhileForm, "worthwhile_form", "body_part"),
    (ValidateWorthwhileForm, "worthwhile_form", "situation"),
    (ValidateSubspecialistForm, "subspecialist_form", "exam_type"),
    (ValidateSubspecialistForm, "subspecialist_form", "body_part"),
    (ValidateSubspecialistForm, "subspecialist_form", "age_group"),
    (ValidateInsuranceForm, "insurance_form", "plan_type"),
    (ValidateInsuranceForm, "insurance_form", "physician_requested"),
    (ValidateInsuranceForm, "insurance_form", "surgery_planned"),
    (ValidateInsuranceForm, "insurance_form", "in_network"),
]
# (question, the reply's response); none of them answers any form question.
QUESTIONS = [
    ("hmm do I need a referral from my family doctor for this?", "utter_referral_note"),
    ("before I answer, who exactly gets to look at these details?", "utter_privacy"),
    ("is the written report enough on its own, or do you need the images?", "utter_records_brief"),
    ("wait, can I download the images off the portal myself?", "utter_records_brief"),
    ("what happens if they dont cover it?", "utter_cost_note"),
    ("why do you need to know that?", "utter_form_help"),
    ("how long does this usually take", questions.GENERIC_REPLY),
]


async def validate(
    form: Any, loop: str, slot: str, text: str, intent: str = "inform"
) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    plan = {"plan_type": "ppo"} if loop == "insurance_form" and slot != "plan_type" else {}
    tracker = make_tracker(
        text,
        intent,
        slots={"requested_slot": slot, **plan},
        set_this_turn={slot: text},
        active_loop=loop,
    )
    events = await form().run(dispatcher, tracker, DOMAIN)
    return slot_events(events), dispatcher


@pytest.mark.parametrize(("form", "loop", "slot"), SLOTS)
@pytest.mark.parametrize(("question", "response"), QUESTIONS)
async def test_a_question_inside_a_form_is_answered_not_refused(
    form: Any, loop: str, slot: str, question: str, response: str
) -> None:
    slots, dispatcher = await validate(form, loop, slot, question, intent="out_of_scope")
    assert slots.get(slot) is None  # not taken as the answer: the form asks again
    assert responses(dispatcher) == [response]  # not "utter_explain_<slot>"


@pytest.mark.parametrize(
    ("form", "loop", "slot", "text", "expected", "reply"),
    [
        # An answer that goes on asking is still the answer, and the question is replied to.
        (
            ValidateInsuranceForm,
            "insurance_form",
            "physician_requested",
            "yes, but do I need a referral too?",
            "yes",
            "utter_referral_note",
        ),
        # A question that states the answer ("MRI?") answers.
        (ValidateWorthwhileForm, "worthwhile_form", "exam_type", "MRI?", "mri", None),
        (ValidateInsuranceForm, "insurance_form", "plan_type", "is medicaid ok?", "medicaid", None),
    ],
)
async def test_an_answer_worded_as_a_question_still_answers(
    form: Any, loop: str, slot: str, text: str, expected: str, reply: str | None
) -> None:
    slots, dispatcher = await validate(form, loop, slot, text)
    assert slots[slot] == expected
    assert [m.get("response") for m in dispatcher.messages] == ([reply] if reply else [])


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        # The generous parsers would read these as answers: "myself" an adult, "dont" a no.
        ("age_group", "can I get the images off the portal myself?"),
        ("surgery_planned", "what if they dont pay for it?"),
    ],
)
async def test_a_question_is_not_read_as_an_answer_by_a_generous_parser(
    slot: str, text: str
) -> None:
    form = ValidateSubspecialistForm if slot == "age_group" else ValidateInsuranceForm
    loop = "subspecialist_form" if slot == "age_group" else "insurance_form"
    slots, dispatcher = await validate(form, loop, slot, text)
    assert slots.get(slot) is None
    assert len(dispatcher.messages) == 1


def test_every_reply_is_a_response_in_the_domain(domain: dict[str, Any]) -> None:
    replies = {response for _, response in QUESTIONS} | {"utter_ask_which_topic"}
    assert replies <= set(domain["responses"])


async def out_of_scope(text: str, confidence: float) -> str | None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, "out_of_scope")
    tracker.latest_message["intent"]["confidence"] = confidence
    assert await ActionOutOfScope().run(dispatcher, tracker, {}) == []
    (message,) = dispatcher.messages
    return message.get("response")


@pytest.mark.parametrize(
    ("text", "confidence", "response"),
    [
        ("recommend me a good pizza place", 1.0, "utter_out_of_scope"),
        ("/out_of_scope", 1.0, "utter_out_of_scope"),  # "Something else" on the topic menu
        # Ours, whatever the NLU says: offer the topics.
        ("whats a PACS link and do i need one", 0.999, "utter_ask_which_topic"),
        ("how much can they charge me for a cd of my mri", 0.99, "utter_ask_which_topic"),
        # The NLU is not sure: ask, don't refuse.
        ("who do i believe now", 0.56, "utter_ask_which_topic"),
    ],
)
async def test_out_of_scope_refuses_only_what_is_surely_not_ours(
    text: str, confidence: float, response: str
) -> None:
    assert await out_of_scope(text, confidence) == response


async def test_jpegs_from_a_portal_are_told_dicom_is_needed_not_given_an_upload_link(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "the portal only lets me save jpgs, can i send you those?", "upload_files"
    )
    await ActionHandleUploads().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_pictures_not_enough", "utter_pictures_note"]
    texts = said(dispatcher, DOMAIN)
    assert "DICOM" in texts[0]
    # The note for the center, naming the DICOM images as missing, is one link away.
    assert "/letters/follow-up.pdf?token=" in texts[1] and texts[1].endswith("&missing=dicom")

    dispatcher = CollectingDispatcher()
    await ActionHandleUploads().run(dispatcher, make_tracker("how do i send my dicom files"), {})
    assert responses(dispatcher) == ["utter_upload_link"]
    assert "/upload?token=" in rendered(dispatcher.messages[0], DOMAIN)["text"]


@pytest.mark.parametrize(
    ("text", "follows_with"),
    [
        ("the report says nonspecific foci, likely chronic. is it worth getting a fresh set of "
         "eyes on it?", "worthwhile_form"),
        ("what does mild degenerative change mean, and should someone else read my MRI?",
         "worthwhile_form"),
        ("what does hypodense lesion mean on my ct report", None),
        ("is this nodule cancer?", None),
    ],
)
async def test_a_finding_question_gets_the_disclaimer_then_its_second_read_question(
    text: str, follows_with: str | None,
    dispatcher: CollectingDispatcher, domain: dict[str, Any],
) -> None:
    tracker = make_tracker(text=text, intent="ask_diagnosis")
    events = await ActionDisclaimer().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_disclaimer"]
    followups = [e["name"] for e in events if e.get("event") == "followup"]
    assert followups == ([follows_with] if follows_with else [])
