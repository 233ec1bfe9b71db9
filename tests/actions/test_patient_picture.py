"""Issue 14, classes 1, 2, 3 and 6 through the actions, with real Trackers.

1. files that contradict the chat; 2. facts the patient gave are not asked again; 3. hybrid
exams; 6. details in the message that opens a form fill it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.cases import case_details
from bot.actions.forms import (
    ValidateInsuranceForm,
    ValidateSubspecialistForm,
    ValidateWorthwhileForm,
)
from bot.actions.journeys import ActionSuggestSubspecialist
from bot.imaging import inspect_files
from tests.actions.conftest import make_tracker, slot_events, user_event
from tests.actions.test_uploads import run, stored_upload, tracker_with
from tests.fixtures import dicom_factory


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value}


def said(text: str, intent: str = "inform", entities: list[Any] | None = None) -> dict[str, Any]:
    """An earlier message of the patient, as Rasa stores it."""
    return user_event(text, intent, entities)


def chest_ct_verdict(tmp_path: Path) -> dict[str, Any]:
    paths = dicom_factory.ct_series(
        tmp_path / "chest", slices=5, rows=16, cols=16, body_part="CHEST",
        study_description="CT CHEST WITH CONTRAST",
    )
    verdict = inspect_files(dicom_factory.source_files(paths, tmp_path))
    assert verdict.ok and verdict.to_dict()["exam_type"] == "ct"
    return verdict.to_dict()


def head_ct_verdict(tmp_path: Path) -> dict[str, Any]:
    paths = dicom_factory.ct_series(tmp_path / "head", slices=5, rows=16, cols=16)
    return inspect_files(dicom_factory.source_files(paths, tmp_path)).to_dict()


BRAIN_MRI_STORY = said(
    "my son's brain MRI was read by a general radiologist, who should look at it again?",
    "find_subspecialist",
    [entity("exam_type", "mri"), entity("body_part", "brain")],
)


async def upload_after(
    history: list[dict[str, Any]], verdict: dict[str, Any], slots: dict[str, Any]
) -> tuple[Tracker, list[dict[str, Any]], list[dict[str, Any]]]:
    tracker = make_tracker("/upload_files", "upload_files", slots=slots, history=history)
    public_id = stored_upload(tracker.sender_id, verdict)
    tracker.latest_message["metadata"] = {"upload_ids": [public_id]}
    events, messages = await run(tracker)
    return tracker, events, messages


# --- 1. files contradicted -----------------------------------------------------------------


async def test_files_that_contradict_the_chat_are_named_and_questioned(
    uploads_db: str, tmp_path: Path
) -> None:
    tracker, events, messages = await upload_after(
        [BRAIN_MRI_STORY], chest_ct_verdict(tmp_path), {"exam_type": "mri", "body_part": "brain"}
    )
    texts = [m["text"] for m in messages]
    assert (
        "You mentioned a brain MRI, but the files you sent are a chest CT scan. "
        "Which study is the second opinion for?"
    ) in " ".join(texts)
    # The verdict sentence credits the files only with what they say.
    (advice,) = [t for t in texts if t.startswith("Going by")]
    assert advice.startswith("Going by the details stored in the files (chest CT scan), ")
    assert "brain" not in advice.split(". ")[0]
    (question,) = [m for m in messages if m["text"].startswith("You mentioned")]
    assert [b["payload"] for b in question["buttons"]] == [
        '/inform{"exam_type":"ct","body_part":"chest"}',
        '/inform{"exam_type":"mri","body_part":"brain"}',
    ]
    # No case is offered before the patient says which study it is for.
    assert not any(b["payload"] == "/open_case" for m in messages for b in m.get("buttons") or [])
    # Files beat chat: a case opened now records the chest CT that is attached.
    slots = slot_events(events)
    assert (slots["exam_type"], slots["body_part"]) == ("ct", "chest")
    after = make_tracker(
        "/open_case", "open_case", slots={**tracker.slots, **slots}, history=[BRAIN_MRI_STORY]
    )
    details = case_details(after)
    assert (details.exam_type, details.body_part) == ("ct", "chest")


async def test_files_that_match_the_chat_raise_no_question(
    uploads_db: str, tmp_path: Path
) -> None:
    story = said("who should read my CT of the head?", "find_subspecialist",
                 [entity("exam_type", "ct"), entity("body_part", "brain")])
    _, events, messages = await upload_after(
        [story], head_ct_verdict(tmp_path), {"exam_type": "ct", "body_part": "brain"}
    )
    assert not any(m["text"].startswith("You mentioned") for m in messages)
    assert messages[-1]["buttons"][0]["payload"] == "/open_case"
    assert "exam_type" not in slot_events(events)


# --- 2. forgotten facts --------------------------------------------------------------------


async def test_a_child_sent_to_pediatric_radiology_stays_a_child_on_the_next_upload(
    uploads_db: str, tmp_path: Path, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = {"exam_type": "ct", "body_part": "brain", "age_group": "child"}
    answer = await ActionSuggestSubspecialist().run(dispatcher, make_tracker(slots=slots), domain)
    slots.update(slot_events(answer))
    assert slots["age_group"] == "child"
    _, _, messages = await upload_after([], head_ct_verdict(tmp_path), slots)
    (advice,) = [m["text"] for m in messages if m["text"].startswith("Going by")]
    assert "pediatric radiology" in advice
    assert "neuroradiology" not in advice


async def test_the_first_message_answers_the_specialist_questions(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    first = said("Hi, my 8 year old had a brain MRI last week and I don't have insurance", "greet",
                 [entity("exam_type", "mri"), entity("body_part", "brain")])
    tracker = make_tracker("who should read it?", "find_subspecialist", history=[first])
    slots = slot_events(await ValidateSubspecialistForm().run(dispatcher, tracker, domain))
    assert slots == {
        "exam_type": "mri", "body_part": "brain", "age_group": "child",
        "requested_slot": None,  # nothing left to ask
    }
    assert dispatcher.messages == []


async def test_no_insurance_in_the_first_message_is_not_asked_again(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    first = said("I don't have insurance, my daughter (15) needs her CT re-read")
    tracker = make_tracker("how much will it cost?", "ask_insurance", history=[first])
    slots = slot_events(await ValidateInsuranceForm().run(dispatcher, tracker, domain))
    # Without insurance nothing else changes the answer: the form ends at once.
    assert slots == {"plan_type": "none", "requested_slot": None}


async def test_an_entity_that_is_no_answer_does_not_hide_what_was_said(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    # The NLU tagged "insurance" as a plan in "we dont have insurance right now".
    first = said("my 7 yr old got a CT of his head, we dont have insurance right now", "inform",
                 [entity("plan_type", "insurance")])
    tracker = make_tracker("/ask_insurance", "ask_insurance", history=[first],
                           slots={"plan_type": "insurance"})
    slots = slot_events(await ValidateInsuranceForm().run(dispatcher, tracker, domain))
    assert slots["plan_type"] == "none"
    assert dispatcher.messages == []


async def test_an_entity_that_is_no_answer_is_dropped_without_a_complaint(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker("what does insurance pay?", "ask_insurance",
                           set_this_turn={"plan_type": "insurance"})
    slots = slot_events(await ValidateInsuranceForm().run(dispatcher, tracker, domain))
    assert slots["plan_type"] is None  # the form asks its question plainly
    assert dispatcher.messages == []


async def test_an_earlier_answer_is_kept_and_a_new_statement_changes_it(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    kept = make_tracker("is it worth it?", "ask_worthwhile",
                        slots={"second_opinion_reason": "unclear_report"})
    slots = slot_events(await ValidateWorthwhileForm().run(dispatcher, kept, domain))
    assert slots["situation"] == "unclear_report"
    changed = make_tracker(
        "they now want to operate on my back, is a second read worth it?", "ask_worthwhile",
        slots={"situation": "unclear_report", "exam_type": "mri", "body_part": "spine"},
    )
    slots = slot_events(await ValidateWorthwhileForm().run(dispatcher, changed, domain))
    assert slots["situation"] == "surgery_planned"


async def test_the_question_being_answered_is_left_to_its_validator(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        "he is 12", slots={"exam_type": "mri", "body_part": "knee", "requested_slot": "age_group"},
        set_this_turn={"age_group": "he is 12"}, active_loop="subspecialist_form",
    )
    slots = slot_events(await ValidateSubspecialistForm().run(dispatcher, tracker, domain))
    assert slots == {"age_group": "child", "requested_slot": None}


# --- 3. hybrid exams -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "entities", "exam"),
    [
        ("my PET/CT from last month", ["pet", "ct"], "pet"),
        ("PET-MR", ["pet", "mri"], "pet"),
        ("it was a SPECT/CT", ["nuclear", "ct"], "nuclear"),
        ("a CT angiogram", ["ct", "angiogram"], "angiogram"),
    ],
)
async def test_a_hybrid_exam_is_not_its_last_part(
    text: str, entities: list[str], exam: str,
    dispatcher: CollectingDispatcher, domain: dict[str, Any],
) -> None:
    # Rasa fills a text slot with the last of several entities: "ct" for a PET/CT.
    tracker = make_tracker(
        text, slots={"requested_slot": "exam_type"}, set_this_turn={"exam_type": entities[-1]},
        active_loop="subspecialist_form",
    )
    tracker.latest_message["entities"] = [entity("exam_type", value) for value in entities]
    slots = slot_events(await ValidateSubspecialistForm().run(dispatcher, tracker, domain))
    assert slots["exam_type"] == exam


@pytest.mark.parametrize(
    ("first_message", "expected"),
    [
        ("I need someone to re-read my PET/CT of the chest", "nuclear_radiology"),
        ("who should read a SPECT/CT of my spine?", "nuclear_radiology"),
        ("my CTA of the head and neck", "neuroradiology"),
        ("I had an MRA of the neck", "neuroradiology"),
        ("a cardiac MRI", "cardiothoracic"),
        ("my 10 year old's PET/CT", "pediatric"),
    ],
)
async def test_hybrid_and_compound_exams_go_to_the_right_reader(
    first_message: str, expected: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(first_message, "find_subspecialist")
    slots = slot_events(await ValidateSubspecialistForm().run(dispatcher, tracker, domain))
    slots.setdefault("age_group", "adult")
    answer = make_tracker(slots=slots)
    events = await ActionSuggestSubspecialist().run(CollectingDispatcher(), answer, domain)
    assert slot_events(events)["suggested_subspecialty"] == expected


# --- 6. details in the message -------------------------------------------------------------


async def test_insurance_details_in_one_message_fill_the_whole_form(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        "I have a Blue Cross PPO, my surgeon asked for a second opinion because surgery is "
        "scheduled for March, and the radiologist is in network. Will it be covered?",
        "ask_insurance",
    )
    tracker.latest_message["entities"] = [entity("plan_type", "ppo")]
    slots = slot_events(await ValidateInsuranceForm().run(dispatcher, tracker, domain))
    assert slots == {
        "plan_type": "ppo",
        "physician_requested": "yes",
        "surgery_planned": "yes",
        "in_network": "yes",
        "requested_slot": None,  # nothing left to ask: the form ends
    }
    assert dispatcher.messages == []


async def test_only_what_the_message_states_is_filled(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker("I'm on Medicare, will a second read be covered?", "ask_insurance")
    slots = slot_events(await ValidateInsuranceForm().run(dispatcher, tracker, domain))
    assert slots == {"plan_type": "medicare", "requested_slot": "physician_requested"}


def test_tracker_helper_is_the_uploads_one() -> None:
    assert callable(tracker_with)
