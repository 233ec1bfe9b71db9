"""Emergency guidance, fallback and handoff actions with real Trackers."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import ValidateSubspecialistForm, ValidateWorthwhileForm
from bot.actions.safety import ActionEmergencyGuidance, ActionFallback, ActionHandoff
from bot.guidance import red_flags
from tests.actions.conftest import make_tracker, rendered, responses, slot_events, user_event


async def test_emergency_guidance_tailored_to_stroke(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="my mom's face is drooping and her speech is slurred", intent="red_flag"
    )
    events = await ActionEmergencyGuidance().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"red_flag_category": "stroke"}
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Please call 911 or go to the nearest emergency department now.")
    assert "signs of a stroke" in text and "note the time they started" in text


async def test_emergency_guidance_without_a_keyword_is_still_emergency_first(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text="something is badly wrong with me right now", intent="red_flag")
    events = await ActionEmergencyGuidance().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"red_flag_category": "unspecified"}
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Please call 911 or go to the nearest emergency department now.")
    assert "stroke" not in text and "heart attack" not in text  # no guessed condition


async def test_first_miss_asks_to_rephrase(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text="blorp", intent="nlu_fallback", history=[user_event("hi", "greet")])
    # The misunderstood message is taken back, as Rasa's own fallback does: otherwise the core
    # fallback (no policy sure what follows) would run this action again in the same turn.
    events = await ActionFallback().run(dispatcher, tracker, domain)
    assert [e["event"] for e in events] == ["rewind"]
    assert responses(dispatcher) == ["utter_please_rephrase"]
    assert "say it another way" in rendered(dispatcher.messages[0], domain)["text"]


async def test_second_miss_in_a_row_offers_a_person(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="blorp again",
        intent="nlu_fallback",
        history=[user_event("blorp", "nlu_fallback"), {"event": "bot", "text": "Sorry..."}],
    )
    events = await ActionFallback().run(dispatcher, tracker, domain)
    assert [e["event"] for e in events] == ["rewind"]
    assert responses(dispatcher) == ["utter_offer_handoff"]
    payloads = [b["payload"] for b in rendered(dispatcher.messages[0], domain)["buttons"]]
    assert payloads == ["/human_handoff", "/help"]


async def test_misses_separated_by_an_understood_message_do_not_add_up(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="blorp again",
        intent="nlu_fallback",
        history=[user_event("blorp", "nlu_fallback"), user_event("hi", "greet")],
    )
    await ActionFallback().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_please_rephrase"]


async def test_fallback_catches_an_emergency_the_nlu_missed(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text="i cant breathe properly since this morning", intent="nlu_fallback")
    events = await ActionFallback().run(dispatcher, tracker, domain)
    assert slot_events(events)["red_flag_category"] == "breathing"
    assert "911" in dispatcher.messages[0]["text"]


async def test_handoff_is_recorded_in_a_slot(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text="let me talk to a human", intent="human_handoff")
    events = await ActionHandoff().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"handoff_requested": True}
    assert responses(dispatcher) == ["utter_handoff"]
    assert "support team" in rendered(dispatcher.messages[0], domain)["text"]


async def test_chest_pain_with_a_numb_arm_gets_heart_advice_not_stroke_advice(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="crushing chest pain for half an hour and my left arm is numb", intent="red_flag"
    )
    events = await ActionEmergencyGuidance().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"red_flag_category": "chest_pain"}
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Please call 911") and "heart attack" in text
    assert "stroke" not in text.lower()


async def test_several_emergencies_get_advice_for_each(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="her face has dropped on one side and she's been coughing up blood", intent="red_flag"
    )
    events = await ActionEmergencyGuidance().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"red_flag_category": "stroke"}
    assert dispatcher.messages[0]["text"] == red_flags.emergency_guidance(["stroke", "blood"])


@pytest.mark.parametrize(
    ("form", "loop", "requested", "text"),
    [
        # The message names a body part (or an exam) the form could take as an answer: it must
        # still fill nothing, so Rasa rejects the form and the red_flag rule answers first.
        (ValidateWorthwhileForm, "worthwhile_form", "exam_type",
         "it was an MRI of my neck, but right now his face is drooping"),
        (ValidateSubspecialistForm, "subspecialist_form", "age_group",
         "CT. wait, my aunt's speech has gone strange and she can't raise her arm"),
    ],
)
async def test_an_emergency_in_a_form_fills_no_slot(
    form: type, loop: str, requested: str, text: str,
    dispatcher: CollectingDispatcher, domain: dict[str, Any],
) -> None:
    tracker = make_tracker(
        text=text, intent="red_flag", active_loop=loop,
        slots={"requested_slot": requested},
    )
    events = await form().run(dispatcher, tracker, domain)
    assert slot_events(events) == {}
    assert dispatcher.messages == []


async def test_a_name_that_sounds_like_a_symptom_is_kept_as_the_name(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="Grace Faint", intent="red_flag", active_loop="case_form",
        slots={"requested_slot": "full_name"},
    )
    events = await ActionEmergencyGuidance().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"full_name": "Grace Faint"}
    assert {"event": "followup", "name": "case_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("text", "loop", "requested"),
    [
        ("Cant Go On", "case_form", "full_name"),  # capitalised, but a sentence
        ("grace faint", "case_form", "full_name"),  # not written as a name
        ("Grace Faint", "case_form", "date_of_birth"),  # a name was not asked for
        ("Grace Faint", None, None),  # no form
        ("Chest Pain", "case_form", "full_name"),  # the keyword net finds an emergency
    ],
)
async def test_otherwise_a_red_flag_at_the_name_question_gets_emergency_guidance(
    text: str, loop: str | None, requested: str | None,
    dispatcher: CollectingDispatcher, domain: dict[str, Any],
) -> None:
    tracker = make_tracker(
        text=text, intent="red_flag", active_loop=loop,
        slots={"requested_slot": requested} if requested else None,
    )
    events = await ActionEmergencyGuidance().run(dispatcher, tracker, domain)
    assert "red_flag_category" in slot_events(events)
    assert "911" in dispatcher.messages[0]["text"]


async def test_fallback_on_a_statement_ending_in_a_second_read_question_starts_that_journey(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="the report calls it equivocal. should someone else read it?", intent="nlu_fallback"
    )
    events = await ActionFallback().run(dispatcher, tracker, domain)
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["worthwhile_form"]
    assert dispatcher.messages == []


async def test_fallback_on_what_a_finding_means_gives_the_disclaimer_and_takes_it_back(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text="the ct report mentions atelectasis. what is that?",
                           intent="nlu_fallback")
    events = await ActionFallback().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_disclaimer"
    assert [e["event"] for e in events] == ["rewind"]


async def test_fallback_on_asking_to_write_to_the_center_starts_the_letter(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text="pls help me draft an email to the hospital records office",
                           intent="nlu_fallback")
    events = await ActionFallback().run(dispatcher, tracker, domain)
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["letter_form"]
    assert dispatcher.messages == []
