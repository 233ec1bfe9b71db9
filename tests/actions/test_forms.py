"""Form validation actions with real Trackers: every branch of every slot validator."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import (
    EXPLANATIONS,
    WAY_OUT,
    ValidateInsuranceForm,
    ValidateSubspecialistForm,
    ValidateWorthwhileForm,
)
from tests.actions.conftest import make_tracker, slot_events, user_event


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
    assert [m["text"] for m in dispatcher.messages] == [EXPLANATIONS[slot]]


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
    assert bool(dispatcher.messages) == (expected is None)


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
    # Default order applies: Rasa's own form asks for in_network next.
    assert events == {"surgery_planned": "yes"}


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
    if expected is None:
        assert dispatcher.messages[0]["text"] == EXPLANATIONS[slot]


def missed(times: int) -> list[dict[str, Any]]:
    """The insurance form started, then its coverage question missed `times` times."""
    history: list[dict[str, Any]] = [{"event": "active_loop", "name": "insurance_form"}]
    for _ in range(times):
        history += [user_event("blue thing", "inform"),
                    {"event": "bot", "text": EXPLANATIONS["plan_type"]}]
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
    texts = [m.get("text") for m in dispatcher.messages]
    assert texts[0] == EXPLANATIONS["plan_type"]  # explained every time
    assert (WAY_OUT in texts) is way_out
    if way_out:
        assert [b["payload"] for b in dispatcher.messages[-1]["buttons"]] == [
            "/stop", "/human_handoff"]


async def test_misses_before_the_form_started_again_do_not_count(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    history = [*missed(3), {"event": "active_loop", "name": None},
               {"event": "active_loop", "name": "insurance_form"}]
    tracker = make_tracker(text="the blue card one", active_loop="insurance_form",
                           slots={"requested_slot": "plan_type"},
                           set_this_turn={"plan_type": "the blue card one"}, history=history)
    await ValidateInsuranceForm().run(dispatcher, tracker, domain)
    assert WAY_OUT not in [m.get("text") for m in dispatcher.messages]
