"""Form validation actions with real Trackers: every branch of every slot validator."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import (
    ValidateInsuranceForm,
    ValidateSubspecialistForm,
    ValidateWorthwhileForm,
)
from tests.actions.conftest import make_tracker, rendered, responses, slot_events, user_event


async def run_form(
    action: Any, dispatcher: CollectingDispatcher, domain: dict[str, Any], **tracker_args: Any
) -> dict[str, Any]:
    events = await action.run(dispatcher, make_tracker(**tracker_args), domain)
    return slot_events(events)


@pytest.mark.parametrize(
    ("slot", "answer", "expected"),
    [
        ("exam_type", "mri", "mri"),  # button payload
        ("exam_type", "a cat scan of my belly", "ct"),  # free text
        ("exam_type", ["mri", "ct"], "mri"),  # two entities in one message
        ("body_part", "my lower back", "spine"),
        ("body_part", "brain", "brain"),
        ("situation", "surgery_planned", "surgery_planned"),
        ("situation", "the report was really vague", "unclear_report"),
    ],
)
async def test_worthwhile_form_accepts_answers(
    slot: str, answer: Any, expected: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await run_form(
        ValidateWorthwhileForm(),
        dispatcher,
        domain,
        text=str(answer),
        set_this_turn={slot: answer},
        active_loop="worthwhile_form",
    )
    assert slots[slot] == expected
    assert dispatcher.messages == []


@pytest.mark.parametrize("slot", ["exam_type", "body_part", "situation"])
async def test_worthwhile_form_explains_unusable_answer(
    slot: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await run_form(
        ValidateWorthwhileForm(),
        dispatcher,
        domain,
        text="purple elephant",
        set_this_turn={slot: "purple elephant"},
        active_loop="worthwhile_form",
    )
    assert slots[slot] is None  # refused: the form asks again
    assert responses(dispatcher) == [f"utter_explain_{slot}"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("child", "child"), ("he is 9", "child"), ("I'm 52", "adult"), ("banana", None)],
)
async def test_subspecialist_form_age_group(
    answer: str, expected: str | None, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await run_form(
        ValidateSubspecialistForm(),
        dispatcher,
        domain,
        text=answer,
        set_this_turn={"age_group": answer},
        active_loop="subspecialist_form",
    )
    assert slots["age_group"] == expected
    assert responses(dispatcher) == ([] if expected else ["utter_explain_age_group"])


@pytest.mark.parametrize("plan", ["medicare"])
async def test_insurance_form_skips_network_question_without_a_network(
    plan: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    slots = await run_form(
        ValidateInsuranceForm(),
        dispatcher,
        domain,
        text="/affirm",
        intent="affirm",
        slots={"plan_type": plan, "physician_requested": "yes"},
        set_this_turn={"surgery_planned": "yes"},
        active_loop="insurance_form",
    )
    assert slots["surgery_planned"] == "yes"
    assert slots["requested_slot"] is None  # done: in_network is never asked


async def test_insurance_form_asks_the_uninsured_nothing_else(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    # The advice for self-pay is the same whatever the doctor asked or the surgery plans are.
    slots = await run_form(
        ValidateInsuranceForm(),
        dispatcher,
        domain,
        text="i pay out of pocket, no insurance",
        slots={"requested_slot": "plan_type"},
        set_this_turn={"plan_type": "i pay out of pocket, no insurance"},
        active_loop="insurance_form",
    )
    assert slots == {"plan_type": "none", "requested_slot": None}


async def test_insurance_form_asks_network_for_ppo(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    validator = ValidateInsuranceForm()
    tracker = make_tracker(
        text="/affirm",
        intent="affirm",
        slots={"plan_type": "ppo", "physician_requested": "yes"},
        set_this_turn={"surgery_planned": "yes"},
        active_loop="insurance_form",
    )
    required = await validator.required_slots(
        validator.domain_slots(domain), dispatcher, tracker, domain
    )
    assert "in_network" in required
    events = slot_events(await validator.run(dispatcher, tracker, domain))
    # The validation names the next question itself (bot/actions/form_validation.py).
    assert events == {"surgery_planned": "yes", "requested_slot": "in_network"}


@pytest.mark.parametrize(
    ("slot", "answer", "expected"),
    [
        ("plan_type", "blue cross ppo through my job", "ppo"),
        ("plan_type", "medicare advantage", "medicare_advantage"),
        ("plan_type", "qwerty", None),
        ("physician_requested", "I think so", "yes"),
        ("surgery_planned", "not sure", "unsure"),
        ("in_network", "nope", "no"),
        ("in_network", "the sky is blue", None),
    ],
)
async def test_insurance_form_parses_answers(
    slot: str,
    answer: str,
    expected: str | None,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
) -> None:
    slots = await run_form(
        ValidateInsuranceForm(),
        dispatcher,
        domain,
        text=answer,
        slots={"plan_type": "ppo"} if slot != "plan_type" else {},
        set_this_turn={slot: answer},
        active_loop="insurance_form",
    )
    assert slots[slot] == expected
    assert responses(dispatcher) == ([] if expected else [f"utter_explain_{slot}"])


def explained(slot: str) -> dict[str, Any]:
    """The bot event of an explanation, as Rasa records a response an action named."""
    return {"event": "bot", "text": "(the explanation)",
            "metadata": {"utter_action": f"utter_explain_{slot}"}}


def missed(times: int, slot: str = "plan_type") -> list[dict[str, Any]]:
    """The insurance form started, then its question for `slot` missed `times` times."""
    history: list[dict[str, Any]] = [{"event": "active_loop", "name": "insurance_form"}]
    for _ in range(times):
        history += [user_event("blue thing", "inform"), explained(slot)]
    return history


@pytest.mark.parametrize(("earlier", "way_out"), [(0, False), (1, False), (2, True), (3, True)])
async def test_the_third_miss_on_one_question_offers_a_way_out(
    earlier: int, way_out: bool, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text="the blue card one", active_loop="insurance_form",
                           slots={"requested_slot": "plan_type"},
                           set_this_turn={"plan_type": "the blue card one"},
                           history=missed(earlier))
    await ValidateInsuranceForm().run(dispatcher, tracker, domain)
    # Explained every time; the third time with a way out.
    assert responses(dispatcher) == ["utter_explain_plan_type"] + (
        ["utter_way_out"] if way_out else [])
    if way_out:
        way = rendered(dispatcher.messages[-1], domain, tracker)
        assert [b["payload"] for b in way["buttons"]] == ["/stop", "/human_handoff"]


async def test_misses_before_the_form_started_again_do_not_count(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    history = [*missed(3), {"event": "active_loop", "name": None},
               {"event": "active_loop", "name": "insurance_form"}]
    tracker = make_tracker(text="the blue card one", active_loop="insurance_form",
                           slots={"requested_slot": "plan_type"},
                           set_this_turn={"plan_type": "the blue card one"}, history=history)
    await ValidateInsuranceForm().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_explain_plan_type"]


async def test_misses_on_other_questions_do_not_count(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    # Two misses on whether the doctor asked for it, then one on the surgery question: the
    # same words, but not the same question.
    history = [*missed(2, "physician_requested"), user_event("/affirm", "affirm"),
               explained("surgery_planned")]
    tracker = make_tracker(text="hmm", active_loop="insurance_form",
                           slots={"requested_slot": "surgery_planned", "plan_type": "ppo",
                                  "physician_requested": "yes"},
                           set_this_turn={"surgery_planned": "hmm"}, history=history)
    await ValidateInsuranceForm().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_explain_surgery_planned"]


@pytest.mark.parametrize(
    ("text", "history", "expected"),
    [
        # Self-pay only offered as a choice: the plan question is asked.
        ("wud my insurence pay for this or is it out of pocket", [], None),
        # ...and a plan stated before stands.
        ("will it be covered or is it out of pocket?", [("we have an HMO", "inform")], "hmo"),
        # Stated: no question about the plan.
        ("no insurance, so I'd pay out of pocket. how much is it?", [], "none"),
    ],
)
async def test_self_pay_offered_as_a_choice_does_not_answer_the_plan_question(
    text: str,
    history: list[tuple[str, str]],
    expected: str | None,
    dispatcher: CollectingDispatcher,
    domain: dict[str, Any],
) -> None:
    # Rasa's entity mapping has already put the NLU's "out of pocket" into the slot.
    tracker = make_tracker(
        text, "ask_insurance", set_this_turn={"plan_type": "out of pocket"},
        history=[user_event(said, intent) for said, intent in history],
    )
    tracker.latest_message["entities"] = [
        {"entity": "plan_type", "value": "out of pocket", "start": 0, "end": 1}
    ]
    events = slot_events(await ValidateInsuranceForm().run(dispatcher, tracker, domain))
    assert events["plan_type"] == expected
    # Asked when unknown; nothing more for the uninsured; the referral question for a plan.
    asks_next = {None: "plan_type", "none": None}.get(expected, "physician_requested")
    assert events["requested_slot"] == asks_next
